package collect

import (
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

// open starts an item whose content is redacted by Config.Redact. A
// producer opens its item when its work starts: the item's duration is
// from then, and the bundle tells the progress it started.
func (r *run) open(item bundle.Item) (*entry, error) {
	e, err := r.sink.Open(item)
	if err != nil {
		return nil, leftOut(err)
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

// writeAll writes data, all of the content of an item opened when its work
// started, and ends the item.
func writeAll(en *entry, data []byte) error {
	if _, err := en.Write(data); err != nil {
		return en.Fail(err)
	}
	return en.Commit()
}

// addBytes adds a small item whose content is already in memory, redacted.
func (r *run) addBytes(item bundle.Item, data []byte) error {
	if r.cfg.Redact != nil {
		data, item.Redactions = r.cfg.Redact.Redact(data)
	}
	return leftOut(r.sink.AddBytes(item, data))
}

// fail records item as failed with err.
func (r *run) fail(item bundle.Item, err error) error {
	return leftOut(r.sink.AddError(item, err))
}

// skip records item as skipped for reason.
func (r *run) skip(item bundle.Item, reason string) error {
	return leftOut(r.sink.AddSkipped(item, reason))
}

// leftOut turns the sink's refusal of a path already taken into errLeftOut;
// any other error is the bundle's own.
func leftOut(sinkErr error) error {
	if errors.Is(sinkErr, bundle.ErrDuplicatePath) {
		return errLeftOut
	}
	return sinkErr
}

// errLeftOut is the error of an item whose path an earlier step of the
// plan already took: the plan asked twice for the same thing. The bundle's
// refusal of such a path becomes errLeftOut (see leftOut), which the
// run ignores (see task).
var errLeftOut = errors.New("left out: an earlier step of the plan already collected it")
