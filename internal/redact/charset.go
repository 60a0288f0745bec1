package redact

// byteSet is a set of bytes, looked up in one step.
type byteSet [256]bool

func newSet(ranges ...string) *byteSet {
	var s byteSet
	for _, r := range ranges {
		if len(r) == 3 && r[1] == '-' {
			for c := int(r[0]); c <= int(r[2]); c++ {
				s[c] = true
			}
			continue
		}
		for i := 0; i < len(r); i++ {
			s[r[i]] = true
		}
	}
	return &s
}

func (s *byteSet) not() *byteSet {
	var n byteSet
	for i := range s {
		n[i] = !s[i]
	}
	return &n
}

var (
	alnum = newSet("a-z", "A-Z", "0-9")
	upper = newSet("A-Z", "0-9")
	// nameByte makes up a field name: AWS_SECRET_ACCESS_KEY, X-Amz-Signature, spec.password.
	nameByte = newSet("a-z", "A-Z", "0-9", "_.-")
	// pathByte makes up a name or a path: cloud-credentials, /var/run/secrets/token.
	pathByte = newSet("a-z", "A-Z", "0-9", "_.-/")
	// valueByte makes up an unquoted value after '=': it stops at blanks,
	// quotes, and the separators of query strings, connection strings and
	// JSON. A comma does not stop it: it is common in passwords.
	valueByte = newSet(" \t\r\n\v\f\"';&<>)]}`\\").not()
	// fieldValueByte makes up an unquoted value after name= outside a
	// query string: it stops only at blanks, quotes and backslashes, so
	// that a password with '&', ')' or '<' is seen whole (see trimClosers).
	fieldValueByte = newSet(" \t\r\n\v\f\"'`\\").not()
	// shellVar makes up the name of a shell variable, as in $DB_PASSWORD.
	shellVar = newSet("A-Z", "0-9", "_")
	// plainByte makes up an unquoted JSON value: a number, true, false.
	plainByte = newSet(" \t\r\n,}]\\'\"").not()
	// tokenByte makes up a bearer token (RFC 6750 token68).
	tokenByte = newSet("a-z", "A-Z", "0-9", "-._~+/=")
	// jwtByte makes up one segment of a JWT (base64url).
	jwtByte = newSet("a-z", "A-Z", "0-9", "-_")
	// base64Byte makes up a line of a PEM body.
	base64Byte = newSet("a-z", "A-Z", "0-9", "+/=")
	// pemByte makes up a PEM body on one line: base64, blanks, \n escapes,
	// and the Proc-Type and DEK-Info headers of encrypted keys. A '-' is
	// one too, unless it starts -----END.
	pemByte = newSet("a-z", "A-Z", "0-9", "+/=\\ \t\r:,-")
	// schemeByte makes up a URL scheme.
	schemeByte = newSet("a-z", "A-Z", "0-9", "+.-")
	// authorityByte makes up the authority of a URL: user:password@host:port.
	authorityByte = newSet(" \t\r\n\"'<>\\`/?#").not()
	// urlByte makes up a URL.
	urlByte = newSet(" \t\r\n\"'<>\\`").not()
	digit   = newSet("0-9")
)

// span returns how many bytes at the start of b are in s.
func (s *byteSet) span(b []byte) int {
	for i, c := range b {
		if !s[c] {
			return i
		}
	}
	return len(b)
}

// skipBlank returns the index of the first byte at or after i that is not a
// space or a tab.
func skipBlank(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	return i
}

// onlySpace reports whether b holds nothing but blanks and a carriage return.
func onlySpace(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\r' {
			return false
		}
	}
	return true
}

// trimRight returns the end of b without its trailing blanks.
func trimRight(b []byte) int {
	e := len(b)
	for e > 0 && (b[e-1] == ' ' || b[e-1] == '\t' || b[e-1] == '\r') {
		e--
	}
	return e
}

// hasDigit reports whether b holds a digit.
func hasDigit(b []byte) bool {
	for _, c := range b {
		if '0' <= c && c <= '9' {
			return true
		}
	}
	return false
}
