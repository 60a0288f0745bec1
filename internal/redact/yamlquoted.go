package redact

import (
	"bytes"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// A line of YAML whose value is one quoted scalar ([indent][- ]key: "…",
// or an item "…") is redacted by what the scalar holds: decoded, as text
// of its own, and quoted again as it was (double or single quotes). A
// scalar may hold a document or a log line whose own quotes are escaped
// (config: "{\"password\":\"…\"}", args: '"--token=…"'); redacted as the
// line's text, a marker could end the scalar early or leave its closing
// quote out. A scalar in which nothing is redacted keeps its bytes. The
// value of a key that names a secret is left to the text rules, which
// replace it whole.

// yamlScalarLine redacts line when it is such a line of YAML, into w.out.
// It reports false, writing nothing, when it is not.
func (w *Writer) yamlScalarLine(line []byte) bool {
	key, qs, qe, ok := yamlScalar(line)
	if !ok {
		return false
	}
	if key != nil && w.keyField(key).st != notSecretName {
		return false
	}
	if len(w.rs.always) == 0 && len(w.rs.scan.scan(line[qs+1:qe], w.hits[:0])) == 0 {
		return false // nothing the text rules could find in it either
	}
	var v []byte
	if line[qs] == '"' {
		if v, ok = unquoteYAML(line[qs+1 : qe]); !ok {
			return false
		}
	} else {
		v = bytes.ReplaceAll(line[qs+1:qe], []byte("''"), []byte("'"))
	}
	out, counts := w.nested(v)
	at := len(w.out)
	if bytes.Equal(out, v) {
		w.emit(line, nil)
		w.holdValue(line, at)
		return true
	}
	for r, n := range counts {
		w.counts[r] += n
	}
	var repl []byte
	if line[qs] == '"' {
		repl = quoteYAML(nil, out)
	} else {
		repl = bytes.ReplaceAll(out, []byte("'"), []byte("''"))
	}
	w.emit(line, []span{{start: qs + 1, end: qe, ctx: qs + 1, repl: repl}})
	return true
}

// yamlScalar finds the quoted scalar that line ends with, after blanks or
// a carriage return: the index of its opening quote qs and of its closing
// one qe, and the plain key before it (nil for an item of a sequence).
func yamlScalar(b []byte) (key []byte, qs, qe int, ok bool) {
	i := skipBlank(b, 0)
	for hasPrefix(b[i:], "- ") {
		i = skipBlank(b, i+2)
	}
	if i < len(b) && b[i] != '"' && b[i] != '\'' {
		k := i + yamlKeyByte.span(b[i:])
		if k == i || k+1 >= len(b) || b[k] != ':' || b[k+1] != ' ' && b[k+1] != '\t' {
			return nil, 0, 0, false
		}
		key, i = b[i:k], skipBlank(b, k+1)
	}
	if i >= len(b) || b[i] != '"' && b[i] != '\'' {
		return nil, 0, 0, false
	}
	end := trimRight(b)
	qe = yamlScalarEnd(b, i)
	return key, i, qe, qe == end-1
}

// yamlKeyByte makes up the plain keys of the lines yamlScalar finds.
var yamlKeyByte = newSet("a-z", "A-Z", "0-9", "_.-/")

// yamlScalarEnd returns the index of the quote that closes the scalar that
// opens at b[q], or len(b).
func yamlScalarEnd(b []byte, q int) int {
	for k := q + 1; k < len(b); k++ {
		switch {
		case b[q] == '"' && b[k] == '\\':
			k++
		case b[k] == b[q] && b[q] == '\'' && k+1 < len(b) && b[k+1] == '\'':
			k++ // '' is a quote
		case b[k] == b[q]:
			return k
		}
	}
	return len(b)
}

// unquoteYAML returns the content of a double-quoted YAML scalar of one
// line, whose escaped form is raw, or false when an escape is not YAML's.
func unquoteYAML(raw []byte) ([]byte, bool) {
	if bytes.IndexByte(raw, '\\') < 0 {
		return raw, true
	}
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		if i++; i >= len(raw) {
			return nil, false
		}
		if r, ok := yamlEscapes[raw[i]]; ok {
			out = utf8.AppendRune(out, r)
			continue
		}
		n := 0
		switch raw[i] {
		case 'x':
			n = 2
		case 'u':
			n = 4
		case 'U':
			n = 8
		}
		if n == 0 || i+n >= len(raw) {
			return nil, false
		}
		r, err := strconv.ParseInt(string(raw[i+1:i+1+n]), 16, 32)
		if err != nil || !utf8.ValidRune(rune(r)) {
			return nil, false
		}
		out = utf8.AppendRune(out, rune(r))
		i += n
	}
	return out, true
}

// yamlEscapes are the escapes of YAML's double-quoted scalars that stand
// for one character.
var yamlEscapes = map[byte]rune{
	'0': 0, 'a': '\a', 'b': '\b', 't': '\t', '\t': '\t', 'n': '\n', 'v': '\v', 'f': '\f',
	'r': '\r', 'e': 0x1b, ' ': ' ', '"': '"', '/': '/', '\\': '\\',
	'N': 0x85, '_': 0xa0, 'L': 0x2028, 'P': 0x2029,
}

// quoteYAML appends s to dst as the content of a double-quoted YAML
// scalar: quotes, backslashes, control characters and the characters YAML
// reads as line breaks or does not print escaped. Bytes that are not
// UTF-8 (YAML that is not valid) are kept as they are.
func quoteYAML(dst, s []byte) []byte {
	for len(s) > 0 {
		r, n := utf8.DecodeRune(s)
		switch {
		case r == '"' || r == '\\':
			dst = append(dst, '\\', byte(r))
		case r == '\n':
			dst = append(dst, `\n`...)
		case r == '\t':
			dst = append(dst, `\t`...)
		case r == '\r':
			dst = append(dst, `\r`...)
		case r < 0x20 || r == 0x7f:
			dst = fmt.Appendf(dst, `\x%02x`, r)
		case 0x80 <= r && r <= 0x9f || r == 0x2028 || r == 0x2029 || r == 0xfeff || r == 0xfffe || r == 0xffff:
			dst = fmt.Appendf(dst, `\u%04x`, r)
		default:
			dst = append(dst, s[:n]...)
		}
		s = s[n:]
	}
	return dst
}
