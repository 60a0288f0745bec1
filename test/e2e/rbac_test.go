package e2e

import (
	"testing"

	"github.com/stretchr/testify/require"

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
	grantAllBut(t, "no-configmaps", "configmaps")

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
