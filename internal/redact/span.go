package redact

// span is a part of a window to replace by a marker.
type span struct {
	start, end int
	ctx        int // where the text that makes the span a secret starts: its field name
	rule       string
	quote      bool     // write the marker between double quotes: a bare JSON or YAML value
	silent     bool     // drop the bytes without a marker: the block already has one
	open       bool     // the value goes on past the end of the window
	cont       contKind // how to drop the rest of an open value
	repl       []byte   // written instead of a marker: a string redacted as text of its own, encoded again
}

// add records a span found by a detector.
func (w *Writer) add(s span) {
	if s.end <= s.start && !s.open {
		return
	}
	s.ctx = min(w.ctx, s.start)
	w.spans = append(w.spans, s)
	w.covered = max(w.covered, s.end)
}

// merge sorts spans by start and joins the ones that overlap; the first of
// them gives the rule. It works in place.
func merge(spans []span) []span {
	for i := 1; i < len(spans); i++ {
		for j := i; j > 0 && before(spans[j], spans[j-1]); j-- {
			spans[j], spans[j-1] = spans[j-1], spans[j]
		}
	}
	out := spans[:0]
	for _, s := range spans {
		if n := len(out); n > 0 && s.start < out[n-1].end {
			last := &out[n-1]
			last.ctx = min(last.ctx, s.ctx)
			if s.end > last.end || s.end == last.end && s.open {
				last.end, last.open, last.cont = s.end, s.open, s.cont
			}
			continue
		}
		out = append(out, s)
	}
	return out
}

// before orders spans by start, the longest first.
func before(a, b span) bool {
	return a.start < b.start || a.start == b.start && a.end > b.end
}

// cutAt chooses where to end a window that does not end its line: overlap
// bytes before its end, or later so as not to cut a span from its context
// (a field name and its value go to the same window). A span that goes on
// past the window ends the window, and the continuation it returns drops
// the rest of the value, starting with the last bytes of this window (so
// that a PEM label across two windows is seen whole).
func (w *Writer) cutAt(b []byte, spans []span) (int, cont) {
	cut := max(len(b)-w.overlap, 0)
	for i := range spans {
		s := &spans[i]
		if s.start > cut && s.ctx >= cut {
			break
		}
		if s.open {
			if e := max(s.start, s.end-labelTail); e > 0 {
				s.end = e
			}
			return s.end, newCont(s.cont, b[s.start:s.end])
		}
		cut = max(cut, s.end)
	}
	return cut, cont{}
}

// emit appends b to the output with its spans replaced by markers. Spans
// that start at or after len(b) are left for the next window.
func (w *Writer) emit(b []byte, spans []span) {
	prev := 0
	for _, s := range spans {
		if s.start > len(b) || s.start == len(b) && !s.open {
			break
		}
		w.out = append(w.out, b[prev:s.start]...)
		switch {
		case s.repl != nil:
			w.out = append(w.out, s.repl...)
		case !s.silent:
			w.out = appendMarker(w.out, s.rule, s.quote)
			w.counts[s.rule]++
		}
		prev = s.end
	}
	w.out = append(w.out, b[prev:]...)
}

func appendMarker(out []byte, rule string, quote bool) []byte {
	if quote {
		out = append(out, '"')
	}
	out = append(out, "[REDACTED:"...)
	out = append(out, rule...)
	out = append(out, ']')
	if quote {
		out = append(out, '"')
	}
	return out
}
