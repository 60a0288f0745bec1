package redact

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// streamCorpus is text of every kind the rules know, secrets included.
func streamCorpus() []byte {
	var b bytes.Buffer
	b.Write(veleroLog(64 << 10))
	for _, s := range []string{
		"[default]\naws_access_key_id=AKIAVDBGSECRET234567\naws_secret_access_key=vdbgSecret/x+y\n",
		`{"name":"AWS_SECRET_ACCESS_KEY","value":"vdbgSecretInLiteralEnv/x"}` + "\n",
		"-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\nZXhhbXBsZQ==\n-----END RSA PRIVATE KEY-----\n",
		`{"private_key":"-----BEGIN PRIVATE KEY-----\nMIIEvQIB\n-----END PRIVATE KEY-----\n"}` + "\n",
		"  annotations:\n    kubectl.kubernetes.io/last-applied-configuration: |\n      {\"a\":1}\n    other: x\n",
		"    env:\n    - name: DB_PASSWORD\n      value: xyz\n",
		"https://s3/b?X-Amz-Credential=AKIAVDBGURLCRED23456%2F2026&X-Amz-Signature=" + hex64 + "\n",
		"Authorization: Bearer " + jwtTok + "\n",
		`level=info password="x y" token=abc msg="done"` + "\n",
	} {
		b.WriteString(s)
	}
	return b.Bytes()
}

// redactChunks writes in to a Writer in chunks of the sizes that next
// returns, and returns the output and the counts.
func redactChunks(t *testing.T, rs *Rules, limit int, in []byte, next func() int) (string, map[string]int) {
	t.Helper()
	var out bytes.Buffer
	w := rs.Writer(&out)
	if limit > 0 {
		w.limit, w.overlap = limit, limit/4
	}
	for len(in) > 0 {
		n := min(max(next(), 1), len(in))
		k, err := w.Write(in[:n])
		require.NoError(t, err)
		require.Equal(t, n, k)
		in = in[n:]
	}
	require.NoError(t, w.Close())
	return out.String(), w.Counts()
}

func TestChunkedWritesMatchOneWrite(t *testing.T) {
	t.Parallel()
	in := streamCorpus()
	for _, limit := range []int{0, 256} {
		t.Run(fmt.Sprint("limit ", limit), func(t *testing.T) {
			t.Parallel()
			whole, counts := redactChunks(t, Default(), limit, in, func() int { return len(in) })
			require.NotContains(t, whole, "vdbgSecret")
			require.NotContains(t, whole, "AKIAVDBG")
			require.NotContains(t, whole, hex64)
			rng := rand.New(rand.NewPCG(3, 4))
			for name, next := range map[string]func() int{
				"1 byte":  func() int { return 1 },
				"random":  func() int { return 1 + rng.IntN(300) },
				"4 KiB":   func() int { return 4096 },
				"primes":  func() int { return []int{7, 13, 251, 1021}[rng.IntN(4)] },
				"big/1/2": func() int { return []int{1, 2, 65536}[rng.IntN(3)] },
			} {
				out, c := redactChunks(t, Default(), limit, in, next)
				require.Equal(t, whole, out, name)
				require.Equal(t, counts, c, name)
			}
		})
	}
}

// TestLongLine redacts one 5 MiB line holding a secret every 100 bytes, so
// that secrets straddle every cut between windows.
func TestLongLine(t *testing.T) {
	t.Parallel()
	var line bytes.Buffer
	n := 0
	for ; line.Len() < 5<<20; n++ {
		fmt.Fprintf(&line, `{"name":"item-%07d","password":"vdbgS3cret%07d","data":"%s"},`, n, n, strings.Repeat("x", 30))
	}
	line.WriteString("\nnext line\n")
	var out bytes.Buffer
	w := Default().Writer(&out)
	for p := line.Bytes(); len(p) > 0; p = p[min(len(p), 64<<10):] {
		_, err := w.Write(p[:min(len(p), 64<<10)])
		require.NoError(t, err)
		require.LessOrEqual(t, cap(w.line), maxJSONLine, "the pending line is bounded: a JSON line to maxJSONLine")
		require.LessOrEqual(t, cap(w.out), 2*maxJSONLine+flushSize, "the output buffer is bounded")
	}
	require.NoError(t, w.Close())
	require.NotContains(t, out.String(), "vdbgS3cret")
	require.Equal(t, map[string]int{rulePassword: n}, w.Counts())
	require.Equal(t, n, strings.Count(out.String(), `"name":"item-`))
	require.True(t, strings.HasSuffix(out.String(), "},\nnext line\n"))
}

// TestLongValues redacts values longer than a window: they start in one and
// end windows later.
func TestLongValues(t *testing.T) {
	t.Parallel()
	big := func(unit string) string { return strings.Repeat(unit, (3<<20)/len(unit)) }
	runCases(t, Default(), []redactCase{
		{"last-applied json", `{"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"` + big(`{\"password\":\"x\\\\\"},`) + `"},"name":"n"}}` + "\n",
			`{"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"[REDACTED:last-applied-configuration]"},"name":"n"}}` + "\n", one(ruleLastApplied)},
		{"escaped json string", `msg="{\"token\":\"` + big("ab") + `\",\"n\":1}" next=1` + "\n", `msg="{\"token\":\"[REDACTED:token-field]\",\"n\":1}" next=1` + "\n", one(ruleToken)},
		{"unquoted value", "token=" + big("Ab0+") + " next=1\n", "token=[REDACTED:token-field] next=1\n", one(ruleToken)},
		{"single quoted value", "password: '" + big("it''s ") + "'\n", "password: '[REDACTED:password-field]'\n", one(rulePassword)},
		{"yaml plain value", "password: " + big("a b ") + "\nnext: 1\n", "password: \"[REDACTED:password-field]\"\nnext: 1\n", one(rulePassword)},
		{"pem in a json string", `{"k":"-----BEGIN PRIVATE KEY-----\n` + big(`MIIEvQIBADAN\n`) + `-----END PRIVATE KEY-----\n","n":1}` + "\n",
			`{"k":"-----BEGIN PRIVATE KEY-----\n[REDACTED:pem-private-key]\n-----END PRIVATE KEY-----\n","n":1}` + "\n", one(rulePEM)},
		{"jwt", "t " + jwtTok + big("x") + " next\n", "t [REDACTED:jwt] next\n", one(ruleJWT)},
		{"pem body line", "-----BEGIN PRIVATE KEY-----\n" + big("MIIE") + "\n-----END PRIVATE KEY-----\n",
			"-----BEGIN PRIVATE KEY-----\n[REDACTED:pem-private-key]\n-----END PRIVATE KEY-----\n", one(rulePEM)},
		{"block line", "  password: |\n    " + big("x y ") + "\n  next: 1\n", "  password: |\n    [REDACTED:password-field]\n  next: 1\n", one(rulePassword)},
	})
}

// TestSecretAtEveryCut moves a secret across the cut between two small
// windows, one byte at a time.
func TestSecretAtEveryCut(t *testing.T) {
	t.Parallel()
	forms := []string{
		"password=%s", `"token": "%s"`, `{"name":"DB_PASSWORD","value":"%s"}`, "Authorization: Bearer %s",
		"https://u:%s@host", "X-Amz-Signature=%s", "--password %s", `\"password\":\"%s\"`,
	}
	for _, form := range forms {
		for off := 0; off < 700; off++ {
			secret := fmt.Sprintf("Zq9secret%04d", off)
			in := strings.Repeat("a ", off/2) + strings.Repeat("b", off%2) + " " + fmt.Sprintf(form, secret) + " " + strings.Repeat("c ", 300) + "\n"
			out, counts := redactChunks(t, Default(), 256, []byte(in), func() int { return 37 })
			require.NotContains(t, out, secret, "%s at %d", form, off)
			require.Len(t, counts, 1, "%s at %d", form, off)
		}
	}
}

func TestLastLineWithoutNewline(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	w := Default().Writer(&out)
	_, err := w.Write([]byte("a=1\npassword=x"))
	require.NoError(t, err)
	require.Equal(t, "a=1\n", out.String(), "complete lines are written through")
	require.NoError(t, w.Close())
	require.Equal(t, "a=1\npassword=[REDACTED:password-field]", out.String())
	require.NoError(t, w.Close(), "Close is idempotent")
	_, err = w.Write([]byte("x"))
	require.ErrorIs(t, err, ErrClosed)
}

type failingWriter struct{ err error }

func (f failingWriter) Write([]byte) (int, error) { return 0, f.err }

func TestWriteError(t *testing.T) {
	t.Parallel()
	boom := fmt.Errorf("disk full")
	w := Default().Writer(failingWriter{boom})
	_, err := w.Write([]byte("a line\n"))
	require.ErrorIs(t, err, boom)
	_, err = w.Write([]byte("another\n"))
	require.ErrorIs(t, err, boom)
	require.ErrorIs(t, w.Close(), boom)
}

func TestCountsIsACopy(t *testing.T) {
	t.Parallel()
	w := Default().Writer(&bytes.Buffer{})
	_, err := w.Write([]byte("password=x\n"))
	require.NoError(t, err)
	c := w.Counts()
	c[rulePassword] = 100
	require.Equal(t, map[string]int{rulePassword: 1}, w.Counts())
}

// TestAdversarialLinesStayLinear feeds 4 MiB lines made of one keyword
// repeated: every detector must do work proportional to the line, or these
// would take minutes.
func TestAdversarialLinesStayLinear(t *testing.T) {
	t.Parallel()
	for _, unit := range []string{
		"token=", "tokentoken", `"password":"`, `\"password\":\"`, "-----BEGIN PRIVATE KEY-----", "eyJhbGciOiJIUzI1NiJ9.",
		"a://", "a://b:", "bearer ", "Authorization: ", "AKIA", "sig=", "kubectl.kubernetes.io/last-applied-configuration:",
		`{"name":"DB_PASSWORD",`, "password='", "x\\", "--token ", "password: ",
		`k="password=1" `, `k="token" `, `password="`, "{password: x, ", "Cookie: a=1, ", "X-Api-Key: k1, ",
		"u:p@tcp(", `x {"a":"token",`, "AWS4-HMAC-SHA256 Credential=", "LS0tLS1CRUdJTi", "a://u@", "ghp_",
		"- value: x\n", "db.password = x ", "map[Password:[",
	} {
		t.Run(unit, func(t *testing.T) {
			t.Parallel()
			line := strings.Repeat(unit, (4<<20)/len(unit)) + "\n"
			start := time.Now()
			w := Default().Writer(io.Discard)
			_, err := io.WriteString(w, line+line[:len(line)/3])
			require.NoError(t, err)
			require.NoError(t, w.Close())
			require.Less(t, time.Since(start), 20*time.Second)
		})
	}
}
