package collect

import (
	"context"
	"slices"
	"sort"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/velero-debug/velero-debug/internal/bundle"
	"github.com/velero-debug/velero-debug/internal/plan"
	"github.com/velero-debug/velero-debug/internal/veleroapi"
)

// recentFailure is what is kept of a failed backup or restore.
type recentFailure struct{ name, start string }

// recentIndex finds the most recent failed backups and restores of each
// namespace for the RecentFailed steps: fed by the list of the plan's
// velero.io api_group step as it reads (see feed), else by a paged pass of
// its own; only the newest few are ever held.
type recentIndex struct {
	feeds feeds[feedKey, []recentFailure]
	// n is how many of each resource and namespace are kept: the most a
	// step asks. Set before anything runs, only read after.
	n map[feedKey]int
}

// want notes that a step asks for the n most recent failures of k.
func (x *recentIndex) want(k feedKey, n int) {
	if x.n == nil {
		x.n = map[feedKey]int{}
	}
	x.n[k] = max(x.n[k], n)
}

// topFailures keeps the n newest failed backups or restores it is shown,
// newest first; of two with the same start, the first shown comes first.
type topFailures struct {
	n    int
	kept []recentFailure
}

func (t *topFailures) see(o *unstructured.Unstructured) {
	phase, _, _ := unstructured.NestedString(o.Object, "status", "phase")
	if !veleroapi.Failed(phase) {
		return
	}
	f := recentFailure{o.GetName(), startOf(o)}
	i := sort.Search(len(t.kept), func(i int) bool { return t.kept[i].start < f.start })
	if i >= t.n {
		return
	}
	t.kept = slices.Insert(t.kept, i, f)
	if len(t.kept) > t.n {
		t.kept = t.kept[:t.n]
	}
}

func (t *topFailures) names() []string {
	var out []string
	for _, f := range t.kept {
		out = append(out, f.name)
	}
	return out
}

// feedRecent makes q, the list of resource (backups or restores), feed
// the recent failures of its namespace.
func (r *run) feedRecent(q *objectQuery, resource string) {
	key := feedKey{q.namespace, resource}
	f, visit, top := r.recent.feeds.of(key), q.visit, &topFailures{n: r.recent.n[key]}
	q.visit = func(o *unstructured.Unstructured) {
		top.see(o)
		if visit != nil {
			visit(o)
		}
	}
	q.ended = func(complete bool) { f.end(top.kept, complete) }
}

// recentFailed names the most recent failures a RecentFailed step asks
// for: from the list that claimed them once it ends, or else from a paged
// pass of their own. A failure to read them is recorded as
// <resource>/recent-failures.json, and no name returned.
func (r *run) recentFailed(ctx context.Context, rf *plan.RecentFailed) ([]string, error) {
	key := feedKey{rf.Namespace, rf.Resource()}
	kept, err := r.recent.feeds.of(key).get(ctx, func(ctx context.Context) ([]recentFailure, error) {
		top := &topFailures{n: r.recent.n[key]}
		ri := r.clients.Dynamic.Resource(gvr(VeleroGroup, "v1", rf.Resource())).Namespace(rf.Namespace)
		err := r.eachObject(ctx, ri, metav1.ListOptions{}, top.see)
		return top.kept, err
	})
	if err != nil {
		item := bundle.Item{Path: rf.Resource() + "/recent-failures.json", Type: "object-list", Source: "list " + rf.Resource()}
		if !r.sched.Claim(item.Path) {
			return nil, nil
		}
		return nil, ignoreLeftOut(r.fail(item, describeAPIError(err, "finding the most recent failed "+rf.Resource())))
	}
	top := topFailures{kept: kept[:min(rf.N, len(kept))]}
	return top.names(), nil
}

// recentFailures names the most recent failed (wholly, partially or in validation) backups
// or restores (resource), newest first, at most n. The list is paged; only
// the name and start of the n newest failed ones are kept.
func (r *run) recentFailures(ctx context.Context, namespace, resource string, n int) ([]string, error) {
	if n <= 0 {
		return nil, nil
	}
	top := &topFailures{n: n}
	ri := r.clients.Dynamic.Resource(gvr(VeleroGroup, "v1", resource)).Namespace(namespace)
	if err := r.eachObject(ctx, ri, metav1.ListOptions{}, top.see); err != nil {
		return nil, err
	}
	return top.names(), nil
}
