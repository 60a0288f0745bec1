package collect

import (
	"context"
	"errors"
	"sort"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/discovery"

	"github.com/velero-debug/velero-debug/internal/access"
	"github.com/velero-debug/velero-debug/internal/bundle"
	"github.com/velero-debug/velero-debug/internal/discover"
	"github.com/velero-debug/velero-debug/internal/plan"
	"github.com/velero-debug/velero-debug/internal/schedule"
)

// A kind is what the engine does for one kind of plan step, and what that
// asks of the API server, side by side: the dry run checks the user's
// rights against needs, and TestNeedsCoverRequests runs every kind against
// recording fakes to check that its requests are among them.
type kind interface {
	// needs lists the API requests the step may make (discovery aside,
	// which every user may read). A step whose resources cannot be
	// resolved returns the error: the collection would fail it too.
	needs(ctx context.Context, res access.Resources) ([]access.Need, error)
	// expand adds the step's jobs to x, each with the path it writes
	// when that is known before it runs: slow steps (logs, the Velero
	// server's answers) expand before the others, see execute.
	expand(r *run, x *expansion)
}

// Needs lists the API requests step s may make, resolved by res.
func Needs(ctx context.Context, s plan.Step, res access.Resources) ([]access.Need, error) {
	k := kindOf(s)
	if k == nil {
		return nil, nil
	}
	return k.needs(ctx, res)
}

// kindOf returns the kind of s, nil for a step without one.
func kindOf(s plan.Step) kind {
	switch {
	case s.Objects != nil:
		return objectsKind{s.Objects}
	case s.APIGroup != nil:
		return apiGroupKind{s.APIGroup}
	case s.Logs != nil:
		return logsKind{s.Logs}
	case s.ClusterVersion != nil:
		return clusterVersionKind{}
	case s.ServerVersion != nil:
		return serverVersionKind{s.ServerVersion}
	case s.Detail != nil:
		return detailKind{s.Detail}
	case s.RecentFailed != nil:
		return recentFailedKind{s.RecentFailed}
	case s.VolumeFailures != nil:
		return volumeFailuresKind{s.VolumeFailures}
	case s.File != nil:
		return fileKind{s.File, s.Script}
	case s.Search != nil:
		return searchKind{s.Search}
	case s.Command != nil:
		return commandKind{s.Command}
	}
	return nil
}

// slow reports whether a step of kind k waits on others (pods' logs, the
// Velero server): it is queued first.
func slow(k kind) bool {
	switch k.(type) {
	case logsKind, serverVersionKind, detailKind, recentFailedKind:
		return true
	}
	return false
}

func list(group, resource, ns string) access.Need {
	return access.Need{Verb: "list", Group: group, Resource: resource, Namespace: ns}
}

// objectsKind lists one resource.
type objectsKind struct{ o *plan.Objects }

func (k objectsKind) needs(ctx context.Context, res access.Resources) ([]access.Need, error) {
	o := k.o
	resource, namespaced := o.Resource, o.Namespace != "" || o.AllNamespaces
	if discover.NeedsMapping(o) {
		m, err := res.Mapping(ctx, o)
		if err != nil {
			return nil, err
		}
		resource, namespaced = m.Resource.Resource, m.Scope.Name() == meta.RESTScopeNameNamespace
	}
	n := list(o.Group, resource, "")
	if namespaced && !o.AllNamespaces {
		n.Namespace = o.Namespace
	}
	return []access.Need{n}, nil
}

func (k objectsKind) expand(r *run, x *expansion) {
	if discover.NeedsMapping(k.o) {
		x.add(r, expanding(classSteps, func(ctx context.Context) ([]schedule.Job, error) {
			return r.resolveObjects(ctx, k.o)
		}))
		return
	}
	q, _ := r.objectsQuery(context.Background(), k.o) // resolves nothing: it cannot fail
	key, feeds := r.imageClaims[k.o]
	if !feeds {
		x.add(r, r.listJob(q))
		return
	}
	// The list feeds version.json's images: claimed here, so that the
	// feed always hears it end.
	if !r.sched.Claim(q.path) {
		r.images.of(key).end(nil, false)
		return
	}
	r.feedImages(&q, key)
	job := r.listJob(q)
	job.Path = "" // claimed
	x.add(r, job)
}

// apiGroupKind lists every resource of an API group.
type apiGroupKind struct{ g *plan.APIGroup }

func (k apiGroupKind) needs(ctx context.Context, res access.Resources) ([]access.Need, error) {
	lists, err := res.GroupResources(ctx, k.g.Group)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []access.Need
	for _, l := range lists {
		for _, ar := range l.APIResources {
			if !discover.Listable(ar) || seen[ar.Name] {
				continue
			}
			seen[ar.Name] = true
			n := list(k.g.Group, ar.Name, "")
			if ar.Namespaced {
				n.Namespace = k.g.Namespace
			}
			out = append(out, n)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Resource < out[j].Resource })
	return out, nil
}

func (k apiGroupKind) expand(r *run, x *expansion) {
	writeDiscovery := r.sched.Claim(groupDiscoveryItem(k.g.Group).Path)
	x.add(r, expanding(classSteps, func(ctx context.Context) ([]schedule.Job, error) {
		return r.apiGroup(ctx, k.g, writeDiscovery)
	}))
}

// logsKind lists pods and streams their containers' logs.
type logsKind struct{ l *plan.Logs }

func (k logsKind) needs(context.Context, access.Resources) ([]access.Need, error) {
	ns := k.l.Namespace
	return []access.Need{list("", "pods", ns), {Verb: "get", Resource: "pods", Subresource: "log", Namespace: ns}}, nil
}

func (k logsKind) expand(r *run, x *expansion) {
	q := r.podsQuery(k.l)
	own := r.sched.Claim(q.path) // else the pods are listed into nothing, for their logs
	x.add(r, expanding(classLists, func(ctx context.Context) ([]schedule.Job, error) {
		return r.podsAndLogs(ctx, k.l, q, own)
	}))
}

// clusterVersionKind reads the API server's version.
type clusterVersionKind struct{}

func (clusterVersionKind) needs(context.Context, access.Resources) ([]access.Need, error) {
	return []access.Need{{Verb: "get", Path: "/version"}}, nil
}

func (clusterVersionKind) expand(r *run, x *expansion) {
	x.add(r, leaf(classLists, clusterVersionPath, r.version))
}

// serverVersionKind asks the Velero server for its version and plugins,
// and reads the images of Velero's workloads.
type serverVersionKind struct{ v *plan.ServerVersion }

func (k serverVersionKind) needs(context.Context, access.Resources) ([]access.Need, error) {
	ns := k.v.Namespace
	return append(serverRequest("serverstatusrequests", ns), list("", "pods", ns), list("apps", "deployments", ns), list("apps", "daemonsets", ns)), nil
}

func (k serverVersionKind) expand(_ *run, x *expansion) {
	x.versions = append(x.versions, k.v)
}

// detailKind collects one backup or restore in detail: the object, the
// files Velero keeps in object storage (through DownloadRequests, trusting
// its storage location's CA), the server's and node-agents' log lines
// about it (see evidence.go), and its description with its volume
// operations.
type detailKind struct{ d *plan.Detail }

func (k detailKind) needs(context.Context, access.Resources) ([]access.Need, error) {
	return detailNeeds(k.d.Kind, k.d.Namespace), nil
}

// detailNeeds is what collecting a backup or restore (kind) of ns in
// detail takes.
func detailNeeds(kind, ns string) []access.Need {
	out := []access.Need{{Verb: "get", Group: VeleroGroup, Resource: kind + "s", Namespace: ns}}
	if kind == plan.Restore {
		out = append(out, access.Need{Verb: "get", Group: VeleroGroup, Resource: "backups", Namespace: ns})
	}
	out = append(out, access.Need{Verb: "get", Group: VeleroGroup, Resource: "backupstoragelocations", Namespace: ns})
	out = append(out, serverRequest("downloadrequests", ns)...)
	// The evidence: the logs of the server and node-agent pods.
	out = append(out, access.Need{Verb: "get", Resource: "pods", Subresource: "log", Namespace: ns})
	return append(out, volumeNeeds(ns)...)
}

// expand claims the detail's object path now, in the plan's order: a
// second step for the same backup or restore is left out.
func (k detailKind) expand(r *run, x *expansion) {
	n := namedOf(k.d)
	if r.sched.Claim(n.path()) {
		x.details = append(x.details, k.d)
	}
}

// recentFailedKind finds the most recent failed backups or restores in
// their list, and collects each in detail.
type recentFailedKind struct{ r *plan.RecentFailed }

func (k recentFailedKind) needs(context.Context, access.Resources) ([]access.Need, error) {
	ns := k.r.Namespace
	return append([]access.Need{list(VeleroGroup, k.r.Resource(), ns)}, detailNeeds(k.r.Kind, ns)...), nil
}

func (k recentFailedKind) expand(_ *run, x *expansion) {
	x.recent = append(x.recent, k.r)
}

// volumeFailuresKind relates failed volume operations to node-agents.
type volumeFailuresKind struct{ v *plan.VolumeFailures }

func (k volumeFailuresKind) needs(context.Context, access.Resources) ([]access.Need, error) {
	return volumeNeeds(k.v.Namespace), nil
}

// expand makes the summary a job of the summaries, which wait on the lists
// that feed them: no list waits on a summary.
func (k volumeFailuresKind) expand(r *run, x *expansion) {
	x.add(r, leaf(classSummaries, volumeFailuresPath, func(ctx context.Context) error {
		return r.volumeFailures(ctx, k.v.Namespace)
	}))
}

// fileKind writes a script's file.
type fileKind struct {
	f      *plan.File
	script string
}

func (fileKind) needs(context.Context, access.Resources) ([]access.Need, error) { return nil, nil }

func (k fileKind) expand(r *run, x *expansion) {
	item := bundle.Item{Path: k.f.Path, Type: "file", Source: "written by script " + k.script}
	x.add(r, leaf(classSteps, item.Path, func(context.Context) error {
		return r.addBytes(item, []byte(k.f.Content))
	}))
}

// searchKind is crashd's kube_capture: the lists of the resources it
// selects (never Secrets, which the run refuses), in each of its
// namespaces or in every namespace, and the logs of its pods.
type searchKind struct{ s *plan.Search }

func (k searchKind) needs(ctx context.Context, res access.Resources) ([]access.Need, error) {
	s := k.s
	groups, lists, err := res.All(ctx)
	var partial *discovery.ErrGroupDiscoveryFailed
	if err != nil && !errors.As(err, &partial) {
		return nil, err
	}
	scopes := s.Namespaces
	if len(scopes) == 0 {
		scopes = []string{""} // every namespace
	}
	var out []access.Need
	listsNamespaces := false
	for _, sel := range discover.Select(s, groups, lists) {
		gvr := sel.GVR
		if gvr.Group == "" && gvr.Resource == "secrets" {
			continue
		}
		if !sel.Namespaced {
			out = append(out, list(gvr.Group, gvr.Resource, ""))
			continue
		}
		if len(s.Namespaces) == 0 && !listsNamespaces {
			listsNamespaces = true
			out = append(out, list("", "namespaces", ""))
		}
		for _, ns := range scopes {
			out = append(out, list(gvr.Group, gvr.Resource, ns))
			if s.Logs && gvr.Group == "" && gvr.Resource == "pods" {
				out = append(out, access.Need{Verb: "get", Resource: "pods", Subresource: "log", Namespace: ns})
			}
		}
	}
	return out, nil
}

func (k searchKind) expand(r *run, x *expansion) {
	x.add(r, expanding(classSteps, func(ctx context.Context) ([]schedule.Job, error) {
		return r.search(ctx, k.s)
	}))
}

// commandKind runs a local command; it asks the API server nothing.
type commandKind struct{ c *plan.Command }

func (commandKind) needs(context.Context, access.Resources) ([]access.Need, error) { return nil, nil }

func (k commandKind) expand(r *run, x *expansion) {
	x.add(r, leaf(classCommands, k.c.Path, func(ctx context.Context) error {
		return r.command(ctx, k.c)
	}))
}

// serverRequest is what asking the Velero server takes: a request object
// created, read until processed, and deleted.
func serverRequest(resource, ns string) []access.Need {
	var out []access.Need
	for _, verb := range []string{"create", "get", "delete"} {
		out = append(out, access.Need{Verb: verb, Group: VeleroGroup, Resource: resource, Namespace: ns})
	}
	return out
}

// volumeNeeds is what relating volume operations to node-agents takes.
func volumeNeeds(ns string) []access.Need {
	out := []access.Need{list("", "pods", ns)}
	for _, k := range volumeKinds {
		out = append(out, list(VeleroGroup, k.Resource, ns))
	}
	return out
}
