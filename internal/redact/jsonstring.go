package redact

import (
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// decoded returns the content of the string b[s:e], in space that the
// next call reuses.
func (j *jsonWalk) decoded(s, e int, esc bool) ([]byte, bool) {
	if !esc {
		return j.b[s:e], true
	}
	var ok bool
	j.dec, ok = unescapeJSON(j.dec[:0], j.b[s:e])
	return j.dec, ok
}

// unescapeJSON appends to dst the content of a JSON string whose escaped
// form is raw.
func unescapeJSON(dst, raw []byte) ([]byte, bool) {
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' {
			dst = append(dst, c)
			continue
		}
		if i++; i >= len(raw) {
			return dst, false
		}
		switch raw[i] {
		case '"', '\\', '/':
			dst = append(dst, raw[i])
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r, n := hexRune(raw[i+1:])
			if n == 0 {
				return dst, false
			}
			i += n
			if utf16.IsSurrogate(r) {
				r2, n2 := rune(-1), 0
				if i+2 < len(raw) && raw[i+1] == '\\' && raw[i+2] == 'u' {
					r2, n2 = hexRune(raw[i+3:])
				}
				if r = utf16.DecodeRune(r, r2); r != utf8.RuneError && n2 > 0 {
					i += 2 + n2
				}
			}
			dst = utf8.AppendRune(dst, r)
		default:
			return dst, false
		}
	}
	return dst, true
}

// hexRune returns the rune of four hex digits at the start of b, and 4, or 0.
func hexRune(b []byte) (rune, int) {
	if len(b) < 4 {
		return 0, 0
	}
	v, err := strconv.ParseUint(string(b[:4]), 16, 16)
	if err != nil {
		return 0, 0
	}
	return rune(v), 4 //nolint:gosec // G115: at most 0xFFFF
}
