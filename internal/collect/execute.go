package collect

import (
	"context"
	"errors"
	"time"

	"golang.org/x/sync/errgroup"
	"k8s.io/client-go/dynamic"

	"github.com/velero-debug/velero-debug/internal/bundle"
	"github.com/velero-debug/velero-debug/internal/plan"
)

// execute queues the steps of p: first the slow ones (the pods' logs and
// the Velero server's answers), then the others in the plan's order.
func (r *run) execute(ctx context.Context, p *plan.Plan, objects, logs, details *errgroup.Group) error {
	for _, f := range p.Failures {
		item := bundle.Item{Path: f.Path, Type: "object-list", Source: f.Source}
		if err := r.task(func() error { return r.fail(item, errors.New(f.Error)) })(); err != nil {
			return err
		}
	}
	q := &queues{objects: objects, logs: logs, details: details}
	kinds := make([]kind, 0, len(p.Steps))
	for _, s := range p.Steps {
		if k := kindOf(s); k != nil {
			kinds = append(kinds, k)
		}
	}
	r.prepareVolumes(kinds)
	for _, k := range kinds {
		if slow(k) {
			k.queue(ctx, r, q)
		}
	}
	if len(q.versions) > 0 || len(q.detailSteps) > 0 {
		objects.Go(r.task(func() error { return r.veleroServer(ctx, q.versions, q.detailSteps, details) }))
	}
	for _, k := range kinds {
		if !slow(k) {
			k.queue(ctx, r, q)
		}
	}
	return nil
}

// objects lists the objects of one step; a step that cannot be resolved is
// a failed item.
func (r *run) objects(ctx context.Context, o *plan.Objects) error {
	q, err := r.objectsQuery(ctx, o)
	if err != nil {
		item := bundle.Item{Path: q.path, Type: "object-list", Source: q.source()}
		return r.fail(item, err)
	}
	return r.list(ctx, q)
}

// apiGroup discovers the resources of an API group and queues their lists
// into the lists group: never into the group apiGroup runs in (objects),
// where a full group waiting on itself would never end.
func (r *run) apiGroup(ctx context.Context, g *plan.APIGroup) error {
	qs, err := r.groupQueries(ctx, g)
	fed := map[string]bool{}
	for _, q := range qs {
		for _, res := range r.claims[g] {
			if !fed[res] && q.namespace == g.Namespace && q.gvr == volumeGVR(res) {
				r.feedVolumes(&q, res)
				fed[res] = true
			}
		}
		r.lists.Go(r.task(func() error { return r.list(ctx, q) }))
	}
	for _, res := range r.claims[g] {
		if !fed[res] {
			// Not served: the summaries try on their own.
			r.volumes.feeds.of(feedKey{g.Namespace, res}).end(nil, false)
		}
	}
	return err
}

// prepareVolumes notes, before any step runs, the backups and restores
// collected in detail and the lists that feed the summaries: the first
// velero.io api_group step of a namespace feeds its volume kinds, the first
// logs step that lists all its pods feeds its node-agent pods.
func (r *run) prepareVolumes(kinds []kind) {
	for _, k := range kinds {
		switch k := k.(type) {
		case detailKind:
			r.volumes.detail(k.d.Namespace, k.d.Resource()+"/"+k.d.Name)
		case logsKind:
			if r.claimAgents(k.l) {
				r.agentClaims[k.l] = true
			}
		case apiGroupKind:
			if k.g.Group != VeleroGroup || k.g.Namespace == "" {
				continue
			}
			for _, v := range volumeKinds {
				if r.volumes.feeds.claim(feedKey{k.g.Namespace, v.resource}) {
					r.claims[k.g] = append(r.claims[k.g], v.resource)
				}
			}
		}
	}
}

// task wraps a job of the run: an item whose path another step already
// took is left out (see errLeftOut), not a failure of the bundle.
func (r *run) task(job func() error) func() error {
	return func() error {
		if err := job(); !errors.Is(err, errLeftOut) {
			return err
		}
		return nil
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

// RecentFailures names the most recent Failed or PartiallyFailed backups or
// restores (resource), newest first, at most n.
func (l Lookups) RecentFailures(ctx context.Context, resource string, n int) ([]string, error) {
	r := &run{cfg: Config{RequestTimeout: l.RequestTimeout}, clients: Clients{Dynamic: l.Dynamic}}
	names, err := r.recentFailures(ctx, l.Namespace, resource, n)
	if err != nil {
		return nil, describeAPIError(err, "finding the most recent failed "+resource)
	}
	return names, nil
}
