package bundle

import (
	"bytes"
	"fmt"
	"io"
	"runtime/debug"
)

// Summarizer writes the part of summary.md that reads the bundle's
// content (package analysis: why Velero's backups and restores failed).
// The Writer hands it, on one goroutine of its own, each stored item it
// wants, as stored (redacted, cut), in the order the items are stored; and
// keeps the items it asks to keep until Summary, which may read them
// again. Wants and Keep are called on that goroutine too.
type Summarizer interface {
	// Wants reports whether Item reads the item at path p.
	Wants(p string) bool
	// Item reads the stored content of an item it wants. An error (or a
	// panic, of any method) ends the summarizer's work: summary.md then
	// says so. Item should be quick: the archive waits for it once the
	// summarizer's queue is full, and Close and Discard wait for the call
	// in progress.
	Item(item ManifestItem, content io.Reader) error
	// Keep reports whether the content of the item at path p must be kept
	// until Summary. A kept item costs disk in the spool folder, not
	// memory.
	Keep(p string) bool
	// Summary returns the Markdown sections that summary.md shows after
	// the run's table and before the list of items. m is the manifest
	// without summary.md; again reads the kept items at the paths it is
	// given, calling read with each one's content, and skips the others.
	Summary(m Manifest, again func(paths []string, read func(ManifestItem, io.Reader) error) error) ([]byte, error)
}

// summaryQueueLen bounds the stored items waiting for the summarizer.
const summaryQueueLen = 16

// summarizing runs a Summarizer beside the run goroutine.
type summarizing struct {
	s Summarizer
	// stop reports that the bundle is lost (discarded, or its writing
	// failed): what is still queued is released unread.
	stop func() bool
	jobs chan job
	done chan struct{}
	// kept and err are the goroutine's until done is closed.
	kept map[string]job
	err  error
}

// startSummarizing starts s, or returns nil when s is nil.
func startSummarizing(s Summarizer, stop func() bool) *summarizing {
	if s == nil {
		return nil
	}
	sz := &summarizing{s: s, stop: stop, jobs: make(chan job, summaryQueueLen), done: make(chan struct{}), kept: map[string]job{}}
	go sz.run()
	return sz
}

// hand gives the summarizer a stored job, which it then owns: it
// releases the job's spool file when done with it.
func (sz *summarizing) hand(j job) {
	if sz == nil || !j.item.hasContent() {
		j.release()
		return
	}
	sz.jobs <- j
}

func (sz *summarizing) run() {
	defer close(sz.done)
	for j := range sz.jobs {
		keep := false
		if sz.err == nil && !sz.stop() {
			sz.err = sz.guard(func() error {
				if sz.s.Wants(j.item.Path) {
					if err := sz.s.Item(j.item, content(j)); err != nil {
						return err
					}
				}
				keep = sz.s.Keep(j.item.Path)
				return nil
			})
		}
		if sz.err == nil && keep {
			if old, ok := sz.kept[j.item.Path]; ok {
				old.release()
			}
			sz.kept[j.item.Path] = j
			continue
		}
		j.release()
	}
}

// guard runs f, and turns a panic of the summarizer into an error: the
// bundle is worth more than its summary.
func (sz *summarizing) guard(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v\n%s", r, debug.Stack())
		}
	}()
	return f()
}

// content reads a stored job's content from its start.
func content(j job) io.Reader {
	if j.spool == nil {
		return bytes.NewReader(j.data)
	}
	return io.NewSectionReader(j.spool, 0, j.item.Bytes)
}

// wait ends the summarizer's input and waits for it to read what it has.
func (sz *summarizing) wait() {
	if sz == nil {
		return
	}
	close(sz.jobs)
	<-sz.done
}

// summary returns the summarizer's sections for m, or why there are
// none. Call it after wait.
func (sz *summarizing) summary(m Manifest) ([]byte, error) {
	if sz == nil {
		return nil, nil
	}
	if sz.err != nil {
		return nil, sz.err
	}
	var out []byte
	err := sz.guard(func() error {
		var err error
		out, err = sz.s.Summary(m, sz.again)
		return err
	})
	return out, err
}

// again reads the kept items at paths.
func (sz *summarizing) again(paths []string, read func(ManifestItem, io.Reader) error) error {
	for _, p := range paths {
		if j, ok := sz.kept[p]; ok {
			if err := read(j.item, content(j)); err != nil {
				return err
			}
		}
	}
	return nil
}

// release deletes the kept items' spool files.
func (sz *summarizing) release() {
	if sz == nil {
		return
	}
	for _, j := range sz.kept {
		j.release()
	}
	clear(sz.kept)
}
