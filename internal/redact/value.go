package redact

import "bytes"

// jsonValue redacts the JSON value at v. esc tells that the JSON is itself
// inside a JSON string, so that its strings are quoted with \".
func (w *Writer) jsonValue(in input, v int, rule string, esc bool) {
	b := in.b
	switch {
	case v >= len(b):
	case esc && bytes.HasPrefix(b[v:], escQuote):
		e := escString(b, v+2)
		w.addValue(in, v+2, e, rule, false, contEscQuoted)
	case !esc && b[v] == '"':
		e := jsonString(b, v+1)
		w.addValue(in, v+1, e, rule, false, contQuoted)
	case !esc && b[v] == '\'':
		// "key": 'value', a YAML line with a quoted key.
		w.addValue(in, v+1, singleString(b, v+1, in.final), rule, false, contSingle)
	case b[v] == '{' || b[v] == '[' || b[v] == '"' || b[v] == '\\' || b[v] == '\'':
		// An object, a list, or not JSON.
	default:
		e := v + plainByte.span(b[v:])
		w.addValue(in, v, e, rule, true, contPlain)
	}
}

// eqValue redacts the value after name= or --name.
func (w *Writer) eqValue(in input, v int, rule string) {
	b := in.b
	switch {
	case v >= len(b):
	case b[v] == '"' && w.sigV4(in, v+1):
	case b[v] == '"':
		w.addValue(in, v+1, jsonString(b, v+1), rule, false, contQuoted)
	case b[v] == '\'':
		w.addValue(in, v+1, singleString(b, v+1, in.final), rule, false, contSingle)
	case bytes.HasPrefix(b[v:], escQuote):
		w.addValue(in, v+2, escString(b, v+2), rule, false, contEscQuoted)
	case b[v] == '{' && bytes.IndexByte(b[v:], '}') > 1:
		// Pwd={pa;ss}, an ODBC value in braces.
		w.addValue(in, v+1, v+bytes.IndexByte(b[v:], '}'), rule, false, contValue)
	case w.sas:
		// SharedAccessSignature=sv=…&sig=…: the whole token, up to ';'.
		e := v
		for e < len(b) && b[e] != ';' && b[e] != '"' && b[e] != ' ' && b[e] != '\'' {
			e++
		}
		w.addValue(in, v, e, rule, false, contValue)
	default:
		w.addValue(in, v, valueEnd(b, v, w.query), rule, false, contValue)
	}
}

// valueEnd returns where an unquoted value that starts at v ends. A ';'
// ends it only before another name=value, as in a connection string
// (AccountName=a;AccountKey=k), or at the end: a password may hold one.
func valueEnd(b []byte, v int, query bool) int {
	set := fieldValueByte
	if query {
		set = valueByte
	}
	e := v + set.span(b[v:])
	for e < len(b) && b[e] == ';' {
		n := e + 1
		k := n + nameByte.span(b[n:])
		if n == len(b) || k > n && k < len(b) && b[k] == '=' || !set[b[n]] {
			break
		}
		e = n + set.span(b[n:])
	}
	return trimClosers(b, v, e)
}

// trimClosers returns e without the brackets at the end of b[v:e] that no
// bracket in it opened: they close what the field is in ({Password:x},
// map[password:x], (password=x)).
func trimClosers(b []byte, v, e int) int {
	depth := [3]int{}
	for _, c := range b[v:e] {
		switch c {
		case '(', '[', '{':
			depth[bytes.IndexByte([]byte("([{"), c)]++
		case ')', ']', '}':
			depth[bytes.IndexByte([]byte(")]}"), c)]--
		}
	}
	for e > v {
		k := bytes.IndexByte([]byte(")]}"), b[e-1])
		if k < 0 || depth[k] >= 0 {
			break
		}
		depth[k]++
		e--
	}
	return e
}

// yamlValue redacts the YAML value at v, on a line whose key starts at col.
// A block scalar (| or >) drops the lines under the key.
func (w *Writer) yamlValue(in input, v int, rule string, col int) {
	b := in.b
	e := trimRight(b)
	switch {
	case v >= e:
		// Nothing, or a mapping on the next lines.
	case b[v] == '"':
		w.addValue(in, v+1, jsonString(b, v+1), rule, false, contQuoted)
	case b[v] == '\'':
		w.addValue(in, v+1, singleString(b, v+1, in.final), rule, false, contSingle)
	case isBlockHeader(b[v:e]):
		if in.final && in.atStart {
			w.enterBlock(col, rule)
		}
	case b[v] == '#', b[v] == '{' && b[e-1] == '}', b[v] == '[' && b[e-1] == ']':
		// A comment, or a flow mapping or list.
	default:
		if in.open(len(b)) {
			e = len(b)
		}
		n := len(w.spans)
		w.addValue(in, v, e, rule, true, contLine)
		if len(w.spans) > n && in.final && in.atStart && w.state.kind == stateNone {
			// A plain scalar goes on on the lines indented deeper than its
			// key: they are dropped with it, under its marker.
			w.enterBlock(col, rule)
			w.state.marked = true
		}
	}
}

// embeddedValue redacts the value at v of a YAML line in a file inside a
// JSON string: up to the \n escape that ends the line, or the quote that
// ends the string. The marker has no quotes: they would end the string.
func (w *Writer) embeddedValue(in input, v int, rule string) {
	b := in.b
	if bytes.HasPrefix(b[v:], escQuote) {
		w.addValue(in, v+2, escString(b, v+2), rule, false, contEscQuoted)
		return
	}
	e := v
	for e < len(b) && b[e] != '"' && !escapedLineEnd(b, e) {
		if b[e] == '\\' {
			e++
		}
		e++
	}
	e = min(e, len(b))
	if in.open(e) {
		w.addValue(in, v, len(b), rule, false, contQuoted)
		return
	}
	for e > v && (b[e-1] == ' ' || b[e-1] == '\t') {
		e--
	}
	if e > v && b[v] != '|' && b[v] != '>' && b[v] != '{' && b[v] != '[' && b[v] != '#' {
		w.addValue(in, v, e, rule, false, contQuoted)
	}
}

// escapedLineEnd reports whether b[i:] starts with a \n or \r escape.
func escapedLineEnd(b []byte, i int) bool {
	return b[i] == '\\' && i+1 < len(b) && (b[i+1] == 'n' || b[i+1] == 'r')
}

// headerValue redacts the value of an Authorization header in the middle of
// a line: Authorization: Basic …, and Go's map[Authorization:[Bearer …]].
func (w *Writer) headerValue(in input, v int, rule string) {
	b := in.b
	if hasPrefix(b[v:], "[REDACTED") {
		return
	}
	if v < len(b) && b[v] == '[' {
		v++
	}
	if v < len(b) && b[v] == '"' {
		w.addValue(in, v+1, jsonString(b, v+1), rule, false, contQuoted)
		return
	}
	if w.awsAuth(in, v) {
		return
	}
	t := v
	if n := schemeLen(b[v:]); n > 0 {
		t += n
	}
	w.addValue(in, v, t+valueByte.span(b[t:]), rule, false, contValue)
}

// awsAuth redacts an Authorization value at v of AWS's schemes: SigV4
// (AWS4-HMAC-SHA256 …, Signature=…) and S3's version 2 (AWS AKIA…:signature).
// It reports whether the value is one.
func (w *Writer) awsAuth(in input, v int) bool {
	if w.sigV4(in, v) {
		return true
	}
	b := in.b
	if !hasPrefix(b[v:], "AWS ") {
		return false
	}
	k := v + 4 + upper.span(b[v+4:])
	if k < len(b) && b[k] == ':' {
		w.addValue(in, k+1, k+1+tokenByte.span(b[k+1:]), ruleSigV4, false, contToken)
	}
	return true
}

// addValue adds the value b[vs:ve] as a span, unless it is obviously not a
// secret. The token of a value "Bearer …" or "Basic …" is redacted by the
// bearer-token or basic-auth rule.
func (w *Writer) addValue(in input, vs, ve int, rule string, quote bool, c contKind) {
	open := in.open(ve)
	if n := schemeLen(in.b[vs:ve]); n > 0 {
		rule, quote = ruleBasic, false
		if hasFold(in.b[vs:], "bearer") {
			rule = ruleBearer
		}
		vs += n
	}
	if !open && (notSecret(in.b[vs:ve]) || w.weak && rule != ruleBasic && rule != ruleBearer && !credentialLike(in.b[vs:ve])) {
		return
	}
	if !open && c == contLine && rule != rulePassword && rule != ruleRepository && rule != ruleLastApplied && rule != ruleCookie {
		if k := bytes.IndexByte(in.b[vs:ve], ' '); k >= 0 && !credentialLike(in.b[vs:vs+k]) {
			// Keys and tokens have no blanks: prose after Name: stays,
			// unless its first word looks like a credential.
			return
		}
	}
	w.add(span{start: vs, end: ve, rule: rule, quote: quote, open: open, cont: c})
}

// schemeLen returns the length of "Bearer " or "Basic " and the blanks after
// it at the start of b, when a token follows, or 0.
func schemeLen(b []byte) int {
	n := 0
	switch {
	case hasFold(b, "bearer"):
		n = len("bearer")
	case hasFold(b, "basic"):
		n = len("basic")
	default:
		return 0
	}
	t := skipBlank(b, n)
	if t == n || t == len(b) {
		return 0
	}
	return t
}

var plainWords = []string{"true", "false", "null", "nil", "none", "~"}

// references are the openings of values that refer to others, with their
// closings: $(VAR), ${VAR}, {{ .Values.x }}, describe's <set to the key …>.
var references = []struct{ open, close string }{
	{"$(", ")"}, {"${", "}"}, {"{{", "}}"}, {"<", ">"},
}

// notSecret reports whether a value is obviously not a secret: empty, a
// boolean or null, a reference to another value, a shell variable
// ($DB_PASSWORD), or already masked.
func notSecret(v []byte) bool {
	for _, s := range plainWords {
		if len(v) == len(s) && hasFold(v, s) {
			return true
		}
	}
	if bytes.Contains(v, []byte("[REDACTED:")) || describeRef(v) {
		// A marker in place, maybe cut at its ']', or in a value that an
		// earlier pass found the rest of harmless; <set to the key …>.
		return true
	}
	for _, r := range references {
		if hasPrefix(v, r.open) && hasSuffix(v, r.close) && len(v) >= len(r.open)+len(r.close) {
			return true
		}
	}
	if len(v) > 1 && v[0] == '$' && shellVar.span(v[1:]) == len(v)-1 {
		return true
	}
	return len(bytes.Trim(v, "*")) == 0
}

// describeRef reports whether v starts with one of kubectl describe's
// words in angle brackets: <none>, <unset>, <set to the key 'x' in secret 'y'>.
func describeRef(v []byte) bool {
	if len(v) < 3 || v[0] != '<' {
		return false
	}
	e := bytes.IndexByte(v, '>')
	if e < 2 {
		return false
	}
	for _, c := range v[1:e] {
		if (c < 'a' || c > 'z') && c != ' ' && c != '\'' && c != '-' && c != '.' && c != '_' && (c < '0' || c > '9') {
			return false
		}
	}
	return bytes.IndexByte(v[1:e], ' ') >= 0 || alnum.span(v[1:e]) == e-1 && 'a' <= v[1] && v[1] <= 'z' && e < 10
}

// isBlockHeader reports whether b is the header of a YAML block scalar:
// | or >, an optional chomping and indentation indicator, and a comment.
func isBlockHeader(b []byte) bool {
	if len(b) == 0 || b[0] != '|' && b[0] != '>' {
		return false
	}
	i := 1
	for i < len(b) && (b[i] == '-' || b[i] == '+' || '1' <= b[i] && b[i] <= '9') {
		i++
	}
	i = skipBlank(b, i)
	return i == len(b) || b[i] == '#'
}

// jsonString returns where the JSON string whose content starts at i ends:
// the index of its closing quote, or len(b).
func jsonString(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case '\\':
			i += 2
		case '"':
			return i
		default:
			i++
		}
	}
	return len(b)
}

// escString returns where a string inside a JSON string, whose content
// starts at i, ends: at the backslash of its closing \", at the quote that
// ends the outer string, or at len(b). Inside, \\\" is an escaped quote.
func escString(b []byte, i int) int {
	for i < len(b) {
		if b[i] != '\\' {
			if b[i] == '"' {
				return i
			}
			i++
			continue
		}
		r := 0
		for i+r < len(b) && b[i+r] == '\\' {
			r++
		}
		switch {
		case i+r == len(b):
			return len(b)
		case b[i+r] == '"' && r%4 == 1:
			return i + r - 1
		case b[i+r] == '"' && r%2 == 0:
			return i
		}
		i += r + 1
	}
	return len(b)
}

// singleString returns the index of the quote that ends a single-quoted
// string whose content starts at i (a doubled quote is an escaped one), or
// len(b). A quote at the end of b ends the string only if the line ends
// there too: otherwise it may be doubled in the next window.
func singleString(b []byte, i int, final bool) int {
	for i < len(b) {
		switch {
		case b[i] != '\'':
			i++
		case i+1 < len(b) && b[i+1] == '\'':
			i += 2
		case i+1 == len(b) && !final:
			return len(b)
		default:
			return i
		}
	}
	return len(b)
}

// minCredential is the length from which a value under a secret-like name
// may be a credential.
const minCredential = 8

// credentialLike reports whether v, the value of a field with a
// secret-like name, looks like a credential: a known token, or at least 8
// bytes without blanks that are not a number, a duration, a path, a URL,
// an ARN or a name made of words, and that mix letters with digits or
// symbols, or are a long hex or base64 string.
func credentialLike(v []byte) bool {
	if knownTokenAt(v, 0) > 0 {
		return true
	}
	if len(v) < minCredential || notSecret(v) || awsScope(v) {
		return false
	}
	var classes [4]bool // lower, upper, digit, other
	for _, c := range v {
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			return false
		case 'a' <= c && c <= 'z':
			classes[0] = true
		case 'A' <= c && c <= 'Z':
			classes[1] = true
		case '0' <= c && c <= '9':
			classes[2] = true
		default:
			classes[3] = true
		}
	}
	switch {
	case v[0] == '/' || hasPrefix(v, "./") || hasPrefix(v, "~/") || hasPrefix(v, "arn:"),
		bytes.Contains(v, []byte("://")), isQuantity(v), wordy(v),
		bytes.ContainsAny(v, "()[]{}<>\"'`"): // code, a list, a reference: not a token
		return false
	}
	n := 0
	for _, ok := range classes {
		if ok {
			n++
		}
	}
	return n >= 2
}

// wordy reports whether v is made of words: runs of letters, and runs of at
// most four digits, between separators, as names of Kubernetes objects,
// paths and references are (cloud-credentials, bsl-credentials=cloud,
// database/creds/db-app, MountVolume.SetUp).
func wordy(v []byte) bool {
	letters, digits, segments, upper := 0, 0, 0, false
	for i := 0; i <= len(v); i++ {
		var c byte = '-'
		if i < len(v) {
			c = v[i]
		}
		switch {
		case 'a' <= fold[c] && fold[c] <= 'z':
			if randomCase(v, i) {
				return false
			}
			letters++
			upper = upper || c < 'a'
		case '0' <= c && c <= '9':
			digits++
		case bytes.IndexByte([]byte("-._/=:,@"), c) >= 0:
			// A segment of letters and digits is a word when it is short
			// and in lower case, as generated suffixes and versions are
			// (x7k9q, s3, v2, k8s); A1B2C of a license key is not.
			if letters > 0 && digits > 0 && (letters+digits > maxMixedWord || upper && letters+digits >= 3) {
				return false
			}
			if letters > 0 || digits > 0 {
				segments++
			}
			letters, digits, upper = 0, 0, false
		default:
			return false
		}
	}
	return segments > 0
}

// maxMixedWord is the longest segment of letters and digits that wordy
// takes for a word.
const maxMixedWord = 5

// randomCase reports whether the letter v[i] ends two upper-case letters
// followed by a lower-case one inside a run of letters, as base64 has
// (dXNlcjpwYXNz) and words seldom do (MountVolume, SetUp, HTTP).
func randomCase(v []byte, i int) bool {
	return i >= 2 && 'a' <= v[i] && v[i] <= 'z' && 'A' <= v[i-1] && v[i-1] <= 'Z' && 'A' <= v[i-2] && v[i-2] <= 'Z' &&
		(i == 2 || 'a' <= fold[v[i-3]] && fold[v[i-3]] <= 'z')
}

// awsScope reports whether v is the Credential= of a SigV4 signature: an
// access key id, then /date/region/service/aws4_request. An AKIA key id is
// redacted by its own rule.
func awsScope(v []byte) bool {
	return bytes.Contains(v, []byte("/aws4_request"))
}

// isQuantity reports whether v is a number, a duration (1h30m, 300s), a
// size (10Gi) or a time stamp: digits with few letters among them.
func isQuantity(v []byte) bool {
	if len(v) == 0 || (v[0] < '0' || v[0] > '9') && v[0] != '-' && v[0] != '+' {
		return false
	}
	letters := 0
	for _, c := range v {
		switch {
		case '0' <= c && c <= '9', c == '.', c == ':', c == '-', c == '+':
		case 'a' <= fold[c] && fold[c] <= 'z':
			letters++
		default:
			return false
		}
	}
	return letters <= 4
}
