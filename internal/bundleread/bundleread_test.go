package bundleread

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/velero-debug/velero-debug/internal/bundle"
)

// entry is one entry of a hand-built archive.
type entry struct {
	hdr  tar.Header
	body []byte
}

func regular(name, body string) entry {
	return entry{hdr: tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o600, Size: int64(len(body))}, body: []byte(body)}
}

func dir(name string) entry {
	return entry{hdr: tar.Header{Name: name, Typeflag: tar.TypeDir, Mode: 0o700}}
}

// item returns the manifest record of an ok item with body as content.
func item(p, body string) bundle.ManifestItem {
	sum := sha256.Sum256([]byte(body))
	return bundle.ManifestItem{Path: p, Type: "log", Bytes: int64(len(body)), SHA256: hex.EncodeToString(sum[:]),
		Redactions: map[string]int{}, Status: bundle.StatusOK}
}

func manifestJSON(t *testing.T, items ...bundle.ManifestItem) string {
	t.Helper()
	data, err := json.Marshal(bundle.Manifest{Tool: bundle.Tool{Name: "velero-debug"}, Options: map[string]any{}, Items: items})
	require.NoError(t, err)
	return string(data)
}

// writeArchive writes entries as a tar.gz file in a fresh folder, then
// trailer inside the gzip stream after the tar stream.
func writeArchive(t *testing.T, trailer []byte, entries ...entry) string {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, e := range entries {
		require.NoError(t, tw.WriteHeader(&e.hdr))
		_, err := tw.Write(e.body)
		require.NoError(t, err)
	}
	require.NoError(t, tw.Close())
	_, err := gz.Write(trailer)
	require.NoError(t, err)
	require.NoError(t, gz.Close())
	p := filepath.Join(t.TempDir(), "bundle.tar.gz")
	require.NoError(t, os.WriteFile(p, buf.Bytes(), 0o600))
	return p
}

func TestOpenAndEach(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "b.tar.gz")
	w, err := bundle.Create(out, bundle.Options{})
	require.NoError(t, err)
	require.NoError(t, w.AddBytes(bundle.Item{Path: "logs/a.log", Type: "log"}, []byte("line\n")))
	require.NoError(t, w.AddBytes(bundle.Item{Path: "empty.json"}, nil))
	require.NoError(t, w.AddError(bundle.Item{Path: "logs/gone.log"}, errors.New("pod gone")))
	require.NoError(t, w.AddSkipped(bundle.Item{Path: "backups/b/log.txt"}, "no log"))
	e, err := w.Open(bundle.Item{Path: "logs/cut.log"})
	require.NoError(t, err)
	_, err = e.Write([]byte("half"))
	require.NoError(t, err)
	require.NoError(t, e.Fail(errors.New("stream broke")))
	require.NoError(t, w.Close(bundle.Meta{Options: map[string]any{"tail": -1, "limitBytes": int64(1) << 60}, Complete: true}))

	b, err := Open(t.Context(), out, Limits{})
	require.NoError(t, err)
	defer func() { require.NoError(t, b.Close()) }()
	m := b.Manifest()
	require.Equal(t, w.Manifest().Items, m.Items)
	require.True(t, slices.ContainsFunc(m.Items, func(it bundle.ManifestItem) bool { return it.Path == "summary.md" }), "summary.md is listed")
	require.Equal(t, json.Number("1152921504606846976"), m.Options["limitBytes"], "numbers keep their text")

	for range 2 { // Each may be called again
		got := map[string]string{}
		var order []string
		require.NoError(t, b.Each(t.Context(), func(it bundle.ManifestItem, r io.Reader) error {
			order = append(order, it.Path)
			if r == nil {
				got[it.Path] = "<none>"
				return nil
			}
			data, err := io.ReadAll(r)
			got[it.Path] = string(data)
			return err
		}))
		require.Equal(t, map[string]string{
			"logs/a.log": "line\n", "empty.json": "", "logs/gone.log": "<none>",
			"backups/b/log.txt": "<none>", "logs/cut.log": "half",
		}, got)
		require.Equal(t, []string{"backups/b/log.txt", "logs/gone.log"}, order[:2], "items without content come first")
	}
}

func TestRefusals(t *testing.T) {
	t.Parallel()
	ok := regular("velero-bundle/a.log", "hello\n")
	okManifest := regular("velero-bundle/manifest.json", manifestJSON(t, item("a.log", "hello\n")))
	link := entry{hdr: tar.Header{Name: "velero-bundle/a.log", Typeflag: tar.TypeSymlink, Linkname: "/etc/passwd"}}
	hard := entry{hdr: tar.Header{Name: "velero-bundle/a.log", Typeflag: tar.TypeLink, Linkname: "velero-bundle/b"}}
	dev := entry{hdr: tar.Header{Name: "velero-bundle/zero", Typeflag: tar.TypeChar, Devmajor: 1, Devminor: 5}}
	fifo := entry{hdr: tar.Header{Name: "velero-bundle/fifo", Typeflag: tar.TypeFifo}}
	global := entry{hdr: tar.Header{Name: "pax", Typeflag: tar.TypeXGlobalHeader, PAXRecords: map[string]string{"comment": "x"}}}
	withItem := func(mutate func(*bundle.ManifestItem), extra ...bundle.ManifestItem) entry {
		it := item("a.log", "hello\n")
		mutate(&it)
		return regular("velero-bundle/manifest.json", manifestJSON(t, append([]bundle.ManifestItem{it}, extra...)...))
	}
	zeros := make([]byte, 2<<20)
	small := Limits{MaxBytes: 1 << 20}
	for _, tc := range []struct {
		name    string
		entries []entry
		trailer []byte
		lim     Limits
		want    string
	}{
		{name: "absolute path", entries: []entry{regular("/etc/passwd", "x"), okManifest}, want: `entry "/etc/passwd" has an absolute path`},
		{name: "dot dot", entries: []entry{regular("velero-bundle/../x", "x"), okManifest}, want: `has a ".." segment`},
		{name: "dot dot inside", entries: []entry{regular("velero-bundle/a/../../x", "x")}, want: `has a ".." segment`},
		{name: "dot segment", entries: []entry{regular("velero-bundle/./a.log", "x")}, want: "is not clean"},
		{name: "outside the top folder", entries: []entry{regular("other/a.log", "x"), okManifest}, want: `entry "other/a.log" is outside velero-bundle/`},
		{name: "top folder prefix", entries: []entry{regular("velero-bundle-evil/a.log", "x")}, want: "is outside velero-bundle/"},
		{name: "backslash", entries: []entry{regular(`velero-bundle/a\..\b`, "x")}, want: "backslash"},
		{name: "long name", entries: []entry{regular("velero-bundle/"+strings.Repeat("a", 2000), "x")}, want: "more than 1024"},
		{name: "symlink", entries: []entry{link, okManifest}, want: `entry "velero-bundle/a.log" is a link (to "/etc/passwd"): links are refused`},
		{name: "hard link", entries: []entry{hard}, want: "links are refused"},
		{name: "device", entries: []entry{dev}, want: `entry "velero-bundle/zero" is a device or a FIFO`},
		{name: "fifo", entries: []entry{fifo}, want: "is a device or a FIFO"},
		{name: "global header", entries: []entry{global}, want: "has tar type"},
		{name: "duplicate file", entries: []entry{ok, ok, okManifest}, want: "velero-bundle/a.log is in the archive twice"},
		{name: "duplicate manifest", entries: []entry{ok, okManifest, okManifest}, want: "velero-bundle/manifest.json is in the archive twice"},
		{name: "duplicate folder", entries: []entry{dir("velero-bundle/logs/"), dir("velero-bundle/logs/")}, want: "folder velero-bundle/logs is in the archive twice"},
		{name: "file then folder", entries: []entry{ok, dir("velero-bundle/a.log/")}, want: "is both a file and a folder"},
		{name: "folder then file", entries: []entry{regular("velero-bundle/a.log/x", "x"), ok}, want: "is both a folder and a file"},
		{name: "no manifest", entries: []entry{ok}, want: "it has no velero-bundle/manifest.json"},
		{name: "manifest too large", entries: []entry{ok, okManifest}, lim: Limits{MaxManifestBytes: 10}, want: "bytes, more than 10"},
		{name: "manifest not JSON", entries: []entry{ok, regular("velero-bundle/manifest.json", "{not json")}, want: "velero-bundle/manifest.json: invalid character"},
		{name: "manifest not an object", entries: []entry{regular("velero-bundle/manifest.json", "null")}, want: "is not a JSON object"},
		{name: "manifest unknown field", entries: []entry{ok, regular("velero-bundle/manifest.json", `{"items":[],"extra":1}`)}, want: `unknown field "extra"`},
		{name: "manifest two values", entries: []entry{regular("velero-bundle/manifest.json", `{"items":[]} {}`)}, want: "more than one JSON value"},
		{name: "unlisted file", entries: []entry{ok, regular("velero-bundle/extra.txt", "x"), okManifest}, want: "velero-bundle/extra.txt is not listed in manifest.json"},
		{name: "listed but missing", entries: []entry{okManifest}, want: "manifest.json lists a.log (status ok, 6 bytes), which is not in the archive"},
		{name: "entry larger than the manifest says", entries: []entry{regular("velero-bundle/a.log", "hello\nmore\n"), okManifest}, want: "velero-bundle/a.log is 11 bytes, but manifest.json says 6"},
		{name: "sha256 mismatch", entries: []entry{regular("velero-bundle/a.log", "HELLO\n"), okManifest}, want: "does not match its sha256"},
		{name: "unknown status", entries: []entry{ok, withItem(func(it *bundle.ManifestItem) { it.Status = "fine" })}, want: `unknown status "fine"`},
		{name: "skipped with content", entries: []entry{ok, withItem(func(it *bundle.ManifestItem) { it.Status = bundle.StatusSkipped })}, want: "a skipped item has no content"},
		{name: "error item with a file but no bytes", entries: []entry{ok, withItem(func(it *bundle.ManifestItem) {
			it.Status, it.Bytes, it.SHA256 = bundle.StatusError, 0, ""
		})}, want: "has no content"},
		{name: "bad sha256", entries: []entry{ok, withItem(func(it *bundle.ManifestItem) { it.SHA256 = strings.ToUpper(it.SHA256) })}, want: "is not 64 lowercase hex digits"},
		{name: "negative count", entries: []entry{ok, withItem(func(it *bundle.ManifestItem) { it.Redactions["x"] = -1 })}, want: `negative redaction count for rule "x"`},
		{name: "negative duration", entries: []entry{ok, withItem(func(it *bundle.ManifestItem) { it.DurationMs = -1 })}, want: "negative durationMs"},
		{name: "huge duration", entries: []entry{ok, withItem(func(it *bundle.ManifestItem) { it.DurationMs = 1 << 62 })}, want: "is out of range"},
		{name: "item leaves the bundle", entries: []entry{ok, withItem(func(it *bundle.ManifestItem) { it.Path = "../a.log" })}, want: `manifest.json item "../a.log": the path has a ".." segment`},
		{name: "item listed twice", entries: []entry{ok, withItem(func(*bundle.ManifestItem) {}, item("a.log", "hello\n"))}, want: "listed twice"},
		{name: "item is manifest.json", entries: []entry{ok, withItem(func(it *bundle.ManifestItem) { it.Path = "manifest.json" })}, want: "manifest.json cannot list itself"},
		{name: "listed summary.md not in the archive", entries: []entry{ok, withItem(func(it *bundle.ManifestItem) { it.Path = "summary.md" })}, want: "lists summary.md (status ok, 6 bytes), which is not in the archive"},
		{name: "too many entries", entries: []entry{ok, dir("velero-bundle/x/"), okManifest}, lim: Limits{MaxEntries: 2}, want: "more than 2 entries"},
		{name: "bomb announced by its header", entries: []entry{{hdr: tar.Header{Name: "velero-bundle/big", Typeflag: tar.TypeReg, Size: int64(len(zeros))}, body: zeros}}, lim: small, want: "its files add up to more than 1048576 bytes"},
		{name: "bomb after the tar stream", entries: []entry{ok, okManifest}, trailer: zeros, lim: small, want: "it decompresses to more than 1048576 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := writeArchive(t, tc.trailer, tc.entries...)
			_, err := Open(t.Context(), p, tc.lim)
			require.ErrorIs(t, err, ErrInvalid)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func TestNotABundle(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "notes.txt")
	require.NoError(t, os.WriteFile(p, []byte("just text"), 0o600))
	_, err := Open(t.Context(), p, Limits{})
	require.ErrorIs(t, err, ErrInvalid)
	require.ErrorContains(t, err, "it is not a gzip file")

	_, err = Open(t.Context(), t.TempDir(), Limits{})
	require.ErrorContains(t, err, "is not a regular file")
}

func TestDefaultLimits(t *testing.T) {
	t.Parallel()
	require.Equal(t, Limits{MaxBytes: MinMaxBytes, MaxManifestBytes: DefaultMaxManifestBytes, MaxEntries: DefaultMaxEntries},
		Limits{}.withDefaults(1<<20))
	require.Equal(t, int64(MaxRatio)<<30, Limits{}.withDefaults(1<<30).MaxBytes)
	require.Equal(t, int64(5), Limits{MaxBytes: 5}.withDefaults(1<<30).MaxBytes)
}

// TestChangedBetweenReads: a file replaced after Open is refused by Each,
// even though it is a valid bundle of its own.
func TestChangedBetweenReads(t *testing.T) {
	t.Parallel()
	p := writeArchive(t, nil, regular("velero-bundle/a.log", "hello\n"), regular("velero-bundle/manifest.json", manifestJSON(t, item("a.log", "hello\n"))))
	b, err := Open(t.Context(), p, Limits{})
	require.NoError(t, err)
	defer func() { require.NoError(t, b.Close()) }()
	other := writeArchive(t, nil, regular("velero-bundle/a.log", "HELLO\n"), regular("velero-bundle/manifest.json", manifestJSON(t, item("a.log", "HELLO\n"))))
	data, err := os.ReadFile(other)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(p, data, 0o600)) // the same file, truncated and rewritten
	var readErr error
	err = b.Each(t.Context(), func(_ bundle.ManifestItem, r io.Reader) error {
		_, readErr = io.ReadAll(r)
		return nil // even when fn ignores it, Each reports it
	})
	require.ErrorIs(t, readErr, ErrInvalid)
	require.ErrorContains(t, err, "velero-bundle/a.log does not match its sha256 in manifest.json: the bundle changed since it was opened")
}

func TestCancelled(t *testing.T) {
	t.Parallel()
	p := writeArchive(t, nil, regular("velero-bundle/a.log", "hello\n"), regular("velero-bundle/manifest.json", manifestJSON(t, item("a.log", "hello\n"))))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := Open(ctx, p, Limits{})
	require.ErrorIs(t, err, context.Canceled)

	b, err := Open(t.Context(), p, Limits{})
	require.NoError(t, err)
	defer func() { require.NoError(t, b.Close()) }()
	require.ErrorIs(t, b.Each(ctx, func(bundle.ManifestItem, io.Reader) error { return nil }), context.Canceled)
}
