package redact

// contKind tells how a value that goes on past the end of a window ends, so
// that the next window can drop the rest of it.
type contKind uint8

const (
	contNone      contKind = iota
	contQuoted             // at an unescaped "
	contEscQuoted          // at the \" that ends a string inside a JSON string
	contSingle             // at a ' that is not doubled
	contValue              // at a byte not in valueByte
	contPlain              // at a byte not in plainByte
	contToken              // at a byte not in tokenByte
	contJWT                // at a byte not in jwtByte
	contLine               // at the end of the line
	contPEM                // at -----END or a byte that is not in a PEM body
)

// labelTail is how many bytes at the end of a window a continuation leaves
// for the next window, so that a PEM label across the two is seen whole.
const labelTail = 128

// cont is the state of a value being dropped across windows.
type cont struct {
	kind contKind
	bs   int  // backslashes (quotes for contSingle) just before
	pem  bool // the bytes dropped opened a PEM private key block they did not end
}

func newCont(kind contKind, dropped []byte) cont {
	c := cont{kind: kind, pem: opensPEM(dropped, false)}
	escape := byte('\\')
	if kind == contSingle {
		escape = '\''
	}
	for i := len(dropped) - 1; i >= 0 && dropped[i] == escape; i-- {
		c.bs++
	}
	return c
}

var contSets = [...]*byteSet{contValue: valueByte, contPlain: plainByte, contToken: tokenByte, contJWT: jwtByte}

// skip drops the rest of an open value from the start of win. It returns
// how many bytes it dropped, and whether the value ended; a value that has
// not ended needs the next window, and the bytes not dropped are kept for it.
// A PEM block that the dropped bytes open goes on on the next lines.
func (w *Writer) skip(win []byte, final bool) (int, bool) {
	part := win
	if !final && len(win) > 2*labelTail {
		part = win[:len(win)-labelTail]
	}
	n, done := w.skipValue(part, final)
	seen := win
	if done {
		seen = win[:n]
	}
	w.cont.pem = opensPEM(seen, w.cont.pem)
	if done && final && n == len(win) {
		switch {
		case w.state.kind == stateBlock:
			w.state.pem = w.cont.pem
		case w.state.kind == stateNone && w.cont.pem:
			w.enterPEM(true)
		}
	}
	return n, done
}

// skipValue drops bytes up to the end of the value, as its kind tells.
func (w *Writer) skipValue(win []byte, final bool) (int, bool) {
	c := &w.cont
	switch c.kind {
	case contQuoted, contEscQuoted:
		return w.skipQuoted(win, final)
	case contSingle:
		// Inside the value, quotes come in pairs: after an odd count, win
		// starts with the second quote of a pair, or the first quote was
		// the end of the value.
		start := c.bs % 2
		c.bs = 0
		if start == 1 && len(win) > 0 && win[0] != '\'' {
			return 0, true
		}
		for i := start; i < len(win); i++ {
			switch {
			case win[i] != '\'':
			case i+1 < len(win) && win[i+1] == '\'':
				i++
			case i+1 == len(win) && !final:
				return i, false // is the quote doubled? The next window tells.
			default:
				return i, true
			}
		}
	case contValue, contPlain, contToken, contJWT:
		if n := contSets[c.kind].span(win); n < len(win) {
			return n, true
		}
	case contPEM:
		return w.skipPEM(win, final)
	}
	return len(win), final
}

// skipQuoted drops up to the quote that ends a JSON string, or up to the \"
// that ends a string inside a JSON string, keeping that backslash.
func (w *Writer) skipQuoted(win []byte, final bool) (int, bool) {
	c := &w.cont
	for i, b := range win {
		if b == '\\' {
			c.bs++
			continue
		}
		if b == '"' {
			switch {
			case c.kind == contQuoted && c.bs%2 == 0, c.kind == contEscQuoted && c.bs%2 == 0:
				return i, true
			case c.kind == contEscQuoted && c.bs%4 == 1 && i > 0:
				return i - 1, true
			case c.kind == contEscQuoted && c.bs%4 == 1:
				// The backslash went with the previous window: put it back.
				w.out = append(w.out, '\\')
				return 0, true
			}
		}
		c.bs = 0
	}
	return len(win), final
}

// skipPEM drops the body of a PEM block up to its END label.
func (w *Writer) skipPEM(win []byte, final bool) (int, bool) {
	n, stop := pemBodyEnd(win)
	switch {
	case stop == pemAtEnd || stop == pemOther:
		if w.state.kind == statePEM {
			w.state = lineState{}
		}
		return n, true
	case !final:
		return n, false
	}
	w.enterPEM(true) // the block goes on on the next line
	return len(win), true
}
