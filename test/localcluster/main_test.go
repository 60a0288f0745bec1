package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/velero-debug/velero-debug/test/cluster"
)

// TestStopsWithClosedOutput: localcluster | tee, then Ctrl-C after tee is
// gone: its lines hit a closed pipe, and it still stops the cluster and
// removes its folder (docs/reliability.md, the harness).
func TestStopsWithClosedOutput(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a cluster")
	}
	bin := filepath.Join(t.TempDir(), "localcluster")
	build := exec.CommandContext(t.Context(), "go", "build", "-o", bin, ".")
	build.Dir = filepath.Join(cluster.RepoRoot(), "test", "localcluster")
	out, err := build.CombinedOutput()
	require.NoError(t, err, string(out))

	cmd := exec.CommandContext(t.Context(), bin, "--nodes", "1")
	pr, pw, err := os.Pipe()
	require.NoError(t, err)
	cmd.Stdout, cmd.Stderr = pw, pw
	require.NoError(t, cmd.Start())
	_ = pw.Close()
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	// Its folder, from the line that names it; then the reader goes.
	var folder string
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		line := sc.Text()
		if i := strings.Index(line, "its folder "); i >= 0 {
			folder = strings.TrimSuffix(strings.TrimSpace(line[i+len("its folder "):]), " is removed.")
			break
		}
	}
	require.NotEmpty(t, folder, "the line naming its folder")
	require.DirExists(t, folder)
	require.NoError(t, pr.Close())

	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(time.Minute):
		t.Fatal("localcluster did not stop")
	}
	require.NoDirExists(t, folder, "removed, though nobody reads its output")
}
