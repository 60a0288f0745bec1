package collect

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestResourcePath(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		ns, group, version, resource, want string
	}{
		{"velero", "velero.io", "v1", "backups", "resources/velero/velero.io_v1/backups.json"},
		{"velero", "", "v1", "pods", "resources/velero/core_v1/pods.json"},
		{"", "velero.io", "v2alpha1", "things", "resources/_cluster/velero.io_v2alpha1/things.json"},
	} {
		require.Equal(t, tc.want, resourcePath(tc.ns, gvr(tc.group, tc.version, tc.resource)))
	}
}

func TestLogRequests(t *testing.T) {
	t.Parallel()
	pod := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Pod",
		"metadata": map[string]any{"name": "velero-1", "namespace": "velero"},
		"spec": map[string]any{
			"initContainers":      []any{map[string]any{"name": "plugin"}},
			"containers":          []any{map[string]any{"name": "velero"}, map[string]any{"name": "sidecar"}},
			"ephemeralContainers": []any{map[string]any{"name": "debugger"}},
		},
		"status": map[string]any{
			"initContainerStatuses": []any{map[string]any{"name": "plugin", "restartCount": int64(0)}},
			"containerStatuses": []any{
				map[string]any{"name": "velero", "restartCount": int64(2)},
				map[string]any{"name": "sidecar", "restartCount": int64(0)},
			},
		},
	}}
	var paths []string
	for _, r := range logRequests(pod) {
		paths = append(paths, r.path())
	}
	require.Equal(t, []string{
		"logs/velero/velero-1/plugin.log",
		"logs/velero/velero-1/velero.log",
		"logs/velero/velero-1/velero.previous.log",
		"logs/velero/velero-1/sidecar.log",
		"logs/velero/velero-1/debugger.log",
	}, paths)
}

func TestListWriter(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 1, 3} {
		var buf bytes.Buffer
		lw := listWriter{w: &buf}
		if n > 0 {
			require.NoError(t, lw.header("velero.io/v1", "BackupList"))
		}
		for i := range n {
			require.NoError(t, lw.item(map[string]any{"metadata": map[string]any{"name": i}}))
		}
		require.NoError(t, lw.close())
		var got struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Items      []any  `json:"items"`
		}
		require.NoError(t, json.Unmarshal(buf.Bytes(), &got), buf.String())
		require.Len(t, got.Items, n)
		require.NotEmpty(t, got.Kind)
	}
}

func TestDropDownloadURL(t *testing.T) {
	t.Parallel()
	o := &unstructured.Unstructured{Object: map[string]any{
		"status": map[string]any{"phase": "Processed", "downloadURL": "https://s3/x?X-Amz-Signature=abc"},
	}}
	dropDownloadURL(o)
	url, _, _ := unstructured.NestedString(o.Object, "status", "downloadURL")
	require.Equal(t, "[removed by velero-debug]", url)
	empty := &unstructured.Unstructured{Object: map[string]any{"status": map[string]any{"phase": "New"}}}
	dropDownloadURL(empty)
	_, found, _ := unstructured.NestedString(empty.Object, "status", "downloadURL")
	require.False(t, found, "no field is added")
}

func TestKeepAndDrop(t *testing.T) {
	t.Parallel()
	crd := func(name, group string) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]any{
			"metadata": map[string]any{"name": name}, "spec": map[string]any{"group": group},
			"status": map[string]any{"images": []any{"a"}, "phase": "x"},
		}}
	}
	velero := keepObjects(nil, map[string][]string{"spec.group": {"velero.io", "*.velero.io"}})
	require.True(t, velero(crd("a", "velero.io")))
	require.True(t, velero(crd("a", "backupdriver.cnsdp.velero.io")))
	require.False(t, velero(crd("a", "notvelero.io")))
	require.False(t, velero(crd("a", "snapshot.storage.k8s.io")))
	require.False(t, velero(&unstructured.Unstructured{Object: map[string]any{}}), "a missing field is no match")
	named := keepObjects([]string{"a", "b"}, nil)
	require.True(t, named(crd("b", "")))
	require.False(t, named(crd("c", "")))
	require.Nil(t, keepObjects(nil, nil))

	o := crd("a", "velero.io")
	dropFields([]string{"status.images", "spec.missing.deep"})(o)
	require.Equal(t, map[string]any{"phase": "x"}, o.Object["status"])
	require.Nil(t, dropFields(nil))
}

func TestEvidenceLines(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 200<<10)
	in := "a backup=velero/b1 one\nno\n" + long + " backup=velero/b1\nbackup=velero/b10 other\n" +
		`{"backuprequest":"velero/b1","msg":"json"}` + "\nlast backuprequest=velero/b1"
	b1 := serverNeedles(namedObject{resource: "backups", kind: "backup", namespace: "velero", name: "b1"})
	var out []string
	require.NoError(t, eachLogLine(strings.NewReader(in), func(line []byte) {
		if b1.match(line) {
			out = append(out, string(line))
		}
	}))
	require.Equal(t, []string{"a backup=velero/b1 one\n", long + " backup=velero/b1\n", `{"backuprequest":"velero/b1","msg":"json"}` + "\n", "last backuprequest=velero/b1"}, out,
		"whole fields only, in text and JSON, long lines and a last line without newline included")
	r1 := serverNeedles(namedObject{resource: "restores", kind: "restore", namespace: "velero", name: "r1"})
	require.True(t, r1.match([]byte(`level=info msg=x Restore=velero/r1 logSource="pkg/controller/restore_controller.go:1"`)))
	require.False(t, r1.match([]byte(`restore=velero/r10`)))

	n := 0
	require.NoError(t, eachLogLine(strings.NewReader(strings.Repeat("y", maxEvidenceLine+10)+"\nshort\n"), func([]byte) { n++ }))
	require.Equal(t, 1, n, "an overlong line is left out, the next one read")
}

func TestSkewNotes(t *testing.T) {
	t.Parallel()
	info := versionInfo{Server: map[string]string{"version": "v1.18.3"}, Images: []containerImage{
		{Workload: "deployment/velero", Container: "velero-plugin-for-aws", Image: "velero/velero-plugin-for-aws:v1.14.3", Init: true},
		{Workload: "deployment/velero", Container: "velero", Image: "velero/velero:v1.17.0"},
		{Workload: "daemonset/node-agent", Container: "node-agent", Image: "docker.io/velero/velero:v1.18.3"},
	}}
	require.Equal(t, []string{"deployment/velero container velero runs image velero/velero:v1.17.0, but the server reports v1.18.3"}, skewNotes(info))
	require.Empty(t, skewNotes(versionInfo{Server: map[string]string{"error": "down"}, Images: info.Images}))
}

func TestText(t *testing.T) {
	t.Parallel()
	require.Empty(t, text(nil))
	require.Equal(t, "30s", text("30s"))
	require.Equal(t, `["/bin/sh","-c","mysqldump app > /backup/app.sql"]`, text([]any{"/bin/sh", "-c", "mysqldump app > /backup/app.sql"}))
	require.Equal(t, "3", text(int64(3)))
}
