package collect

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/velero-debug/velero-debug/internal/bundle"
	"github.com/velero-debug/velero-debug/internal/plan"
	"github.com/velero-debug/velero-debug/internal/redact"
)

type nopObserver struct{}

func (nopObserver) Started(string)                                {}
func (nopObserver) Finished(string, bundle.Status, int64, string) {}

// runCommands executes steps into a bundle and returns its manifest.
func runCommands(t *testing.T, cfg Config, steps ...plan.Step) bundle.Manifest {
	t.Helper()
	w, err := bundle.Create(filepath.Join(t.TempDir(), "b.tar.gz"), bundle.Options{})
	require.NoError(t, err)
	_, err = Run(context.Background(), cfg, &plan.Plan{Steps: steps}, Clients{}, w)
	require.NoError(t, err)
	require.NoError(t, w.Close(bundle.Meta{}))
	return w.Manifest()
}

func commandStep(p string, cmds ...[]string) plan.Step {
	c := &plan.Command{Path: p}
	for _, argv := range cmds {
		c.Runs = append(c.Runs, plan.Run{Cmd: argv[0], Argv: argv, Desc: "desc of " + argv[0]})
	}
	return plan.Step{Command: c}
}

func TestCommand(t *testing.T) {
	t.Parallel()
	rules, err := redact.Compile(nil, nil, true)
	require.NoError(t, err)
	// Long enough for a shell under -race on a loaded machine (500 ms was
	// not, once in CI), short beside the sleep that must be killed.
	cfg := Config{RequestTimeout: time.Minute, Redact: rules, Commands: CommandOptions{Timeout: 3 * time.Second, LimitBytes: 100}}
	m := runCommands(t, cfg,
		commandStep("ok.txt", []string{"sh", "-c", "echo out; echo err >&2; echo password=hunter2secret"}),
		commandStep("fails.txt", []string{"sh", "-c", "echo partial; exit 3"}, []string{"echo", "next"}),
		commandStep("missing.txt", []string{"no-such-command-velero-debug"}),
		commandStep("slow.txt", []string{"sleep", "10"}),
		commandStep("big.txt", []string{"sh", "-c", "yes | head -c 1000"}),
	)
	items := map[string]bundle.ManifestItem{}
	for _, it := range m.Items {
		items[it.Path] = it
	}
	ok := items["ok.txt"]
	require.Equal(t, bundle.StatusOK, ok.Status, ok.Error)
	require.Positive(t, ok.Redactions["password-field"], "command output is redacted: %v", ok.Redactions)
	require.Equal(t, bundle.StatusError, items["fails.txt"].Status)
	require.Contains(t, items["fails.txt"].Error, `command "sh": exit status 3`)
	require.Positive(t, items["fails.txt"].Bytes, "what it wrote is kept")
	require.Contains(t, items["missing.txt"].Error, "executable file not found")
	require.Contains(t, items["slow.txt"].Error, "did not end within 3s, killed (see --command-timeout)")
	require.Equal(t, bundle.StatusOK, items["big.txt"].Status)
	require.True(t, items["big.txt"].Truncated)
	require.Equal(t, int64(100), items["big.txt"].Bytes)
}

func TestCommandLimitShared(t *testing.T) {
	t.Parallel()
	cfg := Config{RequestTimeout: time.Minute, Commands: CommandOptions{Timeout: 10 * time.Second, LimitBytes: 30}}
	m := runCommands(t, cfg, commandStep("shared.txt", []string{"echo", "0123456789"}, []string{"echo", "abcdefghij"}))
	require.Len(t, m.Items, 2) // and summary.md
	it := m.Items[0]
	require.Equal(t, bundle.StatusOK, it.Status, it.Error)
	require.True(t, it.Truncated)
	require.Equal(t, int64(30), it.Bytes, "the commands of one file and their desc lines share --limit-bytes")
}
