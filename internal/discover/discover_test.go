package discover

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/discovery"
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
	list := &metav1.APIGroupList{Groups: []metav1.APIGroup{{Name: "", Versions: []metav1.GroupVersionForDiscovery{{GroupVersion: "v1", Version: "v1"}}}}}
	if l.asked.Add(1) >= l.appearsAt {
		list.Groups = append(list.Groups, metav1.APIGroup{Name: "velero.io", Versions: []metav1.GroupVersionForDiscovery{{GroupVersion: "velero.io/v1", Version: "v1"}}})
	}
	return list, nil
}

func (l *lateGroups) ServerResourcesForGroupVersion(gv string) (*metav1.APIResourceList, error) {
	return &metav1.APIResourceList{GroupVersion: gv, APIResources: []metav1.APIResource{{Name: "backups", Kind: "Backup", Namespaced: true, Verbs: []string{"list"}}}}, nil
}

func TestGroupThatAppearsLateIsFound(t *testing.T) {
	t.Parallel()
	d := &lateGroups{appearsAt: 3}
	r := New(d)
	r.absent = []time.Duration{time.Millisecond, time.Millisecond}
	lists, err := r.GroupResources(t.Context(), "velero.io")
	require.NoError(t, err)
	require.Len(t, lists, 1)
	require.Equal(t, "velero.io/v1", lists[0].GroupVersion)
	require.Equal(t, int64(3), d.asked.Load())
}

func TestGroupNeverListedIsMissing(t *testing.T) {
	t.Parallel()
	d := &lateGroups{appearsAt: 100}
	r := New(d)
	r.absent = []time.Duration{time.Millisecond, time.Millisecond}
	_, err := r.GroupResources(t.Context(), "velero.io")
	require.EqualError(t, err, "the cluster serves no velero.io API group")
	require.Equal(t, int64(3), d.asked.Load(), "asked once and after each pause")

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	r.absent = []time.Duration{time.Hour}
	_, err = r.GroupResources(ctx, "velero.io")
	require.ErrorIs(t, err, context.Canceled, "a pause ends with the run")
}
