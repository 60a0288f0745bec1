package collect

import (
	"context"
	"errors"
	"time"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/velero-debug/velero-debug/internal/bundle"
	"github.com/velero-debug/velero-debug/internal/plan"
	"github.com/velero-debug/velero-debug/internal/schedule"
	"github.com/velero-debug/velero-debug/internal/veleroapi"
)

// Classes of the run's jobs, each with its own limit (see limits): a job
// that waits (a description on the lists that feed it) never waits on a
// job of its own class.
const (
	// classSteps expands steps by discovery into the jobs they make.
	classSteps schedule.Class = "steps"
	// classLists lists and gets objects; its jobs wait on nothing.
	classLists schedule.Class = "lists"
	// classLogs streams container logs.
	classLogs schedule.Class = "logs"
	// classVelero asks the Velero server: its version, the object-store
	// files of backups and restores.
	classVelero schedule.Class = "velero"
	// classSummaries writes what other items feed: descriptions and
	// volume failures, which wait on lists.
	classSummaries schedule.Class = "summaries"
	// classCommands runs a plan's local commands.
	classCommands schedule.Class = "commands"
)

// limits are the bounds of each class of the run's jobs.
func (r *run) limits() map[schedule.Class]int {
	n := r.cfg.ObjectParallelism
	return map[schedule.Class]int{
		classSteps: n, classLists: n, classLogs: r.cfg.Logs.MaxRequests,
		// Three files of each of n backups or restores at once, as
		// many as a Velero server's download controller serves quickly.
		classVelero:    3 * n,
		classSummaries: n, classCommands: n,
	}
}

// expansion is what the steps of a plan expand into before any runs.
type expansion struct {
	jobs []schedule.Job
	// versions and details are asked of the Velero server together, in
	// one job: the answer of a namespace's server decides its details'
	// downloads.
	versions []*plan.ServerVersion
	details  []*plan.Detail
	recent   []*plan.RecentFailed
}

// execute expands the steps of p into jobs and queues them: first the
// slow ones (the pods' logs and the Velero server's answers), then the
// others in the plan's order. Paths are claimed in that order: of two
// jobs with the same path, the first is run.
func (r *run) execute(p *plan.Plan) error {
	for _, f := range p.Failures {
		item := bundle.Item{Path: f.Path, Type: "object-list", Source: f.Source}
		if !r.sched.Claim(f.Path) {
			continue
		}
		if err := ignoreLeftOut(r.fail(item, errors.New(f.Error))); err != nil {
			return err
		}
	}
	kinds := make([]kind, 0, len(p.Steps))
	for _, s := range p.Steps {
		if k := kindOf(s); k != nil {
			kinds = append(kinds, k)
		}
	}
	r.prepareFeeds(kinds)
	x := &expansion{}
	for _, k := range kinds {
		if slow(k) {
			k.expand(r, x)
		}
	}
	if len(x.versions) > 0 || len(x.details) > 0 || len(x.recent) > 0 {
		x.jobs = append(x.jobs, schedule.Job{Class: classVelero, Run: func(ctx context.Context) ([]schedule.Job, error) {
			return r.veleroServer(ctx, x.versions, x.details, x.recent)
		}})
	}
	for _, k := range kinds {
		if !slow(k) {
			k.expand(r, x)
		}
	}
	r.sched.Add(x.jobs...)
	return nil
}

// add adds job to x, claiming its path now: of two jobs with the same
// path, the first expanded runs, whatever runs first.
func (x *expansion) add(r *run, job schedule.Job) {
	if !r.sched.Claim(job.Path) {
		return
	}
	job.Path = ""
	x.jobs = append(x.jobs, job)
}

// leaf is a job of class c that writes path and finds no more work.
func leaf(c schedule.Class, path string, do func(context.Context) error) schedule.Job {
	return schedule.Job{Class: c, Path: path, Run: func(ctx context.Context) ([]schedule.Job, error) {
		return nil, ignoreLeftOut(do(ctx))
	}}
}

// expanding is a job of class c that finds more work: its jobs.
func expanding(c schedule.Class, find func(context.Context) ([]schedule.Job, error)) schedule.Job {
	return schedule.Job{Class: c, Run: func(ctx context.Context) ([]schedule.Job, error) {
		jobs, err := find(ctx)
		return jobs, ignoreLeftOut(err)
	}}
}

// ignoreLeftOut drops errLeftOut: an item whose path another step took is
// left out, not a failure of the bundle. Jobs' paths are claimed when they
// are made; this keeps the items a job writes besides its own.
func ignoreLeftOut(err error) error {
	if errors.Is(err, errLeftOut) {
		return nil
	}
	return err
}

// resolveObjects resolves an Objects step by discovery into its list; a
// step that cannot be resolved is a failed item.
func (r *run) resolveObjects(ctx context.Context, o *plan.Objects) ([]schedule.Job, error) {
	q, err := r.objectsQuery(ctx, o)
	if err != nil {
		if !r.sched.Claim(q.path) {
			return nil, nil
		}
		item := bundle.Item{Path: q.path, Type: "object-list", Source: q.source()}
		return nil, r.fail(item, err)
	}
	return []schedule.Job{r.listJob(q)}, nil
}

// listJob lists q into its item.
func (r *run) listJob(q objectQuery) schedule.Job {
	return leaf(classLists, q.path, func(ctx context.Context) error { return r.list(ctx, q) })
}

// apiGroup discovers the resources of an API group (writing the answer
// when writeDiscovery) and returns their lists. The lists that feed the
// summaries are claimed here, so that a feed always hears its list end.
func (r *run) apiGroup(ctx context.Context, g *plan.APIGroup, writeDiscovery bool) ([]schedule.Job, error) {
	qs, err := r.groupQueries(ctx, g, writeDiscovery)
	fed := map[string]bool{}
	var jobs []schedule.Job
	for _, q := range qs {
		if !r.sched.Claim(q.path) {
			continue // another step lists it
		}
		for _, res := range r.claims[g] {
			if !fed[res] && q.namespace == g.Namespace && q.gvr == summaryGVR(res) {
				r.feedSummary(&q, res)
				fed[res] = true
			}
		}
		job := r.listJob(q)
		job.Path = "" // claimed above
		jobs = append(jobs, job)
	}
	for _, res := range r.claims[g] {
		if !fed[res] {
			// Not served, or listed by another step: the summaries
			// read on their own.
			r.unfed(feedKey{g.Namespace, res})
		}
	}
	return jobs, err
}

// summaryGVR is the list of resource that feeds the summaries.
func summaryGVR(resource string) schema.GroupVersionResource {
	if _, ok := veleroapi.VolumeKindOf(resource); ok {
		return volumeGVR(resource)
	}
	return gvr(VeleroGroup, "v1", resource) // backups, restores
}

// feedSummary makes q, a list of resource, feed the summaries that need
// it: the volume operations, or the recent failures.
func (r *run) feedSummary(q *objectQuery, resource string) {
	if _, ok := veleroapi.VolumeKindOf(resource); ok {
		r.feedVolumes(q, resource)
		return
	}
	r.feedRecent(q, resource)
}

// unfed ends the feed of k without a value: its readers read on their own.
func (r *run) unfed(k feedKey) {
	if _, ok := veleroapi.VolumeKindOf(k.resource); ok {
		r.volumes.feeds.of(k).end(nil, false)
		return
	}
	r.recent.feeds.of(k).end(nil, false)
}

// prepareFeeds notes, before any step runs, the backups and restores
// collected in detail and the lists that feed the summaries: the first
// velero.io api_group step of a namespace feeds its volume kinds and the
// recent failures its steps ask for, the first logs step that lists all
// its pods feeds its node-agent and server pods, the first lists of its Deployments
// and DaemonSets feed the images of its version.json.
func (r *run) prepareFeeds(kinds []kind) {
	images := map[string]bool{}
	for _, k := range kinds {
		switch k := k.(type) {
		case serverVersionKind:
			images[k.v.Namespace] = true
		case detailKind:
			r.volumes.detail(k.d.Namespace, k.d.Resource(), k.d.Name)
		case recentFailedKind:
			r.recent.want(feedKey{k.r.Namespace, k.r.Resource()}, k.r.N)
		case logsKind:
			if r.claimPods(k.l) {
				r.podClaims[k.l] = true
			}
		}
	}
	for _, k := range kinds {
		if o, ok := k.(objectsKind); ok {
			if key, ok := imagesFeed(o.o); ok && images[key.namespace] && r.images.claim(key) {
				r.imageClaims[o.o] = key
			}
		}
		g, ok := k.(apiGroupKind)
		if !ok || g.g.Group != VeleroGroup || g.g.Namespace == "" {
			continue
		}
		ns := g.g.Namespace
		for _, v := range volumeKinds {
			if r.volumes.feeds.claim(feedKey{ns, v.Resource}) {
				r.claims[g.g] = append(r.claims[g.g], v.Resource)
			}
		}
		for _, res := range []string{"backups", "restores"} {
			if key := (feedKey{ns, res}); r.recent.n[key] > 0 && r.recent.feeds.claim(key) {
				r.claims[g.g] = append(r.claims[g.g], res)
			}
		}
	}
}

// Lookups answer the questions a collection plan's scripts ask of the
// cluster while the plan is made: read-only, and bounded by the request
// timeout.
type Lookups struct {
	Dynamic dynamic.Interface
	// Namespace is Velero's namespace.
	Namespace string
	// RequestTimeout bounds each request.
	RequestTimeout time.Duration
}

// RecentFailures names the most recent Failed, PartiallyFailed or FailedValidation backups or
// restores (resource), newest first, at most n.
func (l Lookups) RecentFailures(ctx context.Context, resource string, n int) ([]string, error) {
	r := &run{cfg: Config{RequestTimeout: l.RequestTimeout}, clients: Clients{Dynamic: l.Dynamic}}
	names, err := r.recentFailures(ctx, l.Namespace, resource, n)
	if err != nil {
		return nil, describeAPIError(err, "finding the most recent failed "+resource)
	}
	return names, nil
}
