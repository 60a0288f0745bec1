package analysis

import (
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/velero-debug/velero-debug/internal/bundle"
)

func TestDigest(t *testing.T) {
	t.Parallel()
	require.Empty(t, Digest(Report{Glance: Glance{StorageLocations: []Location{{Name: "default", Phase: "Available"}}}}), "nothing wrong, nothing said")

	r := Report{
		Glance: Glance{
			StorageLocations: []Location{{Name: "default", Phase: "Unavailable"}, {Name: "ok", Phase: "Available"}},
			Restarts:         []Restart{{Pod: "velero-1", Container: "velero", Reason: "OOMKilled"}, {Pod: "na", Container: "node-agent", Reason: "OOMKilled"}},
			NodeAgents:       &NodeAgents{Without: []string{"n3"}},
		},
		Failures: []Failure{
			{Kind: "backup", Namespace: "velero", Name: "b1", Phase: "Failed", FailureReason: "rpc error:\n AccessDenied"},
			{Kind: "backup", Namespace: "velero", Name: "b2", Phase: "FailedValidation", ValidationErrors: []string{"an existing backup storage location wasn't specified"}},
			{Kind: "restore", Namespace: "velero", Name: "r1", Phase: "PartiallyFailed", Volumes: []VolumeFailure{{Message: "expected 1 volume, found 0"}}},
			{Kind: "restore", Namespace: "velero", Name: "r2", Phase: "PartiallyFailed", Errors: 2},
		},
	}
	require.Equal(t, []string{
		"Velero: 2 backups and 2 restores failed; 1 backup storage location not available; 2 containers restarted (OOMKilled); 1 node without a node-agent",
		"  backup velero/b1: Failed: rpc error: AccessDenied",
		"  backup velero/b2: FailedValidation: an existing backup storage location wasn't specified",
		"  restore velero/r1: PartiallyFailed: 1 volume operation failed: expected 1 volume, found 0",
		"  and 1 more",
	}, Digest(r))
	require.Equal(t, "restore velero/r2: PartiallyFailed: 2 errors", digestLine(r.Failures[3]))

	running := Report{Failures: []Failure{
		{Kind: "restore", Namespace: "velero", Name: "r0", Phase: "Failed", FailureReason: "boom"},
		{Kind: "backup", Namespace: "velero", Name: "b-waiting", Phase: "WaitingForPluginOperations", Running: "6h",
			Volumes: []VolumeFailure{{Resource: "datauploads", Name: "b-waiting-du", Phase: "Accepted"}}},
		{Kind: "backup", Namespace: "velero", Name: "b-queued", Phase: "Queued", Running: "2h", QueuePosition: 3},
	}}
	require.Equal(t, []string{
		"Velero: 1 restore failed; 2 backups had not ended (the oldest after 6h)",
		"  restore velero/r0: Failed: boom",
		"  backup velero/b-waiting: WaitingForPluginOperations for 6h: datauploads b-waiting-du Accepted",
		"  backup velero/b-queued: Queued for 2h: queue position 3",
	}, Digest(running))

	long := Failure{Kind: "backup", Namespace: "velero", Name: "b", Phase: "Failed", FailureReason: strings.Repeat("x", 500)}
	lines := Digest(Report{Failures: []Failure{long}})
	require.Len(t, lines, 2)
	require.LessOrEqual(t, len(lines[1]), 170, "one terminal line per failure")
}

func TestSummaryIsNotACollectedItem(t *testing.T) {
	t.Parallel()
	m := bundle.Manifest{Items: []bundle.ManifestItem{
		{Path: "a.log", Status: bundle.StatusOK, Bytes: 1},
		{Path: "summary.md", Status: bundle.StatusError, Bytes: 10, Error: "the analysis of the bundle failed: x"},
	}}
	r, err := NewAnalyzer().Report(m, func([]string, func(bundle.ManifestItem, io.Reader) error) error { return nil })
	require.NoError(t, err)
	require.Zero(t, r.NotCollected)
}
