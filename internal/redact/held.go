package redact

import (
	"bytes"
	"slices"
)

// heldValue is the value of an env var written before its name: in YAML,
// - value: x on one line and name: DB_PASSWORD on the next; in indented
// JSON, "value": "x" and then "name": "DB_PASSWORD". Its line waits in
// w.out until the next line tells whether the value is a secret's.
type heldValue struct {
	active bool
	line   int  // where the value's line starts in w.out
	vs, ve int  // the value in w.out
	col    int  // the column of the key value: the name is in the same one
	quote  bool // the value is a YAML plain scalar: its marker is quoted
}

// shift moves the held value n bytes back, once n bytes of w.out before
// it were written through.
func (h *heldValue) shift(n int) {
	if h.active {
		h.line, h.vs, h.ve = h.line-n, h.vs-n, h.ve-n
	}
}

// holdValue holds the line just written at w.out[at:], b before
// redaction, when it is the value of an env var whose name may follow.
func (w *Writer) holdValue(b []byte, at int) {
	i := skipBlank(b, 0)
	if hasPrefix(b[i:], "- ") {
		i = skipBlank(b, i+2)
	}
	e := trimRight(b)
	var vs, ve int
	quote := false
	switch {
	case hasPrefix(b[i:], "value:"):
		v := skipBlank(b, i+len("value:"))
		switch {
		case v >= e || v == i+len("value:"):
			return
		case b[v] == '"' || b[v] == '\'':
			if e-v < 2 || b[e-1] != b[v] {
				return
			}
			vs, ve = v+1, e-1
		default:
			vs, ve, quote = v, e, true
		}
	case hasPrefix(b[i:], `"value":`):
		v := skipBlank(b, i+len(`"value":`))
		if v >= e || b[v] != '"' {
			return
		}
		vs, ve = v+1, jsonString(b, v+1)
		if ve >= e || !onlySpace(bytes.TrimPrefix(b[ve+1:e], []byte(","))) {
			return
		}
	default:
		return
	}
	if notSecret(b[vs:ve]) {
		return
	}
	w.held = heldValue{active: true, line: at, vs: at + vs, ve: at + ve, col: i, quote: quote}
}

// checkHeld redacts the held value when line, the next, names a secret in
// the same column.
func (w *Writer) checkHeld(line []byte) {
	h := w.held
	w.held = heldValue{}
	i := skipBlank(line, 0)
	if i != h.col {
		return
	}
	var name []byte
	switch {
	case hasPrefix(line[i:], "name:"):
		if n, e := skipBlank(line, i+len("name:")), trimRight(line); n < e {
			name = bytes.Trim(line[n:e], `"'`)
		}
	case hasPrefix(line[i:], `"name":`):
		if n := skipBlank(line, i+len(`"name":`)); n < len(line) && line[n] == '"' {
			name = line[n+1 : jsonString(line, n+1)]
		}
	}
	if len(name) == 0 {
		return
	}
	f := w.keyField(name)
	v := w.out[h.vs:h.ve]
	if f.st == notSecretName || f.st == weakName && !credentialLike(v) {
		return
	}
	w.out = slices.Replace(w.out, h.vs, h.ve, appendMarker(nil, f.rule, h.quote)...)
	w.counts[f.rule]++
}
