// Package access tells, before anything is collected, which requests of a
// plan the user may not make: it asks the API server about each Need (the
// collector lists each step's, see collect.Needs) with a
// SelfSubjectAccessReview.
package access

import (
	"context"
	"fmt"
	"sync"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	authorizationclient "k8s.io/client-go/kubernetes/typed/authorization/v1"

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
