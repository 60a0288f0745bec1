package redact

import "bytes"

// maxName bounds a field name: a longer run of name bytes is not one.
const maxName = 256

var (
	escQuote = []byte(`\"`)
	nameKey  = []byte(`"name"`)
	valueKey = []byte(`"value"`)
)

// field handles a keyword at b[p:p+k]. The word around it may name a secret
// field whose value follows, or be the name of an env var whose value
// follows.
func (w *Writer) field(in input, p, k int) {
	if p < w.seen {
		return // a word already handled
	}
	b := in.b
	ns, ne, ok := word(b, p, p+k)
	w.seen = ne
	if ns >= len("[REDACTED:") && string(b[ns-len("[REDACTED:"):ns]) == "[REDACTED:" {
		return // the name of a rule in a marker
	}
	if !ok || in.open(ne) || ne < w.covered {
		// Not a name; one that goes on in the next window; or one inside a
		// value already redacted, with what follows it: token=password=x.
		return
	}
	w.ctx = max(0, ns-len(escQuote))
	query := ns > 0 && (b[ns-1] == '?' || b[ns-1] == '&' || b[ns-1] == ';')
	if ns > 0 && b[ns-1] == '\\' && hasFold(b[ns:ne], "u0026") {
		ns, query = ns+5, true // &sig= in a JSON string, escaped as \u0026sig=
	}
	if ns > 0 && b[ns-1] == '\\' && ne-ns > 1 && b[ns] == 'n' && embeddedLineStart(b[:ns+1]) {
		ns++ // a name after a \n escape: a line of a file in a JSON string
	}
	if ps := prefixStart(b, ns); ps < ns && anyContains(w.normalize(b[ps:ns-1]), excludedWords) {
		return // checksum/secret: a hash of a secret
	}
	d := dashes(b[ns:ne])
	n := w.normalize(b[ns+d : ne])
	rule, st := classify(b[ns+d:ne], n, query)
	if st == notSecretName {
		return
	}
	auth := hasSuffix(n, "authorization")
	w.weak, w.sas, w.query = st == weakName, rule == ruleAzureSAS && hasSuffix(n, "sharedaccesssignature"), query || rule == ruleAzureSAS || rule == rulePresigned
	w.keyed(in, ns, ne, d, rule, auth)
	w.envName(in, ns, ne, d, rule)
	w.weak, w.sas, w.query = false, false, false
}

// word returns the run of name bytes around b[s:e], and whether it is short
// enough to be a name.
func word(b []byte, s, e int) (int, int, bool) {
	lo, hi := max(0, s-maxName), min(len(b), e+maxName)
	for s > lo && nameByte[b[s-1]] {
		s--
	}
	for e < hi && nameByte[b[e]] {
		e++
	}
	long := s == lo && s > 0 && nameByte[b[s-1]] || e == hi && e < len(b) && nameByte[b[e]]
	return s, e, !long
}

// keyed redacts the value of the field named b[ns:ne], a secret's name
// with d leading dashes, if a value follows it.
func (w *Writer) keyed(in input, ns, ne, d int, rule string, auth bool) {
	b := in.b
	switch {
	case w.quotedKey(in, ns, ne, d, rule):
	case ns > 0 && b[ns-1] == '<' && ne < len(b) && b[ne] == '>':
		// <password>…</password>, as in Maven's settings.xml.
		if e := bytes.IndexByte(b[ne+1:], '<'); e > 0 {
			w.addValue(in, ne+1, ne+1+e, rule, false, contValue)
		}
	case ne < len(b) && b[ne] == ':':
		w.colonKey(in, ns, ne, rule, auth)
	default:
		w.assignment(in, ns, ne, d, rule)
	}
}

// quotedKey handles "name": value, \"name\": value inside a JSON string,
// and "--name", "value" in a JSON list of arguments. It reports whether the
// name is between quotes.
func (w *Writer) quotedKey(in input, ns, ne, d int, rule string) bool {
	b := in.b
	ns = prefixStart(b, ns)
	if ns > 0 && b[ns-1] == '\'' && ne < len(b) && b[ne] == '\'' {
		// 'password': … , a single-quoted YAML key.
		if v := ne + 1; v < len(b) && b[v] == ':' && in.atStart && listIndent(b[:ns-1]) {
			w.yamlValue(in, skipBlank(b, v+1), rule, ns-1)
		}
		return true
	}
	if ns == 0 || b[ns-1] != '"' {
		return false
	}
	esc := ns > 1 && b[ns-2] == '\\'
	q := 1
	if esc {
		q = 2
		if !bytes.HasPrefix(b[ne:], escQuote) {
			return false
		}
	} else if ne >= len(b) || b[ne] != '"' {
		return false
	}
	v := skipBlank(b, ne+q)
	switch {
	case v < len(b) && b[v] == ':':
		val := skipBlank(b, v+1)
		if !esc && in.atStart && listIndent(b[:ns-1]) && !jsonScalarAt(b, val) {
			// "password": value with blanks, a YAML line with a quoted key.
			w.yamlValue(in, val, rule, ns-1)
			return true
		}
		w.jsonValue(in, val, rule, esc)
	case d >= 2 && v < len(b) && b[v] == ',':
		if v = skipBlank(b, v+1); v+q < len(b) && b[v+q] != '-' {
			w.jsonValue(in, v, rule, esc)
		}
	}
	return true
}

// jsonScalarAt reports whether a JSON value starts at b[v:]: a string, an
// object, an array, or a literal that ends where JSON lets it end.
func jsonScalarAt(b []byte, v int) bool {
	if v >= len(b) || b[v] == '"' || b[v] == '{' || b[v] == '[' {
		return true
	}
	e := v + plainByte.span(b[v:])
	k := skipBlank(b, e)
	return k == len(b) || b[k] == ',' || b[k] == '}' || b[k] == ']' || b[k] == '\r'
}

// colonKey handles name: value at the start of a line (YAML, kubectl
// describe, HTTP headers, Java properties), in a YAML flow map, in a Go
// %v dump (Name:value), an HTTP header in the middle of a line, and an
// Authorization header anywhere.
func (w *Writer) colonKey(in input, ns, ne int, rule string, auth bool) {
	b := in.b
	v := ne + 1
	spaced := v == len(b) || b[v] == ' ' || b[v] == '\t'
	ns = prefixStart(b, ns)
	before := b[:ns]
	switch {
	case auth && w.awsAuth(in, skipBlank(b, v)):
	case spaced && in.atStart && listIndent(before):
		w.yamlValue(in, skipBlank(b, v), rule, ns)
	case spaced && embeddedLineStart(before):
		w.embeddedValue(in, skipBlank(b, v), rule)
	case auth:
		w.headerValue(in, skipBlank(b, v), rule)
	case !spaced && in.atStart && listIndent(before) && !w.weak:
		// db.password:value, a Java property.
		w.addValue(in, v, trimRight(b), rule, false, contLine)
	case spaced && flowMapKey(before):
		w.flowValue(in, skipBlank(b, v), rule)
	case !spaced && goDumpKey(before):
		w.dumpValue(in, v, rule)
	case spaced && (ns == 0 || b[ns-1] == ' ' || b[ns-1] == '\t' || b[ns-1] == '"' || b[ns-1] == '\''):
		// -H "X-Api-Key: …" in a command line, too.
		w.midLineValue(in, skipBlank(b, v), rule)
	}
}

// nextHeader reports whether another header starts at b[i:]: ", Name: ".
func nextHeader(b []byte, i int) bool {
	if !hasPrefix(b[i:], ", ") {
		return false
	}
	j := i + 2 + nameByte.span(b[i+2:])
	return j > i+2 && j+1 < len(b) && b[j] == ':' && b[j+1] == ' '
}

// flowMapKey reports whether a key that follows b is in a YAML flow map:
// {host: h, password: x}.
func flowMapKey(b []byte) bool {
	i := len(b)
	for i > 0 && (b[i-1] == ' ' || b[i-1] == '\t') {
		i--
	}
	if i == 0 || b[i-1] != '{' && (b[i-1] != ',' || i == len(b)) {
		return false
	}
	near := b[max(0, len(b)-maxFlowMap):]
	return bytes.LastIndexByte(near, '{') > bytes.LastIndexByte(near, '}')
}

// maxFlowMap bounds how far back a key looks for the '{' of its flow map.
const maxFlowMap = 128

// goDumpKey reports whether a key that follows b is a field of a struct or
// a key of a map as Go's %v and %+v print them: {A:1 B:2}, &{A:1},
// map[A:[1]].
func goDumpKey(b []byte) bool {
	i := len(b)
	return i > 0 && (b[i-1] == '{' || b[i-1] == '[' || b[i-1] == ' ' || b[i-1] == '(')
}

// flowValue redacts the value at v of a key in a YAML flow map, up to the
// ',' or '}' that ends it.
func (w *Writer) flowValue(in input, v int, rule string) {
	b := in.b
	if v < len(b) && (b[v] == '"' || b[v] == '\'') {
		w.yamlValue(in, v, rule, 0)
		return
	}
	e := v
	for e < len(b) && b[e] != ',' && b[e] != '}' {
		e++
	}
	for e > v && b[e-1] == ' ' {
		e--
	}
	if e > v {
		w.addValue(in, v, e, rule, true, contValue)
	}
}

// dumpValue redacts the value at v of a field in a Go %v dump: up to a
// blank or the end of the struct, or a list [...] whole.
func (w *Writer) dumpValue(in input, v int, rule string) {
	b := in.b
	switch {
	case hasPrefix(b[v:], "[REDACTED"):
		return
	case v < len(b) && b[v] == '"':
		// Password:"…", as %#v prints it.
		w.addValue(in, v+1, jsonString(b, v+1), rule, false, contQuoted)
		return
	}
	if v < len(b) && b[v] == '[' {
		if hasPrefix(b[v+1:], "[REDACTED:") {
			return
		}
		if e := bytes.IndexByte(b[v:min(len(b), v+overlap)], ']'); e > 1 {
			w.addValue(in, v+1, v+e, rule, false, contValue)
		}
		return
	}
	e := trimClosers(b, v, v+fieldValueByte.span(b[v:]))
	w.addValue(in, v, e, rule, false, contValue)
}

// midLineValue redacts the value of Name: value in the middle of a line,
// such as an HTTP header in a log message (X-Api-Key: …, Cookie: …). Prose
// says "the password: see the runbook": the value must look like a
// credential, or hold a digit or a symbol under a password's name.
func (w *Writer) midLineValue(in input, v int, rule string) {
	b := in.b
	if rule == ruleCookie {
		e := v
		for e < len(b) && b[e] != '"' && b[e] != '\\' && !nextHeader(b, e) {
			e++
		}
		if e = v + trimRight(b[v:e]); e > v {
			w.addValue(in, v, e, rule, false, contValue)
		}
		return
	}
	e := v + valueByte.span(b[v:])
	if e > v && b[e-1] == ',' {
		e-- // a list of headers: Accept: */*, X-Api-Key: …, User-Agent: …
	}
	val := b[v:e]
	if !credentialLike(val) && (w.weak || len(val) < 4 || !hasDigit(val)) {
		return
	}
	w.addValue(in, v, e, rule, false, contValue)
}

// assignment handles name=value, name = value (INI), --name value, name%3Dvalue
// (URL-encoded), netrc's password value and aws configure set name value.
func (w *Writer) assignment(in input, ns, ne, d int, rule string) {
	b := in.b
	i := skipBlank(b, ne)
	switch {
	case i < len(b) && b[i] == '=':
		if i+1 < len(b) && b[i+1] == '=' {
			return // a comparison
		}
		v := i + 1
		if i > ne {
			v = skipBlank(b, v)
		}
		if i > ne && v > i+1 && in.atStart && in.final && onlySpace(b[:prefixStart(b, ns)]) && !w.weak && restIsValue(b[v:]) {
			// name = value at the start of a line: an INI or properties
			// file; the value is the rest of the line. NAME=value cmd is
			// an env var before a command.
			if e := trimRight(b); e > v && b[v] != '"' && b[v] != '\'' {
				w.addValue(in, v, e, rule, false, contLine)
				return
			}
		}
		w.eqValue(in, v, rule)
	case hasFold(b[i:], "%3d"):
		v := i + 3
		e := v + valueByte.span(b[v:])
		for k := v; k < e; k++ {
			if hasFold(b[k:e], "%26") {
				e = k // an encoded '&' ends the value
			}
		}
		w.addValue(in, v, e, rule, false, contValue)
	case d >= 2 && i > ne && i < len(b) && b[i] != '-':
		w.eqValue(in, i, rule)
	case d == 0 && i > ne && i < len(b) && (netrcLine(b) || bytes.HasSuffix(b[:ns], []byte("configure set "))):
		w.eqValue(in, i, rule)
	case d == 0 && i > ne && in.atStart && onlySpace(b[:ns]) && !w.weak:
		// password VALUE alone on a line, as in a .netrc of several lines.
		if e := i + valueByte.span(b[i:]); onlySpace(b[e:]) && e-i >= 4 && (hasDigit(b[i:e]) || alnum.span(b[i:e]) < e-i) {
			w.addValue(in, i, e, rule, false, contValue)
		}
	}
}

// restIsValue reports whether b, what follows name= at the start of a line,
// is one value: no other name=value follows it, as in a logfmt line.
func restIsValue(b []byte) bool {
	if bytes.IndexByte(b, '"') >= 0 {
		return false
	}
	for i := 0; i < len(b); i++ {
		if b[i] != ' ' {
			continue
		}
		j := i + 1 + nameByte.span(b[i+1:])
		if j > i+1 && j < len(b) && b[j] == '=' {
			return false
		}
	}
	return true
}

// netrcLine reports whether b is a line of a .netrc file: machine h login
// u password p.
func netrcLine(b []byte) bool {
	i := skipBlank(b, 0)
	return hasPrefix(b[i:], "machine ") || hasPrefix(b[i:], "default ")
}

// envName handles a secret name as the value of an env var's name:
// {"name": "DB_PASSWORD", "value": "…"} on one line, and the name line of
// an env var (or of a flag in a YAML list) whose value is on the next line.
func (w *Writer) envName(in input, ns, ne, d int, rule string) {
	b := in.b
	if ns > 0 && (b[ns-1] == '"' || b[ns-1] == '\'') && ne < len(b) && b[ne] == b[ns-1] {
		if k := nameKeyBefore(b, ns-1); k >= 0 && b[ns-1] == '"' {
			w.ctx = k
			w.jsonEnv(in, ne, k, rule)
			return
		}
		// - name: "DB_PASSWORD", as Helm charts render it.
		if in.atStart && in.final && onlySpace(b[ne+1:]) && d == 0 && yamlNameKey(b[:ns-1]) {
			w.expectValue(rule, false)
		}
		return
	}
	if !in.atStart || !in.final || !onlySpace(b[ne:]) {
		return
	}
	switch {
	case d >= 2 && listItem(b[:ns]):
		w.expectValue(rule, true)
	case d == 0 && yamlNameKey(b[:ns]):
		w.expectValue(rule, false)
	}
}

// jsonEnv handles "name": "WORD", a secret's name ending at ne, whose key
// starts at k.
func (w *Writer) jsonEnv(in input, ne, k int, rule string) {
	b := in.b
	i := skipBlank(b, ne+1)
	if i < len(b) && b[i] == ',' {
		i = skipBlank(b, i+1)
		if bytes.HasPrefix(b[i:], valueKey) {
			if v := skipBlank(b, i+len(valueKey)); v < len(b) && b[v] == ':' {
				w.jsonValue(in, skipBlank(b, v+1), rule, false)
			}
			return
		}
	}
	if onlySpace(b[i:]) && in.final && in.atStart && onlySpace(b[:k]) {
		w.expectValue(rule, false)
	}
}

// nameKeyBefore returns where "name" starts when b[:q] ends with "name":,
// or -1.
func nameKeyBefore(b []byte, q int) int {
	i := q
	for i > 0 && (b[i-1] == ' ' || b[i-1] == '\t') {
		i--
	}
	if i == 0 || b[i-1] != ':' {
		return -1
	}
	for i--; i > 0 && (b[i-1] == ' ' || b[i-1] == '\t'); i-- {
	}
	if !bytes.HasSuffix(b[:i], nameKey) {
		return -1
	}
	return i - len(nameKey)
}

// prefixStart returns where the name at b[ns:] starts with its prefix, when
// it has one: example.com/token, the key of an annotation or a label.
func prefixStart(b []byte, ns int) int {
	if ns < 2 || b[ns-1] != '/' {
		return ns
	}
	i := ns - 1
	for i > 0 && ns-i < maxName && nameByte[b[i-1]] {
		i--
	}
	if i == ns-1 {
		return ns
	}
	return i
}

// embeddedLineStart reports whether b ends where a line of a file inside a
// JSON string starts: after a \n escape, an indent and maybe a YAML list
// dash ("config.yaml": "user: velero\npassword: …").
func embeddedLineStart(b []byte) bool {
	i := len(b)
	for i > 0 && b[i-1] == ' ' {
		i--
	}
	if i < len(b) && i > 0 && b[i-1] == '-' {
		for i--; i > 0 && b[i-1] == ' '; i-- {
		}
	}
	if i < 2 || b[i-1] != 'n' {
		return false
	}
	r := 0
	for i-1-r > 0 && b[i-2-r] == '\\' {
		r++
	}
	return r%2 == 1
}

// listIndent reports whether b is an indent, maybe with a YAML list dash.
func listIndent(b []byte) bool {
	i := skipBlank(b, 0)
	if i+1 < len(b) && b[i] == '-' && b[i+1] == ' ' {
		i = skipBlank(b, i+2)
	}
	return i == len(b)
}

// listItem reports whether b is an indent and a YAML list dash.
func listItem(b []byte) bool {
	i := skipBlank(b, 0)
	return i+1 < len(b) && b[i] == '-' && b[i+1] == ' ' && skipBlank(b, i+2) == len(b)
}

// yamlNameKey reports whether b is the start of a line "- name: " or "name: ".
func yamlNameKey(b []byte) bool {
	i := skipBlank(b, 0)
	if i+1 < len(b) && b[i] == '-' && b[i+1] == ' ' {
		i = skipBlank(b, i+2)
	}
	if !bytes.HasPrefix(b[i:], []byte("name:")) {
		return false
	}
	i += len("name:")
	return i < len(b) && skipBlank(b, i) == len(b)
}

func dashes(b []byte) int {
	n := 0
	for n < len(b) && b[n] == '-' {
		n++
	}
	return n
}
