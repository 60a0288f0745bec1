package cluster_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/velero-debug/velero-debug/test/cluster"
)

// TestStartStop starts a cluster, checks what a client sees, restarts its
// API server, stops it and
// checks that no process and no file is left behind.
func TestStartStop(t *testing.T) {
	c, err := cluster.Start(t.Context(), cluster.Options{Logf: t.Logf})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Stop() })

	cs, err := kubernetes.NewForConfig(c.Config)
	require.NoError(t, err)
	v, err := cs.Discovery().ServerVersion()
	require.NoError(t, err)
	require.Equal(t, "v1.35.4", v.GitVersion, "the API server reports its pinned version")

	for path, mode := range map[string]os.FileMode{c.Dir: 0o700, c.Kubeconfig: 0o600} {
		st, err := os.Stat(path)
		require.NoError(t, err)
		require.Equal(t, mode, st.Mode().Perm(), path)
	}
	require.True(t, strings.HasPrefix(c.Server, "https://127.0.0.1:"), c.Server)

	down, err := c.RestartAPIServer(t.Context(), 5*time.Second)
	require.NoError(t, err)
	t.Logf("kube-apiserver restarted in %s", down)
	_, err = cs.CoreV1().Namespaces().Get(t.Context(), "default", metav1.GetOptions{})
	require.NoError(t, err, "the same client reaches the restarted server")

	pids := childPIDs(t)
	require.Len(t, pids, 3, "etcd, kube-apiserver (restarted) and kwok")
	require.NoError(t, c.Stop())
	require.NoError(t, c.Stop(), "a second Stop is a no-op")
	for _, pid := range pids {
		require.ErrorIs(t, syscall.Kill(pid, 0), syscall.ESRCH, "process %d still runs", pid)
	}
	_, err = os.Stat(c.Dir)
	require.ErrorIs(t, err, os.ErrNotExist, "cluster folder removed")
}

// TestFailedStartCleansUp gives Start a broken kube-apiserver: the error
// says what failed, and etcd, already started, is stopped.
func TestFailedStartCleansUp(t *testing.T) {
	tools, err := cluster.BuildTools(t.Context(), "cluster", "kwok")
	require.NoError(t, err)
	broken := t.TempDir()
	for _, name := range []string{"etcd", "kubectl"} {
		require.NoError(t, os.Symlink(tools.Path("cluster", name), filepath.Join(broken, name)))
	}
	script := "#!/bin/sh\necho 'kube-apiserver: simulated failure' >&2\nexit 3\n"
	require.NoError(t, os.WriteFile(filepath.Join(broken, "kube-apiserver"), []byte(script), 0o700))
	tools["cluster"] = broken

	before := len(childPIDs(t))
	_, err = cluster.Start(t.Context(), cluster.Options{Tools: tools, Logf: t.Logf})
	require.ErrorContains(t, err, "simulated failure")
	require.Len(t, childPIDs(t), before, "no server left running")
}

// childPIDs lists the live child processes of this test process.
func childPIDs(t *testing.T) []int {
	t.Helper()
	stats, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil || len(stats) == 0 {
		t.Skipf("cannot list processes: %v", err)
	}
	var pids []int
	for _, s := range stats {
		data, err := os.ReadFile(s)
		if err != nil {
			continue // ended meanwhile
		}
		// pid (comm) state ppid ...: comm may hold spaces, so cut at ")".
		_, rest, _ := strings.Cut(string(data), ") ")
		fields := strings.Fields(rest)
		if len(fields) > 1 && fields[1] == strconv.Itoa(os.Getpid()) && fields[0] != "Z" {
			pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(s)))
			pids = append(pids, pid)
		}
	}
	return pids
}
