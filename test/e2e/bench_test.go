package e2e

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"
	corev1api "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/velero-debug/velero-debug/test/fixture"
)

// BenchmarkCollect measures a whole velero-debug run against a plain
// client-go fetch of the same logs with the same parallelism, in the same
// run: BENCH_NODES node-agent pods (default 200) with logs of
// BENCH_LOG_MIB MiB each (default 1). It reports both wall times, their
// ratio and the tool's peak RSS. Run it with hack/bench.sh.
func BenchmarkCollect(b *testing.B) {
	nodes, logMiB := envInt("BENCH_NODES", 200), envInt("BENCH_LOG_MIB", 1)
	ns := "bench-" + strconv.Itoa(logMiB) + "mib"
	v, err := fixture.Install(b.Context(), testCluster, fixture.Options{Namespace: ns, Nodes: nodes, LogBytes: logMiB << 20})
	if err != nil {
		b.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(testCluster.Config)
	if err != nil {
		b.Fatal(err)
	}
	const parallel = 8
	var baseline, tool, cpu time.Duration
	var rss int64
	for b.Loop() {
		start := time.Now()
		fetchAll(b, cs, v, parallel)
		baseline += time.Since(start)

		out := filepath.Join(b.TempDir(), "bundle.tar.gz")
		// No Velero server runs beside the fixture: do not wait for one.
		cmd := exec.CommandContext(b.Context(), binary, "-n", ns, "--max-log-requests", strconv.Itoa(parallel), "--server-timeout", "0", "--output", out)
		cmd.Env = append(os.Environ(), "KUBECONFIG="+testCluster.Kubeconfig)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		start = time.Now()
		if err := cmd.Run(); err != nil {
			b.Fatalf("velero-debug: %v\n%s", err, stderr.String())
		}
		if os.Getenv("BENCH_SHOW_STDERR") != "" {
			b.Log(stderr.String())
		}
		tool += time.Since(start)
		cpu += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		rss = max(rss, cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss) // KiB on Linux
		_ = os.Remove(out)
	}
	n := float64(b.N)
	b.ReportMetric(baseline.Seconds()/n, "baseline-s/op")
	b.ReportMetric(tool.Seconds()/n, "tool-s/op")
	b.ReportMetric(tool.Seconds()/baseline.Seconds(), "ratio")
	b.ReportMetric(cpu.Seconds()/n, "tool-cpu-s/op")
	b.ReportMetric(float64(rss)/1024, "peak-rss-MiB")
	b.ReportMetric(float64(nodes*logMiB), "log-MiB")
}

// fetchAll reads every node-agent log with plain client-go, parallel at
// once, and throws the bytes away.
func fetchAll(b *testing.B, cs kubernetes.Interface, v *fixture.Velero, parallel int) {
	b.Helper()
	var g errgroup.Group
	g.SetLimit(parallel)
	for _, l := range v.Logs {
		if l.Container != "node-agent" || l.Previous {
			continue
		}
		g.Go(func() error {
			rc, err := cs.CoreV1().Pods(l.Namespace).GetLogs(l.Pod, &corev1api.PodLogOptions{Container: l.Container}).Stream(b.Context())
			if err != nil {
				return err
			}
			defer func() { _ = rc.Close() }()
			_, err = io.Copy(io.Discard, rc)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		b.Fatal(err)
	}
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}
