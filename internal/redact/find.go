package redact

import "bytes"

// input is a window handed to the detectors.
type input struct {
	b       []byte
	atStart bool // b starts a line
	final   bool // the line ends with b
}

// open reports whether a value that reaches index e of the window may go on
// past it.
func (in input) open(e int) bool { return e >= len(in.b) && !in.final }

// find returns the spans to redact in the window, starting with pre.
func (w *Writer) find(in input, pre []span) []span {
	w.spans = append(w.spans[:0], pre...)
	w.seen, w.covered, w.url = 0, 0, urlRun{}
	for _, s := range pre {
		w.covered = max(w.covered, s.end)
	}
	if in.atStart && w.state.kind == statePending {
		w.ctx = 0
		w.pendingValue(in)
	}
	st := w.state
	w.stateFrom = -1
	rs := w.rs
	if len(rs.scan.words) == 0 && len(rs.always) == 0 {
		return w.spans
	}
	w.hits = rs.scan.scan(in.b, w.hits[:0])
	if len(w.hits) == 0 && len(rs.always) == 0 {
		return w.spans
	}
	clear(w.runUser)
	for _, id := range rs.always {
		w.runUser[id] = true
	}
	for _, h := range w.hits {
		w.detect(in, h)
	}
	for id, run := range w.runUser {
		if run {
			w.userRule(in, id)
		}
	}
	if in.final && in.atStart && w.depth < maxDepth {
		w.quotedValues(in, st)
	}
	return w.spans
}

// detect runs the detector of the keyword hit h.
func (w *Writer) detect(in input, h hit) {
	e := &w.rs.scan.words[h.kw]
	kw := &e.kw
	w.ctx = h.pos
	switch kw.kind {
	case kwUser:
		w.runUser[kw.arg] = true
	case kwField:
		w.field(in, h.pos, e.nameLen)
	case kwPrivate:
		w.field(in, h.pos, len(kw.text))
		w.pem(in, h.pos)
	case kwBearer:
		w.bearer(in, h.pos)
	case kwAWSKeyID:
		w.awsKeyID(in, h.pos)
		w.quotePlain(in)
	case kwJWT:
		w.jwt(in, h.pos)
		w.quotePlain(in)
	case kwURL:
		if len(kw.text) == len("://") { // :\/\/ only wakes the decoding of a JSON string
			w.urlPassword(in, h.pos)
		}
	case kwLastApplied:
		w.lastApplied(in, h.pos)
	case kwKnown:
		w.knownToken(in, h.pos)
		w.quotePlain(in)
	case kwBase64PEM:
		w.base64Key(in, h.pos)
		w.quotePlain(in)
	case kwDSN:
		w.dsn(in, h.pos)
	case kwSigV4:
		w.sigV4(in, h.pos)
	case kwLiteral:
		w.add(span{start: h.pos, end: h.pos + len(kw.text), rule: ruleLiteral})
	}
}

// quotePlain quotes the marker of the span just added when its value is a
// whole YAML plain scalar (key: TOKEN, - TOKEN), so that it stays a string.
func (w *Writer) quotePlain(in input) {
	w.quoteKey(in)
	n := len(w.spans)
	if n == 0 || !in.atStart || !in.final {
		return
	}
	s := &w.spans[n-1]
	b := in.b
	end := trimRight(b)
	if k := bytes.Index(b[s.end:end], []byte(" #")); k >= 0 {
		end = s.end + k // a comment ends the scalar
	}
	if s.quote || s.repl != nil || s.end > end || s.start < 2 || b[s.start-1] != ' ' {
		return
	}
	before := bytes.TrimRight(b[:s.start], " ")
	i := skipBlank(before, 0)
	plain := false
	switch {
	case len(before) == i+1 && before[i] == '-':
		plain = true
	case len(before) > i && before[len(before)-1] == ':':
		k := i
		if hasPrefix(before[k:], "- ") {
			k = skipBlank(before, k+2) // - key: TOKEN
		}
		key := bytes.TrimRight(before[k:len(before)-1], " \t")
		plain = len(key) > 0 && !bytes.ContainsAny(key, " \t") // a key of one word: name, a.b/c, /
	}
	if plain {
		// The token and what follows it on the line (sk_live_…!, or more
		// words) are one plain scalar, replaced whole and quoted: a marker
		// that starts a plain scalar would make it a flow sequence.
		s.quote, s.end = true, end
	}
}

// quoteKey quotes the marker of the span just added when it is a whole
// YAML key at the start of a line (AKIA…: value), so that it stays a string.
func (w *Writer) quoteKey(in input) {
	n := len(w.spans)
	if n == 0 || !in.atStart {
		return
	}
	s := &w.spans[n-1]
	b := in.b
	if s.quote || s.repl != nil || !listIndent(b[:s.start]) {
		return
	}
	t := s.end + nameByte.span(b[s.end:])
	k := skipBlank(b, t)
	if k < len(b) && b[k] == ':' && (k+1 == len(b) || b[k+1] == ' ' || b[k+1] == '\t' || b[k+1] == '\r') {
		s.quote, s.end = true, t // the whole key, AKIA….-prod: too, in quotes
	}
}

// userRule adds the matches of a user rule.
func (w *Writer) userRule(in input, id int) {
	u := &w.rs.users[id]
	for _, m := range u.re.FindAllSubmatchIndex(in.b, -1) {
		s, e := m[0], m[1]
		if u.group {
			s, e = m[2], m[3]
		}
		if s >= 0 && e > s {
			w.ctx = m[0]
			w.add(span{start: s, end: e, rule: u.name})
		}
	}
}
