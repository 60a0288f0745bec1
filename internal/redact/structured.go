package redact

import (
	"bytes"
	"encoding/json"
	"math/bits"
	"slices"
)

// maxDepth bounds how deep strings inside strings are decoded and redacted
// as text of their own: a JSON document in a JSON string in a log line is
// three deep.
const maxDepth = 6

// maxNesting bounds the nesting of objects and arrays in a JSON line that
// is redacted by its structure; a deeper line is redacted as text.
const maxNesting = 256

// A JSON line (an object of a List, written one per line; a JSON log line;
// a file Velero wrote as JSON) is redacted by its structure: the value of a
// key that names a secret is replaced whole, and a string that holds a
// keyword is decoded, redacted as text of its own (a file in a ConfigMap, a
// document in an annotation, a message) and encoded again. A string in
// which nothing is redacted keeps its bytes; the line stays valid JSON.

// jsonWalk is the state of one JSON line being walked.
type jsonWalk struct {
	w      *Writer
	b      []byte
	hits   []hit // the keywords of the line, in the order of their starts
	cur    int   // the first hit not before the last string asked about
	all    bool  // user rules without keywords: every string is redacted as text
	spans  []span
	counts map[string]int // of the strings redacted as text, added on success
	depth  int            // nesting of objects and arrays
	dec    []byte         // scratch space of decoded
	nth    int            // keys with keywords asked about by keyAt
	// No hit starts in b[gapStart:gapEnd], the gap between two hits
	// that hasHit last asked about.
	gapStart, gapEnd int
}

// field is what the key of a value says about it.
type field struct {
	rule string
	st   strength
}

// jsonStart reports whether b may be a line of JSON: it starts, after
// blanks, with an object or an array, or with a string as a line of
// indented JSON does ("key": value, or an item of an array).
func jsonStart(b []byte) bool {
	i := skipBlank(b, 0)
	return i < len(b) && (b[i] == '{' || b[i] == '[' || b[i] == '"')
}

// jsonLine returns the spans that redact b, a whole line that holds one
// JSON value, or false when b is not one: it is redacted as text then.
func (w *Writer) jsonLine(b []byte, hits []hit) ([]span, bool) {
	j := &w.walk
	*j = jsonWalk{w: w, b: b, hits: j.hits[:0], spans: w.spans[:0], counts: j.counts, dec: j.dec, all: len(w.rs.always) > 0, gapStart: len(b) + 1}
	if j.counts == nil {
		j.counts = map[string]int{}
	}
	clear(j.counts)
	j.hits = append(j.hits, hits...)
	slices.SortFunc(j.hits, func(a, b hit) int { return a.pos - b.pos })
	i, ok := skipBlank(b, 0), false
	if b[i] == '"' {
		i, ok = j.member(i)
	} else if i, ok = j.value(i, field{}); ok {
		// An item of a List is followed by a comma: see collect's listWriter.
		if i = j.ws(i); i < len(b) && b[i] == ',' {
			i++
		}
	}
	if !ok || !onlySpace(b[i:]) {
		return nil, false
	}
	for r, n := range j.counts {
		w.counts[r] += n
	}
	w.spans = j.spans
	return j.spans, true
}

// hasHit reports whether a keyword starts in b[s:e]. It is asked of every
// string, and answers from the gap between two hits the walk is in.
func (j *jsonWalk) hasHit(s, e int) bool {
	if j.gapStart <= s && e <= j.gapEnd {
		return false
	}
	return j.hitIn(s, e)
}

// hitIn is hasHit outside the gap it knows; it moves the gap to s.
func (j *jsonWalk) hitIn(s, e int) bool {
	if j.all {
		return true
	}
	i := j.firstHit(s)
	j.gapStart, j.gapEnd = 0, len(j.b)
	if i > 0 {
		j.gapStart = j.hits[i-1].pos + 1
	}
	if i < len(j.hits) {
		j.gapEnd = j.hits[i].pos
	}
	return i < len(j.hits) && j.hits[i].pos < e
}

// firstHit returns the index of the first hit at or after s. The walk
// asks in the order of the line, but for an env var's deferred value.
func (j *jsonWalk) firstHit(s int) int {
	if j.cur > 0 && j.hits[j.cur-1].pos >= s {
		i, _ := slices.BinarySearchFunc(j.hits, s, func(h hit, s int) int { return h.pos - s })
		return i
	}
	for j.cur < len(j.hits) && j.hits[j.cur].pos < s {
		j.cur++
	}
	return j.cur
}

// onlyNames reports whether the string b[s:e] is one name, such as
// cloud-credentials or /var/run/secrets/token, and its keywords are all
// parts of names: no detector can find a secret in it.
func (j *jsonWalk) onlyNames(s, e int) bool {
	if j.all || pathByte.span(j.b[s:e]) != e-s {
		return false
	}
	for i := j.firstHit(s); i < len(j.hits) && j.hits[i].pos < e; i++ {
		if k := j.w.rs.scan.words[j.hits[i].kw].kw.kind; k != kwField && k != kwPrivate {
			return false
		}
	}
	return true
}

func (j *jsonWalk) ws(i int) int {
	for i < len(j.b) && (j.b[i] == ' ' || j.b[i] == '\t' || j.b[i] == '\r') {
		i++
	}
	return i
}

// value walks the value at i, whose key says f; it returns the index after it.
func (j *jsonWalk) value(i int, f field) (int, bool) {
	if i >= len(j.b) {
		return i, false
	}
	switch j.b[i] {
	case '{':
		return j.object(i)
	case '[':
		return j.array(i, f)
	case '"':
		e, esc, ok := j.str(i)
		if ok && (f.st != notSecretName || j.hasHit(i+1, e-1)) {
			j.stringValue(i+1, e-1, esc, f)
		}
		return e, ok
	}
	e := i + plainByte.span(j.b[i:])
	lit := j.b[i:e]
	switch {
	case e == i:
		return i, false
	case string(lit) == "true", string(lit) == "false", string(lit) == "null":
	case !isJSONNumber(lit):
		return i, false
	case f.st == strongName:
		j.spans = append(j.spans, span{start: i, end: e, ctx: i, rule: f.rule, quote: true})
	}
	return e, true
}

// member walks a line of indented JSON that starts with a string at i: a
// member of an object, "key": value, whose value may open an object or an
// array that the next lines go on with, or an item of an array; a comma
// may follow. It returns the index after it.
func (j *jsonWalk) member(i int) (int, bool) {
	e, esc, ok := j.str(i)
	if !ok {
		return e, false
	}
	k := j.ws(e)
	if k < len(j.b) && j.b[k] == ':' {
		j.keyText(i+1, e-1, esc)
		f := j.keyAt(i+1, e-1, esc)
		v := j.ws(k + 1)
		if v < len(j.b) && (j.b[v] == '{' || j.b[v] == '[') && onlySpace(j.b[v+1:]) {
			return len(j.b), true
		}
		if string(j.b[i+1:e-1]) == "name" && v < len(j.b) && j.b[v] == '"' {
			j.envNameLine(v)
		}
		if k, ok = j.value(v, f); !ok {
			return k, false
		}
	} else {
		j.stringValue(i+1, e-1, esc, field{})
		// "--password", alone on a line of an indented array: the next
		// line holds its value.
		if f := j.w.flagField(j.b[i+1 : e-1]); f.st != notSecretName && !esc && j.hasHit(i+1, e-1) {
			j.w.weak = f.st == weakName
			j.w.expectValue(f.rule, false)
			j.w.state.item = true
			j.w.weak = false
		}
	}
	k = j.ws(k)
	if k < len(j.b) && j.b[k] == ',' {
		k++
	}
	return k, true
}

// envNameLine notes that the string at v, the value of "name" on a line
// of indented JSON, names a secret env var whose "value" is on the next
// line.
func (j *jsonWalk) envNameLine(v int) {
	e, esc, ok := j.str(v)
	if !ok {
		return
	}
	if f := j.keyAt(v+1, e-1, esc); f.st != notSecretName {
		j.w.weak = f.st == weakName
		j.w.expectValue(f.rule, false)
		j.w.weak = false
	}
}

// isJSONNumber reports whether b is made of the bytes of a JSON number.
func isJSONNumber(b []byte) bool {
	for _, c := range b {
		if (c < '0' || c > '9') && c != '-' && c != '+' && c != '.' && c != 'e' && c != 'E' {
			return false
		}
	}
	return true
}

// str returns the index after the JSON string that starts at i, and
// whether it holds escapes.
func (j *jsonWalk) str(i int) (int, bool, bool) {
	b, esc, k := j.b, false, i+1
	// Most strings of an object are short: eight bytes at a time costs
	// less for them than to start a search.
	for n := min(len(b), k+shortString); k+8 <= n; {
		m := quoteOrEscape(le.Uint64(b[k:]))
		if m == 0 {
			k += 8
			continue
		}
		k += bits.TrailingZeros64(m) / 8
		if b[k] == '"' {
			return k + 1, esc, true
		}
		esc, k = true, k+2 // the backslash and what it escapes
	}
	for k < len(b) {
		q := bytes.IndexByte(b[k:], '"')
		if q < 0 {
			break
		}
		s := bytes.IndexByte(b[k:k+q], '\\')
		if s < 0 {
			return k + q + 1, esc, true
		}
		esc, k = true, k+s+2 // the backslash and what it escapes
	}
	return len(b), esc, false
}

// shortString is how many bytes of a string str reads eight at a time
// before it searches for its end.
const shortString = 32

// quoteOrEscape returns x, eight bytes of a string, with the high bit set
// in its first byte that is a quote or a backslash (and maybe in later
// ones), or 0 when none is.
func quoteOrEscape(x uint64) uint64 {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	q, e := x^(ones*'"'), x^(ones*'\\')
	return ((q-ones)&^q | (e-ones)&^e) & highs
}

// object walks the object at i. An env var, {"name": "DB_PASSWORD",
// "value": "…"} in either order, has its value redacted when its name is a
// secret's.
func (j *jsonWalk) object(i int) (int, bool) {
	if j.depth >= maxNesting {
		return i, false
	}
	j.depth++
	i, ok := j.members(i)
	j.depth--
	return i, ok
}

// members walks the members of the object at i.
func (j *jsonWalk) members(i int) (int, bool) {
	var env struct {
		name       field
		vs, ve     int // the string under "value", when there is one
		esc, found bool
	}
	i = j.ws(i + 1)
	if i < len(j.b) && j.b[i] == '}' {
		return i + 1, true
	}
	for {
		if i >= len(j.b) || j.b[i] != '"' {
			return i, false
		}
		ke, kesc, ok := j.str(i)
		if !ok {
			return ke, false
		}
		ks := i + 1
		i = j.ws(ke)
		if i >= len(j.b) || j.b[i] != ':' {
			return i, false
		}
		i = j.ws(i + 1)
		key := j.b[ks : ke-1]
		switch {
		case string(key) == "value" && i < len(j.b) && j.b[i] == '"':
			e, esc, ok := j.str(i)
			if !ok {
				return e, false
			}
			env.vs, env.ve, env.esc, env.found = i+1, e-1, esc, true
			i = e
		case string(key) == "name" && i < len(j.b) && j.b[i] == '"':
			e, esc, ok := j.str(i)
			if !ok {
				return e, false
			}
			env.name = j.keyAt(i+1, e-1, esc)
			j.stringValue(i+1, e-1, esc, field{})
			i = e
		default:
			j.keyText(ks, ke-1, kesc)
			if i, ok = j.value(i, j.keyAt(ks, ke-1, kesc)); !ok {
				return i, false
			}
		}
		var end bool
		if i, end, ok = j.sep(i, '}'); !ok || end {
			if ok && env.found {
				j.stringValue(env.vs, env.ve, env.esc, env.name)
			}
			return i, ok
		}
	}
}

// sep reads what follows a member or an item that ends at i: a comma, or
// end, the byte that closes the object or array. It returns the index after
// it, whether the container ended, and whether the JSON is well-formed.
func (j *jsonWalk) sep(i int, end byte) (int, bool, bool) {
	i = j.ws(i)
	switch {
	case i < len(j.b) && j.b[i] == ',':
		return j.ws(i + 1), false, true
	case i < len(j.b) && j.b[i] == end:
		return i + 1, true, true
	}
	return i, false, false
}

// keyText redacts the key b[s:e] as text when it is not a name: a key may
// hold a value too ({"url=…&X-Amz-Signature=…": 1}).
func (j *jsonWalk) keyText(s, e int, esc bool) {
	if esc || j.hasHit(s, e) && pathByte.span(j.b[s:e]) != e-s {
		j.stringValue(s, e, esc, field{})
	}
}

// keyAt returns what the string b[s:e], a key or an env var's name, says of
// the value it names, when it holds a keyword.
func (j *jsonWalk) keyAt(s, e int, esc bool) field {
	if !j.hasHit(s, e) {
		return field{}
	}
	name, ok := j.decoded(s, e, esc)
	if !ok {
		return field{}
	}
	// The objects of a List repeat their keys in the same order: the n-th
	// key with a keyword of a line is most often that of the line before.
	n := j.nth
	j.nth++
	if n < len(j.w.recent) && j.w.recent[n].name == string(name) {
		return j.w.recent[n].f
	}
	k := j.w.keyMemo(name)
	if n < len(j.w.recent) {
		j.w.recent[n] = k
	}
	return k.f
}

// array walks the array at i, whose key says f. In a list of arguments,
// the item after a flag that names a secret ("--password", "…") is its
// value.
func (j *jsonWalk) array(i int, f field) (int, bool) {
	if j.depth >= maxNesting {
		return i, false
	}
	j.depth++
	i, ok := j.items(i, f)
	j.depth--
	return i, ok
}

// items walks the items of the array at i, whose key says f.
func (j *jsonWalk) items(i int, f field) (int, bool) {
	i = j.ws(i + 1)
	if i < len(j.b) && j.b[i] == ']' {
		return i + 1, true
	}
	var flag field
	for {
		item := f
		if flag.st != notSecretName {
			item = flag
		}
		flag = field{}
		if i < len(j.b) && j.b[i] == '"' && j.b[min(i+1, len(j.b)-1)] == '-' {
			item = f // an argument that starts with '-' is not a flag's value
			e, esc, ok := j.str(i)
			if !ok {
				return e, false
			}
			if item.st == notSecretName && j.hasHit(i+1, e-1) && !esc {
				flag = j.w.flagField(j.b[i+1 : e-1])
			}
			if flag.st == notSecretName {
				j.stringValue(i+1, e-1, esc, item)
			}
			i = e
		} else {
			var ok bool
			if i, ok = j.value(i, item); !ok {
				return i, false
			}
		}
		var end, ok bool
		if i, end, ok = j.sep(i, ']'); !ok || end {
			return i, ok
		}
	}
}

// stringValue redacts the string b[s:e] under a key that says f: whole,
// when the key names a secret and the value is one; else as text of its
// own, when it holds a keyword.
func (j *jsonWalk) stringValue(s, e int, esc bool, f field) {
	if f.rule == ruleLastApplied {
		if !hasPrefix(j.b[s:e], "[REDACTED") {
			j.spans = append(j.spans, span{start: s, end: e, ctx: s, rule: f.rule})
		}
		return
	}
	if f.st != notSecretName {
		v, ok := j.decoded(s, e, esc)
		if !ok {
			v = j.b[s:e]
		}
		switch {
		case notSecret(v):
			return
		case f.st == weakName && !credentialLike(v):
			f.st = notSecretName
		}
		if f.st != notSecretName {
			j.secretString(s, e, esc, f.rule, v)
			return
		}
	}
	if s == e || !j.hasHit(s, e) || !esc && j.onlyNames(s, e) {
		return
	}
	v, ok := j.decoded(s, e, esc)
	if !ok {
		return
	}
	out, counts := j.w.nested(v)
	if bytes.Equal(out, v) {
		return
	}
	repl, err := json.Marshal(string(out))
	if err != nil {
		return
	}
	for r, n := range counts {
		j.counts[r] += n
	}
	j.spans = append(j.spans, span{start: s - 1, end: e + 1, ctx: s - 1, repl: repl})
}

// secretString replaces the content of the string b[s:e], decoded v; the
// token of "Bearer …" or "Basic …" is redacted by its own rule.
func (j *jsonWalk) secretString(s, e int, esc bool, rule string, v []byte) {
	if n := schemeLen(v); n > 0 && !esc {
		rule = ruleBasic
		if hasFold(v, "bearer") {
			rule = ruleBearer
		}
		if s += n; notSecret(j.b[s:e]) {
			return
		}
	}
	j.spans = append(j.spans, span{start: s, end: e, ctx: s, rule: rule})
}
