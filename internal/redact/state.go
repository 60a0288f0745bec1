package redact

import "bytes"

type stateKind uint8

const (
	stateNone    stateKind = iota
	statePEM               // inside a multi-line PEM block
	stateBlock             // inside a YAML block scalar, or an annotation value on the next lines
	statePending           // the previous line named a secret env var or flag: this line holds its value
)

// lineState is what a line tells about the lines after it.
type lineState struct {
	kind   stateKind
	rule   string
	col    int  // stateBlock: lines indented deeper than col belong to the block
	marked bool // the marker of the block was written
	lines  int  // statePEM: body lines dropped
	list   bool // statePending: the value is the next list item, "- value"
	item   bool // statePending: the value is the next item of an indented JSON array, "value",
	weak   bool // statePending, stateBlock: the name is secret-like, not a password's
	pem    bool // stateBlock: the lines dropped opened a PEM block they did not end
}

func (w *Writer) enterPEM(marked bool) {
	lines := 0
	if w.state.kind == statePEM {
		lines, marked = w.state.lines, marked || w.state.marked
	}
	w.state, w.stateFrom = lineState{kind: statePEM, rule: rulePEM, marked: marked, lines: lines}, w.ctx
}

func (w *Writer) enterBlock(col int, rule string) {
	w.state, w.stateFrom = lineState{kind: stateBlock, rule: rule, col: col, weak: w.weak}, w.ctx
}

func (w *Writer) expectValue(rule string, list bool) {
	w.state, w.stateFrom = lineState{kind: statePending, rule: rule, list: list, weak: w.weak}, w.ctx
}

// lineState applies the state to the first window of a line. It reports
// whether the window is dropped, or returns a span to drop at its start.
func (w *Writer) lineState(win []byte, final bool) (bool, []span) {
	switch w.state.kind {
	case statePEM:
		return w.pemLine(win, final)
	case stateBlock:
		return w.blockLine(win, final)
	}
	return false, nil
}

// pemLine drops a line of base64 inside a PEM block, and the base64 before
// the END label; any other line ends the block. Blank lines and the headers
// of an encrypted key survive.
func (w *Writer) pemLine(win []byte, final bool) (bool, []span) {
	st := w.state
	i := skipBlank(win, 0)
	if onlySpace(win[i:]) {
		return false, nil
	}
	j := i + base64Byte.span(win[i:])
	switch {
	case bytes.HasPrefix(win[j:], endLabel):
		w.state = lineState{}
		if j == i {
			return false, nil
		}
		return false, []span{{start: i, end: j, rule: rulePEM, silent: st.marked}}
	case st.lines == 0 && isPEMHeader(win[i:]):
		return false, nil
	case j > i && onlySpace(win[j:]):
		w.dropLine(win[:i], final, endsWithCR(win), contPEM)
		w.state.lines++
		return true, nil
	}
	w.state = lineState{}
	return false, nil
}

// blockLine drops a line indented deeper than the block's name. Blank lines
// survive without ending the block. A PEM block that the dropped lines
// opened goes on after the block.
func (w *Writer) blockLine(win []byte, final bool) (bool, []span) {
	i := skipBlank(win, 0)
	if onlySpace(win[i:]) {
		return false, nil
	}
	if i > w.state.col {
		if !w.state.marked && bytes.HasPrefix(win[i:], []byte("[REDACTED:")) {
			// Redacted already: the marker of the block stays as it is.
			w.state = lineState{}
			return false, nil
		}
		if w.state.weak && !w.state.marked && bytes.HasPrefix(win[i:], beginLabel) {
			// A PEM block under a secret-like name: its label survives.
			w.state = lineState{}
			return false, nil
		}
		w.state.pem = opensPEM(win, w.state.pem)
		w.dropLine(win[:i], final, endsWithCR(win), contLine)
		return true, nil
	}
	pem := w.state.pem
	w.state = lineState{}
	if pem {
		w.enterPEM(false)
		return w.pemLine(win, final)
	}
	return false, nil
}

// opensPEM reports whether a PEM private key block is open after line,
// given whether one was open before it.
func opensPEM(line []byte, open bool) bool {
	begin, end := bytes.LastIndex(line, privateKeyLabel), bytes.LastIndex(line, endLabel)
	switch {
	case begin > end:
		_, _, ok := pemLabel(line, begin)
		return ok || open && end < 0
	case end >= 0:
		return false
	}
	return open
}

// dropLine drops the current line of a block. The first line dropped is
// replaced by a marker at its indent.
func (w *Writer) dropLine(indent []byte, final, cr bool, c contKind) {
	if !w.state.marked {
		w.state.marked = true
		w.out = append(w.out, indent...)
		w.out = appendMarker(w.out, w.state.rule, false)
		if cr {
			w.out = append(w.out, '\r')
		}
		if !w.lastLine {
			w.out = append(w.out, '\n')
		}
		w.counts[w.state.rule]++
	}
	if !final {
		w.cont = cont{kind: c, pem: w.state.pem}
		w.dropping = true
	}
}

var pemHeaders = []string{"proc-type:", "dek-info:", "version:", "comment:", "hash:", "charset:", "messageid:"}

func isPEMHeader(b []byte) bool {
	for _, h := range pemHeaders {
		if hasFold(b, h) {
			return true
		}
	}
	return false
}

// pendingValue redacts the value on the line after a secret env var name
// ("value": "…" or value: …) or a secret flag in a YAML list (- …).
func (w *Writer) pendingValue(in input) {
	st := w.state
	w.state = lineState{}
	w.weak = st.weak
	defer func() { w.weak = false }()
	b := in.b
	i := skipBlank(b, 0)
	switch {
	case st.item:
		if i < len(b) && b[i] == '"' && (i+1 == len(b) || b[i+1] != '-') {
			w.jsonValue(in, i, st.rule, false)
		}
	case st.list:
		if bytes.HasPrefix(b[i:], []byte("- ")) {
			if v := skipBlank(b, i+2); v < len(b) && b[v] != '-' {
				w.yamlValue(in, v, st.rule, i)
			}
		}
	case bytes.HasPrefix(b[i:], []byte(`"value"`)):
		if v := skipBlank(b, i+7); v < len(b) && b[v] == ':' {
			w.jsonValue(in, skipBlank(b, v+1), st.rule, false)
		}
	case bytes.HasPrefix(b[i:], []byte("value:")):
		if v := i + 6; v == len(b) || b[v] == ' ' || b[v] == '\t' {
			w.yamlValue(in, skipBlank(b, v), st.rule, i)
		}
	}
}

// endsWithCR reports whether line ends with a carriage return: a CRLF line.
func endsWithCR(line []byte) bool { return len(line) > 0 && line[len(line)-1] == '\r' }
