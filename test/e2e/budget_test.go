package e2e

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/velero-debug/velero-debug/internal/budget"
	"github.com/velero-debug/velero-debug/internal/bundle"
	"github.com/velero-debug/velero-debug/test/fixture"
)

// markedLevel is a line every cut log keeps.
var markedLevel = regexp.MustCompile(`level=(warning|error|fatal|panic)`)

// TestMaxSize collects from a cluster of 200 node-agents with 1 MiB of
// log each (and the Velero server's 1 MiB) with --max-size 2MiB: the
// bundle is at most 2 MiB; every item other than the pods' logs is what a
// run without the budget stores, byte for byte; every pod's log keeps its
// last line and every warning and error line, and says where lines were
// left out, in the file (a marker line) and in manifest.json; summary.md
// says what the budget did. With a budget that what cannot be cut does
// not fit, that is kept whole, the run says by how much the budget is
// exceeded, and exits 3.
func TestMaxSize(t *testing.T) {
	t.Parallel()
	c, v := ownCluster(t, fixture.Options{Nodes: 200, LogBytes: 1 << 20})
	run := func(args ...string) (archive, result, int64) {
		out := filepath.Join(t.TempDir(), "bundle.tar.gz")
		cmd := toolCommand(t, append([]string{"-n", v.Namespace, "--output", out}, args...)...)
		cmd.Env = append(cmd.Env, "KUBECONFIG="+c.Kubeconfig)
		stderr := started(t, cmd)
		code := exitCode(t, cmd.Wait())
		info, err := os.Stat(out)
		require.NoError(t, err, stderr.String())
		return readBundle(t, out), result{code: code, stderr: stderr.String()}, info.Size()
	}
	whole, r, wholeSize := run()
	require.Equal(t, 0, r.code, r.stderr)
	require.Nil(t, whole.manifest.Budget)
	if wholeSize > 25_000_000 {
		require.Contains(t, r.stderr, "GitHub takes as an attachment: --max-size 25MB")
	} else {
		require.NotContains(t, r.stderr, "GitHub takes")
	}

	const maxSize = 2 << 20
	a, r, size := run("--max-size", "2MiB")
	require.Equal(t, 0, r.code, r.stderr)
	t.Logf("%d bytes without a budget, %d with --max-size 2MiB\n%s", wholeSize, size, r.stderr)
	require.LessOrEqual(t, size, int64(maxSize))
	require.NotContains(t, r.stderr, "GitHub takes")
	require.Regexp(t, `velero-debug: \d+ logs cut to fit --max-size 2\.0 MiB: `, r.stderr)
	b := a.manifest.Budget
	require.NotNil(t, b)
	require.Equal(t, int64(maxSize), b.MaxBytes)
	require.Zero(t, b.OverBytes)
	require.Greater(t, b.LogsCut, 190)
	require.Contains(t, string(a.files[bundle.SummaryFile]), "**--max-size 2.0 MiB:** ")

	podLogs := map[string]fixture.Log{}
	for _, l := range v.Logs {
		podLogs[logPath(l)] = l
	}
	items := map[string]bundle.ManifestItem{}
	for _, it := range whole.manifest.Items {
		items[it.Path] = it
	}
	var differ []string
	for _, it := range a.manifest.Items {
		before, ok := items[it.Path]
		require.True(t, ok, "%s is in both bundles", it.Path)
		l, isPodLog := podLogs[it.Path]
		if !isPodLog {
			if before.SHA256 != it.SHA256 {
				differ = append(differ, it.Path)
			}
			continue
		}
		text, err := l.Redacted()
		require.NoError(t, err)
		got := a.files[it.Path]
		lines := bytes.SplitAfter(text, []byte("\n"))
		if len(lines) > 1 && len(lines[len(lines)-1]) == 0 {
			lines = lines[:len(lines)-1]
		}
		require.True(t, bytes.HasSuffix(got, lines[len(lines)-1]), "%s keeps its last line", it.Path)
		for _, line := range lines {
			if markedLevel.Match(line) && !bytes.Contains(got, line) {
				t.Fatalf("%s lost the line %q", it.Path, line)
			}
		}
		if !it.Truncated {
			require.Equal(t, text, got, "%s, not cut, is whole", it.Path)
			continue
		}
		require.Equal(t, int64(len(text)), it.OriginalBytes, it.Path)
		require.NotEmpty(t, it.KeptLines, it.Path)
		require.Contains(t, string(got), " left out here to fit --max-size]\n", it.Path)
	}
	// summary.md says what the budget did.
	require.Equal(t, []string{bundle.SummaryFile}, differ, "every item but the pods' logs is kept whole")
	// The Velero server's log comes first: it keeps more than most
	// node-agents' (those of nodes without a failed volume operation).
	server := logPath(fixture.Log{Namespace: v.Namespace, Pod: v.ServerPod, Container: "velero"})
	var agents []int
	for p, l := range podLogs {
		if l.Container == "node-agent" && !l.Previous {
			agents = append(agents, len(a.files[p]))
		}
	}
	slices.Sort(agents)
	require.Greater(t, len(a.files[server]), 2*agents[len(agents)/2], "the server's log keeps more than most node-agents'")

	// A budget below what cannot be cut: that is kept whole, the logs are
	// their markers, the run says by how much, exit 3.
	a, r, size = run("--max-size", "100KiB")
	require.Equal(t, 3, r.code, r.stderr)
	require.Greater(t, size, int64(100<<10))
	require.Contains(t, r.stderr, " over --max-size 100.0 KiB: what is never cut")
	require.Positive(t, a.manifest.Budget.OverBytes)
	for _, it := range a.manifest.Items {
		if _, isPodLog := podLogs[it.Path]; !isPodLog {
			if it.Path != bundle.SummaryFile {
				require.Equal(t, items[it.Path].SHA256, it.SHA256, "%s is kept whole", it.Path)
			}
		} else if it.Truncated {
			require.True(t, strings.HasPrefix(string(a.files[it.Path]), "[velero-debug: lines 1-"), it.Path)
		} else {
			// A log no longer than its marker line stays whole.
			require.Less(t, it.Bytes, int64(len(budget.Marker(1, 1, it.Bytes))), it.Path)
		}
	}
}
