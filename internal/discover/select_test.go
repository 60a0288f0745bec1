package discover

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/velero-debug/velero-debug/internal/plan"
)

func TestSelectResources(t *testing.T) {
	t.Parallel()
	groups := []*metav1.APIGroup{
		{Name: "", PreferredVersion: metav1.GroupVersionForDiscovery{GroupVersion: "v1", Version: "v1"},
			Versions: []metav1.GroupVersionForDiscovery{{GroupVersion: "v1", Version: "v1"}}},
		{Name: "velero.io", PreferredVersion: metav1.GroupVersionForDiscovery{GroupVersion: "velero.io/v1", Version: "v1"},
			Versions: []metav1.GroupVersionForDiscovery{{GroupVersion: "velero.io/v2alpha1", Version: "v2alpha1"}, {GroupVersion: "velero.io/v1", Version: "v1"}}},
	}
	list := []string{"list"}
	lists := []*metav1.APIResourceList{
		{GroupVersion: "v1", APIResources: []metav1.APIResource{
			{Name: "pods", Kind: "Pod", SingularName: "pod", Namespaced: true, Verbs: list},
			{Name: "pods/log", Kind: "Pod", Namespaced: true, Verbs: []string{"get"}},
			{Name: "secrets", Kind: "Secret", Namespaced: true, Verbs: list},
			{Name: "nodes", Kind: "Node", Verbs: list},
		}},
		{GroupVersion: "velero.io/v1", APIResources: []metav1.APIResource{
			{Name: "backups", Kind: "Backup", Namespaced: true, Verbs: list, Categories: []string{"velero"}},
			{Name: "podvolumebackups", Kind: "PodVolumeBackup", Namespaced: true, Verbs: list, Categories: []string{"velero"}},
		}},
		{GroupVersion: "velero.io/v2alpha1", APIResources: []metav1.APIResource{
			{Name: "datauploads", Kind: "DataUpload", Namespaced: true, Verbs: list, Categories: []string{"velero"}},
			{Name: "podvolumebackups", Kind: "PodVolumeBackup", Namespaced: true, Verbs: list},
		}},
	}
	names := func(s *plan.Search) []string {
		var out []string
		for _, r := range Select(s, groups, lists) {
			out = append(out, r.GVR.String())
		}
		return out
	}
	require.Equal(t, []string{"velero.io/v1, Resource=backups", "velero.io/v1, Resource=podvolumebackups", "velero.io/v2alpha1, Resource=datauploads"},
		names(&plan.Search{Groups: []string{"velero.io"}}), "each resource once, in the preferred version when it serves it")
	require.Equal(t, []string{"velero.io/v1, Resource=podvolumebackups", "velero.io/v2alpha1, Resource=podvolumebackups"},
		names(&plan.Search{Kinds: []string{"PodVolumeBackup"}, Versions: []string{"v1", "v2alpha1"}}), "named versions are each listed")
	require.Equal(t, []string{"/v1, Resource=nodes", "/v1, Resource=pods", "/v1, Resource=secrets"},
		names(&plan.Search{Groups: []string{"core"}}), "core is the legacy group; subresources are not listed")
	require.Equal(t, []string{"/v1, Resource=pods"}, names(&plan.Search{Kinds: []string{"POD"}}), "a singular name, ignoring case")
	require.Equal(t, []string{"velero.io/v1, Resource=backups", "velero.io/v1, Resource=podvolumebackups", "velero.io/v2alpha1, Resource=datauploads"},
		names(&plan.Search{Categories: []string{"velero"}}))
}

func TestBoundedReturnsWhenTheContextEnds(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	release := make(chan struct{})
	defer close(release)
	go cancel()
	_, err := Bounded(ctx, func() (int, error) { <-release; return 1, nil })
	require.ErrorIs(t, err, context.Canceled)
	v, err := Bounded(context.Background(), func() (int, error) { return 7, nil })
	require.NoError(t, err)
	require.Equal(t, 7, v)
}
