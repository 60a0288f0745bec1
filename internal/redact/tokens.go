package redact

import (
	"bytes"
	"encoding/base64"
)

// knownPrefix is the prefix of a provider's token and the least length of
// what follows it.
type knownPrefix struct {
	prefix string
	look   string // the pair the prefilter looks for: a rare one
	min    int
	body   *byteSet
}

var (
	// tokenBody makes up the body of most providers' tokens.
	tokenBody = newSet("a-z", "A-Z", "0-9", "_-")
	// dottedBody also has the dots of SendGrid's SG.<id>.<secret>.
	dottedBody = newSet("a-z", "A-Z", "0-9", "._-")
	// ageBody makes up an age secret key (Bech32, upper case).
	ageBody = newSet("A-Z", "0-9")
)

// knownPrefixes are the tokens found by their shape under any name.
var knownPrefixes = []knownPrefix{
	{"ghp_", "hp", 30, alnum}, {"gho_", "o_", 30, alnum}, {"ghu_", "hu", 30, alnum},
	{"ghs_", "hs", 30, alnum}, {"ghr_", "hr", 30, alnum}, {"github_pat_", "b_", 30, tokenBody},
	{"glpat-", "lp", 20, tokenBody},
	{"xoxb-", "xo", 10, tokenBody}, {"xoxp-", "xo", 10, tokenBody}, {"xoxa-", "xo", 10, tokenBody},
	{"xoxr-", "xo", 10, tokenBody}, {"xoxs-", "xo", 10, tokenBody}, {"xapp-", "xa", 10, tokenBody},
	{"sk_live_", "k_", 16, alnum}, {"rk_live_", "k_", 16, alnum},
	{"sk_test_", "k_", 16, alnum}, {"rk_test_", "k_", 16, alnum}, {"whsec_", "hs", 16, alnum},
	{"sk-proj-", "j-", 20, tokenBody}, {"sk-ant-", "sk", 20, tokenBody},
	{"AIza", "Iz", 30, tokenBody}, {"SG.", "G.", 40, dottedBody},
	{"npm_", "pm", 30, alnum}, {"pypi-", "py", 40, tokenBody}, {"hf_", "f_", 30, alnum},
	{"dop_v1_", "1_", 40, alnum}, {"shpat_", "hp", 24, alnum}, {"shpss_", "hp", 24, alnum},
	{"AGE-SECRET-KEY-1", "E-", 40, ageBody},
}

// knownTokenAt returns the length of the known token that starts at b[i:],
// or 0.
func knownTokenAt(b []byte, i int) int {
	if i > 0 && alnum[b[i-1]] {
		return 0
	}
	for _, k := range knownPrefixes {
		if !bytes.HasPrefix(b[i:], []byte(k.prefix)) {
			continue
		}
		n := k.body.span(b[i+len(k.prefix):])
		if n >= k.min {
			return len(k.prefix) + n
		}
	}
	return 0
}

// knownToken redacts a provider's token that starts at p.
func (w *Writer) knownToken(in input, p int) {
	if n := knownTokenAt(in.b, p); n > 0 {
		e := p + n
		w.add(span{start: p, end: e, rule: ruleKnownToken, open: in.open(e), cont: contToken})
	}
}

// base64PEM is "-----BEGIN " in base64, as the start of a base64-encoded
// PEM block (kubeconfig client-key-data, a ConfigMap's binaryData).
const base64PEM = "LS0tLS1CRUdJTi"

// base64Key redacts a base64-encoded PEM private key that starts at p: the
// label is decoded to tell a key from a certificate, which survives.
func (w *Writer) base64Key(in input, p int) {
	b := in.b
	if p > 0 && base64Byte[b[p-1]] && b[p-1] != '=' {
		return
	}
	e := p + base64Byte.span(b[p:])
	head := b[p:min(e, p+80)]
	head = head[:len(head)/4*4]
	label := make([]byte, base64.StdEncoding.DecodedLen(len(head)))
	n, err := base64.StdEncoding.Decode(label, head)
	if err != nil && n == 0 {
		return
	}
	if !bytes.Contains(label[:n], []byte("PRIVATE")) {
		return // a certificate, or a public key
	}
	w.add(span{start: p, end: e, rule: rulePEM, open: in.open(e), cont: contToken})
}

// webhookHosts are the hosts of chat webhooks whose URL path is the
// secret, with the path that comes before it.
var webhookHosts = []struct{ host, path string }{
	{"hooks.slack.com", "/services/"}, {"hooks.slack.com", "/workflows/"},
	{"discord.com", "/api/webhooks/"}, {"discordapp.com", "/api/webhooks/"},
	{"webhook.office.com", "/webhookb2/"}, {"chat.googleapis.com", "/v1/spaces/"},
}

// webhookURL redacts the secret path of a chat webhook URL whose host
// starts at h and ends at e, in a URL that ends at end.
func (w *Writer) webhookURL(b []byte, h, e, end int) {
	host := b[h:e]
	for _, wh := range webhookHosts {
		if !bytes.HasSuffix(host, []byte(wh.host)) || !bytes.HasPrefix(b[e:end], []byte(wh.path)) {
			continue
		}
		s := e + len(wh.path)
		if s < end && !hasPrefix(b[s:end], "[REDACTED") {
			w.add(span{start: s, end: end, rule: ruleWebhook})
		}
		return
	}
}

// dsn redacts the password of a Go MySQL DSN, user:password@tcp(host)/db,
// whose @ is at p.
func (w *Writer) dsn(in input, p int) {
	b := in.b
	s := p
	for s > 0 && !bytes.ContainsRune([]byte(" \t\"'=`(,;"), rune(b[s-1])) {
		s--
	}
	c := bytes.IndexByte(b[s:p], ':')
	if c < 0 || bytes.Contains(b[s:p], []byte("://")) || hasPrefix(b[s:p], "[REDACTED") {
		return
	}
	w.ctx = s
	if vs := s + c + 1; vs < p && !notSecret(b[vs:p]) {
		w.add(span{start: vs, end: p, rule: ruleURL})
	}
}

// sigV4 redacts the Signature= of an AWS SigV4 Authorization header value
// that starts at v (AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…,
// Signature=…); the key id in Credential= is an AKIA key's.
func (w *Writer) sigV4(in input, v int) bool {
	b := in.b
	if !bytes.HasPrefix(b[v:], []byte("AWS4-HMAC-SHA256")) {
		return false
	}
	end := v + min(len(b)-v, 2048)
	i := bytes.Index(b[v:end], []byte(" Signature="))
	if i < 0 {
		return true // a pre-signed URL's X-Amz-Algorithm=AWS4-HMAC-SHA256, or a header cut short
	}
	s := v + i + len(" Signature=")
	e := s + alnum.span(b[s:])
	if e > s {
		// Not through add: the fields between the header's start and its
		// signature (Credential=…) are not inside the span.
		w.spans = append(w.spans, span{start: s, end: e, ctx: min(w.ctx, s), rule: ruleSigV4, open: in.open(e), cont: contToken})
	}
	return true
}
