package access

import (
	"testing"

	"github.com/stretchr/testify/require"
	rbacv1 "k8s.io/api/rbac/v1"
)

func TestRolesFor(t *testing.T) {
	t.Parallel()
	r := RolesFor("velero-debug", "velero-debug-velero", []Need{
		{Verb: "list", Resource: "pods", Namespace: "velero"},
		{Verb: "get", Resource: "pods", Subresource: "log", Namespace: "velero"},
		{Verb: "list", Resource: "pods", Namespace: "velero"}, // twice
		{Verb: "create", Group: "velero.io", Resource: "downloadrequests", Namespace: "velero"},
		{Verb: "delete", Group: "velero.io", Resource: "downloadrequests", Namespace: "velero"},
		{Verb: "list", Resource: "nodes"},
		{Verb: "list", Group: "snapshot.storage.k8s.io", Resource: "volumesnapshots"}, // every namespace
		{Verb: "get", Path: "/version"},
	})
	require.Equal(t, []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"nodes"}, Verbs: []string{"list"}},
		{APIGroups: []string{"snapshot.storage.k8s.io"}, Resources: []string{"volumesnapshots"}, Verbs: []string{"list"}},
		{NonResourceURLs: []string{"/version"}, Verbs: []string{"get"}},
	}, r.Cluster.Rules)
	require.Equal(t, "velero-debug-velero", r.Cluster.Name)
	require.Len(t, r.Namespaced, 1)
	require.Equal(t, "velero-debug", r.Namespaced[0].Name)
	require.Equal(t, "velero", r.Namespaced[0].Namespace)
	require.Equal(t, []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"list"}},
		{APIGroups: []string{""}, Resources: []string{"pods/log"}, Verbs: []string{"get"}},
		{APIGroups: []string{"velero.io"}, Resources: []string{"downloadrequests"}, Verbs: []string{"create", "delete"}},
	}, r.Namespaced[0].Rules)

	empty := RolesFor("x", "x-ns", nil)
	require.Nil(t, empty.Cluster)
	require.Empty(t, empty.Namespaced)
}
