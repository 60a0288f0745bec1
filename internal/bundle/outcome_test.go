package bundle

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/require"
)

func TestItemOutcomes(t *testing.T) {
	t.Parallel()
	const p = "logs/velero/velero-abc/velero.log"
	item := Item{Path: p, Type: "log", Source: "pods/velero/velero-abc/velero"}
	record := func(bytes int64, content string, st Status, msg string) ManifestItem {
		m := ManifestItem{Path: p, Type: "log", Source: item.Source, Bytes: bytes,
			Redactions: map[string]int{}, Status: st, Error: msg}
		if m.hasContent() {
			m.SHA256 = sha256Hex(content)
		}
		return m
	}
	tests := []struct {
		name    string
		produce func(t *testing.T, w *Writer)
		want    ManifestItem
		content *string // nil: no archive entry
	}{{
		name: "error without content",
		produce: func(t *testing.T, w *Writer) {
			require.NoError(t, w.AddError(item, errors.New("pod gone")))
		},
		want: record(0, "", StatusError, "pod gone"),
	}, {
		name: "skipped",
		produce: func(t *testing.T, w *Writer) {
			require.NoError(t, w.AddSkipped(item, "logs disabled by --no-logs"))
		},
		want: record(0, "", StatusSkipped, "logs disabled by --no-logs"),
	}, {
		name: "skip drops the bytes written",
		produce: func(t *testing.T, w *Writer) {
			e, err := w.Open(item)
			require.NoError(t, err)
			_, err = io.WriteString(e, "some content")
			require.NoError(t, err)
			require.NoError(t, e.Skip("too large"))
		},
		want: record(0, "", StatusSkipped, "too large"),
	}, {
		name: "stream cut mid-way keeps the bytes received",
		produce: func(t *testing.T, w *Writer) {
			r := io.MultiReader(strings.NewReader("first lines\n"), iotest.ErrReader(errors.New("stream reset")))
			got, err := w.Add(t.Context(), item, r)
			require.NoError(t, err)
			require.Equal(t, StatusError, got.Status)
		},
		want:    record(12, "first lines\n", StatusError, "stream reset"),
		content: ptr("first lines\n"),
	}, {
		name: "stream cancelled by its context",
		produce: func(t *testing.T, w *Writer) {
			ctx, cancel := context.WithCancel(t.Context())
			r := &cancellingReader{data: "partial\n", cancel: cancel}
			got, err := w.Add(ctx, item, r)
			require.NoError(t, err)
			require.Equal(t, StatusCancelled, got.Status)
		},
		want:    record(8, "partial\n", StatusCancelled, context.Canceled.Error()),
		content: ptr("partial\n"),
	}, {
		name: "stream cut by cancelling its context, whatever the reader says",
		produce: func(t *testing.T, w *Writer) {
			ctx, cancel := context.WithCancel(t.Context())
			r := io.MultiReader(strings.NewReader("partial\n"), readerFunc(func([]byte) (int, error) {
				cancel()
				return 0, errors.New("http2: response body closed")
			}))
			_, err := w.Add(ctx, item, r)
			require.NoError(t, err)
		},
		want:    record(8, "partial\n", StatusCancelled, "http2: response body closed"),
		content: ptr("partial\n"),
	}, {
		name: "fail with a wrapped cancellation",
		produce: func(t *testing.T, w *Writer) {
			e, err := w.Open(item)
			require.NoError(t, err)
			_, err = io.WriteString(e, "abc")
			require.NoError(t, err)
			require.NoError(t, e.Fail(fmt.Errorf("streaming logs: %w", context.Canceled)))
		},
		want:    record(3, "abc", StatusCancelled, "streaming logs: context canceled"),
		content: ptr("abc"),
	}, {
		name: "a deadline is an error",
		produce: func(t *testing.T, w *Writer) {
			require.NoError(t, w.AddError(item, context.DeadlineExceeded))
		},
		want: record(0, "", StatusError, "context deadline exceeded"),
	}, {
		name: "fail without an error",
		produce: func(t *testing.T, w *Writer) {
			require.NoError(t, w.AddError(item, nil))
		},
		want: record(0, "", StatusError, "unknown error"),
	}, {
		name: "empty stream is an empty ok file",
		produce: func(t *testing.T, w *Writer) {
			_, err := w.Add(t.Context(), item, strings.NewReader(""))
			require.NoError(t, err)
		},
		want:    record(0, "", StatusOK, ""),
		content: ptr(""),
	}, {
		name: "entry written in pieces",
		produce: func(t *testing.T, w *Writer) {
			e, err := w.Open(item)
			require.NoError(t, err)
			for _, s := range []string{"a", "bc", "", "def"} {
				_, err = io.WriteString(e, s)
				require.NoError(t, err)
			}
			require.NoError(t, e.Commit())
		},
		want:    record(6, "abcdef", StatusOK, ""),
		content: ptr("abcdef"),
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w, out, tmp := create(t, Options{})
			tt.produce(t, w)
			require.NoError(t, w.Close(Meta{Complete: true}))
			requireClean(t, out, tmp)

			b := readBundle(t, out)
			checkItems(t, b)
			require.Len(t, b.manifest.Items, 1)
			got := b.manifest.Items[0]
			got.DurationMs = 0
			require.Equal(t, tt.want, got)
			data, stored := b.files[p]
			require.Equal(t, tt.content != nil, stored)
			if tt.content != nil {
				require.Equal(t, *tt.content, data)
			}
		})
	}
}

// TestAddReturnsRecord checks that Add's result is the manifest record.
func TestAddReturnsRecord(t *testing.T) {
	t.Parallel()
	w, out, _ := create(t, Options{})
	got, err := w.Add(t.Context(), Item{Path: "a.log", Type: "log", Truncated: true,
		Redactions: map[string]int{"env": 1}}, strings.NewReader("hello"))
	require.NoError(t, err)
	require.NoError(t, w.Close(Meta{Complete: true}))
	require.Equal(t, got, readBundle(t, out).manifest.Items[0])
}

// cancellingReader returns data once, cancelling its context on the way.
type cancellingReader struct {
	data   string
	cancel context.CancelFunc
}

func (r *cancellingReader) Read(p []byte) (int, error) {
	if r.data == "" {
		return 0, errors.New("read after cancel")
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	r.cancel()
	return n, nil
}

// readerFunc is an io.Reader made of a function.
type readerFunc func(p []byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

func ptr[T any](v T) *T { return &v }

// TestSpoolFailure checks that an item whose spool file cannot be written
// is recorded as an error, without content, and that the bundle goes on.
func TestSpoolFailure(t *testing.T) {
	t.Parallel()
	w, out, tmp := create(t, Options{})
	require.NoError(t, os.RemoveAll(w.spoolDir))

	got, err := w.Add(t.Context(), Item{Path: "a.log"}, strings.NewReader("content"))
	require.NoError(t, err)
	require.Equal(t, StatusError, got.Status)
	require.Contains(t, got.Error, `creating spool file for "a.log"`)

	e, err := w.Open(Item{Path: "b.log"})
	require.NoError(t, err)
	_, err = e.Write([]byte("content"))
	require.ErrorIs(t, err, fs.ErrNotExist)
	require.NoError(t, e.Fail(errors.New("stream reset")))
	require.NoError(t, w.AddBytes(Item{Path: "c.json"}, []byte("{}")))
	require.NoError(t, w.Close(Meta{Complete: true}))
	requireClean(t, out, tmp)

	b := readBundle(t, out)
	checkItems(t, b)
	bLog := itemByPath(t, b.manifest, "b.log")
	require.Equal(t, StatusError, bLog.Status)
	require.Zero(t, bLog.Bytes)
	require.Regexp(t, `^stream reset; creating spool file for "b.log": `, bLog.Error)
	require.Equal(t, "{}", b.files["c.json"])
}
