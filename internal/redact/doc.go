// Package redact removes secrets from text before it leaves the cluster:
// every byte of a velero-debug bundle passes through a Writer. It knows
// Velero's logrus lines (time="..." level=info msg="..." key=value), Go stack
// traces, Kubernetes objects as JSON (one per line or indented) and YAML,
// kubectl describe output and plain text.
//
// # Markers and counts
//
// A secret value is replaced by a marker that names the rule that found it.
// The field name around the value survives, and so do the quotes around it:
//
//	aws_secret_access_key=[REDACTED:aws-secret-key]
//	"password": "[REDACTED:password-field]"
//	password: "[REDACTED:password-field]"  (a YAML plain value; quoted so that it stays a string)
//
// Writer.Counts tells how many values each rule replaced, never the values.
//
// # Default rules
//
// docs/redaction.md lists the rules, what each finds, and how a field's
// name and value are decided together; in short:
//
//   - By shape, under any name: AWS key ids (AKIA…, ASIA…), pre-signed URL
//     signatures and credentials, Azure SAS sig= and AccountKey=, PEM private
//     keys (also base64-encoded, LS0tLS1CRUdJTi…), JWTs, bearer and basic
//     credentials, URL passwords and token user parts, Go MySQL DSNs, chat
//     webhook URLs, SigV4 signatures, and provider tokens known by their
//     prefix (known-token: ghp_, glpat-, xoxb-, sk_live_, AIza, SG., AGE-SECRET-KEY-1, …).
//   - By field: the value of a field whose name is a password's (a word
//     password, passwd, passphrase, pwd or pass) or a known credential's
//     (client_secret, api_key, secretAccessKey, authorization, cookie, …)
//     is redacted whatever it is; the value of a field whose name is only
//     secret-like (a word secret, token, auth, credential or key) only when
//     it looks like a credential (credentialLike). Names that point at a
//     secret (secretName, secretKeyRef, tokenTTL, checksum/secret) never are.
//   - last-applied-configuration: the whole annotation.
//
// A field is a name and a value in one of these shapes: "name": "value"
// (JSON), name=value and name="value" (logfmt, env, query and connection
// strings), name = value (INI, properties: the rest of the line), --name
// value and "--name", "value" (flags), name: value at the start of a line
// (YAML, kubectl describe, HTTP headers, Java properties; a YAML block
// scalar name: | drops the lines under it), in a YAML flow map or a Go %v
// dump, an HTTP header in the middle of a line, <name>value</name>, netrc's
// password value, and the Kubernetes env var {"name": "DB_PASSWORD",
// "value": "…"} in either order, also on consecutive lines (indented JSON,
// YAML). A name may have a prefix, as annotation keys do:
// "example.com/api-token": "…". Values that are not secrets survive: empty
// values, true, false, null, objects and lists ("secretKeyRef": {…}),
// references ($(VAR), ${VAR}, {{ … }}, describe's <set to the key …>), masks
// and markers already in place, so that redacting twice changes nothing.
//
// # Strings inside text
//
// A line that holds one JSON value (an object of a List, a JSON log line)
// is redacted by its structure: the value of a key that names a secret is
// replaced whole, and a string that holds a keyword is decoded, redacted as
// text of its own by a nested Writer (a file in a ConfigMap, a document in
// an annotation, a message), and encoded again with encoding/json; a string
// in which nothing is redacted keeps its bytes, and the line stays valid
// JSON. A quoted logfmt value with escapes (a logrus msg="{\"name\":…}")
// is decoded and redacted the same way, and quoted again as strconv.Quote
// does. Strings are decoded at most six deep. A line that is not valid JSON
// is redacted as text.
//
// Compile adds named regular expressions and literal strings (a known password)
// to the default rules, or replaces them.
//
// # How it works
//
// A Writer processes its input line by line. A prefilter scans each line once
// for a two-byte pair of each of a few dozen keywords (a lookup per pair of
// bytes in a 64 KiB table that holds every case variant, sixteen pairs at a
// time with one branch); a line without one, the vast majority of a Velero
// log, is copied as is, without allocating. Only at a keyword do the
// detectors look at the bytes around it.
//
// A line longer than 1 MiB is processed in windows of 1 MiB. The last 4 KiB of a
// window are not written but processed again at the start of the next, so any
// secret that fits in 4 KiB together with its field name is seen whole; a value
// that starts in one window and goes on past its end (a huge
// last-applied-configuration, a long quoted value) is dropped up to its end in
// the next windows. Memory does not depend on the length of a line.
//
// A multi-line PEM block is followed across lines: after a BEGIN line, lines
// of base64 are dropped (one marker takes their place) until the END line or
// a line that is not base64, however many. A YAML block scalar under a secret name or
// the last-applied annotation is dropped the same way, as long as its lines are
// indented deeper than the name. An env var name line marks the next line's
// value; an env var value line waits in the Writer until the next line tells
// whether its name is a secret's. A bare carriage return ends a line.
//
// # Limits
//
// Detection is by shape and by field name. A secret under a name that says
// nothing (the base64 values of a Secret's data, a positional argument, a
// password in prose), or a word-like value under a secret-like name
// (token: hunter), is not found: the collector must not read Secrets, and
// Compile takes literals and patterns for known values. A JSON line longer
// than a window (1 MiB) is redacted as text. A user pattern is matched within a window, so a match longer
// than 4 KiB may be cut; so may a JWT or a URL password longer than that.
package redact
