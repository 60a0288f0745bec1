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
// is the index of "://".
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
	e := a + authorityByte.span(b[a:])
	at := bytes.LastIndexByte(b[a:e], '@')
	if at < 0 {
		at = slashedUserinfo(b[a:])
	}
	if at < 0 {
		return
	}
	c := bytes.IndexByte(b[a:a+at], ':')
	if c < 0 {
		return
	}
	vs, ve := a+c+1, a+at
	if !notSecret(b[vs:ve]) {
		w.add(span{start: vs, end: ve, rule: ruleURL})
	}
}

// slashedUserinfo returns the index of the '@' that ends user:password when
// the password holds an unencoded '/', or -1. After host:port, a '/' starts
// the path: registry:5000/velero/velero@sha256:… has no password.
func slashedUserinfo(b []byte) int {
	b = b[:urlByte.span(b[:min(len(b), maxUserinfo)])]
	c := bytes.IndexByte(b, ':')
	if c < 0 || bytes.IndexByte(b[:c], '/') >= 0 {
		return -1
	}
	if d := c + 1 + digit.span(b[c+1:]); d > c+1 && d < len(b) && b[d] == '/' {
		return -1
	}
	at := bytes.IndexByte(b[c:], '@')
	if at < 0 || bytes.ContainsAny(b[c:c+at], "?#") {
		return -1
	}
	return c + at
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
