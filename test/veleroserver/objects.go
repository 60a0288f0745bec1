package veleroserver

import (
	"context"
	"fmt"
	"slices"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
)

// GVR is the resource res of velero.io/v1.
func GVR(res string) schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: "velero.io", Version: "v1", Resource: res}
}

// Create creates the Velero object of kind (Backup, Restore) name in ns
// with spec, for the server to act on.
func Create(ctx context.Context, dyn dynamic.Interface, ns, kind, name string, spec map[string]any) error {
	o := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "velero.io/v1", "kind": kind,
		"metadata": map[string]any{"name": name, "namespace": ns}, "spec": spec,
	}}
	res := map[string]string{"Backup": "backups", "Restore": "restores"}[kind]
	if _, err := dyn.Resource(GVR(res)).Namespace(ns).Create(ctx, o, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("creating %s %s/%s: %w", kind, ns, name, err)
	}
	return nil
}

// WaitPhase waits, at most timeout, until the Velero object res/name of ns
// is in one of phases, and returns its phase. When the server's process
// ends meanwhile, it fails at once with the end of its log.
func (s *Server) WaitPhase(ctx context.Context, dyn dynamic.Interface, res, name string, timeout time.Duration, phases ...string) (string, error) {
	return waitPhase(ctx, dyn, s.Namespace, res, name, timeout, func() error {
		if done, err := s.proc.Exited(); done {
			return fmt.Errorf("the Velero server exited (%w); its log ends with:\n%s", err, s.proc.LogTail())
		}
		return nil
	}, phases...)
}

// waitPhase waits until the object is in one of phases, while alive says
// nothing is wrong.
func waitPhase(ctx context.Context, dyn dynamic.Interface, ns, res, name string, timeout time.Duration, alive func() error, phases ...string) (string, error) {
	var phase string
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		if err := alive(); err != nil {
			return false, err
		}
		o, err := dyn.Resource(GVR(res)).Namespace(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, nil //nolint:nilerr // not there yet
		}
		phase, _, _ = unstructured.NestedString(o.Object, "status", "phase")
		return slices.Contains(phases, phase), nil
	})
	if err != nil {
		return phase, fmt.Errorf("%s %s/%s is %q after %s, not one of %v: %w", res, ns, name, phase, timeout, phases, err)
	}
	return phase, nil
}

// Exercise has the server back up and restore: a backup of the
// application's ConfigMaps and PVCs that completes and its restore into
// another namespace, and a backup whose pre hook runs in a pod (of a
// namespace of its own, on node) that kwok cannot exec into, which fails
// partly. (The application's pods ask for pod volume backups, which need
// a node-agent that kwok cannot run: no backup includes them.) It returns
// their names.
func (s *Server) Exercise(ctx context.Context, dyn dynamic.Interface, appNamespace, node string) (backups, restores []string, err error) {
	ns := s.Namespace
	completed, partial, restore := "demo-completed", "demo-hook-failed", "demo-restore"
	hookNS := appNamespace + "-hooks"
	hooked := []any{hookNS}
	steps := []func() error{
		func() error {
			_, err := dyn.Resource(schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}).Create(ctx,
				&unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": hookNS}}}, metav1.CreateOptions{})
			return err
		},
		func() error {
			_, err := dyn.Resource(schema.GroupVersionResource{Version: "v1", Resource: "pods"}).Namespace(hookNS).Create(ctx,
				&unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Pod", "metadata": map[string]any{"name": "db-0", "namespace": hookNS},
					"spec": map[string]any{"nodeName": node, "containers": []any{map[string]any{"name": "app", "image": "postgres:17"}}}}}, metav1.CreateOptions{})
			return err
		},
		func() error {
			return Create(ctx, dyn, ns, "Backup", completed, map[string]any{"includedNamespaces": []any{appNamespace},
				"includedResources": []any{"configmaps", "persistentvolumeclaims"}, "storageLocation": "default", "snapshotVolumes": false})
		},
		func() error {
			return Create(ctx, dyn, ns, "Backup", partial, map[string]any{"includedNamespaces": hooked, "includedResources": []any{"pods"},
				"storageLocation": "default", "snapshotVolumes": false,
				"hooks": map[string]any{"resources": []any{map[string]any{"name": "flush", "includedNamespaces": hooked,
					"pre": []any{map[string]any{"exec": map[string]any{"container": "app", "onError": "Continue", "timeout": "5s", "command": []any{"/bin/sync"}}}},
				}}}})
		},
		func() error {
			_, err := s.WaitPhase(ctx, dyn, "backups", completed, 2*time.Minute, "Completed")
			return err
		},
		func() error {
			_, err := s.WaitPhase(ctx, dyn, "backups", partial, 2*time.Minute, "PartiallyFailed", "Failed", "Completed")
			return err
		},
		func() error {
			return Create(ctx, dyn, ns, "Restore", restore, map[string]any{"backupName": completed,
				"namespaceMapping": map[string]any{appNamespace: appNamespace + "-restored"}})
		},
		func() error {
			_, err := s.WaitPhase(ctx, dyn, "restores", restore, 2*time.Minute, "Completed", "PartiallyFailed", "Failed")
			return err
		},
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, nil, err
		}
	}
	return []string{completed, partial}, []string{restore}, nil
}
