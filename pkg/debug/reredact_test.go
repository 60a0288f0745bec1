package debug

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/velero-debug/velero-debug/internal/bundle"
)

// smallBundle writes a bundle whose log names host.
func smallBundle(t *testing.T, host string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "bundle.tar.gz")
	w, err := bundle.Create(p, bundle.Options{})
	require.NoError(t, err)
	require.NoError(t, w.AddBytes(bundle.Item{Path: "logs/velero/velero-abc/velero.log", Type: "log"},
		[]byte("level=info msg=\"dialing "+host+"\"\n")))
	require.NoError(t, w.AddError(bundle.Item{Path: "logs/velero/ghost/ghost.log", Type: "log"}, errors.New("pod ghost not found")))
	require.NoError(t, w.Close(bundle.Meta{Tool: bundle.Tool{Name: "velero-debug", Version: "v0.1.0"}, Complete: true}))
	return p
}

func writeRules(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "rules.yaml")
	require.NoError(t, os.WriteFile(p, []byte(text), 0o600))
	return p
}

// runRedact runs `velero-debug redact args...` and returns its stderr.
func runRedact(t *testing.T, args ...string) (string, error) {
	t.Helper()
	streams, _, out, errOut := genericiooptions.NewTestIOStreams()
	cmd := NewCommand(nil, streams)
	cmd.SetArgs(append([]string{"redact"}, args...))
	err := cmd.ExecuteContext(t.Context())
	require.Empty(t, out.String(), "stdout stays clean")
	return errOut.String(), err
}

func TestRedactCommand(t *testing.T) {
	t.Parallel()
	in := smallBundle(t, "db.corp.example")
	rules := writeRules(t, "literals:\n  - db.corp.example\n")
	out := filepath.Join(t.TempDir(), "out.tar.gz")
	stderr, err := runRedact(t, in, "-o", out, "--redact-rules", rules)
	require.NoError(t, err, stderr)
	require.Equal(t, 0, ExitCode(err))
	require.Contains(t, stderr, "re-redacting "+in+" into "+out)
	require.Contains(t, stderr, "wrote "+out+": 3 items") // and summary.md
	require.Contains(t, stderr, "1 more values redacted (literal: 1) in 1 items")

	stderr, err = runRedact(t, in, "-o", out, "--redact-rules", rules)
	require.ErrorContains(t, err, "exists: choose another name, or add --force to replace it")
	require.Equal(t, 1, ExitCode(err), stderr)
	stderr, err = runRedact(t, in, "-o", out, "--force")
	require.NoError(t, err, stderr)
	require.Contains(t, stderr, "no more values redacted")
}

func TestRedactCommandErrors(t *testing.T) {
	t.Parallel()
	in := smallBundle(t, "db.corp.example")
	dir := t.TempDir()
	out := filepath.Join(dir, "out.tar.gz")
	notBundle := filepath.Join(t.TempDir(), "notes.tar.gz")
	require.NoError(t, os.WriteFile(notBundle, []byte("hello"), 0o600))
	data, err := os.ReadFile(in)
	require.NoError(t, err)
	partialIn := filepath.Join(t.TempDir(), "b.tar.gz.partial")
	require.NoError(t, os.WriteFile(partialIn, data, 0o600))
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no output", []string{in}, "--output is required"},
		{"no bundle", []string{"-o", out}, "accepts 1 arg(s)"},
		{"missing bundle", []string{filepath.Join(dir, "nope.tar.gz"), "-o", out}, `bundle "` + filepath.Join(dir, "nope.tar.gz") + `" cannot be read`},
		{"bundle is a folder", []string{dir, "-o", out}, "is not a file"},
		{"output is the input", []string{in, "-o", in, "--force"}, "would replace the bundle"},
		{"output's partial file is the input", []string{partialIn, "-o", strings.TrimSuffix(partialIn, ".partial")}, "would replace the bundle"},
		{"output folder missing", []string{in, "-o", filepath.Join(dir, "no", "out.tar.gz")}, "--output"},
		{"nothing to redact", []string{in, "-o", out, "--no-default-redaction"}, "--no-default-redaction needs --redact-rules"},
		{"bad rules", []string{in, "-o", out, "--redact-rules", writeRules(t, "rules:\n  - name: x\n    pattern: '(['\n")}, "--redact-rules"},
		{"invalid bundle", []string{notBundle, "-o", out}, `bundle "` + notBundle + `": not a valid velero-debug bundle: it is not a gzip file`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := runRedact(t, tc.args...)
			require.ErrorContains(t, err, tc.want)
			require.Equal(t, 1, ExitCode(err))
		})
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Empty(t, entries, "nothing is written")
}

func TestRedactCommandInterrupted(t *testing.T) {
	t.Parallel()
	in := smallBundle(t, "db.corp.example")
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	streams, _, _, errOut := genericiooptions.NewTestIOStreams()
	cmd := NewCommand(nil, streams)
	cmd.SetArgs([]string{"redact", in, "-o", filepath.Join(dir, "out.tar.gz")})
	err := cmd.ExecuteContext(ctx)
	stderr := errOut.String()
	require.Equal(t, bundle.ExitInterrupted, ExitCode(err))
	require.Contains(t, stderr, "interrupted: nothing was written")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Empty(t, entries, "no partial file is left")
}
