package redact

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestNearMisses holds text that looks like secrets, or sits next to the
// names of secrets, but is not one: it must survive untouched.
func TestNearMisses(t *testing.T) {
	t.Parallel()
	for name, in := range map[string]string{
		"resource names":           `time="2026-11-27T10:00:00Z" level=info msg="Backing up item" backup=velero/nightly-20261127 logSource="pkg/backup/item_backupper.go:190" name=app-0 namespace=prod resource=secrets`,
		"uid":                      `{"metadata":{"uid":"` + uid + `","resourceVersion":"123"}}`,
		"image digest":             `image: velero/velero@sha256:` + hex64,
		"image digest json":        `"image":"docker.io/velero/velero-plugin-for-aws@sha256:` + hex64 + `"`,
		"checksum":                 `msg="Uploaded backup tarball" checksum="sha256:` + hex64 + `"`,
		"kopia snapshot":           `msg="Kopia backup finished" snapshotID=k0123456789abcdef0123456789abcdef manifestID=0123456789abcdef`,
		"git commit":               `msg="Starting Velero server v1.18.3 (0f2c4f1a1b2c3d4e5f60718293a4b5c6d7e8f901)" gitSHA=0f2c4f1a1b2c3d4e5f60718293a4b5c6d7e8f901`,
		"secret name yaml":         "      secretName: cloud-credentials\n",
		"secret key ref":           `"valueFrom": {"secretKeyRef": {"name": "cloud-credentials", "key": "cloud"}}`,
		"secret ref env":           `{"name":"AWS_SECRET_ACCESS_KEY","valueFrom":{"secretKeyRef":{"key":"aws","name":"creds"}}}`,
		"bsl credential":           `"credential": {"key": "cloud", "name": "cloud-credentials"}`,
		"credential yaml":          "  credential:\n    key: cloud\n    name: cloud-credentials\n",
		"credentials files":        `{"name":"AWS_SHARED_CREDENTIALS_FILE","value":"/credentials/cloud"},{"name":"GOOGLE_APPLICATION_CREDENTIALS","value":"/credentials/cloud"},{"name":"AZURE_CREDENTIALS_FILE","value":"/credentials/cloud"}`,
		"volume":                   `{"name":"cloud-credentials","secret":{"defaultMode":420,"secretName":"cloud-credentials"}}`,
		"volume mount":             `{"mountPath":"/credentials","name":"cloud-credentials"}`,
		"existing secret":          "  existingSecret: cloud-credentials\n",
		"log source":               `logSource="pkg/util/kube/secret.go:55" logSource="pkg/plugin/auth.go:12"`,
		"author":                   `author=jane authorName="Jane Doe" authority=example.com`,
		"words in messages":        `level=error msg="failed to read token file" error="open /var/run/secrets/kubernetes.io/serviceaccount/token: no such file or directory"`,
		"password in msg":          `msg="password is not set" msg2="invalid bearer token" msg3="the token: expired"`,
		"booleans":                 `{"automountServiceAccountToken":false,"useSecret":true,"token":null,"password":""}`,
		"projected token":          `{"serviceAccountToken":{"expirationSeconds":3607,"path":"token"}}`,
		"empty values":             "password: \npassword:\ntoken=\n",
		"references":               `--password=$(DB_PASSWORD) password: ${DB_PASSWORD} DB_PASSWORD:  <set to the key 'password' in secret 'db'>  Optional: false`,
		"go stack":                 "goroutine 1 [running]:\ngithub.com/vmware-tanzu/velero/pkg/plugin/auth.(*Token).Refresh(0xc000123456)\n\t/go/src/velero/pkg/plugin/auth/token.go:42 +0x1d\n",
		"base64 blob":              `"data":{"cloud":"W2RlZmF1bHRdCmF3c19hY2Nlc3Nfa2V5X2lkPUFLSUFWREJHU0VDUkVUMjM0NTY3Cg=="}`,
		"continue token":           `"metadata":{"continue":"eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MTIzfQ"}`,
		"akia too long":            `id=AKIAVDBGSECRET2345678 x=XAKIAVDBGSECRET234567`,
		"private key words":        `msg="no PRIVATE KEY found" private=true privateKeyPath=/etc/key.pem`,
		"comparison":               `if token == nil { password = "" }`,
		"signature not in a query": `signature=valid sig=SIGTERM`,
		"azure config":             "    storageAccountKeyEnvVar: AZURE_STORAGE_ACCOUNT_ACCESS_KEY\n    activeDirectoryAuthorityURI: https://login.microsoftonline.com/\n",
		"account name":             "DefaultEndpointsProtocol=https;AccountName=velero;EndpointSuffix=core.windows.net",
		"urls without passwords":   `s3Url=http://minio.velero.svc:9000 publicUrl=https://[::1]:9000/x`,
		"yaml flow mapping":        "  password: {}\n  token: []\n",
		"masked":                   `password=****** "token": "***"`,
		"prefixed names":           `{"annotations":{"app.kubernetes.io/name":"velero","velero.io/secret-name":"cloud-credentials","example.com/token-file":"/var/run/token"}}`,
		"embedded yaml":            `{"data":{"config.yaml":"endpoint: minio:9000\nusername: velero\npasswordFile: /credentials/password\ntoken: \n"}}`,
		"embedded prose":           `{"data":{"README":"Rotate the password: see the runbook\n"}}`,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			out, counts := Default().Redact([]byte(in))
			require.Equal(t, in, string(out))
			require.Empty(t, counts)
		})
	}
}
