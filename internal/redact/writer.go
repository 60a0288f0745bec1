package redact

import (
	"bytes"
	"errors"
	"io"
	"maps"
	"slices"
)

// flushSize is how much output a Writer gathers before writing it through.
const flushSize = 64 << 10

// ErrClosed is returned by Write after Close.
var ErrClosed = errors.New("redact: write after close")

// Writer redacts the text written to it and writes the result to the
// underlying writer. Every complete line is written through before Write
// returns but one that may be an env var's value whose name follows on the
// next line (- value: x, then name: DB_PASSWORD), which waits for it,
// returns, unless the Writer comes from Rules.BufferedWriter; Close processes
// a last line without a newline, and writes through what is left. A Writer is not
// safe for concurrent use.
type Writer struct {
	rs      *Rules
	dst     io.Writer
	limit   int // bytes of one line processed at once
	overlap int // bytes at the end of a window processed again with the next

	line     []byte // bytes of the current line not processed yet
	out      []byte // output not written through yet
	atStart  bool   // the next window starts a line
	dropping bool   // the current line is dropped (PEM body, block scalar)
	cont     cont
	state    lineState
	counts   map[string]int
	err      error
	closed   bool
	gather   bool // write through only in chunks of flushSize, and at Close
	// weak tells that the field being handled has a secret-like name, not
	// a password's or a known credential's: its value is redacted only
	// when it looks like a credential.
	weak bool
	// sas tells that the field being handled is a SharedAccessSignature,
	// whose value holds '&'.
	sas bool
	// query tells that the field being handled is a query parameter,
	// whose value ends at '&'.
	query bool
	// depth is how deep the Writer's text is inside strings of the text of
	// its parents: 0 for the text written to a Writer, 1 for the strings of
	// that text, decoded (see nested).
	depth    int
	lastLine bool                // the window being redacted ends the text without a newline
	sub      *nestedWriter       // redacts the strings of this Writer's lines
	walk     jsonWalk            // scratch space of jsonLine
	keys     map[string]keyClass // what the keys of JSON lines said, by key
	recent   [64]keyClass        // the keys with keywords of the last JSON line, in order
	held     heldValue           // an env var's value whose name may follow
	url      urlRun              // the run of URL bytes of the last URL, in the window

	// Scratch space, reused for every line.
	hits    []hit
	spans   []span
	norm    []byte
	runUser []bool
	seen    int // end of the last word handled as a field name
	covered int // end of the last span
	ctx     int // where the context of the spans being added starts
	// stateFrom is where, in the line being found, the detector that set
	// the state for the next lines started (its ctx); -1 when none did.
	stateFrom int
}

// Write redacts p. It returns len(p) unless writing through fails.
func (w *Writer) Write(p []byte) (int, error) {
	if w.closed {
		return 0, ErrClosed
	}
	if w.err != nil {
		return 0, w.err
	}
	n := len(p)
	for len(p) > 0 && w.err == nil {
		p = w.next(p)
		if len(w.out) >= flushSize {
			w.flush()
		}
	}
	if !w.gather {
		w.flush()
	}
	if w.err != nil {
		return n - len(p), w.err
	}
	return n, nil
}

// Close redacts and writes through the last line, if it has no newline. It
// does not close the underlying writer.
func (w *Writer) Close() error {
	if w.closed {
		return w.err
	}
	w.closed = true
	if w.err == nil && len(w.line) > 0 {
		w.window(w.line, true, false)
		w.line = w.line[:0]
	}
	w.flush()
	return w.err
}

// Counts returns how many values each rule replaced so far, by rule name.
func (w *Writer) Counts() map[string]int { return maps.Clone(w.counts) }

// next processes the start of p: the end of a line, or as much of a long
// line as a window holds. It returns the rest of p.
func (w *Writer) next(p []byte) []byte {
	room := w.lineLimit(p) - len(w.line)
	if i := bytes.IndexByte(p[:min(len(p), room+1)], '\n'); i >= 0 {
		line := p[:i]
		if len(w.line) > 0 {
			w.appendLine(line)
			line = w.line
		}
		w.window(line, true, true)
		w.line = w.line[:0]
		return p[i+1:]
	}
	if len(p) <= room {
		w.appendLine(p)
		return nil
	}
	// The line is longer than a window: process a window, keep the rest.
	w.appendLine(p[:room])
	n := w.window(w.line, false, false)
	w.line = w.line[:copy(w.line, w.line[n:])]
	return p[room:]
}

// lineLimit returns how many bytes of the current line, which goes on
// with p, may be held at once: a JSON line is held up to maxJSONLine, so
// that it is redacted by its structure (an object of a List is seldom
// longer than 1.5 MiB, etcd's limit, and its JSON escapes).
func (w *Writer) lineLimit(p []byte) int {
	if !w.atStart || w.depth >= maxDepth || w.limit < maxWindow {
		return w.limit
	}
	first := w.line
	if len(first) == 0 {
		first = p
	}
	if i := skipBlank(first, 0); i < len(first) && (first[i] == '{' || first[i] == '[') {
		return maxJSONLine
	}
	return w.limit
}

// appendLine appends p to the pending line, never growing it past the limit.
func (w *Writer) appendLine(p []byte) {
	if n := len(w.line) + len(p); n > cap(w.line) {
		line := make([]byte, len(w.line), min(maxJSONLine, max(n, 2*cap(w.line), 512)))
		copy(line, w.line)
		w.line = line
	}
	w.line = append(w.line, p...)
}

func (w *Writer) flush() {
	n := len(w.out)
	if w.held.active && !w.closed {
		n = w.held.line // the line may still change: see holdValue
	}
	if n == 0 || w.err != nil {
		return
	}
	if _, err := w.dst.Write(w.out[:n]); err != nil {
		w.err = err
	}
	w.out = w.out[:copy(w.out, w.out[n:])]
	w.held.shift(n)
}

// window redacts win, the next bytes of the current line, into w.out; final
// tells that the line ends with win, nl that a newline followed it. It
// returns how many bytes of win it consumed; the caller keeps the rest for
// the next window.
func (w *Writer) window(win []byte, final, nl bool) int {
	start := w.atStart
	w.atStart = final
	w.lastLine = final && !nl
	pos := 0
	var pre []span
	switch {
	case w.cont.kind != contNone:
		n, done := w.skip(win, final)
		if !done {
			return n
		}
		w.cont = cont{}
		pos = n
		if w.dropping {
			w.dropping = false
			if pos == len(win) {
				return pos
			}
		}
	case start && w.state.kind != stateNone:
		var drop bool
		if drop, pre = w.lineState(win, final); drop {
			return len(win)
		}
	}
	if start && w.held.active {
		w.checkHeld(win)
	}
	rest := win[pos:]
	if final && start && pos == 0 && w.state.kind == statePending && !w.state.item && jsonStart(rest) && rest[skipBlank(rest, 0)] != '"' {
		w.state = lineState{} // a JSON value is not the value: line a name line waits for
	}
	// A whole line, in no state of an earlier one, may be JSON: walked by
	// its structure (see structured.go).
	whole := final && start && pos == 0 && pre == nil && w.state.kind == stateNone && w.depth < maxDepth
	if whole && jsonStart(rest) {
		w.hits = w.rs.scan.scan(rest, w.hits[:0])
		spans, ok := []span(nil), true // without a keyword, nothing to redact
		if len(w.hits) > 0 || len(w.rs.always) > 0 {
			spans, ok = w.jsonLine(rest, w.hits)
		}
		if ok {
			at := len(w.out)
			w.emit(rest, merge(spans))
			if len(spans) == 0 {
				w.holdValue(rest, at)
			}
			w.newline(nl)
			return len(win)
		}
	}
	if whole && w.yamlScalarLine(rest) {
		w.newline(nl)
		return len(win)
	}
	if whole && w.jsonTail(rest) {
		w.newline(nl)
		return len(win)
	}
	lineStart := start && pos == 0
	if final {
		// A bare carriage return ends a line as a newline does.
		for k := innerCR(rest); k >= 0; k = innerCR(rest) {
			w.text(rest[:k], lineStart, true, pre)
			w.out = append(w.out, '\r')
			rest, pre, lineStart = rest[k+1:], nil, true
		}
	}
	cut := w.text(rest, lineStart, final, pre)
	if final {
		w.newline(nl)
		return len(win)
	}
	return pos + cut
}

// text redacts b, a line of text or a window of one, into w.out; it
// returns how many bytes of b it consumed (all of a final window).
func (w *Writer) text(b []byte, atStart, final bool, pre []span) int {
	spans := merge(w.find(input{b: b, atStart: atStart, final: final}, pre))
	cut := len(b)
	if !final {
		cut, w.cont = w.cutAt(b, spans)
	}
	at := len(w.out)
	w.emit(b[:cut], spans)
	if final && atStart && len(spans) == 0 {
		w.holdValue(b, at)
	}
	return cut
}

// jsonTail redacts line when it ends with a JSON object after some text (a
// log message, "Response body: {…}"): the text as text, the object by its
// structure. It reports false, writing nothing, when the line is not so.
func (w *Writer) jsonTail(line []byte) bool {
	k := bytes.Index(line, []byte(`{"`))
	if k <= 0 {
		return false
	}
	obj := line[k:]
	w.hits = w.rs.scan.scan(obj, w.hits[:0])
	if len(w.hits) == 0 && len(w.rs.always) == 0 {
		return false
	}
	spans, ok := w.jsonLine(obj, w.hits)
	if !ok {
		return false
	}
	spans = slices.Clone(spans) // text reuses the scratch space
	w.text(line[:k], true, true, nil)
	w.emit(obj, merge(spans))
	return true
}

// innerCR returns the index of the first carriage return in b that is not
// its last byte, or -1.
func innerCR(b []byte) int {
	k := bytes.IndexByte(b, '\r')
	if k < 0 || k == len(b)-1 {
		return -1
	}
	return k
}

// urlRun is a run of URL bytes that a URL starts in, and the first '@' in
// it at or after that URL's authority (end when there is none).
type urlRun struct{ end, at int }

// newline ends a line of output, if a newline ended its input.
func (w *Writer) newline(nl bool) {
	if nl {
		w.out = append(w.out, '\n')
	}
}
