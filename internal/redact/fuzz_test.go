package redact

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// plantForms are the shapes a planted secret takes; %s is the secret.
var plantForms = []string{
	"password=%s",
	`"token": "%s"`,
	`{"name":"DB_PASSWORD","value":"%s"}`,
	"Authorization: Bearer %s",
	"https://velero:%s@minio:9000",
	"X-Amz-Signature=%s",
	"--password %s",
	`\"secretKey\":\"%s\"`,
	"AccountKey=%s;",
	"aws_secret_access_key = %s",
	"AKIA%s",
	`{"private_key":"-----BEGIN PRIVATE KEY-----\n%s\n-----END PRIVATE KEY-----\n"}`,
	"-----BEGIN PRIVATE KEY-----\n%s\n-----END PRIVATE KEY-----",
	"  password: |\n    %s",
}

// plantedSecret derives a secret from seed: a digit and at least 8 bytes,
// so that no rule may take it for prose; AKIA keys get 16 upper-case bytes.
func plantedSecret(seed []byte, form string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567abcdefghijklmnopqrstuvwxyz01+/"
	n := 16
	if form != "AKIA%s" {
		n = 6 + len(seed)%16
	}
	s := []byte("ZQ9")[:min(3, n)]
	for i := 0; len(s) < n; i++ {
		c := byte(i * 7)
		if len(seed) > 0 {
			c = seed[i%len(seed)] + byte(i)
		}
		if form == "AKIA%s" {
			s = append(s, alphabet[int(c)%32])
		} else {
			s = append(s, alphabet[int(c)%len(alphabet)])
		}
	}
	return string(s)
}

// FuzzRedactor plants a secret in fuzzed text and checks that it never
// comes out, that redaction never panics, and that the output does not
// depend on how the text is split into writes or windows.
func FuzzRedactor(f *testing.F) {
	for _, seed := range []string{
		`time="2026-11-27T10:00:00Z" level=info msg="Backing up item" backup=velero/nightly logSource="pkg/backup/item_backupper.go:190" name=app-0 namespace=prod resource=pods`,
		`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"velero-0","uid":"` + uid + `"},"spec":{"containers":[{"env":[{"name":"AWS_SHARED_CREDENTIALS_FILE","value":"/credentials/cloud"}],"image":"velero/velero@sha256:` + hex64 + `"}]}}`,
		"apiVersion: v1\nkind: Secret\nmetadata:\n  annotations:\n    kubectl.kubernetes.io/last-applied-configuration: |\n      {}\n  name: cloud-credentials\ndata:\n  cloud: W2RlZmF1bHRd\n",
		"-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\n",
		"goroutine 1 [running]:\nmain.main()\n\t/go/src/main.go:12 +0x1d\n",
		`error="rpc error: code = Unknown desc = AccessDenied: Access Denied status code: 403" password="a \"b\""`,
		"    env:\n    - name: DB_PASSWORD\n      value: x\n    - --token\n",
		"\"\\\"\\\\\"'''`\\u0026=:;&?",
	} {
		f.Add(seed, uint16(len(seed)/2), []byte("seed"), uint8(0), uint8(7))
	}
	f.Fuzz(func(t *testing.T, text string, at uint16, seed []byte, form, chunk uint8) {
		pattern := plantForms[int(form)%len(plantForms)]
		secret := plantedSecret(seed, pattern)
		if strings.Contains(text, secret) {
			t.Skip("the text holds the secret")
		}
		// In the middle of a line, or on lines of its own for the forms
		// that only mean something at the start of a line.
		sep := " "
		if chunk%2 == 0 || strings.HasPrefix(pattern, " ") {
			sep = "\n"
		}
		pos := int(at) % (len(text) + 1)
		in := []byte(text[:pos] + sep + fmt.Sprintf(pattern, secret) + sep + text[pos:])
		whole := fuzzRedact(t, in, 0, len(in))
		if strings.Contains(whole, secret) {
			t.Fatalf("secret %q leaked:\n%s", secret, whole)
		}
		if got := fuzzRedact(t, in, 0, 1+int(chunk)); got != whole {
			t.Fatalf("chunks of %d bytes:\n%q\nwhole:\n%q", 1+int(chunk), got, whole)
		}
		small := fuzzRedact(t, in, 256, len(in))
		if strings.Contains(small, secret) {
			t.Fatalf("secret %q leaked with small windows:\n%s", secret, small)
		}
		if got := fuzzRedact(t, in, 256, 1+int(chunk)); got != small {
			t.Fatalf("small windows, chunks of %d bytes:\n%q\nwhole:\n%q", 1+int(chunk), got, small)
		}
	})
}

func fuzzRedact(t *testing.T, in []byte, limit, chunk int) string {
	t.Helper()
	var out bytes.Buffer
	w := Default().Writer(&out)
	if limit > 0 {
		w.limit, w.overlap = limit, limit/4
	}
	for p := in; len(p) > 0; p = p[min(chunk, len(p)):] {
		if _, err := w.Write(p[:min(chunk, len(p))]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.String()
}
