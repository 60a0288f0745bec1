package collect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/velero-debug/velero-debug/internal/bundle"
	"github.com/velero-debug/velero-debug/internal/discover"
	"github.com/velero-debug/velero-debug/internal/plan"
)

// VeleroGroup is the API group of Velero's custom resources.
const VeleroGroup = "velero.io"

func gvr(group, version, resource string) schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: group, Version: version, Resource: resource}
}

// objectsQuery turns an Objects step into a query: a kind or a missing
// version is resolved by discovery.
func (r *run) objectsQuery(ctx context.Context, o *plan.Objects) (objectQuery, error) {
	ns := o.Namespace
	q := objectQuery{gvr: gvr(o.Group, o.Version, o.Resource), namespace: ns, optional: o.Optional,
		labelSelector: o.LabelSelector, fieldSelector: o.FieldSelector}
	pathNS := ns
	if o.AllNamespaces {
		q.namespace, pathNS = "", "_all"
	}
	q.path = o.Path
	if q.path == "" {
		version := o.Version
		if version == "" {
			version = "unresolved"
		}
		q.path = plan.ObjectsPath(pathNS, o.Group, version, strings.ToLower(o.Resource))
	}
	if discover.NeedsMapping(o) {
		m, err := r.resolver.Mapping(ctx, o)
		if err != nil {
			return q, err
		}
		q.gvr = m.Resource
		if m.Scope.Name() == meta.RESTScopeNameRoot {
			q.namespace, pathNS = "", ""
		}
		if o.Path == "" {
			q.path = plan.ObjectsPath(pathNS, q.gvr.Group, q.gvr.Version, q.gvr.Resource)
		}
	}
	q.keep = keepObjects(o.Names, o.Keep)
	q.clean = dropFields(o.Drop)
	return q, nil
}

// keepObjects selects objects by name and by fields; nil keeps all.
func keepObjects(names []string, fields map[string][]string) func(*unstructured.Unstructured) bool {
	if len(names) == 0 && len(fields) == 0 {
		return nil
	}
	return func(o *unstructured.Unstructured) bool {
		if len(names) > 0 && !slices.Contains(names, o.GetName()) {
			return false
		}
		for field, patterns := range fields {
			v, found, _ := unstructured.NestedFieldNoCopy(o.Object, strings.Split(field, ".")...)
			s, isString := v.(string)
			if !found || !isString || !slices.ContainsFunc(patterns, func(p string) bool { ok, _ := path.Match(p, s); return ok }) {
				return false
			}
		}
		return true
	}
}

// dropFields removes fields from each object; nil when there are none.
func dropFields(fields []string) func(*unstructured.Unstructured) {
	if len(fields) == 0 {
		return nil
	}
	return func(o *unstructured.Unstructured) {
		for _, f := range fields {
			unstructured.RemoveNestedField(o.Object, strings.Split(f, ".")...)
		}
	}
}

// groupQueries finds every resource of every served version of an API
// group by discovery (for velero.io, so that any Velero version works
// unchanged). The discovery answer is an item when writeDiscovery (its
// path names the group only: a second step of the same group, in another
// namespace, does not write it); when discovery fails, the failure is
// recorded there and no query returned.
func (r *run) groupQueries(ctx context.Context, g *plan.APIGroup, writeDiscovery bool) ([]objectQuery, error) {
	var en *entry
	if writeDiscovery {
		var err error
		if en, err = r.open(groupDiscoveryItem(g.Group)); err != nil {
			return nil, err
		}
	}
	resources, err := r.groupResources(ctx, g.Group)
	if err != nil {
		if en == nil {
			return nil, nil
		}
		return nil, en.Fail(err)
	}
	if en != nil {
		data, err := json.MarshalIndent(resources, "", "  ")
		if err != nil {
			return nil, en.Fail(fmt.Errorf("encoding the discovery of %s: %w", g.Group, err))
		}
		if err := writeAll(en, data); err != nil {
			return nil, err
		}
	}
	var qs []objectQuery
	for _, list := range resources {
		gv, err := schema.ParseGroupVersion(list.GroupVersion)
		if err != nil {
			continue
		}
		for _, res := range list.APIResources {
			if !discover.Listable(res) {
				continue
			}
			q := objectQuery{gvr: gv.WithResource(res.Name)}
			if res.Namespaced {
				q.namespace = g.Namespace
			}
			q.path = resourcePath(q.namespace, q.gvr)
			qs = append(qs, q)
		}
	}
	return qs, nil
}

// groupDiscoveryItem is the discovery answer of an API group.
func groupDiscoveryItem(group string) bundle.Item {
	return bundle.Item{Path: "resources/" + group + "-discovery.json", Type: "discovery", Source: "discovery of the " + group + " API group"}
}

// dropDownloadURL removes the pre-signed URL of a DownloadRequest: whoever
// holds it can read the backup's data until it expires. Every list of
// DownloadRequests passes it, whatever the plan says.
func dropDownloadURL(o *unstructured.Unstructured) {
	if _, found, _ := unstructured.NestedString(o.Object, "status", "downloadURL"); found {
		_ = unstructured.SetNestedField(o.Object, "[removed by velero-debug]", "status", "downloadURL")
	}
}

// groupResources asks discovery for each served version of group.
func (r *run) groupResources(ctx context.Context, group string) ([]*metav1.APIResourceList, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out, err := r.resolver.GroupResources(ctx, group)
	if group != VeleroGroup {
		return out, err
	}
	// Velero's group was there when the run began (the namespace was
	// checked for Velero): missing now, it is more likely late than gone.
	// A kube-apiserver that restarted lists the groups of CRDs a moment
	// after it says it is ready.
	for _, pause := range veleroRecheck {
		if !notServed(err) {
			break
		}
		if serr := sleep(ctx, pause); serr != nil {
			return nil, serr
		}
		out, err = r.resolver.GroupResources(ctx, group)
	}
	if notServed(err) {
		err = fmt.Errorf("%w: Velero's CRDs are not installed", err)
	}
	return out, err
}

// veleroRecheck are the pauses before Velero's API group is looked for
// again when discovery does not list it.
var veleroRecheck = []time.Duration{time.Second, 2 * time.Second}

func notServed(err error) bool {
	var ns *discover.NotServedError
	return errors.As(err, &ns)
}

// sleep pauses for d, or until ctx ends, whose error it then returns.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// clusterVersionPath is where the Kubernetes version of the cluster goes.
const clusterVersionPath = "cluster/version.json"

// version writes the Kubernetes version of the cluster.
func (r *run) version(ctx context.Context) error {
	item := bundle.Item{Path: clusterVersionPath, Type: "version", Source: "GET /version"}
	en, err := r.open(item)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return en.Fail(err)
	}
	v, err := discover.Bounded(ctx, r.clients.Discovery.ServerVersion)
	if err != nil {
		return en.Fail(describeAPIError(err, "server version"))
	}
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return en.Fail(fmt.Errorf("encoding the server version: %w", err))
	}
	return writeAll(en, data)
}
