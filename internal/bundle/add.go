package bundle

import (
	"context"
	"errors"
	"io"
)

const copyBufferLen = 32 << 10

// Add streams r into a new item until EOF and commits it. When reading
// fails, or ctx is done, the item keeps the bytes received and is recorded
// as failed: cancelled when ctx was cancelled or the error is
// context.Canceled, error otherwise. Add returns the item's manifest
// record; its error is only for the bundle itself: a bad item path,
// ErrClosed, or a failed archive. Add does not close r.
func (w *Writer) Add(ctx context.Context, item Item, r io.Reader) (ManifestItem, error) {
	e, err := w.Open(item)
	if err != nil {
		return ManifestItem{}, err
	}
	err = copyContext(ctx, e, r)
	switch {
	case err == nil:
		return e.finish(StatusOK, "")
	case errors.Is(err, ErrClosed):
		return ManifestItem{}, err
	case e.spoolFailed():
		return e.finish(StatusError, "")
	default:
		return e.finish(streamStatus(ctx, err), err.Error())
	}
}

// streamStatus returns the status of a stream that stopped with err. A
// stream cut by cancelling ctx is cancelled, whatever error its reader
// returned on the way out.
func streamStatus(ctx context.Context, err error) Status {
	if errors.Is(ctx.Err(), context.Canceled) {
		return StatusCancelled
	}
	return statusOf(err)
}

// AddBytes adds an item whose whole content is data. The Writer keeps data
// until it is written: the caller must not change it afterwards.
func (w *Writer) AddBytes(item Item, data []byte) error {
	e, err := w.Open(item)
	if err != nil {
		return err
	}
	return e.commitBytes(data)
}

// AddError records an item that could not be collected because of err. It
// has no content; see Entry.Fail for its status.
func (w *Writer) AddError(item Item, err error) error {
	e, oerr := w.Open(item)
	if oerr != nil {
		return oerr
	}
	return e.Fail(err)
}

// AddSkipped records an item that was deliberately not collected, with the
// reason.
func (w *Writer) AddSkipped(item Item, reason string) error {
	e, err := w.Open(item)
	if err != nil {
		return err
	}
	return e.Skip(reason)
}

// spoolFailed reports whether writing the spool file failed.
func (e *Entry) spoolFailed() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.werr != nil
}

// copyContext copies src to dst until EOF, checking ctx between reads. A
// reader that may block must itself honour ctx (as a request body does).
func copyContext(ctx context.Context, dst io.Writer, src io.Reader) error {
	buf := make([]byte, copyBufferLen)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, rerr := src.Read(buf)
		if n > 0 {
			if _, err := dst.Write(buf[:n]); err != nil {
				return err
			}
		}
		if errors.Is(rerr, io.EOF) {
			return nil
		}
		if rerr != nil {
			return rerr
		}
	}
}
