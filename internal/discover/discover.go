// Package discover resolves what a collection plan names into the API
// server's resources, by discovery: a kind or a missing version of an
// Objects step, and every resource of an API group.
package discover

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/restmapper"

	"github.com/velero-debug/velero-debug/internal/plan"
)

// Resolver answers from discovery, asking the server once for what a run
// needs. It is safe for concurrent use.
type Resolver struct {
	disc   discovery.DiscoveryInterface
	mapper func() meta.RESTMapper
	all    func() all
}

// NotServedError means the server does not list an API group.
type NotServedError struct{ Group string }

func (e *NotServedError) Error() string { return "the cluster serves no " + e.Group + " API group" }

// all is the whole answer of discovery.
type all struct {
	groups []*metav1.APIGroup
	lists  []*metav1.APIResourceList
	err    error
}

// New returns a Resolver that asks disc.
func New(disc discovery.DiscoveryInterface) *Resolver {
	return &Resolver{
		disc: disc,
		mapper: sync.OnceValue(func() meta.RESTMapper {
			return restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(disc))
		}),
		all: sync.OnceValue(func() all {
			var a all
			a.groups, a.lists, a.err = disc.ServerGroupsAndResources()
			return a
		}),
	}
}

// All returns every API group and the resources of each served version,
// asked once. Like discovery's ServerGroupsAndResources, it may return
// what it found together with a *discovery.ErrGroupDiscoveryFailed that
// names the group versions it could not discover.
func (r *Resolver) All(ctx context.Context) ([]*metav1.APIGroup, []*metav1.APIResourceList, error) {
	a, err := Bounded(ctx, func() (all, error) { return r.all(), nil })
	if err != nil {
		return nil, nil, err
	}
	return a.groups, a.lists, a.err
}

// NeedsMapping reports whether an Objects step names its resource in a way
// only discovery can resolve: a kind, or no version.
func NeedsMapping(o *plan.Objects) bool {
	return o.Version == "" || strings.ToLower(o.Resource) != o.Resource
}

// Bounded runs fn, a call of client-go's discovery, which takes no
// context, and returns ctx's error at once when ctx is done first (the
// call itself ends within the client's timeout).
func Bounded[T any](ctx context.Context, fn func() (T, error)) (T, error) {
	type answer struct {
		v   T
		err error
	}
	done := make(chan answer, 1)
	go func() {
		v, err := fn()
		done <- answer{v, err}
	}()
	select {
	case a := <-done:
		return a.v, a.err
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}

// Mapping resolves the resource, version and scope of an Objects step.
func (r *Resolver) Mapping(ctx context.Context, o *plan.Objects) (*meta.RESTMapping, error) {
	return Bounded(ctx, func() (*meta.RESTMapping, error) { return r.mapping(o) })
}

func (r *Resolver) mapping(o *plan.Objects) (*meta.RESTMapping, error) {
	gk := schema.GroupKind{Group: o.Group, Kind: o.Resource}
	if strings.ToLower(o.Resource) == o.Resource {
		gvr := schema.GroupVersionResource{Group: o.Group, Version: o.Version, Resource: o.Resource}
		gvk, err := r.mapper().KindFor(gvr)
		if err != nil {
			return nil, fmt.Errorf("resolving resource %s: %w", gvr.GroupResource(), err)
		}
		gk = gvk.GroupKind()
	}
	var versions []string
	if o.Version != "" {
		versions = []string{o.Version}
	}
	m, err := r.mapper().RESTMapping(gk, versions...)
	if err != nil {
		return nil, fmt.Errorf("resolving kind %s: %w", gk, err)
	}
	return m, nil
}

// GroupResources returns the resources of each served version of group.
// A group the server does not list is a *NotServedError.
func (r *Resolver) GroupResources(ctx context.Context, group string) ([]*metav1.APIResourceList, error) {
	return Bounded(ctx, func() ([]*metav1.APIResourceList, error) { return r.groupResources(group) })
}

func (r *Resolver) groupResources(group string) ([]*metav1.APIResourceList, error) {
	groups, err := r.disc.ServerGroups()
	if err != nil {
		return nil, fmt.Errorf("listing API groups: %w", err)
	}
	var out []*metav1.APIResourceList
	for _, g := range groups.Groups {
		if g.Name != group {
			continue
		}
		for _, v := range g.Versions {
			list, err := r.disc.ServerResourcesForGroupVersion(v.GroupVersion)
			if err != nil {
				return nil, fmt.Errorf("discovering %s: %w", v.GroupVersion, err)
			}
			out = append(out, list)
		}
	}
	if len(out) == 0 {
		return nil, &NotServedError{Group: group}
	}
	return out, nil
}

// Listable reports whether a discovered resource can be listed: not a
// subresource, and with the list verb.
func Listable(res metav1.APIResource) bool {
	if strings.Contains(res.Name, "/") {
		return false
	}
	for _, v := range res.Verbs {
		if v == "list" {
			return true
		}
	}
	return false
}
