package redact

import (
	"bytes"
	"slices"
	"strconv"
)

// nested redacts text, the content of a string, as text of its own, one
// level deeper. It returns the result and the counts, in space that the
// next call reuses.
func (w *Writer) nested(text []byte) ([]byte, map[string]int) {
	if w.sub == nil {
		w.sub = &nestedWriter{}
		w.sub.w = w.rs.Writer(&w.sub.buf)
		w.sub.w.depth = w.depth + 1
	}
	n := w.sub
	n.buf.Reset()
	n.w.reset(&n.buf)
	_, _ = n.w.Write(text) // a bytes.Buffer does not fail
	_ = n.w.Close()
	return n.buf.Bytes(), n.w.counts
}

// nestedWriter is the Writer of a Writer's nested strings, and its output.
type nestedWriter struct {
	w   *Writer
	buf bytes.Buffer
}

// reset makes w ready for a new stream written to dst, keeping its scratch
// space.
func (w *Writer) reset(dst *bytes.Buffer) {
	*w = Writer{
		rs: w.rs, dst: dst, limit: w.limit, overlap: w.overlap, atStart: true,
		counts: w.counts, runUser: w.runUser, depth: w.depth, sub: w.sub, keys: w.keys,
		line: w.line[:0], out: w.out[:0], hits: w.hits, spans: w.spans, norm: w.norm, walk: w.walk,
	}
	clear(w.counts)
}

// quotedValues redacts, in a line of text, the quoted values of logfmt
// fields that hold a keyword (a logrus msg="{\"name\":…}", error="…"):
// decoded, as text of their own, and quoted again as Go quotes them. The
// spans that the detectors found inside such a value give way, unless one
// is the whole value: the value of a field whose name is a secret's. st is
// the state of the Writer before the line: what a detector inside the value
// made of the next lines does not go on to them, what one after it made
// does (a PEM block that opens after msg="…").
func (w *Writer) quotedValues(in input, st lineState) {
	b := in.b
	slices.SortFunc(w.hits, func(x, y hit) int { return x.pos - y.pos })
	slices.SortFunc(w.spans, func(x, y span) int { return x.ctx - y.ctx })
	hc, sc, dropped := 0, 0, false
	for i := 0; i < len(b); {
		k := bytes.Index(b[i:], []byte(`="`))
		if k < 0 {
			break
		}
		q := i + k + 1
		e := jsonString(b, q+1)
		if e >= len(b) {
			break
		}
		i = e + 1
		for hc < len(w.hits) && w.hits[hc].pos <= q {
			hc++
		}
		if len(w.rs.always) == 0 && (hc == len(w.hits) || w.hits[hc].pos >= e) {
			continue // no keyword inside
		}
		for sc < len(w.spans) && w.spans[sc].ctx < q && w.spans[sc].end <= q {
			sc++
		}
		if w.wholeSpan(sc, q+1, e) || !logfmtKeyBefore(b, q-1) {
			continue
		}
		v, err := strconv.Unquote(string(b[q : e+1]))
		if err != nil {
			continue
		}
		dropped = w.dropSpansIn(sc, q, e+1) || dropped
		if q <= w.stateFrom && w.stateFrom <= e {
			w.state = st // set by a name inside the value, decoded below
		}
		out, counts := w.nested([]byte(v))
		if string(out) == v {
			continue
		}
		for r, n := range counts {
			w.counts[r] += n // a whole line: the span is written
		}
		w.spans = append(w.spans, span{start: q, end: e + 1, ctx: q, repl: []byte(strconv.Quote(string(out)))})
	}
	if dropped {
		w.spans = slices.DeleteFunc(w.spans, func(sp span) bool { return sp.start < 0 })
	}
}

// wholeSpan reports whether one of the spans from the index from on covers
// b[s:e] whole. The spans are in the order of their contexts.
func (w *Writer) wholeSpan(from, s, e int) bool {
	for k := from; k < len(w.spans) && w.spans[k].ctx <= s; k++ {
		if sp := w.spans[k]; sp.start <= s && sp.end >= e && sp.repl == nil {
			return true
		}
	}
	return false
}

// logfmtKeyBefore reports whether the '=' at b[i] follows the key of a
// logfmt field, a name at the start of the line or after a blank: in
// password=x="…" it is part of a value.
func logfmtKeyBefore(b []byte, i int) bool {
	k := i
	for k > 0 && nameByte[b[k-1]] {
		k--
	}
	return k < i && (k == 0 || b[k-1] == ' ' || b[k-1] == '\t')
}

// dropSpansIn marks as dropped (start -1) the spans from the index from
// on that overlap [s, e), or whose field name is in it: a name inside a
// quoted value cannot take what follows the value. It reports whether it
// dropped one.
func (w *Writer) dropSpansIn(from, s, e int) bool {
	dropped := false
	for k := from; k < len(w.spans) && w.spans[k].ctx < e; k++ {
		sp := &w.spans[k]
		n := sp.ctx + len(escQuote) // where a field name starts: see field
		if sp.start >= 0 && sp.repl == nil && (sp.start < e && sp.end > s || s < n && n < e-1) {
			sp.start, dropped = -1, true
		}
	}
	return dropped
}
