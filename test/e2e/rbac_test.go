package e2e

import (
	"testing"

	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/velero-debug/velero-debug/internal/bundle"
)

// TestForbiddenListIsRecorded runs as a user who may read everything
// velero-debug reads except ConfigMaps (and, as always, Secrets): the
// forbidden list is a failed item, the rest is collected, exit status 3;
// the API server's audit log shows no request for Secrets.
func TestForbiddenListIsRecorded(t *testing.T) {
	t.Parallel()
	kubeconfig, err := testCluster.UserKubeconfig("no-configmaps")
	require.NoError(t, err)
	rule := func(groups []any, resources []any, verbs ...any) map[string]any {
		return map[string]any{"apiGroups": groups, "resources": resources, "verbs": verbs}
	}
	role := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
		"metadata": map[string]any{"name": "velero-debug-no-configmaps"},
		"rules": []any{
			rule([]any{""}, []any{"pods", "pods/log", "events", "services", "persistentvolumeclaims", "serviceaccounts", "nodes", "namespaces"}, "get", "list"),
			rule([]any{"apps", "batch", "storage.k8s.io", "apiextensions.k8s.io", "velero.io", "snapshot.storage.k8s.io"}, []any{"*"}, "get", "list"),
		},
	}}
	binding := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
		"metadata": map[string]any{"name": "velero-debug-no-configmaps"},
		"roleRef":  map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "velero-debug-no-configmaps"},
		"subjects": []any{map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "no-configmaps"}},
	}}
	_, err = testCluster.Apply(t.Context(), role, binding)
	require.NoError(t, err)

	r := runTool(t, []string{"KUBECONFIG=" + kubeconfig})
	require.Equal(t, 3, r.code, r.stderr)
	a := readBundle(t, r.output)
	cm := a.item(t, "resources/velero/core_v1/configmaps.json")
	require.Equal(t, bundle.StatusError, cm.Status)
	require.Contains(t, cm.Error, "forbidden")
	for _, it := range a.manifest.Items {
		if it.Path != cm.Path {
			require.NotEqual(t, bundle.StatusError, it.Status, "%s: %s", it.Path, it.Error)
		}
	}
	for _, l := range velero.Logs {
		require.Contains(t, a.files, logPath(l))
	}

	// The API server's audit log: the tool asked for much, never for Secrets.
	events, err := testCluster.AuditEvents("no-configmaps")
	require.NoError(t, err)
	require.Greater(t, len(events), 20)
	forbidden := 0
	for _, e := range events {
		if e.ObjectRef != nil {
			require.NotEqual(t, "secrets", e.ObjectRef.Resource, "%s %s", e.Verb, e.RequestURI)
		}
		if e.ResponseStatus != nil && e.ResponseStatus.Code == 403 {
			forbidden++
		}
	}
	require.Equal(t, 1, forbidden, "only the ConfigMaps list was refused")
}
