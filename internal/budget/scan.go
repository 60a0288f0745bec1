// Package budget chooses what of a bundle's pod logs fits a size budget
// (--max-size). Each log is read once as it is spooled (Scan) to mark the
// lines that matter most: those naming a backup, restore or volume
// operation the bundle is about, and every warning, error and panic line,
// with a few lines of context. Allocate then shares the bytes a budget
// leaves for logs: the marked lines of every log first, then the tails
// of the logs that matter most (the Velero server's, the node-agents' of
// nodes with failed volume operations), then the others' tails evenly.
// Write stores a log's kept lines with a marker line wherever lines were
// left out.
package budget

import (
	"bufio"
	"bytes"
	"errors"
	"io"

	"github.com/velero-debug/velero-debug/internal/veleroapi"
)

// Context is how many lines around a marked line are kept with it.
const Context = 3

// panicContext is how many lines after a Go panic are kept: its stack.
const panicContext = 100

// maxSpans bounds the spans of an Index, and so its memory (32 bytes a
// span): a log with more marked runs than that has its spans joined two
// by two, with the lines between them, as often as needed. Every marked
// line stays in a span; the spans hold more lines besides.
const maxSpans = 4096

// maxLine is the longest line Scan judges whole; a longer line is judged
// by its first maxLine bytes (and is kept or left out whole).
const maxLine = 64 << 10

// Span is a run of whole lines of a log: bytes [Start, End) and lines
// [FirstLine, LastLine], counted from 1.
type Span struct {
	Start, End          int64
	FirstLine, LastLine int64
}

// Index is what Scan learnt of a log: its size, its number of lines, and
// the spans of its marked lines with their context, in order, merged
// where they touch.
type Index struct {
	Size   int64
	Lines  int64
	Marked []Span
}

// MarkedBytes is the number of bytes of the marked spans.
func (ix Index) MarkedBytes() int64 { return spanBytes(ix.Marked) }

// spanBytes is the number of bytes of spans.
func spanBytes(spans []Span) int64 {
	var n int64
	for _, s := range spans {
		n += s.End - s.Start
	}
	return n
}

// Matcher tells the lines to mark: those naming one of its names (a
// backup, restore or volume operation: whole words, as Velero's logs
// write them, `backup=velero/daily-1`), and warnings, errors, fatal
// errors and panics as Velero's logs (logrus text or JSON), klog and Go's
// runtime write them.
type Matcher struct {
	names map[string]bool
	list  [][]byte
}

// NewMatcher returns a Matcher of names.
func NewMatcher(names []string) *Matcher {
	m := &Matcher{names: make(map[string]bool, len(names))}
	for _, n := range names {
		if n != "" && !m.names[n] {
			m.names[n] = true
			m.list = append(m.list, []byte(n))
		}
	}
	return m
}

// severity is how a line is marked.
type severity int

const (
	unmarked severity = iota
	marked
	panicked // a Go panic or fatal error: its stack follows
)

// judge says how line (without its newline) is marked.
func (m *Matcher) judge(line []byte) severity {
	if bytes.HasPrefix(line, []byte("panic: ")) || bytes.HasPrefix(line, []byte("fatal error: ")) {
		return panicked
	}
	if isKlogWarning(line) {
		return marked
	}
	if sev := levelOf(line); sev != unmarked {
		return sev
	}
	if m.namesOne(line) {
		return marked
	}
	return unmarked
}

// levelOf reads a logrus level, as text (level=error) or JSON
// ("level":"error"): one search for "level" a line, the cost of a
// memchr.
func levelOf(line []byte) severity {
	for rest := line; ; {
		i := bytes.Index(rest, []byte("level"))
		if i < 0 {
			return unmarked
		}
		rest = rest[i+len("level"):]
		var word []byte
		switch {
		case bytes.HasPrefix(rest, []byte("=")):
			word = rest[1:]
		case bytes.HasPrefix(rest, []byte(`":"`)):
			word = rest[3:]
		default:
			continue
		}
		switch {
		case bytes.HasPrefix(word, []byte("warn")), bytes.HasPrefix(word, []byte("error")), bytes.HasPrefix(word, []byte("fatal")):
			return marked
		case bytes.HasPrefix(word, []byte("panic")):
			return panicked
		}
	}
}

// namesOne reports whether a word of line is one of the names, as
// Velero's loggers write them (veleroapi.LogWords). With a few names, a
// line that holds none is passed over with a search for each, faster
// than cutting it into words.
func (m *Matcher) namesOne(line []byte) bool {
	if len(m.names) == 0 {
		return false
	}
	if len(m.list) <= 8 {
		found := false
		for _, n := range m.list {
			if bytes.Contains(line, n) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	for w := range veleroapi.LogWords(line) {
		// The lookup with a converted []byte does not allocate.
		if m.names[string(w)] {
			return true
		}
	}
	return false
}

// isKlogWarning reports a klog line of severity W, E or F:
// "E1207 20:01:02.123456 ...".
func isKlogWarning(line []byte) bool {
	if len(line) < 14 || (line[0] != 'W' && line[0] != 'E' && line[0] != 'F') {
		return false
	}
	for _, i := range []int{1, 2, 3, 4, 6, 7, 9, 10, 12, 13} {
		if line[i] < '0' || line[i] > '9' {
			return false
		}
	}
	return line[5] == ' ' && line[8] == ':' && line[11] == ':'
}

// Scan reads a log to its end and returns its Index: the lines m marks,
// with Context lines around them (panicContext after a panic).
func Scan(r io.Reader, m *Matcher) (Index, error) {
	br := bufio.NewReaderSize(r, 256<<10)
	var (
		ix    Index
		off   int64
		line  int64
		ring  [Context]struct{ start, n int64 } // the last lines' starts and numbers
		after int                               // lines still to keep after a mark
		buf   = make([]byte, 0, 4096)
	)
	keep := func(start, end, first, last int64) {
		if n := len(ix.Marked); n > 0 && ix.Marked[n-1].End >= start {
			if end > ix.Marked[n-1].End {
				ix.Marked[n-1].End, ix.Marked[n-1].LastLine = end, last
			}
			return
		}
		if len(ix.Marked) == maxSpans {
			ix.Marked = coarsen(ix.Marked)
		}
		ix.Marked = append(ix.Marked, Span{Start: start, End: end, FirstLine: first, LastLine: last})
	}
	for {
		start := off
		head, n, err := readLine(br, buf[:0])
		buf = head
		if n == 0 {
			if err != nil && !errors.Is(err, io.EOF) {
				return ix, err
			}
			break
		}
		line++
		off += n
		sev := m.judge(bytes.TrimRight(head, "\r\n"))
		switch {
		case sev != unmarked:
			first, from := line, start
			for i := int64(1); i <= Context && line-i >= 1; i++ {
				if p := ring[(line-i)%Context]; p.n == line-i {
					first, from = p.n, p.start
				}
			}
			keep(from, off, first, line)
			after = Context
			if sev == panicked {
				after = panicContext
			}
		case after > 0:
			keep(start, off, line, line)
			after--
		}
		ring[line%Context] = struct{ start, n int64 }{start, line}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				return ix, err
			}
			break
		}
	}
	ix.Size, ix.Lines = off, line
	return ix, nil
}

// coarsen joins spans two by two, in place.
func coarsen(spans []Span) []Span {
	out := spans[:0]
	for i := 0; i < len(spans); i += 2 {
		sp := spans[i]
		if i+1 < len(spans) {
			sp.End, sp.LastLine = spans[i+1].End, spans[i+1].LastLine
		}
		out = append(out, sp)
	}
	return out
}

// readLine reads one line, newline included, and returns its first
// maxLine bytes, appended to head, and its whole length; a line longer
// than the reader's buffer is read on without being kept. err is set with
// the last line.
func readLine(br *bufio.Reader, head []byte) (_ []byte, n int64, err error) {
	for {
		part, err := br.ReadSlice('\n')
		if len(head) < maxLine {
			head = append(head, part[:min(len(part), maxLine-len(head))]...)
		}
		n += int64(len(part))
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		return head, n, err
	}
}
