package collect

import (
	"context"
	"io"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/velero-debug/velero-debug/internal/bundle"
	"github.com/velero-debug/velero-debug/internal/bundleread"
	"github.com/velero-debug/velero-debug/internal/plan"
)

// TestVolumeListsReadOnce checks that volume-failures.md and the volume
// part of describe.txt come from the same pass as the bundle's lists: each
// volume kind is listed once, with an api_group step to feed them or
// without one.
func TestVolumeListsReadOnce(t *testing.T) {
	t.Parallel()
	summaries := []plan.Step{
		{VolumeFailures: &plan.VolumeFailures{Namespace: "velero"}},
		{Detail: &plan.Detail{Kind: plan.Backup, Namespace: "velero", Name: "b1"}},
	}
	for name, steps := range map[string][]plan.Step{
		"fed by api_group": append([]plan.Step{{APIGroup: &plan.APIGroup{Group: VeleroGroup, Namespace: "velero"}}}, summaries...),
		"fed by api_group and logs": append([]plan.Step{
			{APIGroup: &plan.APIGroup{Group: VeleroGroup, Namespace: "velero"}},
			{Logs: &plan.Logs{Namespace: "velero"}},
		}, summaries...),
		"alone": summaries,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := newFakeCluster()
			c.addServerPods(t)
			for _, pvb := range []struct{ name, backup, phase string }{
				{"b1-ok", "b1", "Completed"}, {"b1-bad", "b1", "Failed"}, {"b2-bad", "b2", "Failed"}, {"b2-ok", "b2", "Completed"},
			} {
				o := &unstructured.Unstructured{Object: map[string]any{
					"apiVersion": "velero.io/v1", "kind": "PodVolumeBackup",
					"metadata": map[string]any{"name": pvb.name, "namespace": "velero", "labels": map[string]any{"velero.io/backup-name": pvb.backup}},
					"spec":     map[string]any{"node": "node-1"},
					"status":   map[string]any{"phase": pvb.phase, "message": "message of " + pvb.name},
				}}
				_, err := c.dyn.Resource(gvr(VeleroGroup, "v1", "podvolumebackups")).Namespace("velero").Create(t.Context(), o, metav1.CreateOptions{})
				require.NoError(t, err)
			}
			agent := &unstructured.Unstructured{Object: map[string]any{
				"apiVersion": "v1", "kind": "Pod",
				"metadata": map[string]any{"name": "node-agent-1", "namespace": "velero", "labels": map[string]any{"name": "node-agent"}},
				"spec":     map[string]any{"nodeName": "node-1", "containers": []any{map[string]any{"name": "node-agent"}}},
			}}
			_, err := c.dyn.Resource(gvr("", "v1", "pods")).Namespace("velero").Create(t.Context(), agent, metav1.CreateOptions{})
			require.NoError(t, err)
			c.dyn.ClearActions()
			out := filepath.Join(t.TempDir(), "b.tar.gz")
			runPlanInto(t, out, c, testConfig(), &plan.Plan{Steps: steps}, newCountingObserver())

			lists := c.dynamicLists()
			for _, k := range volumeKinds {
				require.Equal(t, 1, lists[k.Resource], "%s listed once: %v", k.Resource, lists)
			}
			for _, a := range c.kube.Actions() {
				if a.GetVerb() == "list" {
					lists["typed "+a.GetResource().Resource]++
				}
			}
			// The node-agent pods: from the logs step's pods, else one list.
			require.Equal(t, 1, lists["pods"]+lists["typed pods"], "pods listed once: %v", lists)
			files := bundleFiles(t, out)
			describe := files["backups/b1/describe.txt"]
			require.Contains(t, describe, "podvolumebackups b1-ok: Completed on node node-1 (node-agent pod node-agent-1, log logs/velero/node-agent-1/node-agent.log)")
			require.Contains(t, describe, "podvolumebackups b1-bad: Failed on node node-1")
			require.Contains(t, describe, "    message: message of b1-bad")
			require.NotContains(t, describe, "b2-")
			failures := files["velero/volume-failures.md"]
			require.Contains(t, failures, "| podvolumebackups | b1-bad | b1 | Failed | node-1 | node-agent-1 |")
			require.Contains(t, failures, "| podvolumebackups | b2-bad | b2 | Failed | node-1 | node-agent-1 |")
			require.NotContains(t, failures, "-ok")
		})
	}
}

// dynamicLists counts the list requests of the dynamic client, by
// resource.
func (c *fakeCluster) dynamicLists() map[string]int {
	lists := map[string]int{}
	for _, a := range c.dyn.Actions() {
		if a.GetVerb() == "list" {
			lists[a.GetResource().Resource]++
		}
	}
	return lists
}

// bundleFiles reads the content of every item of the bundle at path.
func bundleFiles(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := bundleread.Open(context.Background(), path, bundleread.Limits{})
	require.NoError(t, err)
	defer func() { _ = b.Close() }()
	files := map[string]string{}
	require.NoError(t, b.Each(context.Background(), func(it bundle.ManifestItem, r io.Reader) error {
		if r == nil {
			return nil // an item without content
		}
		data, err := io.ReadAll(r)
		files[it.Path] = string(data)
		return err
	}))
	return files
}
