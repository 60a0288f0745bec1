package collect

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	corev1api "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/velero-debug/velero-debug/internal/bundle"
	"github.com/velero-debug/velero-debug/internal/idle"
	"github.com/velero-debug/velero-debug/internal/plan"
	"github.com/velero-debug/velero-debug/internal/schedule"
)

// logRequest is one container log to fetch.
type logRequest struct {
	namespace, pod, container string
	previous                  bool
	// node is the pod's node; server and agent say it is a pod of the
	// Velero server or a node-agent (see focus).
	node          string
	server, agent bool
	// limits bound the log; MaxRequests is not used.
	limits LogOptions
	// template is where the log goes (plan.ExpandLogTemplate).
	template string
}

func (l logRequest) path() string {
	return plan.ExpandLogTemplate(l.template, l.namespace, l.pod, l.container, l.previous)
}

func (l logRequest) source() string {
	s := fmt.Sprintf("log of container %s in pod %s/%s", l.container, l.namespace, l.pod)
	if l.previous {
		s = "previous " + s
	}
	return s
}

// podsQuery is the pods list of a Logs step.
func (r *run) podsQuery(l *plan.Logs) objectQuery {
	pods := gvr("", "v1", "pods")
	q := objectQuery{gvr: pods, namespace: l.Namespace, path: l.PodsPath, labelSelector: l.LabelSelector, keep: keepObjects(l.Pods, nil)}
	if q.path == "" {
		q.path = resourcePath(l.Namespace, pods)
	}
	return q
}

// podsAndLogs lists the pods of a Logs step, into the bundle when own
// (else another step took the pods' item, and they are listed into
// nothing), and returns the jobs that fetch the log of each of their
// containers (init and ephemeral ones included), plus, when the step
// asks, the previous log of each container that restarted. Whether a log
// is a duplicate is decided per log file.
func (r *run) podsAndLogs(ctx context.Context, l *plan.Logs, q objectQuery, own bool) ([]schedule.Job, error) {
	lf := logFilter{previous: l.Previous, containers: l.Containers, limits: r.logLimits(l), template: l.PathTemplate}
	var reqs []logRequest
	q.visit = func(o *unstructured.Unstructured) { reqs = append(reqs, lf.requests(o)...) }
	if r.podClaims[l] {
		r.feedPods(&q)
	}
	if !own {
		// The list's own failure, if any, is the other step's item; the
		// logs of the pods that arrived are still fetched.
		err := r.pages(ctx, q, &listWriter{w: io.Discard})
		if q.ended != nil {
			q.ended(err == nil)
		}
		return r.logJobs(reqs), nil
	}
	if err := r.list(ctx, q); err != nil {
		return nil, err
	}
	return r.logJobs(reqs), nil
}

// logFilter says which logs of a pod to fetch, and how.
type logFilter struct {
	previous   bool
	containers []string
	limits     LogOptions
	template   string
}

// requests are the logs of pod o that f keeps.
func (f logFilter) requests(o *unstructured.Unstructured) []logRequest {
	var reqs []logRequest
	for _, req := range logRequests(o) {
		if (req.previous && !f.previous) || len(f.containers) > 0 && !slices.Contains(f.containers, req.container) {
			continue
		}
		req.limits, req.template = f.limits, f.template
		reqs = append(reqs, req)
	}
	return reqs
}

// logJobs fetch each log of reqs.
func (r *run) logJobs(reqs []logRequest) []schedule.Job {
	jobs := make([]schedule.Job, 0, len(reqs))
	for _, req := range reqs {
		jobs = append(jobs, leaf(classLogs, req.path(), func(ctx context.Context) error { return r.fetchLog(ctx, req) }))
	}
	return jobs
}

// logLimits are the bounds of the logs of a step: its own, else the run's.
func (r *run) logLimits(l *plan.Logs) LogOptions {
	limits := r.cfg.Logs
	if l.Since > 0 {
		limits.Since = l.Since
	}
	if l.Tail != nil {
		limits.Tail = *l.Tail
	}
	if l.LimitBytes > 0 {
		limits.LimitBytes = l.LimitBytes
	}
	return limits
}

// logRequests lists the logs of one pod.
func logRequests(o *unstructured.Unstructured) []logRequest {
	var pod corev1api.Pod
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &pod); err != nil {
		return nil
	}
	restarts := map[string]int32{}
	for _, list := range [][]corev1api.ContainerStatus{pod.Status.InitContainerStatuses, pod.Status.ContainerStatuses, pod.Status.EphemeralContainerStatuses} {
		for _, st := range list {
			restarts[st.Name] = st.RestartCount
		}
	}
	var names []string
	for _, c := range pod.Spec.InitContainers {
		names = append(names, c.Name)
	}
	for _, c := range pod.Spec.Containers {
		names = append(names, c.Name)
	}
	for _, c := range pod.Spec.EphemeralContainers {
		names = append(names, c.Name)
	}
	var reqs []logRequest
	for _, c := range names {
		req := logRequest{namespace: pod.Namespace, pod: pod.Name, container: c, node: pod.Spec.NodeName,
			server: serverLabels(pod.Labels), agent: pod.Labels["name"] == "node-agent"}
		reqs = append(reqs, req)
		if restarts[c] > 0 {
			req.previous = true
			reqs = append(reqs, req)
		}
	}
	return reqs
}

// fetchLog streams one log into the bundle. The request has
// RequestTimeout to answer and to send each next chunk; a log cut off
// keeps what arrived.
func (r *run) fetchLog(ctx context.Context, req logRequest) error {
	item := bundle.Item{Path: req.path(), Type: "log", Source: req.source(), Cut: true}
	e, err := r.open(item)
	if err != nil {
		return err
	}
	r.focus.log(req)
	opts := &corev1api.PodLogOptions{Container: req.container, Previous: req.previous}
	lo := req.limits
	if lo.Since > 0 {
		secs := int64(lo.Since.Round(time.Second) / time.Second)
		opts.SinceSeconds = &secs
	}
	if lo.Tail >= 0 {
		opts.TailLines = &lo.Tail
	}
	if lo.LimitBytes > 0 {
		opts.LimitBytes = &lo.LimitBytes
	}
	streamCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	timer := idle.New(r.cfg.RequestTimeout, cancel)
	defer timer.Stop()
	out := &bundle.Counter{W: e}
	stream, err := r.clients.Kube.CoreV1().Pods(req.namespace).GetLogs(req.pod, opts).Stream(streamCtx)
	if err == nil {
		_, err = io.Copy(out, timer.Reader(stream))
		err = errors.Join(err, stream.Close())
	}
	if err != nil {
		if timer.Fired() && ctx.Err() == nil {
			err = fmt.Errorf("no data for %s: %w", r.cfg.RequestTimeout, context.DeadlineExceeded)
		}
		err = describeAPIError(err, req.source())
		return e.Fail(err)
	}
	if lim := lo.LimitBytes; lim > 0 && out.N >= lim {
		e.SetTruncated(true)
	}
	return e.Commit()
}
