package e2e

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"k8s.io/client-go/dynamic"

	"github.com/velero-debug/velero-debug/internal/bundle"
)

// TestServerDoesNotAnswer runs with default flags against an installation
// whose Velero server is down: the run ends within its deadline, records
// why the version and the downloads are missing, exits 3, and leaves none
// of its requests behind.
func TestServerDoesNotAnswer(t *testing.T) {
	t.Parallel()
	start := time.Now()
	r := runTool(t, nil, "--server-timeout", "3s")
	took := time.Since(start)
	require.Equal(t, 3, r.code, r.stderr)
	require.Less(t, took, 30*time.Second, "the deadline bounds the wait")
	a := readBundle(t, r.output)

	v := a.item(t, "velero/version.json")
	require.Equal(t, bundle.StatusError, v.Status)
	require.Contains(t, v.Error, "the Velero server did not answer")
	var info struct {
		Images []struct{ Container, Image string } `json:"images"`
	}
	require.NoError(t, json.Unmarshal(a.files["velero/version.json"], &info))
	require.NotEmpty(t, info.Images, "the images are recorded anyway")

	// The recent failed backups and restores are collected; their files
	// are skipped with the reason.
	failed := velero.Backups["Failed"]
	require.Contains(t, a.files, "backups/"+failed+"/backup.json")
	log := a.item(t, "backups/"+failed+"/log.txt")
	require.Equal(t, bundle.StatusSkipped, log.Status)
	require.Contains(t, log.Error, "did not answer")
	for _, it := range a.manifest.Items {
		if it.Status == bundle.StatusError {
			require.Equal(t, "velero/version.json", it.Path, "the only failed item")
		}
	}

	// No request of the run is left in the cluster.
	dyn, err := dynamic.NewForConfig(testCluster.Config)
	require.NoError(t, err)
	requireNoRequestsLeft(t, dyn, velero.Namespace)
}
