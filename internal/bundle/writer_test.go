package bundle

import (
	"errors"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	w, out, tmp := create(t, Options{})
	_, err := w.Add(t.Context(), Item{Path: "logs/velero/velero-abc/velero.log", Type: "log",
		Source: "pods/velero/velero-abc/velero"}, strings.NewReader("line 1\nline 2\n"))
	require.NoError(t, err)
	require.NoError(t, w.AddBytes(Item{Path: "velero/version.json", Type: "version",
		Source: "serverstatusrequests"}, []byte(`{"server":"v1.15.0"}`)))
	require.NoError(t, w.AddBytes(Item{Path: "resources/velero/velero.io_v1/schedules.json",
		Type: "object-list"}, nil))
	e, err := w.Open(Item{Path: "backups/b1/log.txt", Type: "download", Source: "backups/b1"})
	require.NoError(t, err)
	_, err = io.WriteString(e, "url=<redacted>\n")
	require.NoError(t, err)
	e.SetTruncated(true)
	e.SetRedactions(map[string]int{"presigned-url": 2})
	require.NoError(t, e.Commit())

	started := time.Date(2025, 1, 2, 3, 4, 5, 0, time.FixedZone("CET", 3600))
	require.NoError(t, w.Close(Meta{
		Tool:     Tool{Name: "velero-debug", Version: "v0.1.0"},
		Cluster:  Cluster{Context: "kind", Server: "https://127.0.0.1:6443", KubernetesVersion: "v1.31.2"},
		Options:  map[string]any{"namespace": "velero", "since": "1h"},
		Started:  started,
		Finished: started.Add(90 * time.Second),
		Complete: true,
	}))

	requireClean(t, out, tmp)
	info, err := os.Stat(out)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), info.Mode().Perm())

	b := readBundle(t, out)
	require.Equal(t, map[string]string{
		"logs/velero/velero-abc/velero.log":            "line 1\nline 2\n",
		"velero/version.json":                          `{"server":"v1.15.0"}`,
		"resources/velero/velero.io_v1/schedules.json": "",
		"backups/b1/log.txt":                           "url=<redacted>\n",
	}, b.content())
	require.Equal(t, map[string]bool{
		".": true, "logs": true, "logs/velero": true, "logs/velero/velero-abc": true, "velero": true,
		"resources": true, "resources/velero": true, "resources/velero/velero.io_v1": true,
		"backups": true, "backups/b1": true,
	}, b.dirs)
	checkItems(t, b)

	m := b.manifest
	written := w.Manifest()
	written.Items = slices.DeleteFunc(written.Items, func(it ManifestItem) bool { return it.Path == SummaryFile })
	require.Equal(t, written, m)
	require.Equal(t, Tool{Name: "velero-debug", Version: "v0.1.0"}, m.Tool)
	require.Equal(t, Cluster{Context: "kind", Server: "https://127.0.0.1:6443", KubernetesVersion: "v1.31.2"}, m.Cluster)
	require.Equal(t, map[string]any{"namespace": "velero", "since": "1h"}, m.Options)
	require.True(t, m.Complete)
	require.Equal(t, "2025-01-02T02:04:05Z", b.rawManifest["started"])
	require.Equal(t, "2025-01-02T02:05:35Z", b.rawManifest["finished"])
	require.Len(t, m.Items, 4)
	require.True(t, slices.IsSortedFunc(m.Items, func(a, b ManifestItem) int { return strings.Compare(a.Path, b.Path) }))
	for _, it := range m.Items {
		require.Equal(t, StatusOK, it.Status, it.Path)
		require.Empty(t, it.Error, it.Path)
	}
	logTxt := itemByPath(t, m, "backups/b1/log.txt")
	require.True(t, logTxt.Truncated)
	require.Equal(t, map[string]int{"presigned-url": 2}, logTxt.Redactions)
	require.Equal(t, "download", logTxt.Type)
	require.Equal(t, "backups/b1", logTxt.Source)
	require.Equal(t, sha256Hex(""), itemByPath(t, m, "resources/velero/velero.io_v1/schedules.json").SHA256)
}

// TestManifestShape pins the JSON field names of the bundle contract.
func TestManifestShape(t *testing.T) {
	t.Parallel()
	w, out, _ := create(t, Options{})
	require.NoError(t, w.AddBytes(Item{Path: "a.json", Type: "version"}, []byte("{}")))
	require.NoError(t, w.Close(Meta{Complete: true}))

	raw := readBundle(t, out).rawManifest
	require.ElementsMatch(t, []string{"tool", "started", "finished", "cluster", "options", "complete", "items"}, keys(raw))
	require.ElementsMatch(t, []string{"name", "version"}, keys(as[map[string]any](t, raw["tool"])))
	require.ElementsMatch(t, []string{"context", "server", "kubernetesVersion"}, keys(as[map[string]any](t, raw["cluster"])))
	require.Equal(t, map[string]any{}, raw["options"])
	items := as[[]any](t, raw["items"])
	require.Len(t, items, 2) // a.json, summary.md
	item := as[map[string]any](t, items[0])
	require.ElementsMatch(t, []string{"path", "type", "source", "bytes", "sha256", "truncated",
		"redactions", "status", "error", "durationMs"}, keys(item))
	require.Equal(t, map[string]any{}, item["redactions"])
	require.Equal(t, "ok", item["status"])
	require.Empty(t, item["error"])
	for _, field := range []string{"started", "finished"} {
		s, ok := raw[field].(string)
		require.True(t, ok, field)
		ts, err := time.Parse(time.RFC3339, s)
		require.NoError(t, err, field)
		require.Equal(t, time.UTC, ts.Location(), field)
	}
}

func TestEmptyBundle(t *testing.T) {
	t.Parallel()
	w, out, tmp := create(t, Options{})
	require.NoError(t, w.Close(Meta{Complete: true}))
	requireClean(t, out, tmp)
	b := readBundle(t, out)
	require.Empty(t, b.content())
	require.Empty(t, b.manifest.Items)
	require.NotNil(t, b.rawManifest["items"], "items must be [] rather than null")
	require.Equal(t, ExitNothing, ExitCode(b.manifest.Complete, false, b.manifest.Items))
}

func TestEntryMisuse(t *testing.T) {
	t.Parallel()
	w, _, _ := create(t, Options{})
	e, err := w.Open(Item{Path: "a.log"})
	require.NoError(t, err)
	require.NoError(t, e.Commit())

	_, err = e.Write([]byte("late"))
	require.ErrorIs(t, err, ErrEntryFinished)
	require.ErrorIs(t, e.Commit(), ErrEntryFinished)
	require.ErrorIs(t, e.Fail(io.ErrUnexpectedEOF), ErrEntryFinished)
	require.ErrorIs(t, e.Skip("late"), ErrEntryFinished)
}

func TestCloseTwice(t *testing.T) {
	t.Parallel()
	w, _, _ := create(t, Options{})
	require.NoError(t, w.Close(Meta{Complete: true}))
	require.ErrorIs(t, w.Close(Meta{Complete: true}), ErrClosed)
	_, err := w.Open(Item{Path: "a.log"})
	require.ErrorIs(t, err, ErrClosed)
	require.ErrorIs(t, w.AddBytes(Item{Path: "b.log"}, nil), ErrClosed)
	require.NoError(t, w.Discard())
}

func TestLargeStream(t *testing.T) {
	t.Parallel()
	const size = 16 << 20
	w, out, tmp := create(t, Options{})
	got, err := w.Add(t.Context(), Item{Path: "logs/velero/velero-abc/velero.log", Type: "log"}, logStream(size))
	require.NoError(t, err)
	require.Equal(t, StatusOK, got.Status)
	require.Equal(t, int64(size), got.Bytes)
	want, err := io.ReadAll(logStream(size))
	require.NoError(t, err)
	require.Equal(t, sha256Hex(string(want)), got.SHA256)
	require.NoError(t, w.Close(Meta{Complete: true}))

	requireClean(t, out, tmp)
	b := readBundle(t, out)
	checkItems(t, b)
	require.Equal(t, string(want), b.files["logs/velero/velero-abc/velero.log"])
}

// as returns v as a T, failing the test if it is not one.
func as[T any](t *testing.T, v any) T {
	t.Helper()
	got, ok := v.(T)
	require.True(t, ok, "%#v is a %T", v, v)
	return got
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestUnencodableOptionsKeepTheBundle(t *testing.T) {
	t.Parallel()
	w, out, _ := create(t, Options{})
	require.NoError(t, w.AddBytes(Item{Path: "a.json"}, []byte("{}")))
	require.NoError(t, w.Close(Meta{Complete: true, Options: map[string]any{"bad": func() {}}}))
	b := readBundle(t, out)
	require.Contains(t, b.manifest.Options["error"], "the options could not be encoded")
	require.Equal(t, "{}", b.files["a.json"])
}

func TestCreateRejectsEmptyPath(t *testing.T) {
	t.Parallel()
	_, err := Create("", Options{TempDir: t.TempDir()})
	require.ErrorContains(t, err, "output path is empty")
}

func TestScrubRewritesSourcesAndErrors(t *testing.T) {
	t.Parallel()
	w, _, _ := create(t, Options{Scrub: func(s string) string { return strings.ReplaceAll(s, "hunter2", "[X]") }})
	require.NoError(t, w.AddError(Item{Path: "a.txt", Source: "run db --password=hunter2"}, errors.New("exit 1: bad password hunter2")))
	require.NoError(t, w.AddBytes(Item{Path: "b.txt", Source: "hunter2"}, []byte("the producer redacts content")))
	require.NoError(t, w.Close(Meta{}))
	m := w.Manifest()
	require.Equal(t, "run db --password=[X]", m.Items[0].Source)
	require.Equal(t, "exit 1: bad password [X]", m.Items[0].Error)
	require.Equal(t, "[X]", m.Items[1].Source)
}

func TestSetDurationReplacesTheMeasuredOne(t *testing.T) {
	t.Parallel()
	w, _, _ := create(t, Options{})
	e, err := w.Open(Item{Path: "copied.log"})
	require.NoError(t, err)
	e.SetDuration(1234 * time.Millisecond)
	require.NoError(t, e.Fail(errors.New("cut")))
	e, err = w.Open(Item{Path: "measured.log"})
	require.NoError(t, err)
	require.NoError(t, e.Commit())
	require.NoError(t, w.Close(Meta{}))
	m := w.Manifest()
	require.Equal(t, int64(1234), m.Items[0].DurationMs)
	require.Less(t, m.Items[1].DurationMs, int64(1000))
}
