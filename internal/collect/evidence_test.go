package collect

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/velero-debug/velero-debug/internal/bundle"
	"github.com/velero-debug/velero-debug/internal/plan"
)

// refusingSink refuses to open one path, as the bundle refuses a path
// that another item already holds (a file where a folder goes).
type refusingSink struct {
	*bundle.Writer
	refuse string
}

func (s refusingSink) Open(item bundle.Item) (*bundle.Entry, error) {
	if item.Path == s.refuse {
		return nil, fmt.Errorf("%w %q: refused by the test", bundle.ErrDuplicatePath, item.Path)
	}
	return s.Writer.Open(item)
}

// TestEvidenceEndsWhatItOpened: when the bundle refuses one detail's
// server-log.txt, the server-log.txt of the details opened before it is
// still ended (committed), not left open until Close cuts it.
func TestEvidenceEndsWhatItOpened(t *testing.T) {
	t.Parallel()
	c := newFakeCluster()
	c.addServerPods(t)
	out := filepath.Join(t.TempDir(), "b.tar.gz")
	w, err := bundle.Create(out, bundle.Options{})
	require.NoError(t, err)
	p := &plan.Plan{Steps: []plan.Step{
		{Detail: &plan.Detail{Kind: plan.Backup, Namespace: "velero", Name: "b1"}},
		{Detail: &plan.Detail{Kind: plan.Backup, Namespace: "velero", Name: "b2"}},
	}}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err = Run(ctx, testConfig(), p, c.clients, refusingSink{Writer: w, refuse: "backups/b2/server-log.txt"})
	require.NoError(t, err)
	require.NoError(t, w.Close(bundle.Meta{Complete: true}))
	items := map[string]bundle.ManifestItem{}
	for _, it := range w.Manifest().Items {
		items[it.Path] = it
	}
	require.Equal(t, bundle.StatusOK, items["backups/b1/server-log.txt"].Status, "%+v", items["backups/b1/server-log.txt"])
	require.True(t, w.Manifest().Complete, "no item was left open")
}
