package e2e

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/velero-debug/velero-debug/internal/bundle"
)

// TestCompleteBundle runs velero-debug with default flags and checks, from
// the archive, every object and log the fixture made.
func TestCompleteBundle(t *testing.T) {
	t.Parallel()
	r := runTool(t, nil)
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stderr, "velero-debug: wrote "+r.output)
	a := readBundle(t, r.output)

	m := a.manifest
	require.True(t, m.Complete)
	require.Equal(t, "velero-debug", m.Tool.Name)
	require.Equal(t, "v1.35.4", m.Cluster.KubernetesVersion)
	require.Equal(t, "local", m.Cluster.Context)
	require.Equal(t, testCluster.Server, m.Cluster.Server)
	require.Contains(t, a.files, "summary.md")

	// Every item is what the manifest says it is.
	for _, it := range m.Items {
		if it.Status == bundle.StatusSkipped {
			continue
		}
		require.Equal(t, bundle.StatusOK, it.Status, "%s: %s", it.Path, it.Error)
		data, ok := a.files[it.Path]
		require.True(t, ok, "%s is in the archive", it.Path)
		sum := sha256.Sum256(data)
		require.Equal(t, hex.EncodeToString(sum[:]), it.SHA256, it.Path)
		require.EqualValues(t, len(data), it.Bytes, it.Path)
		require.EqualValues(t, 0o600, a.modes[it.Path], it.Path)
	}

	// Every log, current and previous, init containers included, byte for
	// byte but for the planted secrets' markers.
	for _, l := range velero.Logs {
		want, err := l.Redacted()
		require.NoError(t, err)
		got, ok := a.files[logPath(l)]
		require.True(t, ok, "%s is in the bundle", logPath(l))
		require.True(t, bytes.Equal(want, got), "%s differs from the container's log: %s", logPath(l), firstDiff(want, got))
	}
	require.Contains(t, a.files, "logs/velero/"+velero.ServerPod+"/velero.previous.log")
	require.Contains(t, a.files, "logs/velero/"+velero.ServerPod+"/debugger.log", "an ephemeral container's log (kubectl debug)")

	// Velero's resources, by discovery, each served version.
	requireNames(t, a, "resources/velero/velero.io_v1/backups.json", valuesOf(velero.Backups)...)
	requireNames(t, a, "resources/velero/velero.io_v1/restores.json", valuesOf(velero.Restores)...)
	for _, res := range []string{
		"backupstoragelocations", "volumesnapshotlocations", "schedules", "podvolumebackups",
		"podvolumerestores", "backuprepositories", "downloadrequests", "serverstatusrequests", "deletebackuprequests",
	} {
		require.Contains(t, a.files, "resources/velero/velero.io_v1/"+res+".json")
	}
	requireNames(t, a, "resources/velero/velero.io_v2alpha1/datauploads.json")
	requireNames(t, a, "resources/velero/velero.io_v2alpha1/datadownloads.json")
	require.NotContains(t, string(a.files["resources/velero/velero.io_v1/downloadrequests.json"]), "X-Amz")

	// The namespace's workloads and configuration; never its Secrets.
	requireNames(t, a, "resources/velero/apps_v1/deployments.json", "velero")
	requireNames(t, a, "resources/velero/apps_v1/daemonsets.json", "node-agent")
	requireNames(t, a, "resources/velero/core_v1/configmaps.json", "node-agent-config", "backup-repository-config")
	pods := []string{velero.ServerPod}
	for _, p := range velero.NodeAgentPods {
		pods = append(pods, p)
	}
	requireNames(t, a, "resources/velero/core_v1/pods.json", pods...)
	for _, p := range []string{"apps_v1/replicasets", "batch_v1/jobs", "core_v1/events", "core_v1/persistentvolumeclaims", "core_v1/services"} {
		require.Contains(t, a.files, "resources/velero/"+p+".json")
	}
	for path := range a.files {
		require.NotContains(t, path, "secret", "no Secret is read")
	}

	// Each failed volume operation is linked to the node-agent of its node.
	vf := string(a.files["velero/volume-failures.md"])
	for _, kind := range []string{"podvolumebackups", "podvolumerestores", "datauploads"} {
		require.Contains(t, vf, "| "+kind+" | ")
	}
	failedNode := velero.Nodes[1]
	require.Contains(t, vf, "| "+failedNode+" | "+velero.NodeAgentPods[failedNode]+" | logs/velero/"+velero.NodeAgentPods[failedNode]+"/node-agent.log |")

	// The cluster.
	requireNames(t, a, "cluster/nodes.json", velero.Nodes...)
	require.NotContains(t, string(a.files["cluster/nodes.json"]), `"images"`)
	requireNames(t, a, "cluster/storageclasses.json", "standard")
	requireNames(t, a, "cluster/csidrivers.json", "hostpath.csi.k8s.io")
	// The CSI snapshot API is served: the snapshot Velero made for the
	// partially failed backup, in the application's namespace.
	require.Equal(t, bundle.StatusOK, a.item(t, "cluster/volumesnapshotclasses.json").Status)
	require.Contains(t, string(a.files["resources/_all/snapshot.storage.k8s.io_v1/volumesnapshots.json"]), `"velero.io/backup-name":"`+velero.Backups["PartiallyFailed"]+`"`)
	require.Equal(t, bundle.StatusOK, a.item(t, "resources/velero/snapshot.storage.k8s.io_v1/volumesnapshots.json").Status)
	require.Equal(t, bundle.StatusOK, a.item(t, "cluster/volumesnapshotcontents.json").Status)
	require.Equal(t, bundle.StatusOK, a.item(t, "cluster/persistentvolumes.json").Status)
	var crds listOf
	require.NoError(t, json.Unmarshal(a.files["cluster/crds.json"], &crds))
	require.Len(t, crds.Items, 13, "Velero's CRDs, and only those")
	require.Contains(t, string(a.files["cluster/version.json"]), `"gitVersion": "v1.35.4"`)

	// Nothing secret: the values stored in Secrets appear nowhere.
	for path, data := range a.files {
		for _, s := range velero.SecretValues {
			require.False(t, bytes.Contains(data, []byte(s)), "%s holds a secret value", path)
		}
		require.NotContains(t, string(data), "X-Amz-Signature=", path)
	}
}

// listOf decodes the names in a JSON List.
type listOf struct {
	Items []struct {
		Metadata struct {
			Name string `json:"name"`
		} `json:"metadata"`
	} `json:"items"`
}

// requireNames checks that the List at path holds at least the objects
// names (and at least one object).
func requireNames(t *testing.T, a archive, path string, names ...string) {
	t.Helper()
	data, ok := a.files[path]
	require.True(t, ok, "%s is in the bundle", path)
	var l listOf
	require.NoError(t, json.Unmarshal(data, &l), path)
	require.NotEmpty(t, l.Items, path)
	got := map[string]bool{}
	for _, it := range l.Items {
		got[it.Metadata.Name] = true
	}
	for _, n := range names {
		require.True(t, got[n], "%s holds %s", path, n)
	}
}

func valuesOf(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// lines splits a log into its lines, newline kept.
func lines(data []byte) []string {
	out := strings.SplitAfter(string(data), "\n")
	if out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return out
}
