// Package progress reports a collection's progress on stderr: a live line
// on a terminal, plain lines otherwise. Nothing goes to stdout.
package progress

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/velero-debug/velero-debug/internal/bundle"
)

// Reporter hears of each item of a collection; it is safe for concurrent
// use. Note prints a line about the run itself (above the live line, if
// any). Close ends the live line, if any.
type Reporter interface {
	Started(path string)
	Finished(path string, status bundle.Status, bytes int64, err string)
	Note(line string)
	Close()
}

// New returns a live reporter when w is a terminal, a plain one otherwise.
// A plain reporter prints failed items, and with verbose every item.
func New(w io.Writer, verbose bool) Reporter {
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) { //nolint:gosec // G115: a file descriptor fits in an int
		return newLive(w, verbose)
	}
	return &plain{w: w, verbose: verbose}
}

// counts is the tally shared by both reporters. An item may finish without
// having been reported as started (one skipped outright).
type counts struct {
	mu           sync.Mutex
	running      map[string]time.Time // since when
	done, failed int
	bytes        int64
}

func (c *counts) started(path string) {
	c.mu.Lock()
	if c.running == nil {
		c.running = map[string]time.Time{}
	}
	c.running[path] = time.Now()
	c.mu.Unlock()
}

func (c *counts) finished(path string, status bundle.Status, bytes int64) string {
	c.mu.Lock()
	delete(c.running, path)
	c.done++
	c.bytes += bytes
	if status == bundle.StatusError || status == bundle.StatusCancelled {
		c.failed++
	}
	c.mu.Unlock()
	return c.describe(time.Now())
}

// waitShown is how long an item runs before the live line names it.
const waitShown = 2 * time.Second

// describe is the live line at now: the tally, and the item that has run
// longest when it has run for a while, which is what the run waits for
// (the Velero server's answer, a slow log).
func (c *counts) describe(now time.Time) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	desc := fmt.Sprintf("collecting: %d done, %d running, %d failed, %s", c.done, len(c.running), c.failed, HumanBytes(c.bytes))
	var oldest string
	var since time.Time
	for path, t := range c.running {
		if oldest == "" || t.Before(since) || t.Equal(since) && path < oldest {
			oldest, since = path, t
		}
	}
	if oldest != "" && now.Sub(since) >= waitShown {
		desc += fmt.Sprintf("; waiting %s for %s", now.Sub(since).Round(time.Second), oldest)
	}
	return desc
}

// skips groups the items skipped for one reason: without --verbose they
// are told once, at the end, one line per reason, not one per item (a
// Velero server not asked skips five files of every backup).
type skips struct {
	mu      sync.Mutex
	reasons []string            // in the order first met
	paths   map[string][]string // by reason
}

// add records a skipped item; it reports false when verbose reporting
// prints each one instead.
func (s *skips) add(verbose bool, path, reason string) bool {
	if verbose {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.paths == nil {
		s.paths = map[string][]string{}
	}
	if _, seen := s.paths[reason]; !seen {
		s.reasons = append(s.reasons, reason)
	}
	s.paths[reason] = append(s.paths[reason], path)
	return true
}

// lines are the grouped lines: the item itself when it is alone, else how
// many, the first three, and the reason.
func (s *skips) lines() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, reason := range s.reasons {
		paths := s.paths[reason]
		if len(paths) == 1 {
			out = append(out, itemLine(paths[0], bundle.StatusSkipped, 0, reason))
			continue
		}
		shown := strings.Join(paths[:min(3, len(paths))], ", ")
		if len(paths) > 3 {
			shown += fmt.Sprintf(" and %d more", len(paths)-3)
		}
		out = append(out, fmt.Sprintf("  skipped  %d items (%s): %s", len(paths), shown, reason))
	}
	return out
}

// plain prints lines.
type plain struct {
	counts
	skips
	closeOnce sync.Once
	w         io.Writer
	verbose   bool
	mu        sync.Mutex
}

func (p *plain) Started(path string) { p.started(path) }

func (p *plain) Finished(path string, status bundle.Status, bytes int64, err string) {
	p.finished(path, status, bytes)
	line := itemLine(path, status, bytes, err)
	if line == "" || (!p.verbose && status == bundle.StatusOK) {
		return
	}
	if status == bundle.StatusSkipped && p.add(p.verbose, path, err) {
		return
	}
	p.Note(line)
}

func (p *plain) Note(line string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintln(p.w, line)
}

func (p *plain) Close() {
	p.closeOnce.Do(func() {
		for _, l := range p.lines() {
			p.Note(l)
		}
	})
}

// live keeps one updating line, with failures printed above it.
type live struct {
	counts
	skips
	stop, stopped chan struct{}
	closeOnce     sync.Once
	bar           *progressbar.ProgressBar
	w             io.Writer
	verbose       bool
	mu            sync.Mutex
}

func newLive(w io.Writer, verbose bool) *live {
	bar := progressbar.NewOptions64(-1,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSpinnerType(14),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSetDescription("collecting"),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSetElapsedTime(true),
	)
	l := &live{bar: bar, w: w, verbose: verbose, stop: make(chan struct{}), stopped: make(chan struct{})}
	go l.tick()
	return l
}

// tick refreshes the live line every second, so that it tells how long
// the run has waited for what, even when nothing finishes.
func (l *live) tick() {
	defer close(l.stopped)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case now := <-t.C:
			desc := l.describe(now)
			l.mu.Lock()
			l.bar.Describe(desc)
			l.mu.Unlock()
		}
	}
}

func (l *live) Started(path string) { l.started(path) }

func (l *live) Finished(path string, status bundle.Status, bytes int64, err string) {
	desc := l.finished(path, status, bytes)
	l.mu.Lock()
	defer l.mu.Unlock()
	if line := itemLine(path, status, bytes, err); line != "" && (l.verbose || status != bundle.StatusOK) &&
		(status != bundle.StatusSkipped || !l.add(l.verbose, path, err)) {
		_ = l.bar.Clear()
		fmt.Fprintln(l.w, line)
	}
	l.bar.Describe(desc)
	_ = l.bar.Add(1)
}

func (l *live) Note(line string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	_ = l.bar.Clear()
	fmt.Fprintln(l.w, line)
}

func (l *live) Close() {
	l.closeOnce.Do(func() {
		close(l.stop)
		<-l.stopped
		l.mu.Lock()
		defer l.mu.Unlock()
		_ = l.bar.Finish()
		for _, line := range l.lines() {
			fmt.Fprintln(l.w, line)
		}
	})
}

// itemLine is how one finished item is told.
func itemLine(path string, status bundle.Status, bytes int64, err string) string {
	switch status {
	case bundle.StatusOK:
		return fmt.Sprintf("  ok       %s (%s)", path, HumanBytes(bytes))
	case bundle.StatusSkipped:
		return fmt.Sprintf("  skipped  %s: %s", path, err)
	default:
		return fmt.Sprintf("  %-8s %s: %s", status, path, err)
	}
}

// HumanBytes formats n as B, KiB, MiB or GiB.
func HumanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 2; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMG"[exp])
}
