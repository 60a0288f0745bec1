package collect

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	k8stesting "k8s.io/client-go/testing"

	"github.com/velero-debug/velero-debug/internal/bundle"
	"github.com/velero-debug/velero-debug/internal/plan"
)

func TestTopFailures(t *testing.T) {
	t.Parallel()
	top := &topFailures{n: 3}
	for _, b := range []struct{ name, phase, start string }{
		{"a", "Failed", "2026-01-01T00:00:00Z"}, {"ok", "Completed", "2026-01-09T00:00:00Z"},
		{"b", "PartiallyFailed", "2026-01-03T00:00:00Z"}, {"c", "Failed", "2026-01-02T00:00:00Z"},
		{"c2", "Failed", "2026-01-02T00:00:00Z"}, {"d", "Failed", "2025-12-01T00:00:00Z"},
	} {
		top.see(&unstructured.Unstructured{Object: map[string]any{
			"metadata": map[string]any{"name": b.name},
			"status":   map[string]any{"phase": b.phase, "startTimestamp": b.start},
		}})
	}
	// Newest first; of two with the same start, the first listed first.
	require.Equal(t, []string{"b", "c", "c2"}, top.names())
}

// TestRecentFailuresFromTheList: the most recent failed backups are found
// in the backups list the bundle writes (listed once), or in a pass of
// their own without an api_group step; each is collected in detail, with
// the volume operations that name it.
func TestRecentFailuresFromTheList(t *testing.T) {
	t.Parallel()
	recent := plan.Step{RecentFailed: &plan.RecentFailed{Kind: plan.Backup, Namespace: "velero", N: 2}}
	for name, steps := range map[string][]plan.Step{
		"fed by api_group": {{APIGroup: &plan.APIGroup{Group: VeleroGroup, Namespace: "velero"}}, recent},
		"alone":            {recent},
		"named too": {recent, {Detail: &plan.Detail{Kind: plan.Backup, Namespace: "velero", Name: "new"}},
			{APIGroup: &plan.APIGroup{Group: VeleroGroup, Namespace: "velero"}}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := newFakeCluster()
			c.addServerPods(t)
			for _, b := range []struct{ name, phase, start string }{
				{"old", "Failed", "2026-01-01T00:00:00Z"}, {"ok", "Completed", "2026-01-09T00:00:00Z"},
				{"new", "PartiallyFailed", "2026-01-03T00:00:00Z"}, {"mid", "Failed", "2026-01-02T00:00:00Z"},
			} {
				o := &unstructured.Unstructured{Object: map[string]any{
					"apiVersion": "velero.io/v1", "kind": "Backup",
					"metadata": map[string]any{"name": b.name, "namespace": "velero"},
					"status":   map[string]any{"phase": b.phase, "startTimestamp": b.start},
				}}
				_, err := c.dyn.Resource(gvr(VeleroGroup, "v1", "backups")).Namespace("velero").Create(t.Context(), o, metav1.CreateOptions{})
				require.NoError(t, err)
			}
			for _, pvb := range []struct{ name, backup, phase string }{{"new-vol", "new", "Completed"}, {"old-vol", "old", "Completed"}, {"mid-vol", "mid", "Failed"}} {
				o := &unstructured.Unstructured{Object: map[string]any{
					"apiVersion": "velero.io/v1", "kind": "PodVolumeBackup",
					"metadata": map[string]any{"name": pvb.name, "namespace": "velero", "labels": map[string]any{"velero.io/backup-name": pvb.backup}},
					"spec":     map[string]any{"node": "node-1"},
					"status":   map[string]any{"phase": pvb.phase},
				}}
				_, err := c.dyn.Resource(gvr(VeleroGroup, "v1", "podvolumebackups")).Namespace("velero").Create(t.Context(), o, metav1.CreateOptions{})
				require.NoError(t, err)
			}
			c.dyn.ClearActions()
			out := filepath.Join(t.TempDir(), "b.tar.gz")
			items := runPlanInto(t, out, c, testConfig(), &plan.Plan{Steps: steps}, newCountingObserver())

			lists := 0
			for _, a := range c.dyn.Actions() {
				if a.GetVerb() == "list" && a.GetResource().Resource == "backups" {
					lists++
				}
			}
			require.Equal(t, 1, lists, "backups listed once")
			for _, b := range []string{"new", "mid"} {
				require.Contains(t, items, "backups/"+b+"/backup.json", "recent failure %s collected in detail", b)
			}
			// The evidence: the server's lines naming each, the node-agent's
			// lines naming its operations that did not complete, if any.
			for _, b := range []string{"new", "mid"} {
				require.Equal(t, bundle.StatusOK, items["backups/"+b+"/server-log.txt"].Status, b)
			}
			require.Equal(t, bundle.StatusOK, items["backups/mid/node-agent-log.txt"].Status)
			require.NotContains(t, items, "backups/new/node-agent-log.txt", "its only operation completed")
			require.NotContains(t, items, "backups/old/backup.json", "only the 2 most recent")
			require.NotContains(t, items, "backups/ok/backup.json")
			describe := bundleFiles(t, out)["backups/new/describe.txt"]
			require.Contains(t, describe, "podvolumebackups new-vol: Completed on node node-1 (node-agent pod node-agent-1")
			require.NotContains(t, describe, "old-vol")
		})
	}
}

// A recent failure whose list cannot be read is recorded, once, and the
// run goes on.
func TestRecentFailuresListFails(t *testing.T) {
	t.Parallel()
	c := newFakeCluster()
	c.dyn.PrependReactor("list", "backups", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, errors.New("backups are forbidden")
	})
	steps := []plan.Step{
		{RecentFailed: &plan.RecentFailed{Kind: plan.Backup, Namespace: "velero", N: 2}},
		{RecentFailed: &plan.RecentFailed{Kind: plan.Backup, Namespace: "velero", N: 1}},
		{ClusterVersion: &plan.ClusterVersion{}},
	}
	items := runPlan(t, c, testConfig(), &plan.Plan{Steps: steps}, newCountingObserver())
	it, ok := items["backups/recent-failures.json"]
	require.True(t, ok, "the failure is an item: %v", items)
	require.Contains(t, it.Error, "finding the most recent failed backups")
	require.Contains(t, items, "cluster/version.json")
}

// TestWorkloadListsReadOnce: version.json's images come from the plan's
// lists of Deployments and DaemonSets, which are then listed once; without
// such lists, from lists of its own.
func TestWorkloadListsReadOnce(t *testing.T) {
	t.Parallel()
	version := plan.Step{ServerVersion: &plan.ServerVersion{Namespace: "velero"}}
	for name, steps := range map[string][]plan.Step{
		"fed by the objects steps": {
			{Objects: &plan.Objects{Group: "apps", Version: "v1", Resource: "deployments", Namespace: "velero"}},
			{Objects: &plan.Objects{Group: "apps", Version: "v1", Resource: "daemonsets", Namespace: "velero"}},
			version,
		},
		// A filtered list does not hold every workload: it feeds nothing.
		"filtered list": {
			{Objects: &plan.Objects{Group: "apps", Version: "v1", Resource: "deployments", Namespace: "velero", LabelSelector: "app=x", Path: "d.json"}},
			version,
		},
		"alone": {version},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := newFakeCluster()
			deploy := &unstructured.Unstructured{Object: map[string]any{
				"apiVersion": "apps/v1", "kind": "Deployment",
				"metadata": map[string]any{"name": "velero", "namespace": "velero", "labels": map[string]any{"app": "velero"}},
				"spec": map[string]any{"template": map[string]any{"spec": map[string]any{
					"initContainers": []any{map[string]any{"name": "velero-plugin-for-aws", "image": "velero/velero-plugin-for-aws:v1.13.0"}},
					"containers":     []any{map[string]any{"name": "velero", "image": "velero/velero:v1.18.3"}},
				}}},
			}}
			_, err := c.dyn.Resource(gvr("apps", "v1", "deployments")).Namespace("velero").Create(t.Context(), deploy, metav1.CreateOptions{})
			require.NoError(t, err)
			c.dyn.ClearActions()
			out := filepath.Join(t.TempDir(), "b.tar.gz")
			runPlanInto(t, out, c, testConfig(), &plan.Plan{Steps: steps}, newCountingObserver())
			lists := c.dynamicLists()
			want := map[string]int{"deployments": 1, "daemonsets": 1}
			if name == "filtered list" {
				want["deployments"] = 2 // the filtered list, and the images' own
			}
			require.Equal(t, want, lists)
			v := bundleFiles(t, out)["velero/version.json"]
			require.Contains(t, v, `"image": "velero/velero-plugin-for-aws:v1.13.0"`)
			require.Contains(t, v, `"workload": "deployment/velero"`)
		})
	}
}

// TestFirstOfTwoSamePathsRuns: of two steps with the same bundle path, the
// first the plan expands runs, whatever else the plan holds and whichever
// job would run first (found by review: a list that fed version.json's
// images, and a detail's object, claimed their paths out of order).
func TestFirstOfTwoSamePathsRuns(t *testing.T) {
	t.Parallel()
	for _, withVersion := range []bool{false, true} {
		steps := []plan.Step{
			{Objects: &plan.Objects{Group: "apps", Version: "v1", Resource: "deployments", Namespace: "velero", LabelSelector: "app=first"}},
			{Objects: &plan.Objects{Group: "apps", Version: "v1", Resource: "deployments", Namespace: "velero"}},
		}
		if withVersion {
			steps = append(steps, plan.Step{ServerVersion: &plan.ServerVersion{Namespace: "velero"}})
		}
		cfg := testConfig()
		cfg.ObjectParallelism = 1
		items := runPlan(t, newFakeCluster(), cfg, &plan.Plan{Steps: steps}, newCountingObserver())
		require.Contains(t, items["resources/velero/apps_v1/deployments.json"].Source, "with labels app=first", "server_version in the plan: %v", withVersion)
	}
	// A detail expands before a file of the same path: the backup is
	// collected in detail, and the file left out.
	steps := []plan.Step{
		{File: &plan.File{Path: "backups/b1/backup.json", Content: "{}"}},
		{Detail: &plan.Detail{Kind: plan.Backup, Namespace: "velero", Name: "b1"}},
	}
	items := runPlan(t, newFakeCluster(), testConfig(), &plan.Plan{Steps: steps}, newCountingObserver())
	require.Equal(t, "object", items["backups/b1/backup.json"].Type)
	require.Contains(t, items, "backups/b1/describe.txt")
}
