package collect

import (
	"context"
	"errors"
	"io"

	"github.com/velero-debug/velero-debug/internal/bundle"
	"github.com/velero-debug/velero-debug/internal/redact"
)

// entry is an item being written: what a producer writes passes the
// redactor, as a stream, on its way into the bundle.
type entry struct {
	e  *bundle.Entry
	w  io.Writer      // what producers write to
	rw *redact.Writer // nil when redaction is off; it writes to e in chunks of 64 KiB
}

// open starts an item whose content is redacted by Config.Redact. The
// caller has told the observer the item started; when the item cannot be
// opened, open tells it the item finished (left out, or failed).
func (r *run) open(item bundle.Item) (*entry, error) {
	e, err := r.sink.Open(item)
	if err != nil {
		return nil, r.ended(item, err, bundle.StatusError, 0, "")
	}
	if r.cfg.Redact == nil {
		return &entry{e: e, w: e}, nil
	}
	rw := r.cfg.Redact.BufferedWriter(e)
	return &entry{e: e, w: rw, rw: rw}, nil
}

func (en *entry) Write(p []byte) (int, error) { return en.w.Write(p) }

// flush ends the redactor's stream and records its counts on the item.
func (en *entry) flush() error {
	if en.rw == nil {
		return nil
	}
	err := en.rw.Close()
	en.e.SetRedactions(en.rw.Counts())
	return err
}

// Commit flushes and commits the item.
func (en *entry) Commit() error {
	if err := en.flush(); err != nil {
		return en.e.Fail(err)
	}
	return en.e.Commit()
}

// Fail flushes what arrived and records the item as failed with err.
func (en *entry) Fail(err error) error {
	return en.e.Fail(errors.Join(err, en.flush()))
}

// Skip records the item as skipped; it has no content.
func (en *entry) Skip(reason string) error { return en.e.Skip(reason) }

// SetTruncated marks the item as cut short on purpose.
func (en *entry) SetTruncated(t bool) { en.e.SetTruncated(t) }

// addBytes adds a small item whose content is already in memory, redacted,
// and tells the observer it finished; the caller told it the item started.
func (r *run) addBytes(item bundle.Item, data []byte) error {
	if r.cfg.Redact != nil {
		data, item.Redactions = r.cfg.Redact.Redact(data)
	}
	return r.ended(item, r.sink.AddBytes(item, data), bundle.StatusOK, int64(len(data)), "")
}

// fail records item as failed with err, and tells the observer it
// finished; the caller told it the item started.
func (r *run) fail(item bundle.Item, err error) error {
	st := bundle.StatusError
	if errors.Is(err, context.Canceled) {
		st = bundle.StatusCancelled
	}
	return r.ended(item, r.sink.AddError(item, err), st, 0, err.Error())
}

// skip records item as skipped for reason, and tells the observer it
// finished; the caller told it the item started.
func (r *run) skip(item bundle.Item, reason string) error {
	return r.ended(item, r.sink.AddSkipped(item, reason), bundle.StatusSkipped, 0, reason)
}

// ended tells the observer, once, how an item the sink was given ended:
// left out when its path was already taken (errLeftOut is returned),
// failed when the sink failed (its error is returned), else as status.
func (r *run) ended(item bundle.Item, sinkErr error, status bundle.Status, n int64, msg string) error {
	switch {
	case errors.Is(sinkErr, bundle.ErrDuplicatePath):
		r.obs.Finished(item.Path, bundle.StatusSkipped, 0, errLeftOut.Error())
		return errLeftOut
	case sinkErr != nil:
		r.obs.Finished(item.Path, bundle.StatusError, 0, sinkErr.Error())
		return sinkErr
	}
	r.obs.Finished(item.Path, status, n, msg)
	return nil
}

// errLeftOut is the error of an item whose path an earlier step of the
// plan already took: the plan asked twice for the same thing. The bundle's
// refusal of such a path becomes errLeftOut (see ended), which the
// observer hears of and the run ignores (see task).
var errLeftOut = errors.New("left out: an earlier step of the plan already collected it")
