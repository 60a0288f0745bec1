package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRedactBundle collects a real bundle, then re-redacts it with a
// literal naming the Velero server's pod, as a user who spots a value after
// the fact would: the name is gone from every item's content, source and
// error (paths keep it, and the command says so), each item keeps its
// status, error and timing, its size and sha256 match the new content, the
// counts add up, and the input is untouched. The literal alone runs
// (--no-default-redaction), so that each item's new content is exactly the
// old one with the marker in the name's place; TestRedactBundleIdempotent
// runs the default rules again.
func TestRedactBundle(t *testing.T) {
	t.Parallel()
	r := runTool(t, nil)
	require.Equal(t, 0, r.code, r.stderr)
	before := sumFile(t, r.output)
	old := readBundle(t, r.output)
	pod := velero.ServerPod
	require.Contains(t, string(old.files["resources/velero/core_v1/pods.json"]), pod, "the collection holds the pod's name")
	const marker = "[REDACTED:literal]"

	rules := filepath.Join(t.TempDir(), "rules.yaml")
	require.NoError(t, os.WriteFile(rules, []byte("literals:\n  - "+pod+"\n"), 0o600))
	out := filepath.Join(t.TempDir(), "redacted.tar.gz")
	res := execTool(t, "", nil, "redact", r.output, "-o", out, "--redact-rules", rules, "--no-default-redaction")
	require.Equal(t, 0, res.code, res.stderr)
	require.Regexp(t, `more values redacted \(literal: [1-9][0-9]*\) in [1-9][0-9]* items`, res.stderr)
	require.Contains(t, res.stderr, "WARNING: ", "the server's log paths name the pod: the command says they are kept")
	require.Equal(t, before, sumFile(t, r.output), "the input bundle is not modified")
	_, err := os.Stat(out + ".partial")
	require.True(t, os.IsNotExist(err))

	a := readBundle(t, out) // mode 0600 checked there
	for path, data := range a.files {
		if path != "manifest.json" {
			assert.NotContains(t, string(data), pod, "%s still holds the pod's name", path)
		}
	}
	require.Len(t, a.manifest.Items, len(old.manifest.Items))
	literals, oldTotal := 0, 0
	for i, it := range a.manifest.Items {
		was := old.manifest.Items[i]
		require.Equal(t, was.Path, it.Path)
		if it.Path == "summary.md" {
			continue // written anew from the new items, below
		}
		assert.Equal(t, was.Type, it.Type)
		assert.Equal(t, was.Status, it.Status, it.Path)
		assert.Equal(t, was.Truncated, it.Truncated, it.Path)
		assert.Equal(t, was.DurationMs, it.DurationMs, it.Path)
		assert.Equal(t, strings.ReplaceAll(was.Source, pod, marker), it.Source, it.Path)
		assert.Equal(t, strings.ReplaceAll(was.Error, pod, marker), it.Error, it.Path)
		data, ok := a.files[it.Path]
		_, had := old.files[it.Path]
		require.Equal(t, had, ok, "%s keeps having content, or none", it.Path)
		if ok {
			sum := sha256.Sum256(data)
			assert.Equal(t, hex.EncodeToString(sum[:]), it.SHA256, it.Path)
			assert.Equal(t, int64(len(data)), it.Bytes, it.Path)
			assert.Equal(t, strings.ReplaceAll(string(old.files[it.Path]), pod, marker), string(data), it.Path)
		}
		n := strings.Count(string(old.files[it.Path]), pod)
		assert.Equal(t, n, it.Redactions["literal"], it.Path)
		for rule, c := range was.Redactions {
			assert.Equal(t, c, it.Redactions[rule], "%s: the counts of rule %s are kept", it.Path, rule)
			oldTotal += c
		}
		literals += n
	}
	require.Positive(t, literals)
	reRedactions, ok := a.manifest.Options["reRedactions"].([]any)
	require.True(t, ok, "the manifest records the re-redaction: %v", a.manifest.Options)
	require.Len(t, reRedactions, 1)
	require.Equal(t, rules, reRedactions[0].(map[string]any)["redactRules"])
	require.Equal(t, old.manifest.Started, a.manifest.Started)
	require.Equal(t, old.manifest.Cluster, a.manifest.Cluster)
	summary := string(a.files["summary.md"])
	require.Contains(t, summary, "Values redacted: "+strconv.Itoa(oldTotal+literals)+".", "summary.md is written from the new manifest")

}

// TestRedactBundleIdempotent re-redacts a real bundle with the default
// rules it was collected with: the markers in place are not secrets, so no
// item's content changes and no count grows.
func TestRedactBundleIdempotent(t *testing.T) {
	t.Parallel()
	r := runTool(t, nil)
	require.Equal(t, 0, r.code, r.stderr)
	old := readBundle(t, r.output)
	again := filepath.Join(t.TempDir(), "again.tar.gz")
	res := execTool(t, "", nil, "redact", r.output, "-o", again)
	require.Equal(t, 0, res.code, res.stderr)
	b := readBundle(t, again)
	require.Len(t, b.manifest.Items, len(old.manifest.Items))
	for i, it := range b.manifest.Items {
		was := old.manifest.Items[i]
		if it.Path == "summary.md" {
			continue // written anew: it records the re-redaction
		}
		assert.Equal(t, was.SHA256, it.SHA256, "%s changed: %s", it.Path, firstDiff(old.files[it.Path], b.files[it.Path]))
		assert.Equal(t, was.Redactions, it.Redactions, it.Path)
	}
	require.Contains(t, res.stderr, "no more values redacted", "the default rules find nothing new in what they redacted")
}

func sumFile(t *testing.T, p string) string {
	t.Helper()
	data, err := os.ReadFile(p)
	require.NoError(t, err)
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
