package bundle

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// queueLen bounds the finished items waiting for the run goroutine, and so
// the spool files and byte slices held at once beyond those being produced.
const queueLen = 32

// Options configures Create.
type Options struct {
	// Force allows replacing an existing file at the output path. The old
	// file is replaced only by the final rename in Close.
	Force bool
	// TempDir is where the Writer creates its private spool folder. Empty
	// means the folder of the output file: it keeps spooled logs off a
	// memory-backed /tmp, on the file system that must hold the bundle anyway.
	TempDir string
	// Scrub, when set, rewrites each item's source and error before they
	// reach manifest.json and summary.md: they may quote a command line or
	// a server's message, which redaction must see too.
	Scrub func(string) string
	// Observer, when set, hears of each item as it is opened and as it
	// ends: the progress a user sees.
	Observer Observer
	// Summarizer, when set, writes the sections of summary.md that read
	// the items' content.
	Summarizer Summarizer
	// MaxSize, when positive, is the most the bundle may weigh, in
	// compressed bytes: the items that may be Cut are held until Close,
	// then stored whole when they fit, else in part (see fit.go). What
	// may not be cut is stored whole even when it alone is over.
	MaxSize int64

	// wrapSink lets tests wrap the output file, to simulate a full disk.
	wrapSink func(sink) sink
}

// Observer hears of each item of a bundle as it starts, when its path is
// taken, and as it ends; it must be safe for concurrent use. Items cut
// short by Close or Discard are not reported.
type Observer interface {
	Started(path string)
	Finished(path string, status Status, bytes int64, err string)
}

// Writer writes one bundle. Its methods are safe for concurrent use by many
// producer goroutines.
type Writer struct {
	path     string
	partial  string
	force    bool
	spoolDir string
	// spoolLock holds the spool folder's lock for the life of the run.
	spoolLock *os.File
	started   time.Time
	scrub     func(string) string
	observer  Observer
	// summarizer is the run goroutine's.
	summarizer Summarizer
	maxSize    int64

	jobs    chan job
	done    chan struct{}
	failed  firstError
	discard atomic.Bool

	// meta is set by Close before jobs is closed; manifest and result are
	// set by the run goroutine before done is closed.
	meta     Meta
	manifest Manifest
	result   error

	mu     sync.Mutex
	closed bool
	paths  pathSet
	open   map[*Entry]struct{}
}

// Create starts a bundle that Close will write to path. The content goes to
// "<path>.partial", created with mode 0600; Create fails if that file exists,
// or if path exists and opts.Force is false.
func Create(path string, opts Options) (*Writer, error) {
	if path == "" {
		return nil, errors.New("output path is empty")
	}
	if err := checkOutput(path, opts.Force); err != nil {
		return nil, err
	}
	partial := path + ".partial"
	f, err := createPartial(partial, opts.Force)
	if err != nil {
		return nil, err
	}
	spoolDir, spoolLock, err := makeSpoolDir(path, opts.TempDir)
	if err != nil {
		_ = f.Close()
		if rerr := os.Remove(partial); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
			err = errors.Join(err, rerr)
		}
		return nil, folderGone(path, err)
	}
	w := &Writer{
		path:       path,
		partial:    partial,
		force:      opts.Force,
		spoolDir:   spoolDir,
		spoolLock:  spoolLock,
		started:    time.Now(),
		scrub:      opts.Scrub,
		observer:   opts.Observer,
		summarizer: opts.Summarizer,
		maxSize:    opts.MaxSize,
		jobs:       make(chan job, queueLen),
		done:       make(chan struct{}),
		paths:      newPathSet(),
		open:       map[*Entry]struct{}{},
	}
	var out sink = f
	if opts.wrapSink != nil {
		out = opts.wrapSink(out)
	}
	go w.run(newArchive(out))
	return w, nil
}

// checkOutput fails if path is a folder, or exists and force is false.
func checkOutput(path string, force bool) error {
	info, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("checking output %q: %w", path, err)
	case info.IsDir():
		return fmt.Errorf("output %q is a directory", path)
	case !force:
		return fmt.Errorf("refusing to overwrite %q: %w", path, fs.ErrExist)
	}
	return nil
}

// Open starts the item and returns its Entry. It fails with ErrInvalidPath
// or ErrDuplicatePath for a bad item.Path, with ErrClosed after Close, and
// with the archive's error once writing the archive has failed. The item's
// duration runs from Open: open the entry before the request that fetches
// its content.
func (w *Writer) Open(item Item) (*Entry, error) {
	if err := w.failed.get(); err != nil {
		return nil, err
	}
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil, ErrClosed
	}
	if err := w.paths.reserve(item.Path); err != nil {
		w.mu.Unlock()
		return nil, err
	}
	item.Redactions = maps.Clone(item.Redactions)
	e := &Entry{w: w, item: item, started: time.Now(), hash: sha256.New()}
	w.open[e] = struct{}{}
	w.mu.Unlock()
	if w.observer != nil {
		w.observer.Started(item.Path)
	}
	return e, nil
}

// submit hands a finished entry's job to the run goroutine. It returns false
// once the Writer is closing: Close then hands the job over itself.
func (w *Writer) submit(e *Entry, j job) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return false
	}
	delete(w.open, e)
	w.jobs <- j
	return true
}

// forget drops an entry that ended without a job.
func (w *Writer) forget(e *Entry) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.open, e)
}
