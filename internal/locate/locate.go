// Package locate finds Velero in a cluster by its CRDs and its workloads,
// and explains where it is when it is not where the user looked.
package locate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"

	"github.com/velero-debug/velero-debug/internal/discover"
)

// ErrNoCRDs means the cluster serves no velero.io API group.
var ErrNoCRDs = errors.New("velero's CRDs (API group velero.io) are not installed in this cluster: install Velero, or check --kubeconfig and --kubecontext")

// Selectors that mark Velero's server workloads: `velero install` labels
// them component=velero, the Helm chart app.kubernetes.io/name=velero.
var serverSelectors = []string{"component=velero", "app.kubernetes.io/name=velero"}

var (
	deployments = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
	locations   = schema.GroupVersionResource{Group: "velero.io", Version: "v1", Resource: "backupstoragelocations"}
)

// Finder looks for Velero with the given clients, each request bounded by
// Timeout.
type Finder struct {
	Discovery discovery.DiscoveryInterface
	Dynamic   dynamic.Interface
	Timeout   time.Duration
}

// Check returns nil when namespace holds Velero: a server Deployment, or
// BackupStorageLocations. Otherwise its error says what is missing and, when
// it can, in which namespaces Velero runs.
func (f Finder) Check(ctx context.Context, namespace string) error {
	groups, err := discover.Bounded(ctx, f.Discovery.ServerGroups)
	if err != nil {
		return fmt.Errorf("listing the cluster's API groups: %w", err)
	}
	if !slices.ContainsFunc(groups.Groups, func(g metav1.APIGroup) bool { return g.Name == "velero.io" }) {
		return ErrNoCRDs
	}
	found, err := f.namespacesWithVelero(ctx, namespace)
	if err == nil && len(found) > 0 {
		return nil
	}
	if cerr := ctx.Err(); cerr != nil {
		return cerr // interrupted, or out of time: not a missing Velero
	}
	var why string
	if err != nil {
		why = fmt.Sprintf(" (%v)", err)
	}
	others, oerr := f.namespacesWithVelero(ctx, metav1.NamespaceAll)
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	switch {
	case oerr != nil:
		return fmt.Errorf("no Velero found in namespace %q%s, and searching the other namespaces failed: %v; "+
			"use --namespace (-n) to name Velero's namespace", namespace, why, oerr)
	case len(others) > 0:
		return fmt.Errorf("no Velero found in namespace %q%s; Velero runs in namespace %s: use --namespace (-n)",
			namespace, why, strings.Join(others, ", "))
	default:
		return fmt.Errorf("no Velero found in namespace %q%s nor in any other: Velero's CRDs are installed, "+
			"but no Deployment labelled component=velero and no BackupStorageLocation exists", namespace, why)
	}
}

// Namespaces returns the namespaces where Velero runs (a server Deployment
// or BackupStorageLocations), sorted.
func (f Finder) Namespaces(ctx context.Context) ([]string, error) {
	return f.namespacesWithVelero(ctx, metav1.NamespaceAll)
}

// namespacesWithVelero returns the namespaces, within namespace (or all),
// that hold a Velero server Deployment or BackupStorageLocations.
func (f Finder) namespacesWithVelero(ctx context.Context, namespace string) ([]string, error) {
	set := map[string]bool{}
	var errs []error
	for _, sel := range serverSelectors {
		errs = append(errs, f.collect(ctx, deployments, namespace, sel, set))
	}
	errs = append(errs, f.collect(ctx, locations, namespace, "", set))
	names := make([]string, 0, len(set))
	for ns := range set {
		names = append(names, ns)
	}
	sort.Strings(names)
	if len(names) > 0 {
		return names, nil // enough to go on, whatever else failed
	}
	return nil, errors.Join(errs...)
}

func (f Finder) collect(ctx context.Context, gvr schema.GroupVersionResource, namespace, selector string, set map[string]bool) error {
	ctx, cancel := context.WithTimeout(ctx, f.Timeout)
	defer cancel()
	opts := metav1.ListOptions{LabelSelector: selector, Limit: 500}
	list, err := f.Dynamic.Resource(gvr).Namespace(namespace).List(ctx, opts)
	if apierrors.IsForbidden(err) {
		return fmt.Errorf("listing %s is forbidden", gvr.Resource)
	}
	if err != nil {
		return fmt.Errorf("listing %s: %w", gvr.Resource, err)
	}
	for _, o := range list.Items {
		set[o.GetNamespace()] = true
	}
	return nil
}
