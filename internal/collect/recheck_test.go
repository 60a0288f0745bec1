package collect

import (
	"context"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/discovery"

	"github.com/velero-debug/velero-debug/internal/discover"
	"github.com/velero-debug/velero-debug/internal/plan"
	"github.com/velero-debug/velero-debug/internal/veleroapi"
)

// lateGroups is a discovery that lists the velero.io group from its
// appearsAt'th answer on, as a restarted kube-apiserver lists the groups of
// CRDs a moment after it is ready.
type lateGroups struct {
	discovery.DiscoveryInterface
	appearsAt int64
	asked     atomic.Int64
}

func (l *lateGroups) ServerGroups() (*metav1.APIGroupList, error) {
	list := &metav1.APIGroupList{Groups: []metav1.APIGroup{{Name: "apps", Versions: []metav1.GroupVersionForDiscovery{{GroupVersion: "apps/v1", Version: "v1"}}}}}
	if l.asked.Add(1) >= l.appearsAt {
		list.Groups = append(list.Groups, metav1.APIGroup{Name: VeleroGroup, Versions: []metav1.GroupVersionForDiscovery{{GroupVersion: "velero.io/v1", Version: "v1"}}})
	}
	return list, nil
}

func (l *lateGroups) ServerResourcesForGroupVersion(gv string) (*metav1.APIResourceList, error) {
	return &metav1.APIResourceList{GroupVersion: gv, APIResources: []metav1.APIResource{{Name: "backups", Kind: "Backup", Namespaced: true, Verbs: []string{"list"}}}}, nil
}

// TestVeleroGroupLookedForAgain: Velero's group, missing from discovery,
// is looked for again after each pause before it is called missing;
// another group is not; a pause ends with the run.
func TestVeleroGroupLookedForAgain(t *testing.T) {
	pauses := veleroRecheck
	veleroRecheck = []time.Duration{time.Millisecond, time.Millisecond}
	t.Cleanup(func() { veleroRecheck = pauses })

	d := &lateGroups{appearsAt: 3}
	r := &run{resolver: discover.New(d)}
	lists, err := r.groupResources(t.Context(), VeleroGroup)
	require.NoError(t, err)
	require.Len(t, lists, 1)
	require.Equal(t, int64(3), d.asked.Load())

	d = &lateGroups{appearsAt: 100}
	r = &run{resolver: discover.New(d)}
	_, err = r.groupResources(t.Context(), VeleroGroup)
	require.EqualError(t, err, "the cluster serves no velero.io API group: Velero's CRDs are not installed")
	require.Equal(t, int64(3), d.asked.Load(), "asked once and after each pause")
	d.asked.Store(0)
	_, err = r.groupResources(t.Context(), "snapshot.storage.k8s.io")
	require.EqualError(t, err, "the cluster serves no snapshot.storage.k8s.io API group")
	require.Equal(t, int64(1), d.asked.Load(), "another group is looked for once")

	veleroRecheck = []time.Duration{time.Hour}
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	_, err = r.groupResources(ctx, VeleroGroup)
	require.ErrorIs(t, err, context.Canceled)
	require.Less(t, time.Since(start), time.Second, "the pause ends with the run")
}

// TestOwnRequestsLeftOut: the requests this run made the Velero server
// process (labelled with its RunID) are not in the lists it collects; a
// request of another run is.
func TestOwnRequestsLeftOut(t *testing.T) {
	t.Parallel()
	c := newFakeCluster()
	for name, run := range map[string]string{"ours": "this-run", "theirs": "another-run"} {
		_, err := c.dyn.Resource(gvr(VeleroGroup, "v1", "backups")).Namespace("velero").Create(t.Context(), &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "velero.io/v1", "kind": "Backup",
			"metadata": map[string]any{"name": name, "namespace": "velero", "labels": map[string]any{veleroapi.RunLabel: run}},
		}}, metav1.CreateOptions{})
		require.NoError(t, err)
	}
	cfg := testConfig()
	cfg.RunID = "this-run"
	out := filepath.Join(t.TempDir(), "b.tar.gz")
	runPlanInto(t, out, c, cfg, &plan.Plan{Steps: []plan.Step{{Objects: &plan.Objects{Group: VeleroGroup, Version: "v1", Resource: "backups", Namespace: "velero", Path: "backups.json"}}}}, nil)
	list := bundleFiles(t, out)["backups.json"]
	require.Contains(t, list, `"name":"theirs"`)
	require.Contains(t, list, `"name":"b1"`)
	require.NotContains(t, list, `"name":"ours"`)
}
