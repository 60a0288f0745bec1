package redact

import (
	"bytes"
	"strings"
)

const (
	awsKeyIDLen = 20
	// minJWTHeader is the shortest first segment of a JWT: {"alg":"x"} in base64url.
	minJWTHeader = 10
	// maxScheme bounds a URL scheme, maxUserinfo its user:password.
	maxScheme, maxUserinfo = 32, 512
	// maxURL bounds the part of a URL looked at after its scheme.
	maxURL = 2048
	// maxAtTries bounds the '@' of a URL tried as the end of its user part.
	maxAtTries = 4
	// A bare "bearer" is followed by a token when the word after it is long,
	// or not so long but with a digit: "bearer token" is prose.
	minBearer, minBearerWithDigit = 20, 8
)

// awsKeyID redacts an AWS access key id, AKIA or ASIA and 16 upper-case
// letters or digits, at p.
func (w *Writer) awsKeyID(in input, p int) {
	b := in.b
	e := p + awsKeyIDLen
	if p > 0 && alnum[b[p-1]] || e > len(b) || upper.span(b[p:e]) < awsKeyIDLen || e < len(b) && alnum[b[e]] {
		return
	}
	w.add(span{start: p, end: e, rule: ruleAWSKeyID})
}

// jwt redacts a JSON Web Token at p: three base64url segments, the first
// starting with eyJ.
func (w *Writer) jwt(in input, p int) {
	b := in.b
	if p > 0 && jwtByte[b[p-1]] {
		return
	}
	i := p + jwtByte.span(b[p:])
	if i-p < minJWTHeader || i >= len(b) || b[i] != '.' {
		return
	}
	j := i + 1 + jwtByte.span(b[i+1:])
	if j == i+1 || j >= len(b) || b[j] != '.' {
		return
	}
	e := j + 1 + jwtByte.span(b[j+1:])
	w.add(span{start: p, end: e, rule: ruleJWT, open: in.open(e), cont: contJWT})
}

// bearer redacts the token after the word bearer at p: always after an
// Authorization header, and elsewhere when it looks like a token.
func (w *Writer) bearer(in input, p int) {
	b := in.b
	if p > 0 && alnum[b[p-1]] {
		return
	}
	t := skipBlank(b, p+len("bearer"))
	if t == p+len("bearer") {
		return
	}
	e := t + tokenByte.span(b[t:])
	tok := b[t:e]
	if a := authorizationAt(b[:p]); a >= 0 {
		w.ctx = a
	}
	switch {
	case e == t:
		return
	case in.open(e), w.ctx < p:
	case len(tok) < minBearer && (len(tok) < minBearerWithDigit || !hasDigit(tok)):
		return
	}
	w.add(span{start: t, end: e, rule: ruleBearer, open: in.open(e), cont: contToken})
}

// authorizationAt returns where an Authorization header name starts when b
// ends with one and its separator, or -1.
func authorizationAt(b []byte) int {
	i := len(b)
	for i > 0 && strings.IndexByte(" \t\"':=[", b[i-1]) >= 0 {
		i--
	}
	const name = "authorization"
	if i < len(name) || !hasFold(b[i-len(name):], name) {
		return -1
	}
	return i - len(name)
}

// urlPassword redacts the password of scheme://user:password@host, where p
// is the index of "://": also a password that holds an unencoded '#', '?',
// '@' or '/' (the last '@' before a host ends it), and a user part that is a
// token (https://<token>@github.com). The secret path of a chat webhook
// URL goes too.
func (w *Writer) urlPassword(in input, p int) {
	b := in.b
	s := p
	for s > 0 && p-s < maxScheme && schemeByte[b[s-1]] {
		s--
	}
	if s == p {
		return
	}
	w.ctx = s
	a := p + len("://")
	// The run of URL bytes and its '@' are found once for all the URLs
	// that start in it (a://a://… stays linear).
	if a >= w.url.end {
		w.url.end = a + urlByte.span(b[a:])
		w.url.at = -1
	}
	if w.url.at < a {
		w.url.at = w.url.end
		if k := bytes.IndexByte(b[a:w.url.end], '@'); k >= 0 {
			w.url.at = a + k
		}
	}
	end := min(w.url.end, a+maxURL)
	at := -1
	if w.url.at < min(end, a+maxUserinfo) {
		at = userinfoEnd(b[a:end])
	}
	host := a
	if at >= 0 {
		host = a + at + 1
		w.userinfo(b, a, a+at)
	}
	he := host + authorityByte.span(b[host:end])
	w.webhookURL(b, host, he, end)
}

// userinfo redacts the password in b[a:e], user:password, or the whole
// user part when it is a token.
func (w *Writer) userinfo(b []byte, a, e int) {
	if hasPrefix(b[a:e], "[REDACTED") {
		return
	}
	c := bytes.IndexByte(b[a:e], ':')
	if c < 0 {
		if u := b[a:e]; knownTokenAt(u, 0) == len(u) || len(u) >= 20 && credentialLike(u) {
			w.add(span{start: a, end: e, rule: ruleURL})
		}
		return
	}
	if vs := a + c + 1; !notSecret(b[vs:e]) {
		w.add(span{start: vs, end: e, rule: ruleURL})
	}
}

// userinfoEnd returns the index of the '@' that ends the user part of a
// URL whose authority starts b, or -1: the last '@' followed by a host, with
// a ':' before it. After host:port, a '/' starts the path:
// registry:5000/velero/velero@sha256:… has no password.
func userinfoEnd(b []byte) int {
	b = b[:min(len(b), maxUserinfo)]
	// The last few '@' only: a password seldom holds more, and a run of
	// user@host URLs stays linear.
	tries := 0
	for at := bytes.LastIndexByte(b, '@'); at > 0 && tries < maxAtTries; at, tries = bytes.LastIndexByte(b[:at], '@'), tries+1 {
		he := at + 1 + authorityByte.span(b[at+1:])
		if !isHost(b[at+1 : he]) {
			continue
		}
		c := bytes.IndexByte(b[:at], ':')
		switch {
		case c < 0 && !bytes.ContainsAny(b[:at], "/?#"):
			return at // a user without a password: maybe a token
		case c < 0 || bytes.ContainsAny(b[:c], "/?#"):
			return -1
		}
		if d := c + 1 + digit.span(b[c+1:at]); d > c+1 && d < at && b[d] == '/' {
			return -1
		}
		return at
	}
	return -1
}

// isHost reports whether b is a host name or address, with a port.
func isHost(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	h := b
	if c := bytes.LastIndexByte(b, ':'); c >= 0 && b[0] != '[' {
		if digit.span(b[c+1:]) != len(b)-c-1 || c+1 == len(b) {
			return false
		}
		h = b[:c]
	}
	for _, ch := range h {
		if !alnum[ch] && ch != '.' && ch != '-' && ch != '[' && ch != ']' && ch != ':' {
			return false
		}
	}
	return len(h) > 0
}

// lastApplied redacts the value of the last-applied-configuration
// annotation, whose name ends at p: in JSON, in YAML (a block scalar drops
// the lines under it), and in kubectl describe, which puts the value on the
// next lines.
func (w *Writer) lastApplied(in input, p int) {
	b := in.b
	ks := p - len(lastAppliedPrefix)
	ke := p + len("last-applied-configuration")
	if ks < 0 || string(b[ks:p]) != lastAppliedPrefix || ke < w.covered {
		return
	}
	w.ctx = max(0, ks-len(escQuote))
	switch {
	case w.quotedKey(in, ks, ke, 0, ruleLastApplied):
	case ke < len(b) && b[ke] == ':':
		v := skipBlank(b, ke+1)
		if onlySpace(b[v:]) && in.final && in.atStart {
			w.enterBlock(ks, ruleLastApplied)
			return
		}
		if v > ke+1 {
			w.yamlValue(in, v, ruleLastApplied, ks)
		}
	}
}
