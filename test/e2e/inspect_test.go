package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/velero-debug/velero-debug/internal/analysis"
	"github.com/velero-debug/velero-debug/test/fixture"
)

// TestInspect collects the fixture, then asks `velero-debug inspect` why
// its backups and restores failed: each failed one collected in detail is
// named with its reason, and the failed PodVolumeBackup of the partially
// failed backup with its node, the node-agent pod there and the lines of
// its log that name it. A bundle with failures exits 3; JSON says the same.
func TestInspect(t *testing.T) {
	t.Parallel()
	r := runTool(t, nil)
	require.Equal(t, 0, r.code, r.stderr)
	// The run ends with a digest of what failed in Velero: at most six
	// lines, the last naming summary.md.
	var digest []string
	for _, l := range strings.Split(strings.TrimSpace(r.stderr), "\n") {
		if strings.HasPrefix(l, "velero-debug: Velero: ") || strings.HasPrefix(l, "velero-debug:   ") || strings.HasPrefix(l, "velero-debug: why, ") {
			digest = append(digest, l)
		}
	}
	require.NotEmpty(t, digest, r.stderr)
	require.LessOrEqual(t, len(digest), 6, r.stderr)
	require.Contains(t, digest[0], "2 backups and 2 restores failed", r.stderr)
	require.Contains(t, digest[0], "1 backup had not ended", r.stderr)
	require.Contains(t, digest[0], "1 backup storage location not available", r.stderr)
	require.Contains(t, digest[0], "containers restarted (OOMKilled)", r.stderr)
	require.Contains(t, digest[0], "1 configuration error", r.stderr)
	require.Contains(t, digest[len(digest)-1], "velero-bundle/summary.md in "+r.output)

	text := execTool(t, "", nil, "inspect", r.output)
	require.Equal(t, 3, text.code, text.stderr)
	failed, partial := velero.Backups["Failed"], velero.Backups["PartiallyFailed"]
	require.Contains(t, text.stderr, "### backup "+velero.Namespace+"/"+failed+": Failed")
	require.Contains(t, text.stderr, "AccessDenied: Access Denied status code: 403")
	require.Contains(t, text.stderr, "### backup "+velero.Namespace+"/"+partial+": PartiallyFailed")
	require.Contains(t, text.stderr, "### restore "+velero.Namespace+"/"+velero.Restores["Failed"]+": Failed")
	// Velero at a glance: the fixture's OOMKilled server, with its
	// previous log, and its storage location.
	require.Contains(t, text.stderr, "## Velero at a glance")
	require.Contains(t, text.stderr, velero.ServerPod+"/velero: restarts 1, last ended OOMKilled (exit code 137)")
	require.Contains(t, text.stderr, "previous log logs/"+velero.Namespace+"/"+velero.ServerPod+"/velero.previous.log")
	require.Contains(t, text.stderr, "| default (default) | aws |")
	// The planted troubles: a storage location whose bucket is gone, a
	// repository whose maintenance failed, a node-agent ConfigMap that
	// selects no node, a backup running for hours.
	require.Contains(t, text.stderr, "| disaster-recovery | aws | Unavailable |")
	require.Contains(t, text.stderr, "NoSuchBucket: The specified bucket does not exist")
	require.Contains(t, text.stderr, "maintenance Failed")
	require.Contains(t, text.stderr, fixture.FailedMaintenanceMessage)
	require.Contains(t, text.stderr, "node-agent ConfigMap `"+velero.Namespace+"/node-agent-config` (--node-agent-configmap of daemonset node-agent)")
	require.Contains(t, text.stderr, `selector "`+fixture.NodeAgentConfigSelector+`": it matches no node`)
	require.Regexp(t, "### backup "+velero.Namespace+"/"+velero.Backups["InProgress"]+": InProgress, not ended after [0-9]h", text.stderr)
	require.Contains(t, text.stderr, "`velero-debug --backup "+velero.Backups["InProgress"]+"`")

	// summary.md says the same, from the items as the run stored them,
	// and is listed in manifest.json like every other file.
	a := readBundle(t, r.output)
	summary := string(a.files["summary.md"])
	require.Contains(t, summary, strings.TrimSpace(text.stderr), "summary.md holds what inspect prints")
	require.Less(t, strings.Index(summary, "## Velero at a glance"), strings.Index(summary, "## Items"), "the analysis comes first")
	listed := false
	for _, it := range a.manifest.Items {
		if it.Path == "summary.md" {
			listed = true
			require.Equal(t, int64(len(summary)), it.Bytes)
		}
	}
	require.True(t, listed, "summary.md is listed in manifest.json")

	js := execTool(t, "", nil, "inspect", r.output, "-o", "json")
	require.Equal(t, 3, js.code, js.stderr)
	var rep analysis.Report
	require.NoError(t, json.Unmarshal([]byte(js.stderr), &rep), js.stderr)
	var vol *analysis.VolumeFailure
	for _, f := range rep.Failures {
		if f.Kind == "backup" && f.Name == partial {
			for i, v := range f.Volumes {
				if v.Resource == "podvolumebackups" {
					vol = &f.Volumes[i]
				}
			}
			require.Contains(t, f.Files, "backups/"+partial+"/describe.txt")
		}
	}
	require.NotNil(t, vol, "the partially failed backup's failed PodVolumeBackup: %s", js.stderr)
	require.Equal(t, velero.NodeAgentPods[vol.Node], vol.NodeAgentPod)
	require.NotEmpty(t, vol.Lines, "node-agent lines that name %s", vol.Name)
	agentLog := "logs/" + velero.Namespace + "/" + vol.NodeAgentPod + "/node-agent.log"
	for _, l := range vol.Lines {
		require.Contains(t, l.Text, vol.Name)
		require.Equal(t, "backups/"+partial+"/node-agent-log.txt", l.File, "quoted from the backup's node-agent lines")
		require.Contains(t, []string{agentLog, strings.TrimSuffix(agentLog, ".log") + ".previous.log"}, l.From)
	}
	require.True(t, slices.ContainsFunc(vol.Lines, func(l analysis.LogLine) bool {
		return strings.Contains(l.Text, "level=error") && l.Repeats > 0
	}), "its error is quoted, once, with how often it repeats: %v", vol.Lines)

	// Its DataUploads: one the node-agent diagnosed (its pod could not be
	// scheduled: the ConfigMap above), one whose snapshot never got ready.
	var diagnosed, unexposed *analysis.VolumeFailure
	for _, f := range rep.Failures {
		for i, v := range f.Volumes {
			switch {
			case f.Name == partial && v.Resource == "datauploads" && len(v.Diagnose) > 0:
				diagnosed = &f.Volumes[i]
			case f.Name == partial && v.Resource == "datauploads":
				unexposed = &f.Volumes[i]
			}
		}
	}
	require.NotNil(t, diagnosed, js.stderr)
	require.Equal(t, "timeout on preparing data upload", diagnosed.Message)
	require.Contains(t, diagnosed.Diagnose[0].Text, "begin diagnose CSI exposer")
	require.Contains(t, diagnosed.Diagnose[len(diagnosed.Diagnose)-1].Text, "end diagnose CSI exposer")
	require.Contains(t, diagnosed.Diagnose[2].Text, "reason Unschedulable")
	require.NotNil(t, unexposed, js.stderr)
	require.NotNil(t, unexposed.DataPath, js.stderr)
	require.Equal(t, fixture.FailedSnapshotError, unexposed.DataPath.Snapshot.Error)
	require.Equal(t, velero.AppNamespace, unexposed.DataPath.Snapshot.Namespace)

	// Each failed backup quotes the server's lines about it.
	for _, f := range rep.Failures {
		if f.Kind == "backup" && f.Name == failed {
			require.NotEmpty(t, f.ServerLines)
			require.Contains(t, f.ServerLines[0].Text, "AccessDenied")
			require.Equal(t, "backups/"+failed+"/server-log.txt", f.ServerLines[0].File)
		}
		if f.Name == velero.Backups["InProgress"] {
			require.Equal(t, "InProgress", f.Phase)
			require.NotEmpty(t, f.Running)
			i := slices.IndexFunc(f.Volumes, func(v analysis.VolumeFailure) bool { return v.Resource == "datauploads" })
			require.GreaterOrEqual(t, i, 0, "its DataUpload that had not ended: %v", f.Volumes)
			du := f.Volumes[i]
			require.Equal(t, "InProgress", du.Phase)
			require.NotNil(t, du.DataPath, "its data mover pod and that pod's events")
			require.Equal(t, "Running", du.DataPath.Pod.Phase)
			require.Equal(t, "FailedMount", du.DataPath.Events[0].Reason)
		}
	}

	// Not a bundle: one line, exit 1.
	junk := filepath.Join(t.TempDir(), "junk.tar.gz")
	require.NoError(t, os.WriteFile(junk, []byte("not a bundle"), 0o600))
	bad := execTool(t, "", nil, "inspect", junk)
	require.Equal(t, 1, bad.code, bad.stderr)
	require.Contains(t, bad.stderr, "is not a bundle velero-debug can read")
	require.Equal(t, 1, strings.Count(strings.TrimSpace(bad.stderr), "\n")+1, bad.stderr)
}
