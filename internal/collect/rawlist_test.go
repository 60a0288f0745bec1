package collect

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// TestDecodePage reads Lists as the API server writes them: a typed List
// names its kind first and not its items', a custom resource List names
// its kind after its items.
func TestDecodePage(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, in         string
		apiVersion, kind string
		cont             string
		items            []string // kind/name
	}{
		{"typed", `{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"7","continue":"next"},"items":[{"metadata":{"name":"a","generation":3}},{"metadata":{"name":"b"}}]}`,
			"v1", "PodList", "next", []string{"Pod/a", "Pod/b"}},
		{"custom", `{"apiVersion":"velero.io/v1","items":[{"apiVersion":"velero.io/v1","kind":"PodVolumeBackup","metadata":{"name":"p"}}],"kind":"PodVolumeBackupList","metadata":{"continue":""}}`,
			"velero.io/v1", "PodVolumeBackupList", "", []string{"PodVolumeBackup/p"}},
		{"empty", `{"apiVersion":"velero.io/v1","items":[],"kind":"BackupList","metadata":{}}`,
			"velero.io/v1", "BackupList", "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got []string
			var objs []*unstructured.Unstructured
			page, err := decodePage(strings.NewReader(tc.in), func(o *unstructured.Unstructured) error {
				got = append(got, o.GetKind()+"/"+o.GetName())
				objs = append(objs, o)
				return nil
			})
			require.NoError(t, err)
			require.Equal(t, listPage{apiVersion: tc.apiVersion, kind: tc.kind, cont: tc.cont}, page)
			require.Equal(t, tc.items, got)
			if tc.name == "typed" {
				// Integers stay integers, as client-go decodes them.
				require.Equal(t, int64(3), objs[0].GetGeneration())
				require.Equal(t, "v1", objs[0].GetAPIVersion())
			}
		})
	}
	for _, bad := range []string{`[]`, `{"items":[{"metadata":{}}],"kind":"PodList"}`, `{"items":[{]}`, `{"kind":"PodList"`} {
		_, err := decodePage(strings.NewReader(bad), func(*unstructured.Unstructured) error { return nil })
		require.Error(t, err, bad)
	}
}
