package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/util/wait"
)

// TestServe collects the fixture, serves the bundle with `velero-debug
// serve`, and reads it with the real kubectl v1.35, as a maintainer would:
// get with the columns a cluster prints and selectors, describe with
// events, logs with their options, byte for byte; writes refused; Ctrl-C
// leaves nothing behind.
func TestServe(t *testing.T) {
	t.Parallel()
	r := runTool(t, nil)
	require.Equal(t, 0, r.code, r.stderr)
	a := readBundle(t, r.output)

	srv := startServe(t, r.output)
	kubeconfig := srv.kubeconfig
	home := t.TempDir()
	kubectl := func(args ...string) (string, error) {
		c := exec.CommandContext(t.Context(), testCluster.Tools.Path("cluster", "kubectl"), args...)
		c.Env = append(os.Environ(), "KUBECONFIG="+kubeconfig, "HOME="+home)
		var stdout, stderr bytes.Buffer
		c.Stdout, c.Stderr = &stdout, &stderr
		err := c.Run()
		if err != nil {
			return stdout.String() + stderr.String(), err
		}
		return stdout.String(), nil
	}
	must := func(args ...string) string {
		t.Helper()
		s, err := kubectl(args...)
		require.NoError(t, err, "kubectl %s: %s", strings.Join(args, " "), s)
		return s
	}

	// get: every backup, a label selector, the namespace from the
	// kubeconfig, -A, the columns of pods.
	names := must("get", "backups", "-o", "name")
	for _, b := range velero.Backups {
		require.Contains(t, names, "backup.velero.io/"+b+"\n")
	}
	require.Equal(t, "backup.velero.io/"+velero.Backups["InProgress"]+"\n",
		must("get", "backups", "-l", "velero.io/schedule-name=daily", "--field-selector", "metadata.name="+velero.Backups["InProgress"], "-o", "name"))
	all := must("get", "backups,pods,events")
	for _, kind := range []string{"backup.velero.io/", "pod/", "LAST SEEN"} {
		require.Contains(t, all, kind)
	}
	workloads := must("get", "deployments,daemonsets,replicasets,jobs,persistentvolumeclaims,configmaps")
	for _, col := range []string{"UP-TO-DATE", "DESIRED", "COMPLETIONS", "STORAGECLASS", "DATA"} {
		require.Contains(t, workloads, col, "the columns a cluster prints")
	}
	pods := must("get", "pods")
	require.True(t, strings.HasPrefix(pods, "NAME"), pods)
	for _, col := range []string{"READY", "STATUS", "RESTARTS", "AGE"} {
		require.Contains(t, strings.SplitN(pods, "\n", 2)[0], col)
	}
	require.Regexp(t, velero.ServerPod+` +\d+/\d+ +Running +1 `, pods, "the restarted server, as a cluster shows it")
	require.Contains(t, must("get", "pods", "-A", "-o", "wide"), velero.Namespace+" ")
	require.Contains(t, must("get", "nodes"), velero.Nodes[0])
	require.Contains(t, must("get", "podvolumebackups", "-o", "yaml"), "kind: PodVolumeBackup")

	// describe: the pod with its events.
	desc := must("describe", "pod", velero.ServerPod)
	require.Contains(t, desc, "OOMKilling")
	require.Contains(t, desc, "Restart Count:  1")

	// logs: whole, byte for byte; previous with a tail.
	logs := must("logs", velero.ServerPod, "-c", "velero")
	require.Equal(t, string(a.files["logs/"+velero.Namespace+"/"+velero.ServerPod+"/velero.log"]), logs)
	previous := string(a.files["logs/"+velero.Namespace+"/"+velero.ServerPod+"/velero.previous.log"])
	lines := strings.SplitAfter(strings.TrimSuffix(previous, "\n"), "\n")
	require.Equal(t, lines[len(lines)-1]+"\n", must("logs", velero.ServerPod, "-c", "velero", "--previous", "--tail", "1"))
	require.Len(t, must("logs", velero.ServerPod, "-c", "velero", "--limit-bytes", "100"), 100)

	// Refused or missing, with what it means.
	s, err := kubectl("delete", "backup", velero.Backups["Completed"])
	require.Error(t, err)
	require.Contains(t, s, "read-only")
	s, err = kubectl("get", "backup", "no-such-backup")
	require.Error(t, err)
	require.Contains(t, s, "not in this bundle (see manifest.json)")

	// Ctrl-C: it stops, and nothing is left behind.
	out := srv.stop(t)
	require.Contains(t, out, "export VELERO_NAMESPACE="+velero.Namespace)
}

// served is a `velero-debug serve` running.
type served struct {
	kubeconfig, tmp string
	cmd             *exec.Cmd
	out             *lockedBuffer
	done            chan error
}

// lockedBuffer is a buffer that a process writes to while a test reads.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startServe serves the bundle at path until stop; it returns once the
// kubeconfig is written (mode 0600).
func startServe(t *testing.T, path string) *served {
	t.Helper()
	s := &served{kubeconfig: filepath.Join(t.TempDir(), "bundle.kubeconfig"), tmp: t.TempDir(), out: &lockedBuffer{}, done: make(chan error, 1)}
	s.cmd = exec.CommandContext(t.Context(), binary, "serve", path, "--write-kubeconfig", s.kubeconfig)
	s.cmd.Env = append(os.Environ(), "TMPDIR="+s.tmp) // the server's private folder goes here
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
	require.NoError(t, s.cmd.Start())
	go func() { s.done <- s.cmd.Wait() }()
	t.Cleanup(func() { _ = s.cmd.Process.Kill() })
	err := wait.PollUntilContextTimeout(t.Context(), 50*time.Millisecond, time.Minute, true, func(context.Context) (bool, error) {
		_, err := os.Stat(s.kubeconfig)
		return err == nil, nil
	})
	require.NoError(t, err, "the kubeconfig is written once the server answers: %s", s.out.String())
	st, err := os.Stat(s.kubeconfig)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	return s
}

// stop sends Ctrl-C, checks that the server stopped and left nothing
// behind, and returns what it printed.
func (s *served) stop(t *testing.T) string {
	t.Helper()
	require.NoError(t, s.cmd.Process.Signal(syscall.SIGINT))
	select {
	case err := <-s.done:
		require.NoError(t, err, s.out.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("serve did not stop on Ctrl-C: %s", s.out.String())
	}
	_, err := os.Stat(s.kubeconfig)
	require.True(t, os.IsNotExist(err), "the kubeconfig is removed")
	left, err := os.ReadDir(s.tmp)
	require.NoError(t, err)
	require.Empty(t, left, "the copies of the bundle's logs are removed")
	return s.out.String()
}
