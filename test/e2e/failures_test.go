package e2e

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/velero-debug/velero-debug/internal/bundle"
	"github.com/velero-debug/velero-debug/test/cluster"
	"github.com/velero-debug/velero-debug/test/fixture"
)

// TestFailedItemIsRecorded adds a pod whose logs cannot be read: its item
// is an error in the manifest and the summary, the rest is collected, and
// the exit status is 3.
func TestFailedItemIsRecorded(t *testing.T) {
	t.Parallel()
	v, err := fixture.Install(t.Context(), testCluster, fixture.Options{Namespace: "velero-broken", Nodes: 1})
	require.NoError(t, err)
	ghost := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Pod",
		"metadata": map[string]any{"name": "ghost", "namespace": v.Namespace},
		"spec": map[string]any{"nodeName": v.Nodes[0], "containers": []any{
			map[string]any{"name": "ghost", "image": "busybox"},
		}},
	}}
	_, err = testCluster.Apply(t.Context(), ghost)
	require.NoError(t, err)

	r := runTool(t, nil, "-n", v.Namespace)
	require.Equal(t, 3, r.code, r.stderr)
	require.Contains(t, r.stderr, "1 items failed (logs/velero-broken/ghost/ghost.log)")
	a := readBundle(t, r.output)
	require.True(t, a.manifest.Complete, "one item that fails does not cut the run short")
	it := a.item(t, "logs/velero-broken/ghost/ghost.log")
	require.Equal(t, bundle.StatusError, it.Status)
	require.Contains(t, it.Error, "no logs found")
	require.Contains(t, string(a.files["summary.md"]), "logs/velero-broken/ghost/ghost.log")
	for _, l := range v.Logs {
		require.Equal(t, bundle.StatusOK, a.item(t, logPath(l)).Status, logPath(l))
	}
}

// TestNoCRDs runs against a cluster without Velero.
func TestNoCRDs(t *testing.T) {
	t.Parallel()
	c, err := cluster.Start(t.Context(), cluster.Options{Tools: testCluster.Tools})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Stop() })
	r := runTool(t, []string{"KUBECONFIG=" + c.Kubeconfig})
	require.Equal(t, 1, r.code, r.stderr)
	require.Contains(t, r.stderr, "velero's CRDs (API group velero.io) are not installed in this cluster")
	requireNoOutput(t, r)
}

// TestInterrupt sends SIGINT in the middle of a long run: the bundle is
// still a valid archive, says it is incomplete, and the exit status is 130.
func TestInterrupt(t *testing.T) {
	t.Parallel()
	v, err := fixture.Install(t.Context(), testCluster, fixture.Options{Namespace: "velero-big", Nodes: 8, LogBytes: 8 << 20})
	require.NoError(t, err)
	out := t.TempDir() + "/bundle.tar.gz"
	cmd := exec.CommandContext(t.Context(), binary, "-n", v.Namespace, "--max-log-requests", "1", "--verbose", "--output", out)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+testCluster.Kubeconfig)
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	// Interrupt once the first node-agent log is in: one log is read at a
	// time, so seven of 8 MiB each are still to come.
	sc := bufio.NewScanner(stderr)
	var tail bytes.Buffer
	for sc.Scan() {
		tail.WriteString(sc.Text() + "\n")
		if strings.HasPrefix(sc.Text(), "  ok       logs/"+v.Namespace+"/node-agent-") {
			break
		}
	}
	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	for sc.Scan() {
		tail.WriteString(sc.Text() + "\n")
	}
	err = cmd.Wait()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee, "exit status: %v\n%s", err, tail.String())
	require.Equal(t, 130, ee.ExitCode(), tail.String())
	require.Contains(t, tail.String(), "interrupted")

	a := readBundle(t, out)
	require.False(t, a.manifest.Complete)
	statuses := map[bundle.Status]int{}
	for _, it := range a.manifest.Items {
		statuses[it.Status]++
	}
	require.Positive(t, statuses[bundle.StatusCancelled], "items cut by the interrupt are cancelled: %v", statuses)
	require.Positive(t, statuses[bundle.StatusOK], "what was collected before is kept: %v", statuses)
	_, err = os.Stat(out + ".partial")
	require.True(t, os.IsNotExist(err))
	_ = context.Canceled
}

// TestInterruptWhileConnecting: an API server that accepts connections but
// never answers; Ctrl-C ends the run at once with exit status 130, not
// after --request-timeout.
func TestInterruptWhileConnecting(t *testing.T) {
	t.Parallel()
	ln, err := (&net.ListenConfig{}).Listen(t.Context(), "tcp", "127.0.0.1:0")
	require.NoError(t, err)
	held := make(chan net.Conn, 16) // accepted, never answered
	accepted := make(chan struct{})
	var once sync.Once
	t.Cleanup(func() {
		_ = ln.Close()
		for {
			select {
			case c := <-held:
				_ = c.Close()
			default:
				return
			}
		}
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			once.Do(func() { close(accepted) })
			select {
			case held <- c:
			default:
				_ = c.Close()
			}
		}
	}()
	dir := t.TempDir()
	kubeconfig := filepath.Join(dir, "kubeconfig")
	require.NoError(t, os.WriteFile(kubeconfig, []byte(`apiVersion: v1
kind: Config
clusters: [{name: mute, cluster: {server: "https://`+ln.Addr().String()+`", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: x}}]
contexts: [{name: mute, context: {cluster: mute, user: u}}]
current-context: mute
`), 0o600))
	out := filepath.Join(dir, "bundle.tar.gz")
	cmd := exec.CommandContext(t.Context(), binary, "--request-timeout", "60s", "--output", out)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+kubeconfig)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	// Interrupt once the tool waits on the server.
	select {
	case <-accepted:
	case <-time.After(30 * time.Second):
		t.Fatal("velero-debug did not connect to the API server within 30 s")
	}
	sent := time.Now()
	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	err = cmd.Wait()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee, stderr.String())
	require.Equal(t, 130, ee.ExitCode(), stderr.String())
	require.Less(t, time.Since(sent), 3*time.Second, "Ctrl-C does not wait for --request-timeout")
	require.Contains(t, stderr.String(), "interrupted")
	require.NoFileExists(t, out)
}
