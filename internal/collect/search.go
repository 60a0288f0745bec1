package collect

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"

	"github.com/velero-debug/velero-debug/internal/bundle"
	"github.com/velero-debug/velero-debug/internal/discover"
	"github.com/velero-debug/velero-debug/internal/plan"
	"github.com/velero-debug/velero-debug/internal/schedule"
)

// search resolves a Search step by discovery and returns a list for each
// resource and namespace it selects; for lists of pods, when the step
// asks, the logs of their containers follow.
func (r *run) search(ctx context.Context, s *plan.Search) ([]schedule.Job, error) {
	resources, err := r.searchResources(ctx, s)
	if err != nil {
		return nil, err
	}
	var namespaces []string
	if slices.ContainsFunc(resources, func(sr discover.Selected) bool { return sr.Namespaced }) {
		// A failure to list the namespaces is recorded (or left out, when
		// another search recorded it); the cluster-scoped resources are
		// still listed.
		if namespaces, err = r.searchNamespaces(ctx, s); ignoreLeftOut(err) != nil {
			return nil, err
		}
	}
	var jobs []schedule.Job
	for _, sr := range resources {
		if sr.GVR.Group == "" && sr.GVR.Resource == "secrets" {
			// Two searches may both refuse them: the second is left out.
			if err := ignoreLeftOut(r.refuseSecrets(s)); err != nil {
				return nil, err
			}
			continue
		}
		scopes := []string{""}
		if sr.Namespaced {
			scopes = namespaces
		}
		for _, ns := range scopes {
			q := r.searchQuery(s, sr.GVR, ns, r.now().Format(plan.SearchTimeFormat)) // a stamp per list, as crashd's
			jobs = append(jobs, expanding(classLists, func(ctx context.Context) ([]schedule.Job, error) {
				return r.searchList(ctx, s, q)
			}))
			if !searchesLogs(s, q) {
				// A list of pods whose logs are wanted is not dropped
				// when another search took its path (two captures in one
				// second): searchList lists it for the logs alone.
				jobs[len(jobs)-1].Path = q.path
			}
		}
	}
	return jobs, nil
}

// searchQuery lists one resource in one namespace into crashd's layout,
// stamped ts.
func (r *run) searchQuery(s *plan.Search, gvr schema.GroupVersionResource, ns, ts string) objectQuery {
	return objectQuery{gvr: gvr, namespace: ns, labelSelector: s.LabelSelector, sparse: true,
		path: plan.SearchObjectsPath(s.Dir, gvr.Group, gvr.Version, ns, gvr.Resource, ts), keep: keepObjects(s.Names, nil)}
}

// searchList lists q and returns the jobs of the logs of the pods listed
// when s asks.
func (r *run) searchList(ctx context.Context, s *plan.Search, q objectQuery) ([]schedule.Job, error) {
	var reqs []logRequest
	if searchesLogs(s, q) {
		lf := logFilter{previous: true, containers: s.Containers, limits: r.cfg.Logs, template: plan.SearchLogTemplate(s.Dir)}
		q.visit = func(o *unstructured.Unstructured) { reqs = append(reqs, lf.requests(o)...) }
		if !r.sched.Claim(q.path) {
			// Another search wrote this list: its pods are read again
			// for their logs, into nothing.
			_ = r.pages(ctx, q, &listWriter{w: io.Discard})
			return r.logJobs(reqs), nil
		}
	}
	if err := r.list(ctx, q); err != nil {
		return nil, err
	}
	return r.logJobs(reqs), nil
}

// searchesLogs reports whether q lists pods whose logs s wants.
func searchesLogs(s *plan.Search, q objectQuery) bool {
	return s.Logs && q.gvr.Group == "" && q.gvr.Resource == "pods"
}

// refuseSecrets records that a Search selected Secrets, which are never
// read: an error when the script named them, a skip when a group or
// category brought them in.
func (r *run) refuseSecrets(s *plan.Search) error {
	item := bundle.Item{Path: path.Join(s.Dir, "core_v1", "secrets.refused"), Type: "object-list", Source: "list secrets"}
	named := slices.ContainsFunc(s.Kinds, func(k string) bool { return strings.EqualFold(k, "secrets") || strings.EqualFold(k, "secret") })
	if named {
		return r.fail(item, errors.New("velero-debug never reads Secrets: the script asked for them (kinds), and they were left out"))
	}
	return r.skip(item, "velero-debug never reads Secrets: left out of the resources the script selected")
}

// searchNamespaces are the namespaces a Search lists namespaced resources
// in: its own, else every namespace of the cluster. A failure to list
// them is recorded, and no namespace returned.
func (r *run) searchNamespaces(ctx context.Context, s *plan.Search) ([]string, error) {
	if len(s.Namespaces) > 0 {
		return s.Namespaces, nil
	}
	names, err := r.namespaces(ctx)
	if err != nil {
		item := bundle.Item{Path: path.Join(s.Dir, "namespaces.json"), Type: "object-list", Source: "list namespaces"}
		return nil, r.fail(item, describeAPIError(err, "listing the namespaces to search"))
	}
	return names, nil
}

// namespaces lists the names of the cluster's namespaces, once per run.
func (r *run) namespaces(ctx context.Context) ([]string, error) {
	r.nsOnce.Do(func() {
		opts := metav1.ListOptions{Limit: 500}
		for {
			reqCtx, cancel := r.requestContext(ctx)
			list, err := r.clients.Kube.CoreV1().Namespaces().List(reqCtx, opts)
			cancel()
			if err != nil {
				r.nsErr = err
				return
			}
			for _, ns := range list.Items {
				r.nsNames = append(r.nsNames, ns.Name)
			}
			if opts.Continue = list.Continue; opts.Continue == "" {
				return
			}
		}
	})
	return r.nsNames, r.nsErr
}

// searchResources selects the resources of s from discovery. Groups that
// discovery could not answer for, among those s selects, are recorded as
// failed items; the others are searched.
func (r *run) searchResources(ctx context.Context, s *plan.Search) ([]discover.Selected, error) {
	groups, lists, err := r.resolver.All(ctx)
	if err != nil {
		var failed *discovery.ErrGroupDiscoveryFailed
		if !errors.As(err, &failed) {
			item := bundle.Item{Path: path.Join(s.Dir, "discovery.json"), Type: "discovery", Source: "discovery of the API"}
			return nil, r.fail(item, describeAPIError(err, "discovery"))
		}
		if err := r.discoveryFailures(s, failed); err != nil {
			return nil, err
		}
	}
	return discover.Select(s, groups, lists), nil
}

// discoveryFailures records the group versions of s that discovery failed.
func (r *run) discoveryFailures(s *plan.Search, failed *discovery.ErrGroupDiscoveryFailed) error {
	for gv, err := range failed.Groups {
		if !discover.GroupSelected(s, gv.Group) || (len(s.Versions) > 0 && !slices.Contains(s.Versions, gv.Version)) {
			continue
		}
		g := gv.Group
		if g == "" {
			g = "core"
		}
		item := bundle.Item{Path: path.Join(s.Dir, g+"_"+gv.Version, "discovery.json"), Type: "discovery", Source: "discovery of " + gv.String()}
		if err := ignoreLeftOut(r.fail(item, fmt.Errorf("discovering %s: %w", gv, err))); err != nil {
			return err
		}
	}
	return nil
}
