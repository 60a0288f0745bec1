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
	if filled || open {
		w.add(span{start: le, end: e, rule: rulePEM, open: open, cont: contPEM})
	}
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
