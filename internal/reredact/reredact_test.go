package reredact

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/velero-debug/velero-debug/internal/bundle"
	"github.com/velero-debug/velero-debug/internal/bundleread"
	"github.com/velero-debug/velero-debug/internal/redact"
)

// planted is the value a user spotted after the fact.
const planted = "db-7.corp.example.net"

var started = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

// source is one item of the input bundle.
type source struct {
	item     bundle.Item
	content  string // written when not empty, or when status is ok
	status   bundle.Status
	err      string
	duration time.Duration
}

// inputItems hold the planted value in content, sources, errors and one
// path, in items of every status.
var inputItems = []source{
	{item: bundle.Item{Path: "logs/velero/velero-abc/velero.log", Type: "log", Source: "pods/velero/velero-abc/velero",
		Redactions: map[string]int{"password-field": 2}},
		content: "time=\"t\" level=info msg=\"connecting to " + planted + ":5432\" password=[REDACTED:password-field]\n" +
			"level=info msg=\"again\" host=" + planted + "\nno newline at the end " + planted,
		status: bundle.StatusOK, duration: 1500 * time.Millisecond},
	{item: bundle.Item{Path: "resources/velero/core_v1/configmaps.json", Type: "object-list", Source: "configmaps"},
		content: `{"items":[{"data":{"db":"` + planted + `","password":"[REDACTED:password-field]"}}]}`,
		status:  bundle.StatusOK, duration: 20 * time.Millisecond},
	{item: bundle.Item{Path: "cluster/empty.json", Type: "object-list", Source: "storageclasses"},
		status: bundle.StatusOK, duration: 3 * time.Millisecond},
	{item: bundle.Item{Path: "logs/velero/velero-abc/restic.log", Type: "log", Source: "pods/velero/velero-abc/restic", Truncated: true},
		content: "cut short by --limit-bytes at " + planted + "\n", status: bundle.StatusOK, duration: 7 * time.Millisecond},
	{item: bundle.Item{Path: "backups/b1/log.txt", Type: "download", Source: "backups/b1 via " + planted},
		content: "half a log from " + planted + "\n", status: bundle.StatusError, err: "stream from " + planted + " broke",
		duration: 30 * time.Second},
	{item: bundle.Item{Path: "logs/velero/node-agent-1/node-agent.log", Type: "log", Source: "pods/velero/node-agent-1/node-agent"},
		content: "interrupted at " + planted + "\n", status: bundle.StatusCancelled, err: "context canceled",
		duration: 2 * time.Second},
	{item: bundle.Item{Path: "logs/velero/ghost/ghost.log", Type: "log", Source: "pods/velero/ghost/ghost"},
		status: bundle.StatusError, err: "pod ghost on " + planted + " not found", duration: 40 * time.Millisecond},
	{item: bundle.Item{Path: "logs/velero/late/late.log", Type: "log", Source: "pods/velero/late/late"},
		status: bundle.StatusCancelled, err: "context canceled", duration: 1 * time.Millisecond},
	{item: bundle.Item{Path: "backups/b1/volume-info.json", Type: "download", Source: "backups/b1"},
		status: bundle.StatusSkipped, err: "Velero wrote none for this backup"},
	{item: bundle.Item{Path: "hosts/" + planted + "/notes.txt", Type: "text", Source: "script"},
		content: "a path that holds the value\n", status: bundle.StatusOK},
}

var inputMeta = bundle.Meta{
	Tool:    bundle.Tool{Name: "velero-debug", Version: "v0.3.0"},
	Cluster: bundle.Cluster{Context: "prod", Server: "https://10.0.0.1:6443", KubernetesVersion: "v1.35.4"},
	Options: map[string]any{"namespace": "velero", "tail": -1, "defaultRedaction": true},
	Started: started, Finished: started.Add(2 * time.Minute), Complete: false,
}

// writeInput writes a bundle of items with package bundle, each item's
// content passed through rules first when rules is set.
func writeInput(t *testing.T, rules *redact.Rules, items []source) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "input.tar.gz")
	w, err := bundle.Create(out, bundle.Options{})
	require.NoError(t, err)
	for _, s := range items {
		e, err := w.Open(s.item)
		require.NoError(t, err)
		e.SetDuration(s.duration)
		content := s.content
		if rules != nil {
			red, counts := rules.Redact([]byte(content))
			content = string(red)
			e.SetRedactions(counts)
		}
		_, err = io.WriteString(e, content)
		require.NoError(t, err)
		switch s.status {
		case bundle.StatusOK:
			require.NoError(t, e.Commit())
		case bundle.StatusSkipped:
			require.NoError(t, e.Skip(s.err))
		case bundle.StatusCancelled:
			require.NoError(t, e.Fail(context.Canceled))
		default:
			require.NoError(t, e.Fail(errors.New(s.err)))
		}
	}
	require.NoError(t, w.Close(inputMeta))
	return out
}

// archive is a bundle read back without package bundleread.
type archive struct {
	files    map[string]string
	manifest bundle.Manifest
	raw      map[string]any
}

func readArchive(t *testing.T, p string) archive {
	t.Helper()
	f, err := os.Open(p)
	require.NoError(t, err)
	defer func() { require.NoError(t, f.Close()) }()
	gz, err := gzip.NewReader(f)
	require.NoError(t, err)
	tr := tar.NewReader(gz)
	a := archive{files: map[string]string{}}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		if h.Typeflag == tar.TypeDir {
			continue
		}
		require.Equal(t, int64(0o600), h.Mode, h.Name)
		data, err := io.ReadAll(tr)
		require.NoError(t, err)
		a.files[strings.TrimPrefix(h.Name, "velero-bundle/")] = string(data)
	}
	require.NoError(t, json.Unmarshal([]byte(a.files["manifest.json"]), &a.manifest))
	require.NoError(t, json.Unmarshal([]byte(a.files["manifest.json"]), &a.raw))
	return a
}

func fileSum(t *testing.T, p string) string {
	t.Helper()
	data, err := os.ReadFile(p)
	require.NoError(t, err)
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

func scrub(rules *redact.Rules) func(string) string {
	return func(s string) string {
		out, _ := rules.Redact([]byte(s))
		return string(out)
	}
}

func TestRewrite(t *testing.T) {
	t.Parallel()
	in := writeInput(t, nil, inputItems)
	before := fileSum(t, in)
	rules, err := redact.Compile(nil, []string{planted}, true)
	require.NoError(t, err)
	dir := t.TempDir()
	out := filepath.Join(dir, "out.tar.gz")
	res, err := Rewrite(t.Context(), in, out, Options{
		Rules: rules, Bundle: bundle.Options{Scrub: scrub(rules)},
		Record: map[string]any{"redactRules": "rules.yaml"},
	})
	require.NoError(t, err)

	require.Equal(t, before, fileSum(t, in), "the input is byte for byte the same")
	st, err := os.Stat(out)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1, "no partial file nor spool folder is left")

	old, got := readArchive(t, in), readArchive(t, out)
	for p, data := range got.files {
		if p != "manifest.json" && p != "summary.md" {
			assert.NotContains(t, data, planted, "%s still holds the value", p)
		}
	}
	b, err := bundleread.Open(t.Context(), out, bundleread.Limits{})
	require.NoError(t, err, "the new bundle is what its manifest says")
	require.NoError(t, b.Close())
	require.Equal(t, res.Manifest.Items, got.manifest.Items)
	require.Len(t, got.manifest.Items, len(old.manifest.Items))
	added := 0
	for i, it := range got.manifest.Items {
		was := old.manifest.Items[i]
		require.Equal(t, was.Path, it.Path)
		if it.Path == "summary.md" {
			continue // written anew, below
		}
		assert.Equal(t, was.Type, it.Type)
		assert.Equal(t, was.Status, it.Status, it.Path)
		assert.Equal(t, strings.ReplaceAll(was.Error, planted, "[REDACTED:literal]"), it.Error, it.Path)
		assert.Equal(t, strings.ReplaceAll(was.Source, planted, "[REDACTED:literal]"), it.Source, it.Path)
		assert.Equal(t, was.Truncated, it.Truncated, it.Path)
		assert.Equal(t, was.DurationMs, it.DurationMs, it.Path)
		data, ok := got.files[it.Path]
		require.Equal(t, bundleread.HasContent(was), ok, "%s keeps having content, or none", it.Path)
		if !ok {
			assert.Empty(t, it.SHA256)
			assert.Zero(t, it.Bytes)
			assert.Equal(t, was.Redactions, it.Redactions)
			continue
		}
		sum := sha256.Sum256([]byte(data))
		assert.Equal(t, hex.EncodeToString(sum[:]), it.SHA256, it.Path)
		assert.Equal(t, int64(len(data)), it.Bytes, it.Path)
		n := strings.Count(old.files[it.Path], planted)
		assert.Equal(t, strings.ReplaceAll(old.files[it.Path], planted, "[REDACTED:literal]"), data, it.Path)
		want := map[string]int{}
		for rule, c := range was.Redactions {
			want[rule] = c
		}
		if n > 0 {
			want["literal"] += n
		}
		assert.Equal(t, want, it.Redactions, it.Path)
		added += n
	}
	require.Equal(t, map[string]int{"literal": added}, res.Added)
	require.Equal(t, 7, added)
	require.Equal(t, []string{
		"backups/b1/log.txt", "logs/velero/node-agent-1/node-agent.log", "logs/velero/velero-abc/restic.log",
		"logs/velero/velero-abc/velero.log", "resources/velero/core_v1/configmaps.json",
	}, res.Changed)
	require.Equal(t, []string{"hosts/" + planted + "/notes.txt"}, res.PathMatches)

	m := got.manifest
	require.Equal(t, inputMeta.Tool, m.Tool)
	require.Equal(t, inputMeta.Cluster, m.Cluster)
	require.True(t, inputMeta.Started.Equal(m.Started))
	require.True(t, inputMeta.Finished.Equal(m.Finished))
	require.False(t, m.Complete, "an incomplete bundle stays incomplete")
	require.Equal(t, "velero", m.Options["namespace"])
	require.InDelta(t, -1, m.Options["tail"], 0)
	require.Equal(t, []any{map[string]any{"redactRules": "rules.yaml", "redactions": map[string]any{"literal": float64(added)}}},
		m.Options[OptionKey], "the re-redaction is recorded, with what it redacted")

	summary := got.files["summary.md"]
	require.NotEqual(t, old.files["summary.md"], summary, "summary.md is written anew")
	require.Contains(t, summary, "Values redacted: 9.")
	require.Contains(t, summary, "stream from [REDACTED:literal] broke")
	require.Contains(t, summary, "reRedactions")
}

// TestRewriteTwice: a second re-redaction adds its record to the first's.
func TestRewriteTwice(t *testing.T) {
	t.Parallel()
	in := writeInput(t, nil, inputItems[:2])
	rules, err := redact.Compile(nil, []string{planted}, false)
	require.NoError(t, err)
	mid := filepath.Join(t.TempDir(), "mid.tar.gz")
	_, err = Rewrite(t.Context(), in, mid, Options{Rules: rules, Record: map[string]any{"n": 1}})
	require.NoError(t, err)
	out := filepath.Join(t.TempDir(), "out.tar.gz")
	res, err := Rewrite(t.Context(), mid, out, Options{Rules: rules, Record: map[string]any{"n": 2}})
	require.NoError(t, err)
	require.Empty(t, res.Added)
	list, ok := res.Manifest.Options[OptionKey].([]any)
	require.True(t, ok)
	require.Len(t, list, 2)
	require.Equal(t, json.Number("1"), list[0].(map[string]any)["n"])
	require.Equal(t, 2, list[1].(map[string]any)["n"])
}

// TestIdempotent: a bundle already redacted with the default rules is left
// as it is by the default rules: markers are not secrets.
func TestIdempotent(t *testing.T) {
	t.Parallel()
	secrets := []source{
		{item: bundle.Item{Path: "logs/velero/velero-abc/velero.log", Type: "log"}, status: bundle.StatusOK, content: strings.Join([]string{
			`time="2026-11-27T10:00:00Z" level=info msg="upload" url="https://s3.example.com/b/o?X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20261127&X-Amz-Signature=0123456789abcdef0123456789abcdef"`,
			`time="2026-11-27T10:00:01Z" level=error msg="repo" repository-password=s3cr3t-Passw0rd error="Authorization: Bearer abc.def.ghi"`,
			`AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY`,
			`connecting to s3://velero:hunter2!x@minio:9000/bucket`,
			`token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U`,
			`DefaultEndpointsProtocol=https;AccountName=velero;AccountKey=dGhpcyBpcyBub3QgYSByZWFsIGtleQ==;EndpointSuffix=core.windows.net`,
			`-----BEGIN RSA PRIVATE KEY-----`,
			`MIIEowIBAAKCAQEAwJ8bN7zD2fJ9cE3xXcyc1z8A0xmJc5vQW2h3Jp7c1EXAMPLE`,
			`YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXowMTIzNDU2Nzg5YWJjZGVmZ2hpamts`,
			`-----END RSA PRIVATE KEY-----`,
			``,
		}, "\n")},
		{item: bundle.Item{Path: "resources/velero/apps_v1/deployments.json", Type: "object-list"}, status: bundle.StatusOK,
			content: `{"items":[{"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"kind\":\"Deployment\"}"}},` +
				`"spec":{"template":{"spec":{"containers":[{"env":[{"name":"AWS_SECRET_ACCESS_KEY","value":"wJalrXUtnFEMI/K7MDENG"},` +
				`{"name":"DB_PASSWORD","value":"p4ss-w0rd"},{"name":"REF","valueFrom":{"secretKeyRef":{"name":"cloud-credentials"}}}]}]}}}}]}` + "\n"},
		{item: bundle.Item{Path: "resources/velero/core_v1/configmaps.yaml", Type: "object-list"}, status: bundle.StatusOK,
			content: "data:\n  config.yaml: |\n    password: hunter2!x\n    apiKey: 0123456789abcdef\n  client_secret: abcdef\n" +
				"  key.pem: |\n    -----BEGIN PRIVATE KEY-----\n    MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n    -----END PRIVATE KEY-----\n"},
		{item: bundle.Item{Path: "backups/b1/describe.txt", Type: "describe"}, status: bundle.StatusOK,
			content: "Name: b1\n  Env:\n    AWS_SECRET_ACCESS_KEY:  wJalrXUtnFEMI/K7MDENG\n    PASSWORD:  <set to the key 'password' in secret 'db'>\n"},
	}
	in := writeInput(t, redact.Default(), secrets)
	old := readArchive(t, in)
	total := 0
	for _, it := range old.manifest.Items {
		for _, n := range it.Redactions {
			total += n
		}
	}
	require.Greater(t, total, 10, "the input had secrets, redacted")

	out := filepath.Join(t.TempDir(), "out.tar.gz")
	res, err := Rewrite(t.Context(), in, out, Options{Rules: redact.Default(), Bundle: bundle.Options{Scrub: scrub(redact.Default())}})
	require.NoError(t, err)
	require.Empty(t, res.Added, "markers are not secrets")
	require.Empty(t, res.Changed)
	got := readArchive(t, out)
	for i, it := range got.manifest.Items {
		was := old.manifest.Items[i]
		if it.Path == "summary.md" {
			continue // written anew
		}
		require.Equal(t, was.SHA256, it.SHA256, "%s changed:\n%s", it.Path, got.files[it.Path])
		require.Equal(t, was.Redactions, it.Redactions)
	}
}

func TestRewriteOutput(t *testing.T) {
	t.Parallel()
	in := writeInput(t, nil, inputItems[:1])
	before := fileSum(t, in)
	rules := redact.Default()
	out := filepath.Join(t.TempDir(), "out.tar.gz")
	require.NoError(t, os.WriteFile(out, []byte("keep me"), 0o600))

	_, err := Rewrite(t.Context(), in, out, Options{Rules: rules})
	require.ErrorIs(t, err, os.ErrExist, "an existing output needs Force")
	data, err := os.ReadFile(out)
	require.NoError(t, err)
	require.Equal(t, "keep me", string(data))

	_, err = Rewrite(t.Context(), in, out, Options{Rules: rules, Bundle: bundle.Options{Force: true}})
	require.NoError(t, err)
	readArchive(t, out)

	_, err = Rewrite(t.Context(), in, in, Options{Rules: rules, Bundle: bundle.Options{Force: true}})
	require.ErrorContains(t, err, "is the input bundle")
	require.Equal(t, before, fileSum(t, in))

	// An input named like the output's partial file is not overwritten.
	data, err = os.ReadFile(in)
	require.NoError(t, err)
	partial := filepath.Join(t.TempDir(), "x.tar.gz.partial")
	require.NoError(t, os.WriteFile(partial, data, 0o600))
	_, err = Rewrite(t.Context(), partial, strings.TrimSuffix(partial, ".partial"), Options{Rules: rules})
	require.ErrorIs(t, err, os.ErrExist)
	require.Equal(t, before, fileSum(t, partial))
	_, err = Rewrite(t.Context(), partial, strings.TrimSuffix(partial, ".partial"), Options{Rules: rules, Bundle: bundle.Options{Force: true}})
	require.ErrorIs(t, err, os.ErrExist, "--force replaces a killed run's partial file, never the input")
	require.Equal(t, before, fileSum(t, partial))
}

func TestRewriteRefusesAnInvalidBundle(t *testing.T) {
	t.Parallel()
	in := filepath.Join(t.TempDir(), "in.tar.gz")
	require.NoError(t, os.WriteFile(in, []byte("not a bundle"), 0o600))
	dir := t.TempDir()
	_, err := Rewrite(t.Context(), in, filepath.Join(dir, "out.tar.gz"), Options{Rules: redact.Default()})
	require.ErrorIs(t, err, bundleread.ErrInvalid)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Empty(t, entries)
}

// countdown is a context whose Err says cancelled from its n-th call on:
// it interrupts a run at each point where the run looks.
type countdown struct {
	context.Context
	left atomic.Int64
}

func (c *countdown) Err() error {
	if c.left.Add(-1) < 0 {
		return context.Canceled
	}
	return nil
}

// TestInterrupt cancels the run at every point where it checks its
// context, from the first read of the input to the last item: each time
// it ends with context.Canceled and leaves nothing behind, and once it is
// not interrupted any more it writes the whole bundle.
func TestInterrupt(t *testing.T) {
	t.Parallel()
	in := writeInput(t, nil, inputItems)
	for n := int64(0); ; n++ {
		dir := t.TempDir()
		out := filepath.Join(dir, "out.tar.gz")
		ctx := &countdown{Context: t.Context()}
		ctx.left.Store(n)
		_, err := Rewrite(ctx, in, out, Options{Rules: redact.Default()})
		entries, rerr := os.ReadDir(dir)
		require.NoError(t, rerr)
		if err == nil {
			require.Greater(t, n, int64(len(inputItems)), "the run looks at its context for every item")
			require.Len(t, entries, 1)
			return
		}
		require.ErrorIs(t, err, context.Canceled, "interrupted at check %d", n)
		require.Empty(t, entries, "interrupted at check %d: nothing is left", n)
	}
}
