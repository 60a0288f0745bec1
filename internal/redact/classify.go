package redact

import (
	"bytes"
	"math/bits"
)

// strength tells how a field's name decides its value.
type strength uint8

const (
	// notSecretName: the name says nothing of a secret, or points at one.
	notSecretName strength = iota
	// weakName: a secret-like name (token, secret, auth, credential, a
	// key); the value is redacted only when it looks like a credential.
	weakName
	// strongName: a password or a known credential field; any value that
	// is not trivial is redacted.
	strongName
)

// excludedSuffixes end names that point at a secret, or describe one,
// rather than hold one: secretName, secretKeyRef, credentialsFile, tokenTTL,
// accessTokenLifespan, and Velero's storageAccountKeyEnvVar.
var excludedSuffixes = []string{
	"name", "names", "ref", "refs", "namespace", "path", "paths", "file", "files", "dir",
	"type", "mode", "seconds", "ttl", "expiry", "expires", "expiration", "url", "uri", "urls",
	"endpoint", "length", "size", "count", "enabled", "provider", "source", "format",
	"version", "kind", "selector", "location", "store", "envvar", "arn", "lifespan",
	"lifetime", "issuer", "audience", "timeout", "duration", "id", "ids", "template",
	"policy", "class", "config", "hash", "checksum", "digest", "field", "algorithm",
	"method", "prefix", "suffix", "label", "labels", "annotation", "annotationkey", "labelkey",
	"objectkey", "cachekey", "sortkey", "partitionkey", "primarykey", "foreignkey", "routingkey",
	"idempotencykey", "hashkey", "rangekey", "publickey",
}

// excludedByLast holds excludedSuffixes by their last byte.
var excludedByLast = func() (t [256][]string) {
	for _, s := range excludedSuffixes {
		t[s[len(s)-1]] = append(t[s[len(s)-1]], s)
	}
	return t
}()

// notSecretNames are names that hold the path of a credentials file.
var notSecretNames = []string{"googleapplicationcredentials"}

// excludedWords, anywhere in a name, make it a description of a secret:
// checksum/secret holds a hash, publicKey a public key.
var excludedWords = []string{"checksum", "hash", "digest", "public", "fingerprint"}

var presignedNames = []string{
	"xamzsignature", "xamzcredential", "xamzsecuritytoken", "xgoogsignature", "xgoogcredential",
}

// strongSuffixes end the names of known credential fields, by rule.
var strongSuffixes = []struct {
	suffix, rule string
}{
	{"clientsecret", ruleSecret}, {"secretkey", ruleSecret}, {"apikey", ruleSecret},
	{"accesskey", ruleSecret}, {"privatekey", ruleSecret}, {"encryptionkey", ruleSecret},
	{"signingkey", ruleSecret}, {"masterkey", ruleSecret}, {"sharedkey", ruleSecret},
	{"connectionstring", ruleSecret}, {"authorization", ruleSecret}, {"webhooksecret", ruleSecret},
	{"apitoken", ruleToken}, {"accesstoken", ruleToken}, {"refreshtoken", ruleToken},
	{"idtoken", ruleToken}, {"authtoken", ruleToken}, {"sessiontoken", ruleToken},
	{"securitytoken", ruleToken}, {"bearertoken", ruleToken}, {"cookie", ruleCookie},
}

// normalize returns name in lower case without '_', '-' and '.', in scratch
// space that the next call reuses.
func (w *Writer) normalize(name []byte) []byte {
	n := w.norm[:0]
	for _, c := range name {
		if c != '_' && c != '-' && c != '.' {
			n = append(n, fold[c])
		}
	}
	w.norm = n
	return n
}

// classify returns the rule that redacts the value of a field named raw,
// whose normalized name is n, and how strongly the name says so. query
// tells that the name is a query parameter (after ?, & or ;).
func classify(raw, n []byte, query bool) (string, strength) {
	if len(n) == 0 {
		return "", notSecretName
	}
	switch {
	case hasSuffix(n, "accesskeyid"):
		return ruleAWSKeyID, strongName
	case string(n) == "privatekeyid":
		return ruleGCPKeyID, strongName
	case anySuffix(n, excludedByLast[n[len(n)-1]]) && !anyEqual(n, presignedNames):
		return "", notSecretName
	}
	has := partsOf(n)
	if rule, ok := classifyKnown(n, has, query); ok {
		return rule, strongName
	}
	if hasPrefix(n, "existing") || anyEqual(n, notSecretNames) || anyContains(n, excludedWords) {
		return "", notSecretName
	}
	password := has&(pPassword|pPasswd|pPassphrase) != 0 || hasSuffix(n, "pwd") || endsWithWord(raw, "pass")
	switch {
	case password && has&(pRestic|pKopia|pRepo) != 0:
		return ruleRepository, strongName
	case password:
		return rulePassword, strongName
	}
	for _, s := range strongSuffixes {
		if hasSuffix(n, s.suffix) {
			return s.rule, strongName
		}
	}
	switch {
	case has&pToken != 0:
		return ruleToken, weakName
	case has&(pSecret|pAPIKey|pAccessKey|pPrivateKey|pCredential|pCreds) != 0 || hasAuth(n),
		len(n) > len("key") && hasSuffix(n, "key"):
		return ruleSecret, weakName
	}
	return "", notSecretName
}

// classifyKnown returns the rule of the fields of cloud providers and
// pre-signed URLs, whatever their suffix; has holds the parts of n.
func classifyKnown(n []byte, has part, query bool) (string, bool) {
	switch {
	case anyEqual(n, presignedNames), query && string(n) == "signature":
		return rulePresigned, true
	case query && string(n) == "sig", has&pSharedAccessSignature != 0:
		return ruleAzureSAS, true
	case hasSuffix(n, "accountkey") || hasSuffix(n, "accountaccesskey") || string(n) == "azurestoragekey" || string(n) == "storagekey":
		return ruleAzureKey, true
	case hasSuffix(n, "secretaccesskey") || string(n) == "awssecretkey" || string(n) == "secretkey":
		return ruleAWSSecret, true
	case string(n) == "privatekey":
		return ruleGCPKey, true
	}
	return "", false
}

// endsWithWord reports whether the name raw ends with the word w (lower
// case): after a separator, at a change from lower to upper case
// (dbPass), or as the whole name. "bypass" does not end with "pass".
func endsWithWord(raw []byte, w string) bool {
	i := len(raw) - len(w)
	if i < 0 || !hasFold(raw[i:], w) {
		return false
	}
	if i == 0 {
		return true
	}
	c := raw[i-1]
	return c == '_' || c == '-' || c == '.' || c == '/' ||
		'A' <= raw[i] && raw[i] <= 'Z' && 'a' <= c && c <= 'z'
}

// part is a set of the words that classify looks for inside a name.
type part uint32

const (
	pSharedAccessSignature part = 1 << iota
	pPassword
	pPasswd
	pPassphrase
	pRestic
	pKopia
	pRepo
	pToken
	pSecret
	pAPIKey
	pAccessKey
	pPrivateKey
	pCredential
	pCreds
)

// parts are the words of part, in the order of its bits.
var parts = [...]string{
	"sharedaccesssignature", "password", "passwd", "passphrase", "restic", "kopia", "repo",
	"token", "secret", "apikey", "accesskey", "privatekey", "credential", "creds",
}

// partsByFirst holds the bits of parts by their first byte.
var partsByFirst = func() (t [256][]part) {
	for i, s := range parts {
		t[s[0]] = append(t[s[0]], 1<<i)
	}
	return t
}()

// partsOf returns the set of parts that n contains, in one pass over n.
func partsOf(n []byte) part {
	var has part
	for i, c := range n {
		for _, p := range partsByFirst[c] {
			if hasPrefix(n[i:], parts[bits.TrailingZeros32(uint32(p))]) {
				has |= p
			}
		}
	}
	return has
}

// hasAuth reports whether n contains "auth", but not as in "author" or
// "authority"; "authorization" counts.
func hasAuth(n []byte) bool {
	for i := 0; i+4 <= len(n); i++ {
		if string(n[i:i+4]) != "auth" {
			continue
		}
		if !hasPrefix(n[i+4:], "or") || hasPrefix(n[i+4:], "orization") {
			return true
		}
	}
	return false
}

func hasPrefix(b []byte, s string) bool { return len(b) >= len(s) && string(b[:len(s)]) == s }

func hasSuffix(b []byte, s string) bool {
	return len(b) >= len(s) && string(b[len(b)-len(s):]) == s
}

func anyEqual(b []byte, list []string) bool {
	for _, s := range list {
		if string(b) == s {
			return true
		}
	}
	return false
}

func anySuffix(b []byte, list []string) bool {
	for _, s := range list {
		if hasSuffix(b, s) {
			return true
		}
	}
	return false
}

func anyContains(b []byte, list []string) bool {
	for _, s := range list {
		for i := 0; i+len(s) <= len(b); i++ {
			if string(b[i:i+len(s)]) == s {
				return true
			}
		}
	}
	return false
}

// keyField returns what the key name, a JSON key or an env var's name,
// says of its value. An annotation's or a label's prefix (example.com/)
// counts only for the words that describe a secret: checksum/secret.
func (w *Writer) keyField(name []byte) field {
	return w.keyMemo(name).f
}

// keyMemo returns what name says as a key, and name as a string kept by
// the Writer.
func (w *Writer) keyMemo(name []byte) keyClass {
	if k, ok := w.keys[string(name)]; ok {
		return k
	}
	k := keyClass{name: string(name), f: w.classifyKey(name)}
	if w.keys == nil {
		w.keys = map[string]keyClass{}
	}
	if len(w.keys) < maxKeys {
		w.keys[k.name] = k
	}
	return k
}

// withoutMarkers returns b without the markers of values redacted before,
// [REDACTED:rule]; b itself when it holds none.
func withoutMarkers(b []byte) []byte {
	open := []byte("[REDACTED:")
	if !bytes.Contains(b, open) {
		return b
	}
	var out []byte
	for {
		k := bytes.Index(b, open)
		if k < 0 {
			return append(out, b...)
		}
		out = append(out, b[:k]...)
		e := bytes.IndexByte(b[k:], ']')
		if e < 0 {
			return append(out, b[k:]...)
		}
		b = b[k+e+1:]
	}
}

// keyClass is what a key says of its value.
type keyClass struct {
	name string
	f    field
}

// maxKeys bounds the names a Writer remembers the classes of: the keys of
// the objects of a List repeat.
const maxKeys = 1024

func (w *Writer) classifyKey(name []byte) field {
	name = withoutMarkers(name) // a marker's rule name is not the key's: PASS=[REDACTED:password-field]
	prefix := []byte(nil)
	if k := bytes.LastIndexByte(name, '/'); k >= 0 {
		prefix, name = name[:k], name[k+1:]
	}
	if string(name) == "last-applied-configuration" && string(prefix) == "kubectl.kubernetes.io" {
		return field{rule: ruleLastApplied, st: strongName}
	}
	if len(prefix) > 0 && anyContains(w.normalize(prefix), excludedWords) {
		return field{}
	}
	rule, st := classify(name, w.normalize(name), false)
	return field{rule: rule, st: st}
}

// flagField returns what an argument --name says of the next one; an
// argument --name=value says nothing of it.
func (w *Writer) flagField(arg []byte) field {
	d := dashes(arg)
	if d == 0 || d > 2 || bytes.IndexByte(arg, '=') >= 0 || bytes.IndexByte(arg, ' ') >= 0 {
		return field{}
	}
	return w.keyField(arg[d:])
}
