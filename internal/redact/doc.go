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
//   - aws-access-key-id: AKIA… and ASIA… key ids, and values of fields named like aws_access_key_id.
//   - aws-secret-key: values of aws_secret_access_key, AWS_SECRET_ACCESS_KEY, secretAccessKey, aws_secret_key.
//   - azure-storage-key: AccountKey=… in connection strings, AZURE_STORAGE_ACCOUNT_ACCESS_KEY, AZURE_STORAGE_KEY, storageAccountKey.
//   - azure-sas-token: sig=… in query strings and SAS tokens, SharedAccessSignature=… in connection strings.
//   - presigned-url: X-Amz-Signature, X-Amz-Credential, X-Amz-Security-Token, X-Goog-Signature, X-Goog-Credential, and the S3 v2 Signature query parameter.
//   - gcp-private-key, gcp-private-key-id: the private_key and private_key_id fields of a GCP service account key.
//   - pem-private-key: the body of a -----BEGIN … PRIVATE KEY----- block, on one line (a JSON string with \n escapes) or over several lines.
//   - bearer-token, basic-auth, jwt: Authorization: Bearer …, bearer …, Authorization: Basic …, and eyJ….eyJ….… tokens.
//   - url-password: the password of scheme://user:password@host; the user survives.
//   - repository-password: kopia and restic repository passwords (RESTIC_PASSWORD, KOPIA_PASSWORD, repository-password).
//   - password-field, token-field, secret-field: values of fields whose name, ignoring case, contains
//     password, passwd or passphrase; token; or secret, apikey, api_key, access_key, accesskey,
//     private_key, credential or auth (but not author).
//   - last-applied-configuration: the whole value of the kubectl.kubernetes.io/last-applied-configuration
//     annotation, a copy of the object that often holds secret data.
//
// A field is a name and a value in one of these shapes: "name": "value" (JSON, also
// inside a JSON string as \"name\":\"value\"), name=value and name="value" (logfmt,
// env, INI with spaces around =, query and connection strings), --name value and
// "--name", "value" (flags), name: value at the start of a line (YAML, kubectl
// describe, HTTP headers; a YAML block scalar name: | drops the lines under it),
// and the Kubernetes env var {"name": "DB_PASSWORD", "value": "…"}, also when name
// and value are on consecutive lines (indented JSON, YAML). A file inside a JSON
// string (a ConfigMap's data) has its lines after \n escapes: name: value there
// is a YAML line whose value ends at the next escape, and its marker is bare, as
// quotes would end the string. A name may have a prefix, as annotation keys do:
// "example.com/api-token": "…". Values that are not
// secrets survive: empty values, true, false, null, objects and lists
// ("secretKeyRef": {…}), references ($(VAR), ${VAR}, describe's <set to the key …>),
// and fields whose name ends in name, ref, path, file, namespace, type, url and the
// like, which name a Secret rather than hold one ("secretName": "cloud-credentials").
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
// A multi-line PEM block is followed across lines: after a BEGIN line, lines of
// base64 are dropped (one marker takes their place) until the END line, a line
// that is not base64, or 512 lines. A YAML block scalar under a secret name or
// the last-applied annotation is dropped the same way, as long as its lines are
// indented deeper than the name. An env var name line marks the next line's
// value.
//
// # Limits
//
// Detection is by shape and by field name. A secret under a name that says
// nothing (the base64 values of a Secret's data, a password in prose) is not
// found: the collector must not read Secrets, and Compile takes literals for
// known values. A user pattern is matched within a window, so a match longer
// than 4 KiB may be cut; so may a JWT or a URL password longer than that.
package redact
