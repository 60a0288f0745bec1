package bundle

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"time"
)

// Close finishes the bundle and renames it to its final path. It writes
// every finished item, records each item still open as cancelled (keeping
// the bytes received), then writes manifest.json and summary.md, ends the tar
// and gzip streams, and syncs and closes the file.
//
// Close takes no context on purpose: after an interrupt the bundle must
// still be finished, and what remains is local file I/O.
//
// The manifest's complete field is meta.Complete, made false when Close had
// to cancel open items. Missing meta times are filled in: Started with the
// time of Create, Finished with the time of Close.
//
// When Close fails, it removes the partial file and returns the first error
// met; but when the bundle is complete and only its renaming was refused
// (the folder became read-only), the partial file is kept, and the error
// says so. Close returns ErrClosed after Close or Discard. The spool folder is
// removed in every case.
func (w *Writer) Close(meta Meta) error {
	open, ok := w.shut()
	if !ok {
		return ErrClosed
	}
	cut := w.handOver(open)
	w.meta = w.fill(meta, cut)
	close(w.jobs)
	<-w.done
	err := w.result
	if err == nil {
		err = w.publish()
	}
	// A complete bundle that could not be renamed (the folder became
	// read-only) is the user's: it is kept, and the error says where.
	var kept *keptError
	if cerr := w.cleanup(err != nil && !errors.As(err, &kept)); err == nil {
		err = cerr
	}
	return err
}

// keptError is the error of a complete bundle left under its partial name.
type keptError struct {
	msg string
	err error
}

func (e *keptError) Error() string { return e.msg }
func (e *keptError) Unwrap() error { return e.err }

// Discard abandons the bundle: it removes the partial file and the spool
// folder, and ends open entries, whose later calls return ErrClosed. After
// Close or Discard it does nothing and returns nil, so it may be deferred
// right after Create.
func (w *Writer) Discard() error {
	open, ok := w.shut()
	if !ok {
		return nil
	}
	w.discard.Store(true)
	w.handOver(open)
	close(w.jobs)
	<-w.done
	if cerr := w.cleanup(true); cerr != nil {
		return cerr
	}
	return w.result
}

// Manifest returns the manifest that Close wrote, or would have written if
// writing failed. Its items are sorted by path. It is the zero Manifest
// before Close and after Discard.
func (w *Writer) Manifest() Manifest {
	select {
	case <-w.done:
	default:
		return Manifest{}
	}
	m := w.manifest
	m.Items = slices.Clone(m.Items)
	return m
}

// shut marks the Writer closed and returns the entries still open. It
// returns false if the Writer was already closed.
func (w *Writer) shut() ([]*Entry, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil, false
	}
	w.closed = true
	open := make([]*Entry, 0, len(w.open))
	for e := range w.open {
		open = append(open, e)
	}
	clear(w.open)
	return open, true
}

// handOver sends the jobs of the entries that were open when the Writer
// closed, and returns how many of them were cut short.
func (w *Writer) handOver(open []*Entry) int {
	cut := 0
	for _, e := range open {
		j, wasOpen := e.cut()
		if j == nil {
			continue
		}
		if wasOpen {
			cut++
		}
		w.jobs <- *j
	}
	return cut
}

func (w *Writer) fill(meta Meta, cut int) Meta {
	if meta.Started.IsZero() {
		meta.Started = w.started
	}
	if meta.Finished.IsZero() {
		meta.Finished = time.Now()
	}
	meta.Complete = meta.Complete && cut == 0
	meta.Options = encodableOptions(meta.Options)
	return meta
}

// encodableOptions returns options, or, when they cannot be encoded as JSON,
// a note saying so: a caller's mistake must not cost the whole bundle.
func encodableOptions(options map[string]any) map[string]any {
	if _, err := json.Marshal(options); err != nil {
		return map[string]any{"error": "the options could not be encoded: " + err.Error()}
	}
	return options
}

// publish renames the finished file to the output path.
func (w *Writer) publish() error {
	if err := checkOutput(w.path, w.force); err != nil {
		return err
	}
	if err := os.Rename(w.partial, w.path); err != nil {
		if gone := folderGone(w.path, err); gone != err { //nolint:errorlint // folderGone returns err itself when the folder is there
			return gone
		}
		if errors.Is(err, os.ErrPermission) || errors.Is(err, syscall.EROFS) {
			return &keptError{err: err, msg: fmt.Sprintf("the output folder %q can no longer be written to (%v): the bundle is complete, but left as %q: "+
				"rename it to %s once the folder is writable", filepath.Dir(w.path), err, w.partial, filepath.Base(w.path))}
		}
		return fmt.Errorf("renaming %q to %q: %w", w.partial, w.path, err)
	}
	return nil
}

// cleanup removes the spool folder and, if asked, the partial file.
func (w *Writer) cleanup(removePartial bool) error {
	var errs []error
	if err := os.RemoveAll(w.spoolDir); err != nil {
		errs = append(errs, fmt.Errorf("removing spool folder: %w", err))
	}
	if w.spoolLock != nil {
		_ = w.spoolLock.Close() // releases the lock
	}
	if removePartial {
		if err := os.Remove(w.partial); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, fmt.Errorf("removing %q: %w", w.partial, err))
		}
	}
	return errors.Join(errs...)
}

// folderGone returns, when the folder of the output path is gone, an error
// that says so, wrapping err; else err. A file or folder of the bundle's
// that vanished (ErrNotExist) says the same: the folder is being removed
// (os.RemoveAll empties it before it removes it).
func folderGone(path string, err error) error {
	if dir := filepath.Dir(path); !exists(dir) || errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("the output folder %q was removed while the bundle was written: nothing is left (%w)", dir, err)
	}
	return err
}

// exists reports whether a file or folder is at p.
func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
