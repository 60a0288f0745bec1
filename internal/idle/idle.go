// Package idle cuts a stream that stays silent too long: before its first
// byte, or between two reads. A whole-request timeout would cut a long log
// that is still flowing; an idle timeout only cuts a stalled one.
package idle

import (
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// Timer calls cancel when the stream it watches stays silent for longer
// than its timeout.
type Timer struct {
	timeout time.Duration
	timer   *time.Timer
	once    sync.Once
	expired atomic.Bool
}

// New starts a Timer; cancel typically cancels the request's context.
func New(timeout time.Duration, cancel func()) *Timer {
	t := &Timer{timeout: timeout}
	t.timer = time.AfterFunc(timeout, func() {
		t.expired.Store(true)
		cancel()
	})
	return t
}

// Reader returns r, restarting the timer after each read that got data.
func (t *Timer) Reader(r io.Reader) io.Reader { return reader{t: t, r: r} }

// Fired reports whether the timer cancelled the stream.
func (t *Timer) Fired() bool { return t.expired.Load() }

// Stop stops the timer; call it when the stream is done.
func (t *Timer) Stop() { t.once.Do(func() { t.timer.Stop() }) }

type reader struct {
	t *Timer
	r io.Reader
}

func (ir reader) Read(p []byte) (int, error) {
	n, err := ir.r.Read(p)
	if n > 0 {
		ir.t.timer.Reset(ir.t.timeout)
	}
	return n, err
}
