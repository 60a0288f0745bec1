package budget

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"slices"
)

// Selection is what is kept of one log: whole lines, in spans that are
// sorted and do not touch.
type Selection struct {
	Spans []Span
	// Size and Lines are the whole log's.
	Size, Lines int64
}

// Whole reports whether nothing of the log is left out.
func (s Selection) Whole() bool {
	return s.Size == 0 || len(s.Spans) == 1 && s.Spans[0].Start == 0 && s.Spans[0].End == s.Size
}

// Kept is the number of the log's bytes the selection keeps.
func (s Selection) Kept() int64 { return spanBytes(s.Spans) }

// Select chooses what to keep of the log src that ix indexes: its marked
// spans, the newest first, each that fits in what is left of marked bytes
// (a span too big is passed over for older ones); then the lines at its
// end that hold tail bytes, and what the marked spans left of theirs,
// besides the spans kept. src is read near its end only, to find where the
// tail's first line starts.
func Select(src io.ReaderAt, ix Index, marked, tail int64) (Selection, error) {
	sel := Selection{Size: ix.Size, Lines: ix.Lines}
	if ix.Size == 0 {
		return sel, nil
	}
	var kept []Span
	for i := len(ix.Marked) - 1; i >= 0 && marked > 0; i-- {
		sp := ix.Marked[i]
		if n := sp.End - sp.Start; n <= marked {
			marked -= n
			kept = append(kept, sp)
		}
	}
	tail += marked
	// kept is newest first; the tail walks back over the bytes not kept.
	if tail > 0 {
		start, err := tailStart(src, ix.Size, kept, tail)
		if err != nil {
			return sel, err
		}
		if start < ix.Size {
			lines, err := countLines(src, start, ix.Size)
			if err != nil {
				return sel, err
			}
			first := ix.Lines - lines + 1
			if last := ix.Size - 1; last >= start {
				if b, err := byteAt(src, last); err != nil {
					return sel, err
				} else if b != '\n' {
					first-- // the last line has no newline
				}
			}
			kept = append(kept, Span{Start: start, End: ix.Size, FirstLine: first, LastLine: ix.Lines})
		}
	}
	sel.Spans = merge(kept)
	return sel, nil
}

// tailStart is the start of the first whole line of the shortest end of
// a log of size bytes that holds tail bytes besides the spans kept
// (newest first); all of the log when it has no more.
func tailStart(src io.ReaderAt, size int64, kept []Span, tail int64) (int64, error) {
	pos := size
	for _, sp := range kept {
		if sp.End > pos {
			continue
		}
		if gap := pos - sp.End; gap >= tail {
			pos -= tail
			tail = 0
			break
		} else {
			tail -= gap
		}
		pos = sp.Start
	}
	if tail > 0 {
		pos -= min(tail, pos)
	}
	if pos == 0 {
		return 0, nil
	}
	// The tail starts at the line after the one pos is in.
	buf := make([]byte, 32<<10)
	for off := pos - 1; off < size; off += int64(len(buf)) {
		n, err := src.ReadAt(buf, off)
		if i := bytes.IndexByte(buf[:n], '\n'); i >= 0 {
			return off + int64(i) + 1, nil
		}
		if err != nil {
			if err == io.EOF {
				break
			}
			return 0, err
		}
	}
	return size, nil
}

// countLines counts the newlines of src in [from, to).
func countLines(src io.ReaderAt, from, to int64) (int64, error) {
	r := io.NewSectionReader(src, from, to-from)
	buf := make([]byte, 64<<10)
	var n int64
	for {
		k, err := r.Read(buf)
		n += int64(bytes.Count(buf[:k], []byte{'\n'}))
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

func byteAt(src io.ReaderAt, off int64) (byte, error) {
	var b [1]byte
	if _, err := src.ReadAt(b[:], off); err != nil {
		return 0, err
	}
	return b[0], nil
}

// merge sorts spans and joins those that overlap or touch.
func merge(spans []Span) []Span {
	slices.SortFunc(spans, func(a, b Span) int { return cmp.Compare(a.Start, b.Start) })
	var out []Span
	for _, sp := range spans {
		if n := len(out); n > 0 && out[n-1].End >= sp.Start {
			if sp.End > out[n-1].End {
				out[n-1].End, out[n-1].LastLine = sp.End, sp.LastLine
			}
			continue
		}
		out = append(out, sp)
	}
	return out
}

// Marker is the line that stands where lines first to last, n bytes, were
// left out.
func Marker(first, last, n int64) string {
	return fmt.Sprintf("[velero-debug: lines %d-%d (%d bytes) left out here to fit --max-size]\n", first, last, n)
}

// StoredSize is the number of bytes Write writes for the selection.
func (s Selection) StoredSize() int64 {
	var n int64
	_ = s.walk(func(m string) error { n += int64(len(m)); return nil },
		func(sp Span) error { n += sp.End - sp.Start; return nil })
	return n
}

// walk calls span for each span of the selection and gap with the Marker
// of each run of lines left out, in order.
func (s Selection) walk(gap func(marker string) error, span func(Span) error) error {
	var off, line int64 = 0, 1
	for _, sp := range s.Spans {
		if sp.Start > off {
			if err := gap(Marker(line, sp.FirstLine-1, sp.Start-off)); err != nil {
				return err
			}
		}
		if err := span(sp); err != nil {
			return err
		}
		off, line = sp.End, sp.LastLine+1
	}
	if off < s.Size {
		return gap(Marker(line, s.Lines, s.Size-off))
	}
	return nil
}

// Write writes the selection of src to w: its spans, and a Marker line
// in each gap between them. It returns the bytes written.
func Write(w io.Writer, src io.ReaderAt, sel Selection) (int64, error) {
	var written int64
	err := sel.walk(func(m string) error {
		k, err := io.WriteString(w, m)
		written += int64(k)
		return err
	}, func(sp Span) error {
		k, err := io.Copy(w, io.NewSectionReader(src, sp.Start, sp.End-sp.Start))
		written += k
		return err
	})
	return written, err
}
