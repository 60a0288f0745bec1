package collect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/velero-debug/velero-debug/internal/bundle"
)

// VeleroGroup is the API group of Velero's custom resources.
const VeleroGroup = "velero.io"

func gvr(group, version, resource string) schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: group, Version: version, Resource: resource}
}

// clusterQueries are the cluster-wide objects that tell how Velero's
// volumes can be handled: nodes, storage, and Velero's CRDs.
func (r *run) clusterQueries() []objectQuery {
	return []objectQuery{
		{gvr: gvr("", "v1", "nodes"), path: "cluster/nodes.json", clean: cleanNode},
		{gvr: gvr("storage.k8s.io", "v1", "storageclasses"), path: "cluster/storageclasses.json", optional: true},
		{gvr: gvr("storage.k8s.io", "v1", "csidrivers"), path: "cluster/csidrivers.json", optional: true},
		{gvr: gvr("snapshot.storage.k8s.io", "v1", "volumesnapshotclasses"), path: "cluster/volumesnapshotclasses.json", optional: true},
		{gvr: gvr("apiextensions.k8s.io", "v1", "customresourcedefinitions"), path: "cluster/crds.json", keep: isVeleroCRD},
	}
}

// cleanNode drops the list of images on a node: long, and of no use here.
func cleanNode(o *unstructured.Unstructured) {
	unstructured.RemoveNestedField(o.Object, "status", "images")
}

func isVeleroCRD(o *unstructured.Unstructured) bool {
	group, _, _ := unstructured.NestedString(o.Object, "spec", "group")
	return group == VeleroGroup || strings.HasSuffix(group, "."+VeleroGroup)
}

// namespaceQueries are the workloads and configuration in Velero's
// namespace. Secrets are never read. Pods are listed with their logs.
func (r *run) namespaceQueries() []objectQuery {
	ns := r.cfg.Namespace
	var qs []objectQuery
	for _, g := range []schema.GroupVersionResource{
		gvr("apps", "v1", "deployments"), gvr("apps", "v1", "daemonsets"), gvr("apps", "v1", "replicasets"),
		gvr("batch", "v1", "jobs"), gvr("", "v1", "configmaps"), gvr("", "v1", "services"),
		gvr("", "v1", "persistentvolumeclaims"), gvr("", "v1", "events"), gvr("", "v1", "serviceaccounts"),
	} {
		qs = append(qs, objectQuery{gvr: g, namespace: ns, path: resourcePath(ns, g)})
	}
	return qs
}

// veleroQueries finds every resource of every served version of the
// velero.io group by discovery, so any Velero version works unchanged.
// When discovery fails, the failure is recorded and no query returned.
func (r *run) veleroQueries(ctx context.Context) ([]objectQuery, error) {
	item := bundle.Item{Path: "resources/velero.io-discovery.json", Type: "discovery", Source: "discovery of the velero.io API group"}
	r.obs.Started(item.Path)
	resources, err := r.veleroResources(ctx)
	if err != nil {
		r.obs.Finished(item.Path, bundle.StatusError, 0, err.Error())
		return nil, r.sink.AddError(item, err)
	}
	data, err := json.MarshalIndent(resources, "", "  ")
	if err != nil {
		return nil, err
	}
	r.obs.Finished(item.Path, bundle.StatusOK, int64(len(data)), "")
	if err := r.addBytes(item, data); err != nil {
		return nil, err
	}
	var qs []objectQuery
	for _, list := range resources {
		gv, err := schema.ParseGroupVersion(list.GroupVersion)
		if err != nil {
			continue
		}
		for _, res := range list.APIResources {
			if strings.Contains(res.Name, "/") || !hasVerb(res.Verbs, "list") {
				continue // subresources, and what cannot be listed
			}
			q := objectQuery{gvr: gv.WithResource(res.Name)}
			if res.Namespaced {
				q.namespace = r.cfg.Namespace
			}
			q.path = resourcePath(q.namespace, q.gvr)
			if res.Name == "downloadrequests" {
				q.clean = dropDownloadURL
			}
			qs = append(qs, q)
		}
	}
	return qs, nil
}

// veleroResources asks discovery for each served version of velero.io.
func (r *run) veleroResources(ctx context.Context) ([]*metav1.APIResourceList, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	groups, err := r.clients.Discovery.ServerGroups()
	if err != nil {
		return nil, fmt.Errorf("listing API groups: %w", err)
	}
	var out []*metav1.APIResourceList
	for _, g := range groups.Groups {
		if g.Name != VeleroGroup {
			continue
		}
		for _, v := range g.Versions {
			list, err := r.clients.Discovery.ServerResourcesForGroupVersion(v.GroupVersion)
			if err != nil {
				return nil, fmt.Errorf("discovering %s: %w", v.GroupVersion, err)
			}
			out = append(out, list)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("the cluster serves no %s API group: Velero's CRDs are not installed", VeleroGroup)
	}
	return out, nil
}

// dropDownloadURL removes the pre-signed URL of a DownloadRequest: whoever
// holds it can read the backup's data until it expires.
func dropDownloadURL(o *unstructured.Unstructured) {
	if _, found, _ := unstructured.NestedString(o.Object, "status", "downloadURL"); found {
		_ = unstructured.SetNestedField(o.Object, "[removed by velero-debug]", "status", "downloadURL")
	}
}

func hasVerb(verbs []string, verb string) bool {
	for _, v := range verbs {
		if v == verb {
			return true
		}
	}
	return false
}

// version writes the Kubernetes version of the cluster.
func (r *run) version(ctx context.Context) error {
	item := bundle.Item{Path: path.Join("cluster", "version.json"), Type: "version", Source: "GET /version"}
	r.obs.Started(item.Path)
	if err := ctx.Err(); err != nil {
		return r.fail(item, err)
	}
	v, err := r.clients.Discovery.ServerVersion()
	if err != nil {
		return r.fail(item, describeAPIError(err, "server version"))
	}
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	r.obs.Finished(item.Path, bundle.StatusOK, int64(len(data)), "")
	return r.addBytes(item, data)
}

// fail records item as failed with err.
func (r *run) fail(item bundle.Item, err error) error {
	st := bundle.StatusError
	if errors.Is(err, context.Canceled) {
		st = bundle.StatusCancelled
	}
	r.obs.Finished(item.Path, st, 0, err.Error())
	return r.sink.AddError(item, err)
}
