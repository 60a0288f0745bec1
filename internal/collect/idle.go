package collect

import (
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// idleTimer cancels a stream that stays silent for longer than its
// timeout: before the first byte, or between two reads.
type idleTimer struct {
	timeout time.Duration
	timer   *time.Timer
	once    sync.Once
	expired atomic.Bool
}

func newIdleTimer(timeout time.Duration, cancel func()) *idleTimer {
	t := &idleTimer{timeout: timeout}
	t.timer = time.AfterFunc(timeout, func() {
		t.expired.Store(true)
		cancel()
	})
	return t
}

// reader returns r, restarting the timer after each read.
func (t *idleTimer) reader(r io.Reader) io.Reader { return idleReader{t: t, r: r} }

func (t *idleTimer) fired() bool { return t.expired.Load() }

func (t *idleTimer) stop() { t.once.Do(func() { t.timer.Stop() }) }

type idleReader struct {
	t *idleTimer
	r io.Reader
}

func (ir idleReader) Read(p []byte) (int, error) {
	n, err := ir.r.Read(p)
	if n > 0 {
		ir.t.timer.Reset(ir.t.timeout)
	}
	return n, err
}
