package redact

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
)

type redactCase struct {
	name   string
	in     string
	want   string
	counts map[string]int
}

func runCases(t *testing.T, rs *Rules, cases []redactCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out, counts := rs.Redact([]byte(tc.in))
			require.Equal(t, tc.want, string(out))
			if tc.counts == nil {
				tc.counts = map[string]int{}
			}
			require.Equal(t, tc.counts, counts)
		})
	}
}

const (
	hex64  = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	uid    = "6b2f1c7e-1b7a-4f6e-9d2a-3c9b8a7d6e5f"
	jwtTok = "eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6dmVsZXJvIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ"
)

func one(rule string) map[string]int { return map[string]int{rule: 1} }

func TestAWS(t *testing.T) {
	t.Parallel()
	runCases(t, Default(), []redactCase{
		{"key id in text", "using key AKIAVDBGSECRET234567 for s3\n", "using key [REDACTED:aws-access-key-id] for s3\n", one(ruleAWSKeyID)},
		{"session key id", `"AccessKeyId": "ASIAVDBGSECRET234567"`, `"AccessKeyId": "[REDACTED:aws-access-key-id]"`, one(ruleAWSKeyID)},
		{"ini", "[default]\naws_access_key_id=AKIAVDBGSECRET234567\naws_secret_access_key=vdbgSecret/StoredIn+Secret\n",
			"[default]\naws_access_key_id=[REDACTED:aws-access-key-id]\naws_secret_access_key=[REDACTED:aws-secret-key]\n",
			map[string]int{ruleAWSKeyID: 1, ruleAWSSecret: 1}},
		{"ini with spaces", "aws_secret_access_key = vdbgSecret/x+y", "aws_secret_access_key = [REDACTED:aws-secret-key]", one(ruleAWSSecret)},
		{"env", "AWS_SECRET_ACCESS_KEY=abc/def AWS_REGION=us-east-1", "AWS_SECRET_ACCESS_KEY=[REDACTED:aws-secret-key] AWS_REGION=us-east-1", one(ruleAWSSecret)},
		{"json", `{"secretAccessKey":"abc/def","region":"us-east-1"}`, `{"secretAccessKey":"[REDACTED:aws-secret-key]","region":"us-east-1"}`, one(ruleAWSSecret)},
		{"yaml", "  secretAccessKey: abc/def\n", "  secretAccessKey: \"[REDACTED:aws-secret-key]\"\n", one(ruleAWSSecret)},
		{"aws api json", `{"SecretAccessKey": "abc", "SessionToken": "def"}`, `{"SecretAccessKey": "[REDACTED:aws-secret-key]", "SessionToken": "[REDACTED:token-field]"}`,
			map[string]int{ruleAWSSecret: 1, ruleToken: 1}},
		{"k8s env var", `{"name":"AWS_SECRET_ACCESS_KEY","value":"vdbgSecretInLiteralEnv/x"}`, `{"name":"AWS_SECRET_ACCESS_KEY","value":"[REDACTED:aws-secret-key]"}`, one(ruleAWSSecret)},
		{"k8s env var spaced", `{"name": "AWS_SECRET_ACCESS_KEY", "value": "x"}`, `{"name": "AWS_SECRET_ACCESS_KEY", "value": "[REDACTED:aws-secret-key]"}`, one(ruleAWSSecret)},
	})
}

func TestGCPAndPEM(t *testing.T) {
	t.Parallel()
	runCases(t, Default(), []redactCase{
		{"service account", `{"type":"service_account","private_key_id":"` + hex64[:40] + `","private_key":"-----BEGIN PRIVATE KEY-----\nMIIEvQIB\nADAN==\n-----END PRIVATE KEY-----\n","client_email":"v@p.iam.gserviceaccount.com"}`,
			`{"type":"service_account","private_key_id":"[REDACTED:gcp-private-key-id]","private_key":"[REDACTED:gcp-private-key]","client_email":"v@p.iam.gserviceaccount.com"}`,
			map[string]int{ruleGCPKeyID: 1, ruleGCPKey: 1}},
		{"pem in a json string", `{"tls.key":"-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\nIDx+/==\n-----END EC PRIVATE KEY-----\n"}`,
			`{"tls.key":"-----BEGIN EC PRIVATE KEY-----\n[REDACTED:pem-private-key]\n-----END EC PRIVATE KEY-----\n"}`, one(rulePEM)},
		{"pem on lines", "key:\n-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\nZXhhbXBsZQ==\n-----END RSA PRIVATE KEY-----\nafter\n",
			"key:\n-----BEGIN RSA PRIVATE KEY-----\n[REDACTED:pem-private-key]\n-----END RSA PRIVATE KEY-----\nafter\n", one(rulePEM)},
		{"pem in a yaml block", "data:\n  tls.key: |\n    -----BEGIN PRIVATE KEY-----\n    MIIEowIBAAKCAQEA7\n    ZXhhbXBsZQ==\n    -----END PRIVATE KEY-----\n  tls.crt: x\n",
			"data:\n  tls.key: |\n    -----BEGIN PRIVATE KEY-----\n    [REDACTED:pem-private-key]\n    -----END PRIVATE KEY-----\n  tls.crt: x\n", one(rulePEM)},
		{"encrypted pem", "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,0123ABCD\n\nMIIEowIBAAKCAQEA7\n-----END RSA PRIVATE KEY-----\n",
			"-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,0123ABCD\n\n[REDACTED:pem-private-key]\n-----END RSA PRIVATE KEY-----\n", one(rulePEM)},
		{"openssh key, crlf", "-----BEGIN OPENSSH PRIVATE KEY-----\r\nb3BlbnNzaC1rZXktdjEAAAAA\r\n-----END OPENSSH PRIVATE KEY-----\r\n",
			"-----BEGIN OPENSSH PRIVATE KEY-----\r\n[REDACTED:pem-private-key]\r\n-----END OPENSSH PRIVATE KEY-----\r\n", one(rulePEM)},
		{"pem body and end on one line", "-----BEGIN PRIVATE KEY-----\nMIIEowIBAAKCAQEA7-----END PRIVATE KEY-----\n",
			"-----BEGIN PRIVATE KEY-----\n[REDACTED:pem-private-key]-----END PRIVATE KEY-----\n", one(rulePEM)},
		{"pem with spaces for newlines", "key=-----BEGIN PRIVATE KEY----- MIIEowIBAAKCAQEA7 ZXhhbXBsZQ== -----END PRIVATE KEY----- next=1",
			"key=-----BEGIN PRIVATE KEY-----[REDACTED:pem-private-key]-----END PRIVATE KEY----- next=1", one(rulePEM)},
		{"pem cut short in a json string", `{"k":"-----BEGIN PRIVATE KEY-----\nMIIEowIBAAKC","n":1}`, `{"k":"-----BEGIN PRIVATE KEY-----\n[REDACTED:pem-private-key]","n":1}`, one(rulePEM)},
		{"pem block ends at a line that is not base64", "-----BEGIN PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\ntime=\"x\" level=info msg=\"next\"\n",
			"-----BEGIN PRIVATE KEY-----\n[REDACTED:pem-private-key]\ntime=\"x\" level=info msg=\"next\"\n", one(rulePEM)},
		{"public key survives", "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A\n-----END PUBLIC KEY-----\n",
			"-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A\n-----END PUBLIC KEY-----\n", nil},
		{"certificate survives", "-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIE\n-----END CERTIFICATE-----\n",
			"-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIE\n-----END CERTIFICATE-----\n", nil},
	})
}

func TestAzure(t *testing.T) {
	t.Parallel()
	runCases(t, Default(), []redactCase{
		{"connection string", "DefaultEndpointsProtocol=https;AccountName=velero;AccountKey=abcdEFGH1234+/==;EndpointSuffix=core.windows.net",
			"DefaultEndpointsProtocol=https;AccountName=velero;AccountKey=[REDACTED:azure-storage-key];EndpointSuffix=core.windows.net", one(ruleAzureKey)},
		{"connection string with sas", "BlobEndpoint=https://v.blob.core.windows.net/;SharedAccessSignature=sv=2020-08-04&ss=b&sig=abc%2Bdef%3D",
			"BlobEndpoint=https://v.blob.core.windows.net/;SharedAccessSignature=[REDACTED:azure-sas-token]", map[string]int{ruleAzureSAS: 1}},
		{"account key env", "AZURE_STORAGE_ACCOUNT_ACCESS_KEY=abc==\nAZURE_STORAGE_KEY=def==\nAZURE_STORAGE_ACCOUNT_ID=velero\n",
			"AZURE_STORAGE_ACCOUNT_ACCESS_KEY=[REDACTED:azure-storage-key]\nAZURE_STORAGE_KEY=[REDACTED:azure-storage-key]\nAZURE_STORAGE_ACCOUNT_ID=velero\n", map[string]int{ruleAzureKey: 2}},
		{"storage account key yaml", "  storageAccountKey: abc==\n  storageAccount: velero\n",
			"  storageAccountKey: \"[REDACTED:azure-storage-key]\"\n  storageAccount: velero\n", one(ruleAzureKey)},
		{"sas url", "GET https://v.blob.core.windows.net/c/b?sv=2020-08-04&ss=b&srt=sco&sp=rl&se=2026-01-01T00:00:00Z&sig=abcDEF%2Bghi%3D HTTP/1.1",
			"GET https://v.blob.core.windows.net/c/b?sv=2020-08-04&ss=b&srt=sco&sp=rl&se=2026-01-01T00:00:00Z&sig=[REDACTED:azure-sas-token] HTTP/1.1", one(ruleAzureSAS)},
		{"sas in a json string", `{"url":"https://v.blob.core.windows.net/c?sv=1\u0026sig=abc%3D\u0026se=2"}`,
			`{"url":"https://v.blob.core.windows.net/c?sv=1\u0026sig=[REDACTED:azure-sas-token]\u0026se=2"}`, one(ruleAzureSAS)},
		{"sas token starting with ?", "AZURE_SAS=?sv=2020&sig=abc", "AZURE_SAS=?sv=2020&sig=[REDACTED:azure-sas-token]", one(ruleAzureSAS)},
	})
}

func TestTokens(t *testing.T) {
	t.Parallel()
	runCases(t, Default(), []redactCase{
		{"bearer header", "Authorization: Bearer abc.def-ghi\n", "Authorization: Bearer [REDACTED:bearer-token]\n", one(ruleBearer)},
		{"bearer header in a log", `msg="request" headers="Authorization: Bearer abc"`, `msg="request" headers="Authorization: Bearer [REDACTED:bearer-token]"`, one(ruleBearer)},
		{"bearer in go header map", "map[Authorization:[Bearer abc123] Accept:[*/*]]", "map[Authorization:[Bearer [REDACTED:bearer-token]] Accept:[*/*]]", one(ruleBearer)},
		{"bare bearer", "using bearer sha256~AbCdEf0123456789 for the API", "using bearer [REDACTED:bearer-token] for the API", one(ruleBearer)},
		{"jwt", "token " + jwtTok + " expired", "token [REDACTED:jwt] expired", one(ruleJWT)},
		{"jwt bearer header", "Authorization: Bearer " + jwtTok, "Authorization: Bearer [REDACTED:bearer-token]", one(ruleBearer)},
		{"basic header", `curl -H "Authorization: Basic dXNlcjpwYXNz" http://x`, `curl -H "Authorization: Basic [REDACTED:basic-auth]" http://x`, one(ruleBasic)},
		{"basic header json", `{"Authorization":"Basic dXNlcjpwYXNz"}`, `{"Authorization":"Basic [REDACTED:basic-auth]"}`, one(ruleBasic)},
		{"docker config auth", `{"auths":{"registry.example.com":{"auth":"dXNlcjpwYXNz"}}}`, `{"auths":{"registry.example.com":{"auth":"[REDACTED:secret-field]"}}}`, one(ruleSecret)},
	})
}

func TestPresignedAndURLs(t *testing.T) {
	t.Parallel()
	runCases(t, Default(), []redactCase{
		{"s3 v4", "https://s3.amazonaws.com/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAVDBGURLCRED23456%2F20261127%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261127T100000Z&X-Amz-Expires=600&X-Amz-Security-Token=IQoJb3&X-Amz-SignedHeaders=host&X-Amz-Signature=" + hex64,
			"https://s3.amazonaws.com/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=[REDACTED:presigned-url]&X-Amz-Date=20261127T100000Z&X-Amz-Expires=600&X-Amz-Security-Token=[REDACTED:presigned-url]&X-Amz-SignedHeaders=host&X-Amz-Signature=[REDACTED:presigned-url]",
			map[string]int{rulePresigned: 3}},
		{"s3 v4 in a json string", `{"downloadURL":"https://s3/b?X-Amz-Credential=AKIAVDBGURLCRED23456%2F2026\u0026X-Amz-Signature=` + hex64 + `"}`,
			`{"downloadURL":"https://s3/b?X-Amz-Credential=[REDACTED:presigned-url]\u0026X-Amz-Signature=[REDACTED:presigned-url]"}`, map[string]int{rulePresigned: 2}},
		{"gcs", "https://storage.googleapis.com/b/o?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Credential=velero%40p.iam.gserviceaccount.com%2F20261127&X-Goog-Signature=" + hex64,
			"https://storage.googleapis.com/b/o?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Credential=[REDACTED:presigned-url]&X-Goog-Signature=[REDACTED:presigned-url]", map[string]int{rulePresigned: 2}},
		{"s3 v2", "https://b.s3.amazonaws.com/k?AWSAccessKeyId=AKIAVDBGSECRET234567&Expires=1700000000&Signature=abc%2Bdef%3D",
			"https://b.s3.amazonaws.com/k?AWSAccessKeyId=[REDACTED:aws-access-key-id]&Expires=1700000000&Signature=[REDACTED:presigned-url]", map[string]int{rulePresigned: 1, ruleAWSKeyID: 1}},
		{"url password", `s3Url=https://velero:Sup3r$ecret@minio.velero.svc:9000/bucket`, `s3Url=https://velero:[REDACTED:url-password]@minio.velero.svc:9000/bucket`, one(ruleURL)},
		{"url password in json", `{"dsn":"postgres://app:pa55word@db:5432/x?sslmode=disable"}`, `{"dsn":"postgres://app:[REDACTED:url-password]@db:5432/x?sslmode=disable"}`, one(ruleURL)},
		{"url password with a slash", "s3Url=https://velero:pa/ss@minio:9000/b", "s3Url=https://velero:[REDACTED:url-password]@minio:9000/b", one(ruleURL)},
		{"url path with @ survives", "docker://registry.local:5000/velero/velero@sha256:" + hex64, "docker://registry.local:5000/velero/velero@sha256:" + hex64, nil},
		{"url user only survives", "ssh://git@github.com/velero.git https://github.com/vmware-tanzu/velero@v1.18", "ssh://git@github.com/velero.git https://github.com/vmware-tanzu/velero@v1.18", nil},
	})
}

// TestFilesInJSONStrings covers what a ConfigMap's data holds: files inside
// JSON strings, where a line starts after a \n escape and a string inside
// is quoted with \", and annotations whose keys have a prefix.
func TestFilesInJSONStrings(t *testing.T) {
	t.Parallel()
	runCases(t, Default(), []redactCase{
		{"yaml password", `{"data":{"config.yaml":"endpoint: minio:9000\nusername: velero\npassword: hunter2hunter2\nbucket: velero\n"}}`,
			`{"data":{"config.yaml":"endpoint: minio:9000\nusername: velero\npassword: \"[REDACTED:password-field]\"\nbucket: velero\n"}}`, one(rulePassword)},
		{"yaml token at the end of the string", `{"data":{"c":"user: a\n  - token: abcdef123456"}}`,
			`{"data":{"c":"user: a\n  - token: \"[REDACTED:token-field]\""}}`, one(ruleToken)},
		{"yaml quoted value", `{"data":{"c":"a: 1\nsecret: \"s3cr3tV4lue9\"\n"}}`,
			`{"data":{"c":"a: 1\nsecret: \"[REDACTED:secret-field]\"\n"}}`, one(ruleSecret)},
		{"gcp key in a json string", `{"data":{"sa.json":"{\n  \"private_key_id\": \"` + hex64[:40] + `\",\n  \"private_key\": \"-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\\n-----END PRIVATE KEY-----\\n\",\n  \"client_email\": \"v@p.iam.gserviceaccount.com\"\n}\n"}}`,
			`{"data":{"sa.json":"{\n  \"private_key_id\": \"[REDACTED:gcp-private-key-id]\",\n  \"private_key\": \"[REDACTED:gcp-private-key]\",\n  \"client_email\": \"v@p.iam.gserviceaccount.com\"\n}\n"}}`,
			map[string]int{ruleGCPKeyID: 1, ruleGCPKey: 1}},
		{"annotation with a prefix", `{"annotations":{"example.com/webhook-token":"abcdef123456","example.com/api-key":"k-123456"}}`,
			`{"annotations":{"example.com/webhook-token":"[REDACTED:token-field]","example.com/api-key":"[REDACTED:secret-field]"}}`,
			map[string]int{ruleToken: 1, ruleSecret: 1}},
		{"yaml annotation with a prefix", "  annotations:\n    example.com/token: abcdef123456\n",
			"  annotations:\n    example.com/token: \"[REDACTED:token-field]\"\n", one(ruleToken)},
	})
}

func TestFoldUpper(t *testing.T) {
	t.Parallel()
	for c := range 256 {
		for _, at := range []int{0, 3, 7} {
			var b [8]byte
			for i := range b {
				b[i] = byte(255 - c + i)
			}
			b[at] = byte(c)
			got := foldUpper(le.Uint64(b[:]))
			for i := range b {
				if want := fold[b[i]]; byte(got>>(8*i)) != want {
					t.Fatalf("foldUpper of byte %#x at %d: %#x, want %#x", b[i], i, byte(got>>(8*i)), want)
				}
			}
		}
	}
}

// TestJSONStringEnd checks the end and the escapes str finds in strings
// with quotes and backslashes at every offset, shorter and longer than
// the part it reads eight bytes at a time.
func TestJSONStringEnd(t *testing.T) {
	t.Parallel()
	for n := range 48 {
		for at := range n {
			for _, c := range []byte{'"', '\\'} {
				body := bytes.Repeat([]byte{'a'}, n)
				body[at] = c
				if c == '\\' {
					body = append(body[:at+1], append([]byte{'"'}, body[at+1:]...)...) // an escaped quote
				}
				line := append(append([]byte(`"`), body...), `"x`...)
				wantEnd, wantEsc := bytes.IndexByte(line[1:], '"')+2, false
				if c == '\\' {
					wantEnd, wantEsc = len(line)-1, true
				}
				j := &jsonWalk{b: line}
				end, esc, ok := j.str(0)
				if !ok || end != wantEnd || esc != wantEsc {
					t.Fatalf("str(%q) = %d, %v, %v; want %d, %v, true", line, end, esc, ok, wantEnd, wantEsc)
				}
			}
		}
	}
	j := &jsonWalk{b: []byte(`"abcdefghijklmnopqrstuvwxyz0123456789\`)}
	if _, _, ok := j.str(0); ok {
		t.Fatal("an unterminated string ended")
	}
}

func TestWithoutMarkers(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"PASS":                                 "PASS",
		"PASS=[REDACTED:password-field]":       "PASS=",
		"[REDACTED:token-field]x[REDACTED:a]y": "xy",
		"a[REDACTED:unclosed":                  "a[REDACTED:unclosed",
	} {
		require.Equal(t, want, string(withoutMarkers([]byte(in))), in)
	}
}
