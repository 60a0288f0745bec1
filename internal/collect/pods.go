package collect

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/velero-debug/velero-debug/internal/plan"
)

// veleroPods are the pods of Velero's namespace that the summaries and
// the evidence read: the node-agent pod of each node, and the Velero
// server's pods, each with the logs to read of its container.
type veleroPods struct {
	// agents map each node to the node-agent pod that runs on it.
	agents map[string]string
	// agentLogs are the logs of each node-agent pod, by pod.
	agentLogs map[string][]logSource
	// serverLogs are the logs of the Velero server's pods, oldest pod
	// first.
	serverLogs []logSource
	// created orders the server's pods while they are seen.
	created map[string]string
}

func newVeleroPods() *veleroPods {
	return &veleroPods{agents: map[string]string{}, agentLogs: map[string][]logSource{}, created: map[string]string{}}
}

// podInfo is what the evidence reads of a pod.
type podInfo struct {
	Metadata struct {
		Name              string            `json:"name"`
		Namespace         string            `json:"namespace"`
		Labels            map[string]string `json:"labels"`
		CreationTimestamp string            `json:"creationTimestamp"`
	} `json:"metadata"`
	Spec struct {
		NodeName   string `json:"nodeName"`
		Containers []struct {
			Name string `json:"name"`
		} `json:"containers"`
	} `json:"spec"`
	Status struct {
		Phase             string `json:"phase"`
		Reason            string `json:"reason"`
		ContainerStatuses []struct {
			Name         string         `json:"name"`
			RestartCount int32          `json:"restartCount"`
			State        map[string]any `json:"state"`
		} `json:"containerStatuses"`
	} `json:"status"`
}

// podInfoOf reads what the evidence needs of a pod, typed or not.
func podInfoOf(pod any) (podInfo, bool) {
	var p podInfo
	data, err := json.Marshal(pod)
	return p, err == nil && json.Unmarshal(data, &p) == nil
}

// see notes pod o if it is a node-agent or a Velero server: only those
// are read, a namespace may hold many other pods.
func (vp *veleroPods) see(o *unstructured.Unstructured) {
	if l := o.GetLabels(); l["name"] != "node-agent" && !serverLabels(l) {
		return
	}
	if p, ok := podInfoOf(o.Object); ok {
		vp.seePod(p)
	}
}

func (vp *veleroPods) seePod(p podInfo) {
	switch {
	case p.Metadata.Labels["name"] == "node-agent" && p.Spec.NodeName != "":
		vp.agents[p.Spec.NodeName] = p.Metadata.Name
		vp.agentLogs[p.Metadata.Name] = containerLogs(p, "node-agent")
	case isServerPod(p):
		vp.created[p.Metadata.Name] = p.Metadata.CreationTimestamp + " " + p.Metadata.Name
		vp.serverLogs = append(vp.serverLogs, containerLogs(p, "velero")...)
		sort.SliceStable(vp.serverLogs, func(i, j int) bool {
			return vp.created[vp.serverLogs[i].pod] < vp.created[vp.serverLogs[j].pod]
		})
	}
}

// isServerPod reports whether p is a pod of the Velero server: labelled
// as `velero install` or Velero's Helm chart label it, with a container
// named velero.
func isServerPod(p podInfo) bool {
	if !serverLabels(p.Metadata.Labels) {
		return false
	}
	for _, c := range p.Spec.Containers {
		if c.Name == "velero" {
			return true
		}
	}
	return false
}

// serverLabels reports whether a pod's labels are those of the Velero
// server's pods.
func serverLabels(l map[string]string) bool {
	return l["deploy"] == "velero" || l["component"] == "velero" && l["name"] == "" || l["app.kubernetes.io/name"] == "velero"
}

// containerLogs are the logs of container in pod p: its previous one
// first, when it restarted; none when it never ran (its pod pending, its
// image not pulled) or its node dropped it (an evicted pod).
func containerLogs(p podInfo, container string) []logSource {
	src := logSource{namespace: p.Metadata.Namespace, pod: p.Metadata.Name, container: container}
	if p.Status.Reason == "Evicted" {
		return nil
	}
	for _, st := range p.Status.ContainerStatuses {
		_, waiting := st.State["waiting"]
		switch {
		case st.Name != container:
		case st.RestartCount > 0 && waiting:
			src.previous = true // crash-looping: its last instance's log
			return []logSource{src}
		case st.RestartCount > 0:
			prev := src
			prev.previous = true
			return []logSource{prev, src}
		case len(st.State) == 0 || waiting:
			return nil // it never ran
		default:
			return []logSource{src}
		}
	}
	if p.Status.Phase == "Pending" {
		return nil
	}
	return []logSource{src} // a pod without statuses: ask, and say what the server answers
}

// veleroPodsOf returns the Velero pods of namespace: from the pods of the
// namespace's logs step, when one lists them all, else from a list of its
// own, once for every reader.
func (r *run) veleroPodsOf(ctx context.Context, namespace string) (*veleroPods, error) {
	return r.pods.of(namespace).get(ctx, func(ctx context.Context) (*veleroPods, error) {
		vp := newVeleroPods()
		opts := metav1.ListOptions{Limit: summaryPage}
		for {
			reqCtx, cancel := r.requestContext(ctx)
			pods, err := r.clients.Kube.CoreV1().Pods(namespace).List(reqCtx, opts)
			cancel()
			if err != nil {
				return nil, describeAPIError(err, "listing the pods of Velero's namespace")
			}
			for i := range pods.Items {
				if p, ok := podInfoOf(&pods.Items[i]); ok {
					vp.seePod(p)
				}
			}
			if opts.Continue = pods.Continue; opts.Continue == "" {
				return vp, nil
			}
		}
	})
}

// nodeAgents maps each node of namespace to the node-agent pod that runs
// on it.
func (r *run) nodeAgents(ctx context.Context, namespace string) (map[string]string, error) {
	vp, err := r.veleroPodsOf(ctx, namespace)
	if err != nil {
		return nil, err
	}
	return vp.agents, nil
}

// claimPods reports whether the logs step l lists every pod of its
// namespace and is the first to: its list then feeds the namespace's
// Velero pods.
func (r *run) claimPods(l *plan.Logs) bool {
	return l.Namespace != "" && l.LabelSelector == "" && len(l.Pods) == 0 && r.pods.claim(l.Namespace)
}

// feedPods makes q, the pods list of a logs step that claimed them, feed
// the Velero pods of its namespace.
func (r *run) feedPods(q *objectQuery) {
	f, visit, vp := r.pods.of(q.namespace), q.visit, newVeleroPods()
	q.visit = func(o *unstructured.Unstructured) {
		vp.see(o)
		if visit != nil {
			visit(o)
		}
	}
	q.ended = func(complete bool) { f.end(vp, complete) }
}

// outsideWait is how long a Velero server is waited for when none of its
// pods runs: one may run outside the cluster (`velero server` on a
// developer's machine, its Deployment scaled to 0, as Velero's
// development docs describe), and it answers within a second.
const outsideWait = 5 * time.Second

// serverAbsence says why no Velero server runs in namespace: none of its
// pods exists, or none runs (each one's state). It is "" when one runs,
// or when its pods cannot be listed: the server is then asked as usual.
func (r *run) serverAbsence(ctx context.Context, namespace string) string {
	ri := r.clients.Dynamic.Resource(gvr("", "v1", "pods")).Namespace(namespace)
	seen := map[string]string{} // each server pod's state, "" when it runs
	for _, sel := range []string{"deploy=velero", "component=velero", "app.kubernetes.io/name=velero"} {
		err := r.eachObject(ctx, ri, metav1.ListOptions{LabelSelector: sel}, func(o *unstructured.Unstructured) {
			if p, ok := podInfoOf(o.Object); ok && serverLabels(p.Metadata.Labels) && isServerPod(p) {
				seen[p.Metadata.Name] = serverPodState(p)
			}
		})
		if err != nil {
			return ""
		}
	}
	if len(seen) == 0 {
		return fmt.Sprintf("no Velero server runs in namespace %q: it has no pod of the server (labelled component=velero, deploy=velero or app.kubernetes.io/name=velero, with a container named velero)", namespace)
	}
	states := make([]string, 0, len(seen))
	for _, name := range slices.Sorted(maps.Keys(seen)) {
		if seen[name] == "" {
			return ""
		}
		states = append(states, seen[name])
	}
	return fmt.Sprintf("no Velero server runs in namespace %q: %s", namespace, strings.Join(states, "; "))
}

// serverPodState says why the velero container of server pod p does not
// run; "" when it runs.
func serverPodState(p podInfo) string {
	if p.Status.Phase != "Running" {
		state := fmt.Sprintf("pod %s is %s", p.Metadata.Name, cmp.Or(p.Status.Phase, "not scheduled"))
		if p.Status.Reason != "" {
			state += " (" + p.Status.Reason + ")"
		}
		return state
	}
	for _, st := range p.Status.ContainerStatuses {
		if st.Name != "velero" {
			continue
		}
		for _, s := range []string{"waiting", "terminated"} {
			if v, ok := st.State[s].(map[string]any); ok {
				reason, _ := v["reason"].(string)
				return fmt.Sprintf("container velero of pod %s is %s: %s", p.Metadata.Name, s, cmp.Or(reason, "no reason given"))
			}
		}
	}
	return ""
}
