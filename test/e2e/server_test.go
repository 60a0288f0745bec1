package e2e

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"

	"github.com/velero-debug/velero-debug/internal/bundle"
	"github.com/velero-debug/velero-debug/test/fixture"
	"github.com/velero-debug/velero-debug/test/veleroserver"
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

// TestSlowServer plays a Velero server that answers a ServerStatusRequest
// only after a delay (a controller of the test's own, in a namespace of
// its own): just under --server-timeout the run has its answer, just over
// it says the server did not answer within it (docs/reliability.md, row
// 12).
func TestSlowServer(t *testing.T) {
	t.Parallel()
	v, err := fixture.Install(t.Context(), testCluster, fixture.Options{Namespace: "velero-slow", Nodes: 1})
	require.NoError(t, err)
	dyn, err := dynamic.NewForConfig(testCluster.Config)
	require.NoError(t, err)
	for name, tc := range map[string]struct {
		delay    time.Duration
		answered bool
	}{
		"just under": {delay: 1 * time.Second, answered: true},
		"just over":  {delay: 5 * time.Second, answered: false},
	} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			go answerSlowly(ctx, dyn, v.Namespace, tc.delay)
			r := runTool(t, nil, "-n", v.Namespace, "--server-timeout", "3s", "--recent-failed", "0")
			it := readBundle(t, r.output).item(t, "velero/version.json")
			if tc.answered {
				require.Equal(t, bundle.StatusOK, it.Status, it.Error)
				return
			}
			require.Equal(t, bundle.StatusError, it.Status)
			require.Contains(t, it.Error, "was not processed within 3s")
		})
	}
	requireNoRequestsLeft(t, dyn, v.Namespace)
}

// answerSlowly processes the ServerStatusRequests of namespace, each delay
// after it was made, as a slow Velero server would.
func answerSlowly(ctx context.Context, dyn dynamic.Interface, namespace string, delay time.Duration) {
	ri := dyn.Resource(veleroserver.GVR("serverstatusrequests")).Namespace(namespace)
	seen := map[string]bool{}
	for ctx.Err() == nil {
		l, err := ri.List(ctx, metav1.ListOptions{})
		if err == nil {
			for i := range l.Items {
				o := &l.Items[i]
				if seen[o.GetName()] {
					continue
				}
				seen[o.GetName()] = true
				go func() {
					select {
					case <-ctx.Done():
						return
					case <-time.After(delay):
					}
					_ = unstructured.SetNestedField(o.Object, "Processed", "status", "phase")
					_ = unstructured.SetNestedField(o.Object, "v1.18.3", "status", "serverVersion")
					if _, err := ri.UpdateStatus(ctx, o, metav1.UpdateOptions{}); err != nil {
						_, _ = ri.Update(ctx, o, metav1.UpdateOptions{}) // no status subresource
					}
				}()
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// TestServerNeverDeployed: Velero's CRDs are installed and its namespace
// holds a storage location and a failed backup, but no server was ever
// deployed. The run does not wait --server-timeout for nobody: it says
// that no server runs there and why (no pod of it), after 5s in case one
// runs outside the cluster, and skips the backup's files with that reason.
// A server that does run outside the cluster (a controller of the test's
// own) is still heard (docs/reliability.md, row 12).
func TestServerNeverDeployed(t *testing.T) {
	t.Parallel()
	ns := "velero-undeployed"
	obj := func(kind, name string, spec, status map[string]any) *unstructured.Unstructured {
		o := map[string]any{"apiVersion": "velero.io/v1", "kind": kind, "metadata": map[string]any{"name": name, "namespace": ns}, "spec": spec}
		if status != nil {
			o["status"] = status
		}
		return &unstructured.Unstructured{Object: o}
	}
	_, err := testCluster.Apply(t.Context(),
		&unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": ns}}},
		obj("BackupStorageLocation", "default", map[string]any{"provider": "aws", "objectStorage": map[string]any{"bucket": "b"}}, nil),
		obj("Backup", "nightly", map[string]any{}, map[string]any{"phase": "Failed", "failureReason": "never ran"}),
	)
	require.NoError(t, err)
	dyn, err := dynamic.NewForConfig(testCluster.Config)
	require.NoError(t, err)

	start := time.Now()
	r := runTool(t, nil, "-n", ns, "--server-timeout", "1m")
	took := time.Since(start)
	require.Equal(t, 3, r.code, r.stderr)
	require.Less(t, took, 30*time.Second, "not the minute of --server-timeout")
	a := readBundle(t, r.output)
	v := a.item(t, "velero/version.json")
	require.Equal(t, bundle.StatusError, v.Status)
	require.Contains(t, v.Error, `no Velero server runs in namespace "velero-undeployed": it has no pod of the server`)
	require.Contains(t, v.Error, "asked for 5s, not --server-timeout, in case it runs outside the cluster")
	log := a.item(t, "backups/nightly/log.txt")
	require.Equal(t, bundle.StatusSkipped, log.Status)
	require.Contains(t, log.Error, "no Velero server runs in namespace")
	requireNoRequestsLeft(t, dyn, ns)

	// A server outside the cluster answers within the 5s.
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go answerSlowly(ctx, dyn, ns, 0)
	r = runTool(t, nil, "-n", ns, "--server-timeout", "1m", "--recent-failed", "0")
	v = readBundle(t, r.output).item(t, "velero/version.json")
	require.Equal(t, bundle.StatusOK, v.Status, v.Error)
}
