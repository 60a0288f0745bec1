package collect

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	k8stesting "k8s.io/client-go/testing"

	"github.com/velero-debug/velero-debug/internal/bundle"
	"github.com/velero-debug/velero-debug/internal/plan"
)

// serveDownloads makes c's Velero server process every DownloadRequest
// (and ServerStatusRequest) at once, with a URL of an object store that
// has no file at all.
func serveDownloads(t *testing.T, c *fakeCluster) {
	t.Helper()
	store := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(store.Close)
	var n atomic.Int64
	for _, res := range []string{"downloadrequests", "serverstatusrequests"} {
		// The fake client does not generate names: the requests would
		// all be named "".
		c.dyn.PrependReactor("create", res, func(a k8stesting.Action) (bool, runtime.Object, error) {
			if o, ok := a.(k8stesting.CreateAction).GetObject().(*unstructured.Unstructured); ok && o.GetName() == "" {
				o.SetName(fmt.Sprintf("%s%d", o.GetGenerateName(), n.Add(1)))
			}
			return false, nil, nil
		})
		c.dyn.PrependReactor("get", res, func(a k8stesting.Action) (bool, runtime.Object, error) {
			name := a.(k8stesting.GetAction).GetName()
			o := &unstructured.Unstructured{Object: map[string]any{
				"apiVersion": "velero.io/v1", "kind": "DownloadRequest",
				"metadata": map[string]any{"name": name, "namespace": a.GetNamespace()},
				"status":   map[string]any{"phase": "Processed", "downloadURL": store.URL + "/" + name, "serverVersion": "v1.18.3"},
			}}
			return true, o, nil
		})
	}
}

// TestFailedBackupsFilesMissing: a Failed backup whose files are not in
// object storage has them skipped, with the reason, not failed: exit 3
// means something failed that should have worked. A Completed backup's
// missing file is still an error.
func TestFailedBackupsFilesMissing(t *testing.T) {
	t.Parallel()
	c := newFakeCluster()
	serveDownloads(t, c)
	ok := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "velero.io/v1", "kind": "Backup",
		"metadata": map[string]any{"name": "done", "namespace": "velero"},
		"status":   map[string]any{"phase": "Completed"},
	}}
	_, err := c.dyn.Resource(gvr(VeleroGroup, "v1", "backups")).Namespace("velero").Create(t.Context(), ok, metav1.CreateOptions{})
	require.NoError(t, err)
	cfg := testConfig()
	cfg.Velero.Wait = 5 * time.Second
	steps := []plan.Step{
		{ServerVersion: &plan.ServerVersion{Namespace: "velero"}},
		{Detail: &plan.Detail{Kind: plan.Backup, Namespace: "velero", Name: "b1"}}, // Failed
		{Detail: &plan.Detail{Kind: plan.Backup, Namespace: "velero", Name: "done"}},
	}
	out := t.TempDir() + "/b.tar.gz"
	items := runPlanInto(t, out, c, cfg, &plan.Plan{Steps: steps}, newCountingObserver())
	for _, f := range []string{"log.txt", "results.json", "item-operations.json", "resource-list.json", "volume-info.json"} {
		it := items["backups/b1/"+f]
		require.Equal(t, bundle.StatusSkipped, it.Status, "%s: %s", f, it.Error)
		require.Contains(t, it.Error, "the backup failed, before Velero uploaded it")
		if f != "volume-info.json" { // skipped for Velero before 1.13, then its older files fail
			require.Equal(t, bundle.StatusError, items["backups/done/"+f].Status, "a Completed backup's missing %s", f)
		}
	}
	require.NotContains(t, items, "backups/b1/volume-snapshots.json", "a failed backup's older files are not tried")
	require.Equal(t, bundle.StatusError, items["backups/done/volume-snapshots.json"].Status)
	desc := bundleFiles(t, out)["backups/b1/describe.txt"]
	require.Contains(t, desc, "Resource list:                 <BackupResourceList is not in object storage: the backup failed")
}

// TestFilesVeleroCannotServe: Velero answers no DownloadRequest for the
// files of a restore whose backup is gone, or of a backup whose storage
// location is gone (it logs an error and leaves the request new): they are
// skipped at once with that reason, not waited for and failed.
func TestFilesVeleroCannotServe(t *testing.T) {
	t.Parallel()
	c := newFakeCluster()
	for _, o := range []*unstructured.Unstructured{
		{Object: map[string]any{"apiVersion": "velero.io/v1", "kind": "Restore",
			"metadata": map[string]any{"name": "orphan", "namespace": "velero"},
			"spec":     map[string]any{"backupName": "gone"}, "status": map[string]any{"phase": "Completed"}}},
		{Object: map[string]any{"apiVersion": "velero.io/v1", "kind": "Backup",
			"metadata": map[string]any{"name": "lost", "namespace": "velero"},
			"spec":     map[string]any{"storageLocation": "nowhere"}, "status": map[string]any{"phase": "Completed"}}},
	} {
		res := map[string]string{"Restore": "restores", "Backup": "backups"}[o.GetKind()]
		_, err := c.dyn.Resource(gvr(VeleroGroup, "v1", res)).Namespace("velero").Create(t.Context(), o, metav1.CreateOptions{})
		require.NoError(t, err)
	}
	cfg := testConfig()
	cfg.Velero.Wait = time.Minute // never waited for
	steps := []plan.Step{
		{Detail: &plan.Detail{Kind: plan.Restore, Namespace: "velero", Name: "orphan"}},
		{Detail: &plan.Detail{Kind: plan.Backup, Namespace: "velero", Name: "lost"}},
	}
	start := time.Now()
	out := t.TempDir() + "/b.tar.gz"
	items := runPlanInto(t, out, c, cfg, &plan.Plan{Steps: steps}, newCountingObserver())
	require.Less(t, time.Since(start), 30*time.Second)
	for _, f := range []string{"log.txt", "results.json", "item-operations.json", "resource-list.json", "volume-info.json"} {
		it := items["restores/orphan/"+f]
		require.Equal(t, bundle.StatusSkipped, it.Status, "%s: %s", f, it.Error)
		require.Contains(t, it.Error, `the restore's backup "gone" does not exist any more`)
		it = items["backups/lost/"+f]
		require.Equal(t, bundle.StatusSkipped, it.Status, "%s: %s", f, it.Error)
		require.Contains(t, it.Error, `the backup storage location "nowhere" of the backup does not exist`)
	}
	require.NotContains(t, items, "backups/lost/volume-snapshots.json", "no older files tried")
	desc := bundleFiles(t, out)["restores/orphan/describe.txt"]
	require.Contains(t, desc, `<not downloaded: the restore's backup "gone" does not exist any more`)
}
