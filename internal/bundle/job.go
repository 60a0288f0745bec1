package bundle

import (
	"os"
	"sync"
	"time"
)

// job is a finished item on its way to the run goroutine: its manifest
// record and, when the item has content, either a spool file or a byte slice.
type job struct {
	item    ManifestItem
	spool   *os.File
	data    []byte
	modTime time.Time
	// cut is the item's Cut.
	cut bool
}

// release deletes the job's spool file, if any.
func (j job) release() {
	removeSpool(j.spool)
}

// removeSpool closes and deletes a spool file. Errors are ignored on
// purpose: the spool folder is removed as a whole when the Writer closes, and
// that removal reports what is left.
func removeSpool(f *os.File) {
	if f == nil {
		return
	}
	_ = f.Close()
	_ = os.Remove(f.Name())
}

// firstError keeps the first error it is given. It is safe for concurrent
// use.
type firstError struct {
	mu  sync.Mutex
	err error
}

func (f *firstError) set(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err == nil {
		f.err = err
	}
}

func (f *firstError) get() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
}
