package analysis

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/velero-debug/velero-debug/internal/bundle"
	"github.com/velero-debug/velero-debug/internal/bundleread"
)

// fuzzPaths are items the analysis reads; the fuzzer chooses their
// content.
var fuzzPaths = []string{
	"resources/velero/core_v1/pods.json",
	"backups/b1/backup.json",
	"backups/b1/results.json",
	"resources/velero/velero.io_v1/podvolumebackups.json",
	"resources/velero/velero.io_v1/backuprepositories.json",
	"resources/velero/core_v1/events.json",
	"velero/version.json",
	"logs/velero/node-agent-1/node-agent.log",
	"backups/b1/server-log.txt",
	"backups/b1/node-agent-log.txt",
	"resources/velero/velero.io_v1/backups.json",
	"resources/_all/snapshot.storage.k8s.io_v1/volumesnapshots.json",
	"resources/velero/velero.io_v2alpha1/datauploads.json",
}

// FuzzAnalyze writes bundles whose items the analysis reads hold
// arbitrary bytes, through the Writer's summarizer and through Analyze
// on the bundle read back: neither may panic, fail or say different
// things.
func FuzzAnalyze(f *testing.F) {
	f.Add([]byte(`{"items":[{"metadata":{"name":"node-agent-1","labels":{"name":"node-agent"}},"spec":{"nodeName":"n1"}}]}`),
		[]byte(`{"metadata":{"name":"b1","namespace":"velero"},"status":{"phase":"PartiallyFailed","errors":1}}`),
		[]byte(`{"errors":{"velero":["boom"],"namespaces":{"app":[{"message":"x"}]}}}`),
		[]byte(`{"items":[{"metadata":{"name":"b1-x","labels":{"velero.io/backup-name":"b1"}},"spec":{"node":"n1"},"status":{"phase":"Failed"}}]}`),
		[]byte("==> logs/velero/node-agent-1/node-agent.log <==\nlevel=error msg=\"b1-x failed\"\nlevel=warning msg=\"[Diagnose DU expose]begin diagnose\" du=b1-x\n"))
	f.Add([]byte(`{"items":[`), []byte(`{"status":{"phase":"Failed","validationErrors":[1]}}`), []byte(`[[[[[[`), []byte(`{"items":{}}`), []byte("\x00\xff\n\n"))
	f.Fuzz(func(t *testing.T, pods, backup, results, pvbs, log []byte) {
		contents := [][]byte{pods, backup, results, pvbs, pvbs, pods, backup, log, log, log, pvbs, pvbs, pvbs}
		a := NewAnalyzer()
		out := filepath.Join(t.TempDir(), "b.tar.gz")
		w, err := bundle.Create(out, bundle.Options{Summarizer: a})
		if err != nil {
			t.Fatal(err)
		}
		for i, p := range fuzzPaths {
			if err := w.AddBytes(bundle.Item{Path: p}, contents[i]); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(bundle.Meta{Complete: true}); err != nil {
			t.Fatal(err)
		}
		written, ok := a.Last()
		if !ok {
			t.Fatalf("no analysis: %+v", w.Manifest().Items)
		}
		b, err := bundleread.Open(t.Context(), out, bundleread.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = b.Close() }()
		read, err := Analyze(t.Context(), b)
		if err != nil {
			t.Fatal(err)
		}
		var x, y bytes.Buffer
		if err := Render(&x, written); err != nil {
			t.Fatal(err)
		}
		if err := Render(&y, read); err != nil {
			t.Fatal(err)
		}
		if x.String() != y.String() {
			t.Fatalf("the summary and inspect differ:\n%s\n---\n%s", x.String(), y.String())
		}
		_ = Digest(read)
	})
}
