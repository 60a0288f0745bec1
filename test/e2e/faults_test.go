package e2e

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1api "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/velero-debug/velero-debug/internal/bundle"
	"github.com/velero-debug/velero-debug/test/cluster"
	"github.com/velero-debug/velero-debug/test/fixture"
)

// TestClosedOutput: velero-debug ... | head -1 closes stderr after one
// line; the collection goes on quietly and the bundle is complete, with
// nothing left behind (docs/reliability.md, row 1).
func TestClosedOutput(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "bundle.tar.gz")
	cmd := toolCommand(t, "--verbose", "--output", out)
	pr, pw, err := os.Pipe()
	require.NoError(t, err)
	cmd.Stdout, cmd.Stderr = pw, pw
	require.NoError(t, cmd.Start())
	_ = pw.Close()
	line, err := bufio.NewReader(pr).ReadString('\n')
	require.NoError(t, err)
	require.NotEmpty(t, line)
	require.NoError(t, pr.Close()) // as head -1 does
	err = cmd.Wait()
	require.NoError(t, err, "exit status with its output closed")
	a := readBundle(t, out)
	require.True(t, a.manifest.Complete)
	entries, err := os.ReadDir(filepath.Dir(out))
	require.NoError(t, err)
	require.Len(t, entries, 1, "the bundle alone: no .partial, no spool folder")
}

// TestKilledRunLeftovers: a run killed with SIGKILL leaves its .partial
// file and spool folder; the next run to that path says what they are and
// what to do, exit 1; with --force it replaces them, removes the dead
// spool folder and writes the bundle (docs/reliability.md, row 2).
func TestKilledRunLeftovers(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out := filepath.Join(dir, "bundle.tar.gz")
	cmd := toolCommand(t, "--output", out)
	require.NoError(t, cmd.Start())
	waitWriting(t, out)
	require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
	_ = cmd.Wait()
	require.FileExists(t, out+".partial", "what a killed run leaves")
	spools, err := filepath.Glob(filepath.Join(dir, ".velero-debug-spool-*"))
	require.NoError(t, err)
	require.Len(t, spools, 1)

	r := runTool(t, nil, "--output", out)
	require.Equal(t, 1, r.code, r.stderr)
	require.Contains(t, r.stderr, "is left by a velero-debug run that was killed before it ended")
	require.Contains(t, r.stderr, "--force")

	r = runTool(t, nil, "--output", out, "--force")
	require.Equal(t, 0, r.code, r.stderr)
	require.True(t, readBundle(t, out).manifest.Complete)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1, "the bundle alone: the leftovers are gone")
}

// TestNoCluster: no kubeconfig, an unreadable one, a context whose server
// is down, a token the server refuses: one line that says what was
// tried, exit 1, nothing written (docs/reliability.md, row 11).
func TestNoCluster(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	garbage := filepath.Join(t.TempDir(), "garbage")
	require.NoError(t, os.WriteFile(garbage, []byte("this: is: not: a kubeconfig\n\t-"), 0o600))
	down := kubeconfigFor(t, "https://127.0.0.1:1", "")
	badToken := kubeconfigFor(t, testCluster.Server, "expired-or-revoked-token")
	for name, tc := range map[string]struct {
		env  []string
		args []string
		want []string
	}{
		"no kubeconfig": {env: []string{"KUBECONFIG=", "HOME=" + home}, want: []string{
			"no kubeconfig: $KUBECONFIG is unset and " + filepath.Join(home, ".kube", "config") + " does not exist", "and this is not a pod"}},
		"a deleted KUBECONFIG": {env: []string{"KUBECONFIG=/deleted/kubeconfig", "HOME=" + home}, want: []string{
			"$KUBECONFIG names /deleted/kubeconfig, which does not exist"}},
		"an unreadable kubeconfig": {args: []string{"--kubeconfig", garbage}, want: []string{"cannot load the kubeconfig"}},
		"a server that is down":    {args: []string{"--kubeconfig", down}, want: []string{"cannot reach the Kubernetes API server at https://127.0.0.1:1"}},
		"a refused token":          {args: []string{"--kubeconfig", badToken}, want: []string{"refused the kubeconfig's credentials", "log in again"}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			out := filepath.Join(t.TempDir(), "bundle.tar.gz")
			r := execTool(t, "", append([]string{"KUBERNETES_SERVICE_HOST="}, tc.env...), append(tc.args, "--output", out)...)
			require.Equal(t, 1, r.code, r.stderr)
			for _, w := range tc.want {
				require.Contains(t, r.stderr, w)
			}
			require.NotContains(t, r.stderr, "localhost:8080", "a server the user never configured")
			lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
			require.Len(t, lines, 1, "one line: %s", r.stderr)
			r.output = out
			requireNoOutput(t, r)
		})
	}
}

// kubeconfigFor writes a kubeconfig of server with token (none when
// empty), trusting any certificate.
func kubeconfigFor(t *testing.T, server, token string) string {
	t.Helper()
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["c"] = &clientcmdapi.Cluster{Server: server, InsecureSkipTLSVerify: true}
	cfg.AuthInfos["u"] = &clientcmdapi.AuthInfo{Token: token}
	cfg.Contexts["c"] = &clientcmdapi.Context{Cluster: "c", AuthInfo: "u"}
	cfg.CurrentContext = "c"
	p := filepath.Join(t.TempDir(), "kubeconfig")
	require.NoError(t, clientcmd.WriteToFile(*cfg, p))
	return p
}

// TestThrottledAndFailingAPIServer puts a proxy that injects faults in
// front of the API server: every third request first answers 429 with
// Retry-After (client-go waits and retries, bounded), and the list of
// services answers 500 every time. The run honours the waits, records
// the failing list with the server's words, collects the rest, and exits
// 3 (docs/reliability.md, row 7).
func TestThrottledAndFailingAPIServer(t *testing.T) {
	t.Parallel()
	upstream, _, _ := apiServerProxy(t)
	var n, throttled atomic.Int64
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/namespaces/"+velero.Namespace+"/services") {
			http.Error(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","message":"injected: etcdserver: leader changed","reason":"InternalError","code":500}`, http.StatusInternalServerError)
			return
		}
		if n.Add(1)%3 == 0 {
			throttled.Add(1)
			w.Header().Set("Retry-After", "1")
			http.Error(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","message":"injected: too many requests","reason":"TooManyRequests","code":429}`, http.StatusTooManyRequests)
			return
		}
		upstream.ServeHTTP(w, r)
	}))
	t.Cleanup(proxy.Close)
	kubeconfig := kubeconfigFor(t, proxy.URL, "")

	start := time.Now()
	r := runTool(t, []string{"KUBECONFIG=" + kubeconfig})
	require.Equal(t, 3, r.code, r.stderr)
	require.Positive(t, throttled.Load(), "some requests were throttled")
	require.Less(t, time.Since(start), 2*time.Minute, "the waits are bounded")
	a := readBundle(t, r.output)
	svc := a.onlyFailure(t, "resources/"+velero.Namespace+"/core_v1/services.json") // a throttled request is retried
	require.Contains(t, svc.Error, "leader changed")
}

// TestKubeletsUnreachable stops kwok, the fake kubelets, of a cluster of
// its own: the API server can no longer reach a node to read a log. Each
// log fails fast with the API server's words, the objects are still
// collected, exit 3 (docs/reliability.md, row 5).
func TestKubeletsUnreachable(t *testing.T) {
	t.Parallel()
	c, v := ownCluster(t, fixture.Options{Nodes: 2})
	require.NoError(t, c.StopKwok())

	start := time.Now()
	r := runTool(t, []string{"KUBECONFIG=" + c.Kubeconfig})
	require.Equal(t, 3, r.code, r.stderr)
	require.Less(t, time.Since(start), time.Minute, "log requests fail fast, not after every timeout")
	a := readBundle(t, r.output)
	require.True(t, a.manifest.Complete)
	for _, l := range v.Logs {
		it := a.item(t, logPath(l))
		require.Equal(t, bundle.StatusError, it.Status, it.Path)
		require.Contains(t, it.Error, "connection refused", it.Path)
	}
	for _, p := range []string{"resources/velero/core_v1/pods.json", "resources/velero/velero.io_v1/backups.json", "cluster/nodes.json"} {
		require.Equal(t, bundle.StatusOK, a.item(t, p).Status, p)
	}
}

// TestDiskFull writes the bundle to a tmpfs of 256 KiB (mounted in a
// mount namespace of the test's own, through unshare): "no space left on
// device" naming the path; exit 1 with nothing left on the full disk when
// the archive itself does not fit, or exit 3 with the bundle alone when
// only the large items did not (they are its failed items); never a
// partial file or a spool folder (docs/reliability.md, row 9).
func TestDiskFull(t *testing.T) {
	t.Parallel()
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Skip("unshare (util-linux) is not installed: it mounts the small tmpfs")
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "bundle.tar.gz")
	// The shell mounts the tmpfs over dir, runs the tool, and lists what
	// the tool left there, inside the namespace where the tmpfs lives.
	script := `d="$1"; mount -t tmpfs -o size=256k tmpfs "$d" || exit 99; shift; "$@"; code=$?; echo "left: $(ls -A "$d")" >&2; exit $code`
	cmd := exec.CommandContext(t.Context(), unshare, "--map-root-user", "--mount", "sh", "-c", script, "sh", dir,
		binary, "--server-timeout", "0", "--output", out)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+testCluster.Kubeconfig, "VELERO_NAMESPACE=")
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	err = cmd.Run()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee, stderr.String())
	if ee.ExitCode() == 99 {
		t.Skipf("this machine does not let a user namespace mount a tmpfs: %s", stderr.String())
	}
	require.Contains(t, stderr.String(), "no space left on device")
	require.Contains(t, stderr.String(), dir, "the message names where")
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	left := lines[len(lines)-1]
	switch ee.ExitCode() {
	case 1: // the archive itself did not fit
		require.Equal(t, "left:", left, "nothing is left on the full disk: %s", stderr.String())
	case 3: // the large items did not fit, and are failed items of a smaller bundle
		require.Equal(t, "left: bundle.tar.gz", left, "the bundle alone: %s", stderr.String())
	default:
		t.Fatalf("exit status %d: %s", ee.ExitCode(), stderr.String())
	}
}

// TestSignalsAtRandomPoints interrupts 30 runs, with SIGINT or SIGTERM,
// at random points: each leaves a valid archive (complete: false, exit
// 130; or complete, exit 0, when the run ended first) or, before the
// output was created, nothing; never a partial file or a spool folder
// (docs/reliability.md, row 3).
func TestSignalsAtRandomPoints(t *testing.T) {
	t.Parallel()
	seed := time.Now().UnixNano()
	rng := rand.New(rand.NewPCG(uint64(seed), 0)) //nolint:gosec // a test's random points
	t.Logf("seed %d", seed)
	// The points fall within a run's length, measured first.
	begin := time.Now()
	r := runTool(t, nil)
	require.Equal(t, 0, r.code, r.stderr)
	length := time.Since(begin)
	outcomes := map[string]int{}
	defer func() { t.Logf("a run takes %s; outcomes: %v", length, outcomes) }()
	for i := range 30 {
		dir := t.TempDir()
		out := filepath.Join(dir, "bundle.tar.gz")
		cmd := toolCommand(t, "--output", out)
		require.NoError(t, cmd.Start())
		sig := []os.Signal{syscall.SIGINT, syscall.SIGTERM}[i%2]
		delay := time.Duration(rng.Int64N(int64(length)))
		time.Sleep(delay)
		_ = cmd.Process.Signal(sig)
		err := cmd.Wait()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				// Killed before its handlers were set, while Go
				// initialised its packages: the shell's 128+signal.
				code = 128 + int(ws.Signal())
			}
		}
		entries, rerr := os.ReadDir(dir)
		require.NoError(t, rerr)
		switch len(entries) {
		case 0:
			require.Contains(t, []int{130, 128 + int(syscall.SIGINT), 128 + int(syscall.SIGTERM)}, code, "run %d (%s after %s): nothing written", i, sig, delay)
			outcomes["nothing written"]++
		case 1:
			require.Equal(t, "bundle.tar.gz", entries[0].Name(), "run %d (%s after %s)", i, sig, delay)
			a := readBundle(t, out)
			if code == 0 {
				require.True(t, a.manifest.Complete, "run %d ended before %s", i, sig)
				outcomes["ended first"]++
			} else {
				outcomes["incomplete bundle"]++
				require.Equal(t, 130, code, "run %d (%s after %s)", i, sig, delay)
				require.False(t, a.manifest.Complete, "run %d (%s after %s)", i, sig, delay)
			}
		default:
			t.Fatalf("run %d (%s after %s) left %v", i, sig, delay, entries)
		}
	}
}

// TestOutputFolderRemoved removes the output folder while the run writes
// in it: the run ends with one line naming the path and what happened,
// exit 1, and creates nothing again (docs/reliability.md, row 10).
func TestOutputFolderRemoved(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "out")
	require.NoError(t, os.Mkdir(dir, 0o700))
	out := filepath.Join(dir, "bundle.tar.gz")
	cmd := toolCommand(t, "--output", out)
	stderr := started(t, cmd)
	waitWriting(t, out)
	require.NoError(t, os.RemoveAll(dir))
	require.Equal(t, 1, exitCode(t, cmd.Wait()), stderr.String())
	require.Contains(t, stderr.String(), out)
	require.Contains(t, stderr.String(), "was removed while the bundle was written: nothing is left")
	require.NoDirExists(t, dir, "nothing is created again")
}

// toolCommand is the binary with args against the test cluster, not
// asking the Velero server, for a test that drives the process itself.
func toolCommand(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), binary, append([]string{"--server-timeout", "0"}, args...)...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+testCluster.Kubeconfig, "VELERO_NAMESPACE=", "HOME="+t.TempDir())
	return cmd
}

// started starts cmd with its stdout and stderr kept together in the
// buffer it returns.
func started(t *testing.T, cmd *exec.Cmd) *lockedBuffer {
	t.Helper()
	var out lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Start())
	return &out
}

// exitCode is the exit status of a command that ended with err.
func exitCode(t *testing.T, err error) int {
	t.Helper()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	require.NoError(t, err)
	return 0
}

// ownCluster starts a cluster of the test's own, for a fault that would
// disturb the other tests, with Velero installed as opts say; it is
// stopped when the test ends.
func ownCluster(t *testing.T, opts fixture.Options) (*cluster.Cluster, *fixture.Velero) {
	t.Helper()
	c, err := cluster.Start(t.Context(), cluster.Options{Tools: testCluster.Tools})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Stop() })
	v, err := fixture.Install(t.Context(), c, opts)
	require.NoError(t, err)
	return c, v
}

// apiServerProxy is a reverse proxy to the test cluster's API server,
// with the admin's transport, for a test's proxy to pass requests on to;
// also the transport and the server's URL, for requests of its own.
func apiServerProxy(t *testing.T) (*httputil.ReverseProxy, http.RoundTripper, *url.URL) {
	t.Helper()
	transport, err := rest.TransportFor(testCluster.Config)
	require.NoError(t, err)
	target, err := url.Parse(testCluster.Server)
	require.NoError(t, err)
	upstream := httputil.NewSingleHostReverseProxy(target)
	upstream.Transport = transport
	return upstream, transport, target
}

// waitWriting waits until a run writes its bundle at out: its partial
// file and its spool folder beside exist.
func waitWriting(t *testing.T, out string) {
	t.Helper()
	err := wait.PollUntilContextTimeout(t.Context(), 2*time.Millisecond, time.Minute, true, func(context.Context) (bool, error) {
		spools, _ := filepath.Glob(filepath.Join(filepath.Dir(out), ".velero-debug-spool-*"))
		_, err := os.Stat(out + ".partial")
		return err == nil && len(spools) == 1, nil
	})
	require.NoError(t, err)
}

// TestPodsChangeDuringTheRun deletes a pod while its log streams, and
// creates another, at the same moment: a proxy in front of the API server
// passes the first 256 KiB of the doomed pod's log, then the test deletes
// that pod and creates a new one, then the proxy passes on whatever the
// API server still sends. The deleted pod's log is what arrived (whole,
// cut, or a failed item with the error); the new pod is not in the bundle
// (it came after the list); every other log is collected and the bundle
// is complete (docs/reliability.md, row 4).
func TestPodsChangeDuringTheRun(t *testing.T) {
	t.Parallel()
	v, err := fixture.Install(t.Context(), testCluster, fixture.Options{Namespace: "velero-churn", Nodes: 3, LogBytes: 2 << 20})
	require.NoError(t, err)
	doomed := v.NodeAgentPods[v.Nodes[len(v.Nodes)-1]]
	cs, err := kubernetes.NewForConfig(testCluster.Config)
	require.NoError(t, err)
	upstream, transport, target := apiServerProxy(t)
	var changed atomic.Bool
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, "/pods/"+doomed+"/log") || changed.Swap(true) {
			upstream.ServeHTTP(w, r)
			return
		}
		u := *target
		u.Path, u.RawQuery = r.URL.Path, r.URL.RawQuery
		req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, u.String(), nil)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		resp, err := transport.RoundTrip(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
		w.WriteHeader(resp.StatusCode)
		_, _ = io.CopyN(w, resp.Body, 256<<10)
		w.(http.Flusher).Flush()
		zero := int64(0)
		// The test's own calls: a failure shows in the checks below.
		_ = cs.CoreV1().Pods(v.Namespace).Delete(context.Background(), doomed, metav1.DeleteOptions{GracePeriodSeconds: &zero})
		_, _ = cs.CoreV1().Pods(v.Namespace).Create(context.Background(), &corev1api.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "newcomer", Namespace: v.Namespace, Labels: map[string]string{"name": "node-agent"}},
			Spec:       corev1api.PodSpec{NodeName: v.Nodes[0], Containers: []corev1api.Container{{Name: "node-agent", Image: "velero/velero"}}},
		}, metav1.CreateOptions{})
		_, _ = io.Copy(w, resp.Body)
	}))
	t.Cleanup(proxy.Close)

	r := runTool(t, []string{"KUBECONFIG=" + kubeconfigFor(t, proxy.URL, "")}, "-n", v.Namespace, "--max-log-requests", "1")
	require.Contains(t, []int{0, 3}, r.code, r.stderr)
	require.True(t, changed.Load(), "the doomed pod's log was asked for")
	_, err = cs.CoreV1().Pods(v.Namespace).Get(t.Context(), doomed, metav1.GetOptions{})
	require.True(t, apierrors.IsNotFound(err), "the pod was deleted mid-stream: %v", err)
	_, err = cs.CoreV1().Pods(v.Namespace).Get(t.Context(), "newcomer", metav1.GetOptions{})
	require.NoError(t, err, "the new pod was created mid-run")

	a := readBundle(t, r.output)
	require.True(t, a.manifest.Complete)
	for _, l := range v.Logs {
		it := a.item(t, logPath(l))
		if l.Pod != doomed {
			require.Equal(t, bundle.StatusOK, it.Status, "%s: %s", it.Path, it.Error)
			continue
		}
		t.Logf("the deleted pod's log %s: %s, %d bytes %s", it.Path, it.Status, it.Bytes, it.Error)
		require.GreaterOrEqual(t, it.Bytes, int64(256<<10), "what arrived before the pod was deleted is kept")
		if it.Status == bundle.StatusError {
			require.NotEmpty(t, it.Error)
		}
	}
	for _, it := range a.manifest.Items {
		require.NotContains(t, it.Path, "newcomer", "a pod made after the list")
		if it.Status == bundle.StatusError {
			require.Contains(t, it.Path, doomed, "the only failures are the deleted pod's: %s", it.Error)
		}
	}
}

// TestAPIServerRestarted restarts the kube-apiserver of a cluster of its
// own while a run collects, as a kubelet restarts a static pod: SIGTERM
// (its graceful shutdown), SIGKILL 5s later, then a new process on the
// same address: about 6s without an answer. The
// run says that the server stopped answering and when it answers again,
// waits for it, and collects every object; only a log whose stream the
// shutdown cut may fail, with what arrived kept and the error recorded
// (docs/reliability.md, row 6).
func TestAPIServerRestarted(t *testing.T) {
	t.Parallel()
	c, v := ownCluster(t, fixture.Options{Nodes: 8, Backups: 8, PVBsPerBackup: 2, LogBytes: 4 << 20})
	out := filepath.Join(t.TempDir(), "bundle.tar.gz")
	cmd := toolCommand(t, "-n", v.Namespace, "--max-log-requests", "1", "--output", out)
	cmd.Env = append(cmd.Env, "KUBECONFIG="+c.Kubeconfig)
	start := time.Now()
	stderr := started(t, cmd)
	waitWriting(t, out)
	down, err := c.RestartAPIServer(t.Context(), 5*time.Second)
	require.NoError(t, err)
	code := exitCode(t, cmd.Wait())
	t.Logf("kube-apiserver restarted in %s; the run took %s", down.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	require.Contains(t, []int{0, 3}, code, stderr.String())
	t.Logf("exit %d:\n%s", code, stderr.String())
	require.Contains(t, stderr.String(), "velero-debug: the API server stopped answering (", "the restart came mid-run")
	require.Contains(t, stderr.String(), "velero-debug: the API server answers again, after ")

	a := readBundle(t, out)
	require.True(t, a.manifest.Complete)
	failed := 0
	for _, it := range a.manifest.Items {
		if it.Status != bundle.StatusError {
			continue
		}
		failed++
		t.Logf("failed: %s: %s", it.Path, it.Error)
		require.Contains(t, []string{"log", "evidence"}, it.Type, "only a stream the shutdown cut fails: %s: %s", it.Path, it.Error)
	}
	require.LessOrEqual(t, failed, 3, "at most the streams open at the restart")
	for _, l := range v.Logs {
		require.Contains(t, a.files, logPath(l))
	}
}

// TestAPIServerGone stops the kube-apiserver of a cluster of its own for
// good while a run collects: the run says so, waits --request-timeout
// for it and no longer, records what still needed it as failed items with
// how long it has not answered, and writes the bundle (docs/reliability.md,
// row 6).
func TestAPIServerGone(t *testing.T) {
	t.Parallel()
	c, v := ownCluster(t, fixture.Options{Nodes: 8, Backups: 8, PVBsPerBackup: 2, LogBytes: 4 << 20})
	out := filepath.Join(t.TempDir(), "bundle.tar.gz")
	cmd := toolCommand(t, "-n", v.Namespace, "--max-log-requests", "1", "--request-timeout", "3s", "--output", out)
	cmd.Env = append(cmd.Env, "KUBECONFIG="+c.Kubeconfig)
	stderr := started(t, cmd)
	waitWriting(t, out)
	stopped := time.Now()
	require.NoError(t, c.StopAPIServer(0))
	code := exitCode(t, cmd.Wait())
	t.Logf("the run ended %s after the API server was stopped:\n%s", time.Since(stopped).Round(time.Millisecond), stderr.String())
	require.Equal(t, 3, code)
	require.Less(t, time.Since(stopped), 30*time.Second, "the wait is bounded by --request-timeout, not paid by every request")
	require.Contains(t, stderr.String(), "velero-debug: the API server stopped answering (")
	require.Contains(t, stderr.String(), "velero-debug: the API server has not answered for 3s; what still needs it fails")

	a := readBundle(t, out)
	require.True(t, a.manifest.Complete)
	gone := 0
	for _, it := range a.manifest.Items {
		if it.Status == bundle.StatusError && strings.Contains(it.Error, "the API server has not answered for") {
			gone++
		}
	}
	require.Positive(t, gone, "what still needed the server is recorded with why")
}

// TestOutputFolderReadOnly makes the output folder read-only while a run
// writes into it: the bundle, complete, cannot be renamed; it is kept
// under its partial name and one line says where and what to do, exit 1
// (docs/reliability.md, row 10). Permissions do not stop root, so the run
// is made as the user nobody (setpriv) when the test runs as root.
func TestOutputFolderReadOnly(t *testing.T) {
	t.Parallel()
	base, err := os.MkdirTemp("", "velero-debug-readonly-") //nolint:usetesting // t.TempDir's parent is closed to other users
	require.NoError(t, err)
	t.Cleanup(func() { _ = os.Chmod(filepath.Join(base, "out"), 0o755); _ = os.RemoveAll(base) })
	require.NoError(t, os.Chmod(base, 0o755))
	dir := filepath.Join(base, "out")
	require.NoError(t, os.Mkdir(dir, 0o755))
	out := filepath.Join(dir, "bundle.tar.gz")
	cmd := toolCommand(t, "--output", out)
	if os.Geteuid() == 0 {
		setpriv, err := exec.LookPath("setpriv")
		if err != nil {
			t.Skip("running as root, and no setpriv to run the tool as another user, whom permissions stop")
		}
		bin := filepath.Join(base, "velero-debug")
		data, err := os.ReadFile(binary)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(bin, data, 0o755)) //nolint:gosec // the test's copy of the binary, for nobody to run
		kc := filepath.Join(base, "kubeconfig")
		data, err = os.ReadFile(testCluster.Kubeconfig)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(kc, data, 0o644)) //nolint:gosec // a test cluster's, for nobody to read
		require.NoError(t, os.Chown(dir, 65534, 65534))
		cmd = exec.CommandContext(t.Context(), setpriv, append([]string{"--reuid=65534", "--regid=65534", "--clear-groups", bin}, cmd.Args[1:]...)...)
		cmd.Env = append(os.Environ(), "KUBECONFIG="+kc, "VELERO_NAMESPACE=", "HOME="+base)
	}
	stderr := started(t, cmd)
	waitWriting(t, out)
	require.NoError(t, os.Chmod(dir, 0o555))
	require.Equal(t, 1, exitCode(t, cmd.Wait()), stderr.String())
	require.Contains(t, stderr.String(), fmt.Sprintf("the output folder %q can no longer be written to", dir))
	require.Contains(t, stderr.String(), fmt.Sprintf("the bundle is complete, but left as %q: rename it to bundle.tar.gz once the folder is writable", out+".partial"))
	require.NoFileExists(t, out)
	a := readBundle(t, out+".partial")
	require.True(t, a.manifest.Complete, "the kept bundle is whole")
}
