package redact

import "math/bits"

// excludedSuffixes end names that point at a secret, or describe one,
// rather than hold one: secretName, secretKeyRef, credentialsFile, tokenTTL,
// and Velero's storageAccountKeyEnvVar.
var excludedSuffixes = []string{
	"name", "names", "ref", "refs", "namespace", "path", "paths", "file", "files", "dir",
	"type", "mode", "seconds", "ttl", "expiry", "expires", "expiration", "url", "uri",
	"endpoint", "length", "size", "count", "enabled", "provider", "source", "format",
	"version", "kind", "selector", "location", "store", "envvar",
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

var presignedNames = []string{
	"xamzsignature", "xamzcredential", "xamzsecuritytoken", "xgoogsignature", "xgoogcredential",
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

// classify returns the rule that redacts the value of a field whose
// normalized name is n, if the name is a secret's. query tells that the name
// is a query parameter (after ?, & or ;).
func classify(n []byte, query bool) (string, bool) {
	if len(n) == 0 || hasPrefix(n, "existing") || anyEqual(n, notSecretNames) || anySuffix(n, excludedByLast[n[len(n)-1]]) {
		return "", false
	}
	has := partsOf(n)
	switch {
	case anyEqual(n, presignedNames), query && string(n) == "signature":
		return rulePresigned, true
	case query && string(n) == "sig", has&pSharedAccessSignature != 0:
		return ruleAzureSAS, true
	case has&(pAccountKey|pAccountAccessKey) != 0 || string(n) == "azurestoragekey" || string(n) == "storagekey":
		return ruleAzureKey, true
	case has&pSecretAccessKey != 0 || string(n) == "awssecretkey":
		return ruleAWSSecret, true
	case has&pAccessKeyID != 0:
		return ruleAWSKeyID, true
	case string(n) == "privatekeyid":
		return ruleGCPKeyID, true
	case string(n) == "privatekey":
		return ruleGCPKey, true
	}
	return classifyGeneric(n, has)
}

func classifyGeneric(n []byte, has part) (string, bool) {
	password := has&(pPassword|pPasswd|pPassphrase) != 0
	switch {
	case password && has&(pRestic|pKopia|pRepo) != 0:
		return ruleRepository, true
	case password:
		return rulePassword, true
	case has&pToken != 0:
		return ruleToken, true
	case has&(pSecret|pAPIKey|pAccessKey|pPrivateKey|pCredential) != 0 || hasAuth(n):
		return ruleSecret, true
	}
	return "", false
}

// part is a set of the words that classify looks for inside a name.
type part uint32

const (
	pSharedAccessSignature part = 1 << iota
	pAccountKey
	pAccountAccessKey
	pSecretAccessKey
	pAccessKeyID
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
)

// parts are the words of part, in the order of its bits.
var parts = [...]string{
	"sharedaccesssignature", "accountkey", "accountaccesskey", "secretaccesskey", "accesskeyid",
	"password", "passwd", "passphrase", "restic", "kopia", "repo", "token", "secret",
	"apikey", "accesskey", "privatekey", "credential",
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
