package bundle

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCreateRefusals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		prepare func(t *testing.T, out string)
		opts    Options
		wantErr error // nil: any error
	}{{
		name:    "existing output",
		prepare: func(t *testing.T, out string) { writeFile(t, out, "old") },
		wantErr: fs.ErrExist,
	}, {
		name:    "partial file a killed run left, without --force",
		prepare: func(t *testing.T, out string) { writeFile(t, out+".partial", "old") },
	}, {
		name: "partial file of a run in progress, even with --force",
		prepare: func(t *testing.T, out string) {
			writeFile(t, out+".partial", "old")
			f, err := os.Open(out + ".partial")
			require.NoError(t, err)
			t.Cleanup(func() { _ = f.Close() })
			require.NoError(t, tryLock(f), "the run in progress holds its lock")
		},
		opts: Options{Force: true},
	}, {
		name:    "output is a directory",
		prepare: func(t *testing.T, out string) { require.NoError(t, os.Mkdir(out, 0o700)) },
		opts:    Options{Force: true},
	}, {
		name:    "missing output folder",
		prepare: func(t *testing.T, out string) { require.NoError(t, os.Remove(filepath.Dir(out))) },
		wantErr: fs.ErrNotExist,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out := filepath.Join(t.TempDir(), "bundle.tar.gz")
			tt.prepare(t, out)
			before := listDir(t, filepath.Dir(out))
			tt.opts.TempDir = t.TempDir()
			_, err := Create(out, tt.opts)
			require.Error(t, err)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
			}
			require.Equal(t, before, listDir(t, filepath.Dir(out)), "Create changed the output folder")
			require.Empty(t, listDir(t, tt.opts.TempDir))
		})
	}
}

// TestLeftoversOfKilledRuns: a killed run leaves its partial file and
// spool folder; the next run says so, replaces the partial file with
// --force, and removes dead spool folders, never a live run's.
func TestLeftoversOfKilledRuns(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out := filepath.Join(dir, "bundle.tar.gz")
	writeFile(t, out+".partial", "half a bundle")
	dead := filepath.Join(dir, spoolPrefix+"dead")
	require.NoError(t, os.MkdirAll(dead, 0o700))
	writeFile(t, filepath.Join(dead, "item-1"), "spooled")
	live := filepath.Join(dir, spoolPrefix+"live")
	require.NoError(t, os.MkdirAll(live, 0o700))
	liveLock, err := os.Open(live)
	require.NoError(t, err)
	defer func() { _ = liveLock.Close() }()
	require.NoError(t, tryLock(liveLock))

	_, err = Create(out, Options{})
	require.Error(t, err)
	require.Contains(t, err.Error(), "left by a velero-debug run that was killed")
	require.Contains(t, err.Error(), "--force")

	w, err := Create(out, Options{Force: true})
	require.NoError(t, err)
	require.NoError(t, w.AddBytes(Item{Path: "a.txt"}, []byte("new")))
	require.NoError(t, w.Close(Meta{Complete: true}))
	require.NoDirExists(t, dead, "a dead run's spool folder is removed")
	require.DirExists(t, live, "a live run's spool folder is kept")
	require.NoFileExists(t, out+".partial")
	require.FileExists(t, out)
}

func TestCreateFailsWithoutSpoolFolder(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "bundle.tar.gz")
	_, err := Create(out, Options{TempDir: filepath.Join(t.TempDir(), "missing")})
	require.ErrorIs(t, err, fs.ErrNotExist)
	require.Empty(t, listDir(t, filepath.Dir(out)), "partial file left behind")
}

func TestForceReplacesOnlyAtClose(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "bundle.tar.gz")
	writeFile(t, out, "old bundle")
	tmp := t.TempDir()
	w, err := Create(out, Options{Force: true, TempDir: tmp})
	require.NoError(t, err)
	require.NoError(t, w.AddBytes(Item{Path: "a.json"}, []byte("{}")))

	old, err := os.ReadFile(out)
	require.NoError(t, err)
	require.Equal(t, "old bundle", string(old))
	require.NoError(t, w.Close(Meta{Complete: true}))
	requireClean(t, out, tmp)
	require.Equal(t, "{}", readBundle(t, out).files["a.json"])
}

func TestCloseRefusesOutputCreatedMeanwhile(t *testing.T) {
	t.Parallel()
	w, out, tmp := create(t, Options{})
	writeFile(t, out, "someone else's")
	require.ErrorIs(t, w.Close(Meta{Complete: true}), fs.ErrExist)
	requireClean(t, out, tmp)
	data, err := os.ReadFile(out)
	require.NoError(t, err)
	require.Equal(t, "someone else's", string(data))
}

func TestDiscard(t *testing.T) {
	t.Parallel()
	w, out, tmp := create(t, Options{})
	e, err := w.Open(Item{Path: "a.log"})
	require.NoError(t, err)
	_, err = e.Write([]byte("content"))
	require.NoError(t, err)
	require.NoError(t, w.AddBytes(Item{Path: "b.json"}, []byte("{}")))

	require.NoError(t, w.Discard())
	require.NoError(t, w.Discard())
	require.Empty(t, listDir(t, filepath.Dir(out)))
	require.Empty(t, listDir(t, tmp))
	_, err = e.Write([]byte("late"))
	require.ErrorIs(t, err, ErrClosed)
	require.ErrorIs(t, w.Close(Meta{Complete: true}), ErrClosed)
	require.Zero(t, w.Manifest().Items)
}

// TestWriteFailure fills the disk under the archive: producers learn it
// fast, Close returns the error, and nothing is left behind.
func TestWriteFailure(t *testing.T) {
	t.Parallel()
	w, out, tmp := create(t, Options{wrapSink: func(s sink) sink { return &fullSink{sink: s, room: 4096} }})
	noise := make([]byte, 256<<10)
	rng := rand.NewChaCha8([32]byte{})
	_, _ = rng.Read(noise) // incompressible, so gzip output reaches the file soon

	var addErr error
	for i := 0; i < 1000 && addErr == nil; i++ {
		addErr = w.AddBytes(Item{Path: fmt.Sprintf("noise/%d.bin", i)}, noise)
	}
	require.ErrorIs(t, addErr, syscall.ENOSPC, "producers must learn about the failure")
	_, err := w.Open(Item{Path: "more.log"})
	require.ErrorIs(t, err, syscall.ENOSPC)

	require.ErrorIs(t, w.Close(Meta{Complete: true}), syscall.ENOSPC)
	_, err = os.Stat(out)
	require.ErrorIs(t, err, fs.ErrNotExist)
	requireClean(t, out, tmp)
	require.NotEmpty(t, w.Manifest().Items)
}

// TestCloseErrorsAreKept checks that an error met while closing the file is
// returned.
func TestCloseErrorsAreKept(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name              string
		syncErr, closeErr error
		want, notWant     error
	}{
		{name: "sync", syncErr: syscall.EIO, want: syscall.EIO},
		{name: "close", closeErr: syscall.EDQUOT, want: syscall.EDQUOT},
		{name: "first wins", syncErr: syscall.EIO, closeErr: syscall.EDQUOT, want: syscall.EIO, notWant: syscall.EDQUOT},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w, out, tmp := create(t, Options{wrapSink: func(s sink) sink {
				return &failingSink{sink: s, syncErr: tt.syncErr, closeErr: tt.closeErr}
			}})
			require.NoError(t, w.AddBytes(Item{Path: "a.json"}, []byte("{}")))
			err := w.Close(Meta{Complete: true})
			require.ErrorIs(t, err, tt.want)
			if tt.notWant != nil {
				require.NotErrorIs(t, err, tt.notWant)
			}
			_, statErr := os.Stat(out)
			require.ErrorIs(t, statErr, fs.ErrNotExist)
			requireClean(t, out, tmp)
		})
	}
}

// fullSink accepts room bytes, then fails like a full disk.
type fullSink struct {
	sink
	mu   sync.Mutex
	room int
}

func (s *fullSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(p) > s.room {
		return 0, &fs.PathError{Op: "write", Path: "bundle", Err: syscall.ENOSPC}
	}
	s.room -= len(p)
	return s.sink.Write(p)
}

// failingSink fails Sync or Close.
type failingSink struct {
	sink
	syncErr, closeErr error
}

func (s *failingSink) Sync() error {
	if s.syncErr != nil {
		return s.syncErr
	}
	return s.sink.Sync()
}

func (s *failingSink) Close() error {
	err := s.sink.Close()
	return errors.Join(s.closeErr, err)
}

func writeFile(t *testing.T, name, content string) {
	t.Helper()
	require.NoError(t, os.WriteFile(name, []byte(content), 0o600))
}

// listDir returns the names in dir, or nil if dir does not exist.
func listDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	require.NoError(t, err)
	names := []string{}
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// TestWriteFailureStopsStreams checks that a stream in progress stops when
// writing the archive fails.
func TestWriteFailureStopsStreams(t *testing.T) {
	t.Parallel()
	w, out, tmp := create(t, Options{wrapSink: func(s sink) sink { return &fullSink{sink: s, room: 0} }})
	e, err := w.Open(Item{Path: "long.log"})
	require.NoError(t, err)
	_, err = e.Write([]byte("before"))
	require.NoError(t, err)
	w.failed.set(syscall.ENOSPC) // as the run goroutine does on a write error

	_, err = w.Add(t.Context(), Item{Path: "endless.log"}, logStream(1<<40))
	require.ErrorIs(t, err, syscall.ENOSPC)
	_, err = e.Write([]byte("after"))
	require.ErrorIs(t, err, syscall.ENOSPC)
	require.ErrorIs(t, e.Commit(), syscall.ENOSPC)
	require.ErrorIs(t, w.Close(Meta{Complete: true}), syscall.ENOSPC)
	requireClean(t, out, tmp)
}
