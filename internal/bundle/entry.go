package bundle

import (
	"bufio"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"maps"
	"os"
	"slices"
	"sync"
	"time"
)

const spoolBufferLen = 256 << 10

// cutMessage is the error of an item that was still open when the Writer
// was closed.
const cutMessage = "the bundle was closed before this item finished"

type entryState int

const (
	entryOpen     entryState = iota
	entryFinished            // committed, failed or skipped by its producer
	entryCut                 // ended by Close or Discard
)

// Entry is one item being produced. Write streams its content into a spool
// file, counting bytes and computing the sha256 on the way; Commit, Fail or
// Skip ends it. An Entry that is never ended is recorded as cancelled by
// Close. An Entry is meant for one producer goroutine, but each of its
// methods is safe against a concurrent Close or Discard of its Writer, after
// which they return ErrClosed.
type Entry struct {
	w       *Writer
	item    Item
	started time.Time

	mu      sync.Mutex
	state   entryState
	spool   *os.File
	bw      *bufio.Writer
	hash    hash.Hash
	size    int64
	data    []byte
	werr    error // first spooling error
	pending *job  // finished, waiting for Close to hand it over
	// duration, when durationSet, replaces the time since Open.
	duration    time.Duration
	durationSet bool
}

// Write appends p to the item's content. Once writing the archive has
// failed, Write returns that error, so that long streams stop early.
func (e *Entry) Write(p []byte) (int, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.usable(); err != nil {
		return 0, err
	}
	if err := e.w.failed.get(); err != nil {
		return 0, err
	}
	if err := e.openSpool(); err != nil {
		return 0, err
	}
	n, err := e.bw.Write(p)
	e.hash.Write(p[:n])
	e.size += int64(n)
	if err != nil {
		e.werr = fmt.Errorf("spooling %q: %w", e.item.Path, err)
		return n, e.werr
	}
	return n, nil
}

// SetTruncated records whether the content was cut short on purpose.
func (e *Entry) SetTruncated(truncated bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.item.Truncated = truncated
}

// SetRedactions records how many values were redacted, by rule name. The map
// is copied.
func (e *Entry) SetRedactions(counts map[string]int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.item.Redactions = maps.Clone(counts)
}

// SetDuration records d as the item's duration, instead of the time from
// Open to the item's end: for an item whose content was fetched elsewhere,
// such as one copied from another bundle.
func (e *Entry) SetDuration(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.duration, e.durationSet = d, true
}

// Commit ends the item as ok.
func (e *Entry) Commit() error {
	_, err := e.finish(StatusOK, "")
	return err
}

// Fail ends the item as failed because of err, keeping the bytes written so
// far. The status is cancelled when err is or wraps context.Canceled, and
// error otherwise. A nil err is recorded as "unknown error".
func (e *Entry) Fail(err error) error {
	_, ferr := e.finish(statusOf(err), messageOf(err))
	return ferr
}

// Skip ends the item as skipped for reason, dropping any bytes written.
func (e *Entry) Skip(reason string) error {
	_, err := e.finish(StatusSkipped, reason)
	return err
}

func (e *Entry) finish(st Status, msg string) (ManifestItem, error) {
	e.mu.Lock()
	m, err := e.finishLocked(st, msg)
	e.mu.Unlock()
	e.ended(m, err)
	return m, err
}

// commitBytes ends a fresh entry as ok with data as its whole content.
func (e *Entry) commitBytes(data []byte) error {
	e.mu.Lock()
	if err := e.usable(); err != nil {
		e.mu.Unlock()
		return err
	}
	e.data = data
	e.size = int64(len(data))
	e.hash.Write(data)
	m, err := e.finishLocked(StatusOK, "")
	e.mu.Unlock()
	e.ended(m, err)
	return err
}

// ended tells the Writer's observer that the item ended, as m records it,
// or with err when the bundle failed.
func (e *Entry) ended(m ManifestItem, err error) {
	obs := e.w.observer
	switch {
	case obs == nil || errors.Is(err, ErrClosed):
	case err != nil:
		obs.Finished(e.item.Path, StatusError, 0, err.Error())
	default:
		obs.Finished(m.Path, m.Status, m.Bytes, m.Error)
	}
}

// finishLocked ends the item and hands it to the Writer. When the Writer is
// closing, the finished item waits in pending for Close to pick it up.
func (e *Entry) finishLocked(st Status, msg string) (ManifestItem, error) {
	if err := e.usable(); err != nil {
		return ManifestItem{}, err
	}
	e.state = entryFinished
	if err := e.w.failed.get(); err != nil {
		e.dropContent()
		e.w.forget(e)
		return ManifestItem{}, err
	}
	j := e.seal(st, msg)
	if !e.w.submit(e, j) {
		e.pending = &j
	}
	return j.item, nil
}

// cut ends the entry for Close or Discard. It returns the job of an entry
// that was finished but not handed over, or of an entry still open, which is
// cancelled with the bytes written so far (wasOpen is then true). It returns
// nil for an entry already handed over.
func (e *Entry) cut() (j *job, wasOpen bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.pending != nil {
		j, e.pending = e.pending, nil
		return j, false
	}
	if e.state != entryOpen {
		return nil, false
	}
	e.state = entryCut
	sealed := e.seal(StatusCancelled, cutMessage)
	return &sealed, true
}

// seal turns the entry's state into a job for the run goroutine.
func (e *Entry) seal(st Status, msg string) job {
	switch {
	case st == StatusSkipped:
		e.dropContent()
	case e.flush() != nil:
		e.dropContent()
		st, msg = StatusError, joinMessages(msg, e.werr.Error())
	}
	j := job{item: e.manifestItem(st, msg), spool: e.spool, data: e.data, modTime: time.Now(), cut: e.item.Cut}
	e.spool, e.bw, e.data = nil, nil, nil
	return j
}

func (e *Entry) manifestItem(st Status, msg string) ManifestItem {
	m := ManifestItem{
		Path:       e.item.Path,
		Type:       e.item.Type,
		Source:     e.item.Source,
		Bytes:      e.size,
		Truncated:  e.item.Truncated,
		Redactions: maps.Clone(e.item.Redactions),

		OriginalBytes: e.item.OriginalBytes,
		KeptLines:     slices.Clone(e.item.KeptLines),
		Status:        st,
		Error:         msg,
		DurationMs:    time.Since(e.started).Milliseconds(),
	}
	if e.durationSet {
		m.DurationMs = e.duration.Milliseconds()
	}
	if m.Redactions == nil {
		m.Redactions = map[string]int{}
	}
	if scrub := e.w.scrub; scrub != nil {
		m.Source, m.Error = scrub(m.Source), scrub(m.Error)
	}
	if m.hasContent() {
		m.SHA256 = hex.EncodeToString(e.hash.Sum(nil))
	}
	return m
}

func (e *Entry) usable() error {
	switch e.state {
	case entryOpen:
		return nil
	case entryCut:
		return ErrClosed
	default:
		return ErrEntryFinished
	}
}

// openSpool creates the spool file on the first Write.
func (e *Entry) openSpool() error {
	if e.werr != nil || e.spool != nil {
		return e.werr
	}
	f, err := os.CreateTemp(e.w.spoolDir, "item-*")
	if err != nil {
		e.werr = fmt.Errorf("creating spool file for %q: %w", e.item.Path, err)
		return e.werr
	}
	e.spool, e.bw = f, bufio.NewWriterSize(f, spoolBufferLen)
	return nil
}

// flush writes buffered content to the spool file and returns the first
// spooling error.
func (e *Entry) flush() error {
	if e.werr == nil && e.bw != nil {
		if err := e.bw.Flush(); err != nil {
			e.werr = fmt.Errorf("spooling %q: %w", e.item.Path, err)
		}
	}
	return e.werr
}

// dropContent forgets the content: the item will have no archive entry.
func (e *Entry) dropContent() {
	removeSpool(e.spool)
	e.spool, e.bw, e.data = nil, nil, nil
	e.size = 0
	e.hash.Reset()
}

func joinMessages(first, second string) string {
	if first == "" {
		return second
	}
	return first + "; " + second
}
