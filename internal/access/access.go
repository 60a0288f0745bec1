// Package access tells, before anything is collected, which steps of a
// plan the user may not carry out: it lists the API requests each step
// needs and asks the API server about each with a SelfSubjectAccessReview.
package access

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/discovery"
	authorizationclient "k8s.io/client-go/kubernetes/typed/authorization/v1"

	"github.com/velero-debug/velero-debug/internal/discover"
	"github.com/velero-debug/velero-debug/internal/plan"
)

// Need is one kind of request a step makes.
type Need struct {
	Verb        string
	Group       string
	Resource    string
	Subresource string
	// Namespace is empty for cluster-scoped resources and for every
	// namespace.
	Namespace string
	// Path is set, instead of a resource, for a non-resource URL (/version).
	Path string
}

// String says the request in words: "list configmaps in namespace velero".
func (n Need) String() string {
	if n.Path != "" {
		return n.Verb + " " + n.Path
	}
	r := n.Resource
	if n.Subresource != "" {
		r += "/" + n.Subresource
	}
	if n.Group != "" {
		r += "." + n.Group
	}
	if n.Namespace != "" {
		return fmt.Sprintf("%s %s in namespace %s", n.Verb, r, n.Namespace)
	}
	return n.Verb + " " + r
}

// Resources resolve what a step names into resources, by discovery: a kind
// or a missing version of an Objects step, and the resources of an API
// group. A discover.Resolver is one.
type Resources interface {
	Mapping(ctx context.Context, o *plan.Objects) (*meta.RESTMapping, error)
	GroupResources(ctx context.Context, group string) ([]*metav1.APIResourceList, error)
	All(ctx context.Context) ([]*metav1.APIGroup, []*metav1.APIResourceList, error)
}

const velero = "velero.io"

// Needs lists the requests step s makes. A step whose resources cannot be
// resolved returns the error: the collection would fail it too.
func Needs(ctx context.Context, s plan.Step, res Resources) ([]Need, error) {
	switch {
	case s.Objects != nil:
		return objectNeeds(ctx, s.Objects, res)
	case s.APIGroup != nil:
		return groupNeeds(ctx, s.APIGroup, res)
	case s.Logs != nil:
		ns := s.Logs.Namespace
		return []Need{{Verb: "list", Resource: "pods", Namespace: ns}, {Verb: "get", Resource: "pods", Subresource: "log", Namespace: ns}}, nil
	case s.ClusterVersion != nil:
		return []Need{{Verb: "get", Path: "/version"}}, nil
	case s.ServerVersion != nil:
		ns := s.ServerVersion.Namespace
		return append(serverRequest("serverstatusrequests", ns),
			Need{Verb: "list", Group: "apps", Resource: "deployments", Namespace: ns},
			Need{Verb: "list", Group: "apps", Resource: "daemonsets", Namespace: ns}), nil
	case s.Detail != nil:
		d := s.Detail
		out := []Need{{Verb: "get", Group: velero, Resource: d.Resource(), Namespace: d.Namespace}}
		out = append(out, serverRequest("downloadrequests", d.Namespace)...)
		return append(out, volumeNeeds(d.Namespace)...), nil
	case s.VolumeFailures != nil:
		return volumeNeeds(s.VolumeFailures.Namespace), nil
	case s.Search != nil:
		return searchNeeds(ctx, s.Search, res)
	}
	return nil, nil // files and local commands ask the API server nothing
}

// searchNeeds lists what a crashd kube_capture needs: the lists of the
// resources it selects (never Secrets, which the run refuses), in each of
// its namespaces or in every namespace, and the logs of its pods.
func searchNeeds(ctx context.Context, s *plan.Search, res Resources) ([]Need, error) {
	groups, lists, err := res.All(ctx)
	var partial *discovery.ErrGroupDiscoveryFailed
	if err != nil && !errors.As(err, &partial) {
		return nil, err
	}
	scopes := s.Namespaces
	if len(scopes) == 0 {
		scopes = []string{""} // every namespace
	}
	var out []Need
	listsNamespaces := false
	for _, sel := range discover.Select(s, groups, lists) {
		gvr := sel.GVR
		if gvr.Group == "" && gvr.Resource == "secrets" {
			continue
		}
		if !sel.Namespaced {
			out = append(out, Need{Verb: "list", Group: gvr.Group, Resource: gvr.Resource})
			continue
		}
		if len(s.Namespaces) == 0 && !listsNamespaces {
			listsNamespaces = true
			out = append(out, Need{Verb: "list", Resource: "namespaces"})
		}
		for _, ns := range scopes {
			out = append(out, Need{Verb: "list", Group: gvr.Group, Resource: gvr.Resource, Namespace: ns})
			if s.Logs && gvr.Group == "" && gvr.Resource == "pods" {
				out = append(out, Need{Verb: "get", Resource: "pods", Subresource: "log", Namespace: ns})
			}
		}
	}
	return out, nil
}

func objectNeeds(ctx context.Context, o *plan.Objects, res Resources) ([]Need, error) {
	resource, namespaced := o.Resource, o.Namespace != "" || o.AllNamespaces
	if discover.NeedsMapping(o) {
		m, err := res.Mapping(ctx, o)
		if err != nil {
			return nil, err
		}
		resource, namespaced = m.Resource.Resource, m.Scope.Name() == meta.RESTScopeNameNamespace
	}
	n := Need{Verb: "list", Group: o.Group, Resource: resource}
	if namespaced && !o.AllNamespaces {
		n.Namespace = o.Namespace
	}
	return []Need{n}, nil
}

// serverRequest is what asking the Velero server takes: a request object
// created, read until processed, and deleted.
func serverRequest(resource, ns string) []Need {
	var out []Need
	for _, verb := range []string{"create", "get", "delete"} {
		out = append(out, Need{Verb: verb, Group: velero, Resource: resource, Namespace: ns})
	}
	return out
}

// volumeNeeds is what relating volume operations to node-agents takes.
func volumeNeeds(ns string) []Need {
	out := []Need{{Verb: "list", Resource: "pods", Namespace: ns}}
	for _, r := range []string{"podvolumebackups", "podvolumerestores", "datauploads", "datadownloads"} {
		out = append(out, Need{Verb: "list", Group: velero, Resource: r, Namespace: ns})
	}
	return out
}

func groupNeeds(ctx context.Context, g *plan.APIGroup, res Resources) ([]Need, error) {
	lists, err := res.GroupResources(ctx, g.Group)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []Need
	for _, list := range lists {
		for _, r := range list.APIResources {
			if !discover.Listable(r) || seen[r.Name] {
				continue
			}
			seen[r.Name] = true
			n := Need{Verb: "list", Group: g.Group, Resource: r.Name}
			if r.Namespaced {
				n.Namespace = g.Namespace
			}
			out = append(out, n)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Resource < out[j].Resource })
	return out, nil
}

// Answer is the API server's answer about one Need.
type Answer struct {
	Allowed bool
	// Reason is the authorizer's reason, when it gave one.
	Reason string
	// Err is set when the question could not be asked.
	Err error
}

// Checker asks the API server whether the user may make requests, once
// per distinct request.
type Checker struct {
	Client  authorizationclient.SelfSubjectAccessReviewsGetter
	Timeout time.Duration

	mu    sync.Mutex
	cache map[Need]Answer
}

// Check answers whether the user may make the request n.
func (c *Checker) Check(ctx context.Context, n Need) Answer {
	c.mu.Lock()
	if a, ok := c.cache[n]; ok {
		c.mu.Unlock()
		return a
	}
	c.mu.Unlock()
	review := &authorizationv1.SelfSubjectAccessReview{}
	if n.Path != "" {
		review.Spec.NonResourceAttributes = &authorizationv1.NonResourceAttributes{Verb: n.Verb, Path: n.Path}
	} else {
		review.Spec.ResourceAttributes = &authorizationv1.ResourceAttributes{
			Verb: n.Verb, Group: n.Group, Resource: n.Resource, Subresource: n.Subresource, Namespace: n.Namespace,
		}
	}
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	var a Answer
	got, err := c.Client.SelfSubjectAccessReviews().Create(ctx, review, metav1.CreateOptions{})
	if err != nil {
		a.Err = fmt.Errorf("asking whether you may %s: %w", n, err)
	} else {
		a.Allowed, a.Reason = got.Status.Allowed, got.Status.Reason
	}
	c.mu.Lock()
	if c.cache == nil {
		c.cache = map[Need]Answer{}
	}
	c.cache[n] = a
	c.mu.Unlock()
	return a
}
