package analysis

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRunningKeptDeterministically: of backups that had not ended, the
// oldest maxRunning are kept whatever the map's order: with 20 started at
// the same second and an older one, the same report every time (and so
// summary.md and inspect agree).
func TestRunningKeptDeterministically(t *testing.T) {
	var objs []string
	for i := range 20 {
		objs = append(objs, fmt.Sprintf(`{"metadata":{"name":"b%02d","namespace":"velero","creationTimestamp":"2026-01-03T08:00:00Z"},"status":{"phase":"InProgress","startTimestamp":"2026-01-03T08:00:00Z"}}`, i))
	}
	objs = append(objs, `{"metadata":{"name":"old","namespace":"velero","creationTimestamp":"2026-01-03T07:00:00Z"},"status":{"phase":"InProgress","startTimestamp":"2026-01-03T07:00:00Z"}}`)
	b := writeBundle(t, []item{{path: "resources/velero/velero.io_v1/backups.json", content: list(objs...)}})
	seen := map[string]bool{}
	for range 30 {
		r, err := Analyze(context.Background(), b)
		require.NoError(t, err)
		s := ""
		for _, f := range r.Failures {
			s += f.Name + " "
		}
		seen[s] = true
	}
	require.Len(t, seen, 1, "the same bundle, different reports: %v", seen)
}

// TestFailedDetailIsNotAlsoRunning: a backup the list saw InProgress and
// whose object, read later in detail, had failed is reported once, as
// failed, not also as not ended.
func TestFailedDetailIsNotAlsoRunning(t *testing.T) {
	b := writeBundle(t, []item{
		{path: "resources/velero/velero.io_v1/backups.json", content: list(`{"metadata":{"name":"b1","namespace":"velero","creationTimestamp":"2026-01-03T07:00:00Z"},"status":{"phase":"InProgress","startTimestamp":"2026-01-03T07:00:00Z"}}`)},
		{path: "backups/b1/backup.json", content: `{"metadata":{"name":"b1","namespace":"velero"},"status":{"phase":"Failed","failureReason":"found a backup with status InProgress during the server starting, mark it as failed","startTimestamp":"2026-01-03T07:00:00Z"}}`},
	})
	r, err := Analyze(context.Background(), b)
	require.NoError(t, err)
	var names []string
	for _, f := range r.Failures {
		names = append(names, f.Name+"/"+f.Phase)
	}
	require.Len(t, names, 1, "%v", names)
}
