package redact

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
	switch {
	case len(n) == 0 || hasPrefix(n, "existing") || anyEqual(n, notSecretNames) || anySuffix(n, excludedByLast[n[len(n)-1]]):
		return "", false
	case anyEqual(n, presignedNames), query && string(n) == "signature":
		return rulePresigned, true
	case query && string(n) == "sig", contains(n, "sharedaccesssignature"):
		return ruleAzureSAS, true
	case contains(n, "accountkey") || contains(n, "accountaccesskey") || string(n) == "azurestoragekey" || string(n) == "storagekey":
		return ruleAzureKey, true
	case contains(n, "secretaccesskey") || string(n) == "awssecretkey":
		return ruleAWSSecret, true
	case contains(n, "accesskeyid"):
		return ruleAWSKeyID, true
	case string(n) == "privatekeyid":
		return ruleGCPKeyID, true
	case string(n) == "privatekey":
		return ruleGCPKey, true
	}
	return classifyGeneric(n)
}

func classifyGeneric(n []byte) (string, bool) {
	password := contains(n, "password") || contains(n, "passwd") || contains(n, "passphrase")
	switch {
	case password && (contains(n, "restic") || contains(n, "kopia") || contains(n, "repo")):
		return ruleRepository, true
	case password:
		return rulePassword, true
	case contains(n, "token"):
		return ruleToken, true
	case contains(n, "secret") || contains(n, "apikey") || contains(n, "accesskey") ||
		contains(n, "privatekey") || contains(n, "credential") || hasAuth(n):
		return ruleSecret, true
	}
	return "", false
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

func contains(b []byte, s string) bool {
	for i := 0; i+len(s) <= len(b); i++ {
		if b[i] == s[0] && string(b[i:i+len(s)]) == s {
			return true
		}
	}
	return false
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
