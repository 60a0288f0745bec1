package bundleread

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/velero-debug/velero-debug/internal/bundle"
)

// FuzzOpen feeds arbitrary tar streams, gzipped, to Open and Each: they
// must not panic, and what Open accepts, Each reads to the end.
func FuzzOpen(f *testing.F) {
	var seed bytes.Buffer
	tw := tar.NewWriter(&seed)
	for _, e := range []entry{
		dir("velero-bundle/"),
		regular("velero-bundle/a.log", "hello\n"),
		regular("velero-bundle/manifest.json", `{"tool":{"name":"velero-debug","version":""},"options":{},"items":[`+
			`{"path":"a.log","type":"log","source":"","bytes":6,"sha256":"5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03",`+
			`"truncated":false,"redactions":{},"status":"ok","error":"","durationMs":1},`+
			`{"path":"b.log","type":"log","source":"","bytes":0,"sha256":"","truncated":false,"redactions":{},"status":"error","error":"gone","durationMs":1}]}`),
	} {
		if err := tw.WriteHeader(&e.hdr); err != nil {
			f.Fatal(err)
		}
		if _, err := tw.Write(e.body); err != nil {
			f.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		f.Fatal(err)
	}
	f.Add(seed.Bytes())
	f.Fuzz(func(t *testing.T, tarData []byte) {
		var buf bytes.Buffer
		gz := gzip.NewWriter(&buf)
		_, _ = gz.Write(tarData)
		_ = gz.Close()
		p := filepath.Join(t.TempDir(), "b.tar.gz")
		if err := os.WriteFile(p, buf.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		b, err := Open(t.Context(), p, Limits{MaxBytes: 1 << 20, MaxEntries: 64})
		if err != nil {
			return
		}
		defer func() { _ = b.Close() }()
		if err := b.Each(t.Context(), func(_ bundle.ManifestItem, r io.Reader) error {
			if r != nil {
				_, err := io.Copy(io.Discard, r)
				return err
			}
			return nil
		}); err != nil {
			t.Fatalf("Open accepted the bundle, Each refused it: %v", err)
		}
	})
}
