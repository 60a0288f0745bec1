package cluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sync/errgroup"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/restmapper"
)

// FieldManager names the test fixtures' server-side applies.
const FieldManager = "velero-debug-test"

var crdGVR = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// Dynamic returns a dynamic client for the admin.
func (c *Cluster) Dynamic() (dynamic.Interface, error) {
	return dynamic.NewForConfig(c.Config)
}

// ApplyFiles server-side applies every object of the YAML files at paths; a
// folder stands for its *.yaml files. CRDs are applied first and waited for.
func (c *Cluster) ApplyFiles(ctx context.Context, paths ...string) error {
	var objs []*unstructured.Unstructured
	for _, p := range paths {
		files, err := yamlFiles(p)
		if err != nil {
			return err
		}
		for _, f := range files {
			got, err := decodeFile(f)
			if err != nil {
				return err
			}
			objs = append(objs, got...)
		}
	}
	_, err := c.Apply(ctx, objs...)
	return err
}

// Apply server-side applies objs and returns the server's copies in the
// same order. CustomResourceDefinitions go first and are waited for until
// established, then Namespaces, then everything else in parallel.
func (c *Cluster) Apply(ctx context.Context, objs ...*unstructured.Unstructured) ([]*unstructured.Unstructured, error) {
	dyn, err := c.Dynamic()
	if err != nil {
		return nil, err
	}
	out := make([]*unstructured.Unstructured, len(objs))
	var crds []string
	for i, o := range objs {
		if !isCRD(o) {
			continue
		}
		if out[i], err = applyOne(ctx, dyn.Resource(crdGVR), o); err != nil {
			return nil, err
		}
		crds = append(crds, o.GetName())
	}
	if err := waitEstablished(ctx, dyn, crds); err != nil {
		return nil, err
	}
	mapper, err := c.restMapper()
	if err != nil {
		return nil, err
	}
	apply := func(ctx context.Context, i int) error {
		ri, err := resourceFor(dyn, mapper, objs[i])
		if err == nil {
			out[i], err = applyOne(ctx, ri, objs[i])
		}
		return err
	}
	for i, o := range objs {
		if o.GetKind() == "Namespace" {
			if err := apply(ctx, i); err != nil {
				return nil, err
			}
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(16)
	for i, o := range objs {
		if !isCRD(o) && o.GetKind() != "Namespace" {
			g.Go(func() error { return apply(gctx, i) })
		}
	}
	return out, g.Wait()
}

// restMapper maps kinds to resources through discovery.
func (c *Cluster) restMapper() (meta.RESTMapper, error) {
	dc, err := discovery.NewDiscoveryClientForConfig(c.Config)
	if err != nil {
		return nil, err
	}
	return restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc)), nil
}

func resourceFor(dyn dynamic.Interface, mapper meta.RESTMapper, o *unstructured.Unstructured) (dynamic.ResourceInterface, error) {
	gvk := o.GroupVersionKind()
	m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return nil, fmt.Errorf("mapping %s: %w", gvk, err)
	}
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		ns := o.GetNamespace()
		if ns == "" {
			ns = metav1.NamespaceDefault
		}
		return dyn.Resource(m.Resource).Namespace(ns), nil
	}
	return dyn.Resource(m.Resource), nil
}

// applyOne applies o, and its status too when the resource has a status
// subresource (where the main apply ignores status).
func applyOne(ctx context.Context, ri dynamic.ResourceInterface, o *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	opts := metav1.ApplyOptions{FieldManager: FieldManager, Force: true}
	got, err := ri.Apply(ctx, o.GetName(), o, opts)
	if err != nil {
		return nil, fmt.Errorf("applying %s %s/%s: %w", o.GetKind(), o.GetNamespace(), o.GetName(), err)
	}
	if _, ok := o.Object["status"]; !ok || isCRD(o) {
		return got, nil
	}
	withStatus, err := ri.ApplyStatus(ctx, o.GetName(), o, opts)
	switch {
	case isNoStatus(err):
		return got, nil
	case err != nil:
		return nil, fmt.Errorf("applying status of %s %s/%s: %w", o.GetKind(), o.GetNamespace(), o.GetName(), err)
	}
	return withStatus, nil
}

// isNoStatus reports an apply to a status subresource the resource lacks.
func isNoStatus(err error) bool {
	var st interface{ Status() metav1.Status }
	return errors.As(err, &st) && st.Status().Code == 404
}

func waitEstablished(ctx context.Context, dyn dynamic.Interface, names []string) error {
	for _, name := range names {
		err := wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
			crd, err := dyn.Resource(crdGVR).Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return false, nil //nolint:nilerr // not visible yet: poll again
			}
			conds, _, _ := unstructured.NestedSlice(crd.Object, "status", "conditions")
			for _, c := range conds {
				m, _ := c.(map[string]any)
				if m["type"] == "Established" && m["status"] == "True" {
					return true, nil
				}
			}
			return false, nil
		})
		if err != nil {
			return fmt.Errorf("waiting for CRD %s to be established: %w", name, err)
		}
	}
	return nil
}

func isCRD(o *unstructured.Unstructured) bool {
	return o.GetKind() == "CustomResourceDefinition"
}

func yamlFiles(path string) ([]string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("reading manifests: %w", err)
	}
	if !st.IsDir() {
		return []string{path}, nil
	}
	files, err := filepath.Glob(filepath.Join(path, "*.yaml"))
	if err == nil && len(files) == 0 {
		err = fmt.Errorf("no *.yaml files in %s", path)
	}
	return files, err
}

// decodeFile reads every object of a multi-document YAML file.
func decodeFile(path string) ([]*unstructured.Unstructured, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return DecodeYAML(data)
}

// DecodeYAML decodes every object of a multi-document YAML or JSON stream.
func DecodeYAML(data []byte) ([]*unstructured.Unstructured, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var objs []*unstructured.Unstructured
	for {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				return objs, nil
			}
			return nil, fmt.Errorf("decoding YAML: %w", err)
		}
		if len(m) == 0 {
			continue
		}
		objs = append(objs, &unstructured.Unstructured{Object: m})
	}
}
