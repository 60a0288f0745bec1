package e2e

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/velero-debug/velero-debug/internal/bundle"
)

// TestNamedBackupsAndRestores checks --backup and --restore: each named
// object in its own folder, and a missing one recorded as failed.
func TestNamedBackupsAndRestores(t *testing.T) {
	t.Parallel()
	failed, restore := velero.Backups["Failed"], velero.Restores["PartiallyFailed"]
	r := runTool(t, nil, "--backup", failed, "--backup", "no-such-backup", "--restore", restore)
	require.Equal(t, 3, r.code, r.stderr)
	a := readBundle(t, r.output)
	var b struct {
		Metadata struct{ Name string }  `json:"metadata"`
		Status   struct{ Phase string } `json:"status"`
	}
	require.NoError(t, json.Unmarshal(a.files["backups/"+failed+"/backup.json"], &b))
	require.Equal(t, failed, b.Metadata.Name)
	require.Equal(t, "Failed", b.Status.Phase)
	require.NoError(t, json.Unmarshal(a.files["restores/"+restore+"/restore.json"], &b))
	require.Equal(t, "PartiallyFailed", b.Status.Phase)
	missing := a.item(t, "backups/no-such-backup/backup.json")
	require.Equal(t, bundle.StatusError, missing.Status)
	require.Contains(t, missing.Error, `"no-such-backup" not found`)
}
