package redact

import "bytes"

var (
	beginLabel      = []byte("-----BEGIN ")
	endLabel        = []byte("-----END")
	privateKeyLabel = []byte("PRIVATE KEY")
	dashes5         = []byte("-----")
)

// pemStop tells why pemBodyEnd stopped.
type pemStop uint8

const (
	pemEOF   pemStop = iota // at the end of the bytes
	pemAtEnd                // at -----END
	pemOther                // at a byte that is not in a PEM body
	pemMore                 // at a '-' too close to the end to tell whether -----END starts there
)

// maxLabel bounds the part of a BEGIN label before PRIVATE KEY.
const maxLabel = 40

// pem redacts the body of a PEM private key whose label has PRIVATE KEY at
// p. On one line (a JSON string with \n escapes), the body between the BEGIN
// and END labels becomes the marker; a body that goes on on the next lines
// starts the PEM state, which drops them.
func (w *Writer) pem(in input, p int) {
	b := in.b
	ls, le, ok := pemLabel(b, p)
	if !ok {
		return
	}
	w.ctx = ls
	// A label inside a value already redacted: only the body after that
	// value is left, and scanning only it keeps repeated labels linear.
	le = max(le, min(w.covered, len(b)))
	n, stop := pemBodyEnd(b[le:])
	e := le + n
	if in.final && stop == pemMore {
		e, stop = len(b), pemEOF
	}
	filled := !onlySpace(b[le:e])
	open := !in.final && (stop == pemEOF || stop == pemMore)
	if in.final && stop == pemEOF {
		w.enterPEM(filled)
	}
	// The \n escapes around a body on one line survive.
	s := le + escapedNewline(b[le:e], false)
	if !open && stop == pemAtEnd {
		e -= escapedNewline(b[s:e], true)
	}
	if filled && (s < e || open) || open {
		w.add(span{start: s, end: e, rule: rulePEM, open: open, cont: contPEM})
	}
}

// escapedNewline returns the length of the \n escape (\\n inside a JSON
// string in a JSON string) at the start of b, or at its end, or 0.
func escapedNewline(b []byte, atEnd bool) int {
	if atEnd {
		n := len(b)
		if n < 2 || b[n-1] != 'n' {
			return 0
		}
		r := 0
		for n-2-r >= 0 && b[n-2-r] == '\\' {
			r++
		}
		if r == 0 {
			return 0
		}
		return r + 1
	}
	r := 0
	for r < len(b) && b[r] == '\\' {
		r++
	}
	if r == 0 || r == len(b) || b[r] != 'n' {
		return 0
	}
	return r + 1
}

// pemLabel returns the start and end of the label -----BEGIN … PRIVATE
// KEY----- (or PRIVATE KEY BLOCK) whose PRIVATE KEY is at p.
func pemLabel(b []byte, p int) (int, int, bool) {
	if !bytes.HasPrefix(b[p:], privateKeyLabel) {
		return 0, 0, false
	}
	lo := max(0, p-maxLabel)
	i := bytes.LastIndex(b[lo:p], beginLabel)
	if i < 0 {
		return 0, 0, false
	}
	ls := lo + i
	for _, c := range b[ls+len(beginLabel) : p] {
		if !upper[c] && c != ' ' {
			return 0, 0, false
		}
	}
	le := p + len(privateKeyLabel)
	if bytes.HasPrefix(b[le:], []byte(" BLOCK")) {
		le += len(" BLOCK")
	}
	if !bytes.HasPrefix(b[le:], dashes5) {
		return 0, 0, false
	}
	return ls, le + len(dashes5), true
}

// pemBodyEnd returns how many bytes at the start of b belong to a PEM body,
// and why they stop.
func pemBodyEnd(b []byte) (int, pemStop) {
	for i := 0; i < len(b); i++ {
		c := b[i]
		if !pemByte[c] {
			return i, pemOther
		}
		if c == '\\' {
			r := 1
			for i+r < len(b) && b[i+r] == '\\' {
				r++
			}
			if i+r < len(b) && b[i+r] == '"' {
				return i, pemOther // the \" that ends a string inside a JSON string
			}
			i += r - 1
			continue
		}
		if c != '-' {
			continue
		}
		switch rest := b[i:]; {
		case bytes.HasPrefix(rest, endLabel):
			return i, pemAtEnd
		case len(rest) < len(endLabel) && bytes.HasPrefix(endLabel, rest):
			return i, pemMore
		}
	}
	return len(b), pemEOF
}
