package e2e

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/velero-debug/velero-debug/internal/bundle"
)

// TestNamedBackupsAndRestores checks --backup and --restore: each named
// object in its own folder, and a missing one recorded as failed.
func TestNamedBackupsAndRestores(t *testing.T) {
	t.Parallel()
	failed, restore := velero.Backups["Failed"], velero.Restores["PartiallyFailed"]
	r := runTool(t, nil, "--backup", failed, "--backup", "no-such-backup", "--backup", velero.Backups["InProgress"], "--restore", restore)
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
	// A backup still in progress: no files yet, the server's lines about it.
	running := velero.Backups["InProgress"]
	require.Equal(t, bundle.StatusSkipped, a.item(t, "backups/"+running+"/log.txt").Status)
	require.Contains(t, a.item(t, "backups/"+running+"/log.txt").Error, "is InProgress")
	// Every backup collected in detail has the server's lines that name
	// it, from its previous log (it ran out of memory backing up the
	// running one) and its current one, each under a header that names
	// the log.
	serverLog := "logs/" + velero.Namespace + "/" + velero.ServerPod + "/velero"
	for _, b := range []string{running, failed} {
		lines := string(a.files["backups/"+b+"/server-log.txt"])
		require.NotEmpty(t, lines, b)
		var headers []string
		for _, l := range strings.Split(strings.TrimSpace(lines), "\n") {
			if strings.HasPrefix(l, "==> ") {
				headers = append(headers, l)
				continue
			}
			require.Contains(t, l, "backup="+velero.Namespace+"/"+b)
		}
		want := []string{"==> " + serverLog + ".log <=="}
		if b == running {
			want = append([]string{"==> " + serverLog + ".previous.log <=="}, want...)
		}
		require.Equal(t, want, headers, b)
	}
	require.Equal(t, bundle.StatusOK, a.item(t, "restores/"+restore+"/server-log.txt").Status)
	// describe.txt says what the object says, and links each volume
	// operation to its node-agent.
	desc := string(a.files["backups/"+failed+"/describe.txt"])
	require.Contains(t, desc, "Phase:                         Failed")
	require.Contains(t, desc, "Failure reason:                rpc error")
	require.Contains(t, desc, "Storage Location:              default")
	partial := velero.Backups["PartiallyFailed"]
	r2 := runTool(t, nil, "--backup", partial)
	desc = string(readBundle(t, r2.output).files["backups/"+partial+"/describe.txt"])
	node := velero.Nodes[1]
	require.Regexp(t, "podvolumebackups "+partial+"-[a-z0-9]+: Failed on node "+node+" \\(node-agent pod "+velero.NodeAgentPods[node], desc)
	require.Contains(t, desc, "message: data path backup failed")
	// The server was not asked: each file describe.txt reads says so, the
	// errors counted say their messages are missing, and nothing prints
	// Go's <nil>.
	require.Contains(t, desc, "Item operations:               <not downloaded: the Velero server was not asked (--server-timeout 0)>")
	require.Contains(t, desc, "Resource list:                 <not downloaded:")
	require.Contains(t, desc, "Results: <not downloaded:")
	require.NotContains(t, desc, "<nil>")
	require.NotContains(t, desc, "Item operations:               <none>")

	missing := a.item(t, "backups/no-such-backup/backup.json")
	require.Equal(t, bundle.StatusError, missing.Status)
	require.Contains(t, missing.Error, `"no-such-backup" not found`)
}
