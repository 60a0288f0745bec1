package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"
	corev1api "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/velero-debug/velero-debug/test/cluster"
	"github.com/velero-debug/velero-debug/test/fixture"
)

// BenchmarkCollect measures a whole velero-debug run against a plain
// client-go fetch of the same logs with the same parallelism, in the same
// run: BENCH_NODES node-agent pods (default 200) with logs of
// BENCH_LOG_MIB MiB each (default 1). It reports both wall times, their
// ratio and the tool's peak RSS. Run it with hack/bench.sh.
func BenchmarkCollect(b *testing.B) {
	nodes, logMiB := envInt("BENCH_NODES", 200), envInt("BENCH_LOG_MIB", 1)
	benchCollect(b, fixture.Options{Namespace: "bench-" + strconv.Itoa(logMiB) + "mib", Nodes: nodes, LogBytes: logMiB << 20}, nil)
}

// BenchmarkScale measures a run against a namespace of many Velero
// objects: BENCH_BACKUPS backups (default 6000) with BENCH_PVBS
// PodVolumeBackups (default 5) and BENCH_DUS DataUploads (default 0)
// each, beside BENCH_NODES node-agent pods (default 200) with BENCH_LOG_MIB
// MiB logs (default 1). Its baseline lists the Velero resources with
// client-go, paged, besides reading the logs. Run it with hack/bench.sh
// scale.
func BenchmarkScale(b *testing.B) {
	backups, pvbs, dus := envInt("BENCH_BACKUPS", 6000), envInt("BENCH_PVBS", 5), envInt("BENCH_DUS", 0)
	nodes, logMiB := envInt("BENCH_NODES", 200), envInt("BENCH_LOG_MIB", 1)
	opts := fixture.Options{Namespace: fmt.Sprintf("scale-%d-%d", backups, pvbs), Nodes: nodes, LogBytes: logMiB << 20,
		Backups: backups, PVBsPerBackup: pvbs, DataUploadsPerBackup: dus}
	benchCollect(b, opts, func(b *testing.B, ns string) { listVelero(b, ns) })
	b.ReportMetric(float64(backups*(1+pvbs+dus)), "velero-objects")
}

// benchCollect installs opts and times, per round, the baseline (the
// node-agent logs read in parallel, then more, when set) and a whole run of
// the tool.
func benchCollect(b *testing.B, opts fixture.Options, more func(*testing.B, string)) {
	ns := opts.Namespace
	installed := time.Now()
	v, err := fixture.Install(b.Context(), testCluster, opts)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("installed %s in %s", ns, time.Since(installed).Round(time.Second))
	cs, err := kubernetes.NewForConfig(testCluster.Config)
	if err != nil {
		b.Fatal(err)
	}
	const parallel = 8
	veleroCLI := benchVeleroCLI(b)
	var baseline, tool, cpu, otherWall, veleroWall, budgetWall time.Duration
	var rss, otherRSS, veleroRSS, budgetRSS int64
	maxSize := os.Getenv("BENCH_MAX_SIZE")
	for b.Loop() {
		start := time.Now()
		fetchAll(b, cs, v, parallel)
		if more != nil {
			more(b, ns)
		}
		baseline += time.Since(start)

		wall, used, peak := benchTool(b, binary, ns, parallel)
		tool, cpu, rss = tool+wall, cpu+used, max(rss, peak)
		if maxSize != "" {
			wall, _, peak := benchTool(b, binary, ns, parallel, "--max-size", maxSize)
			budgetWall, budgetRSS = budgetWall+wall, max(budgetRSS, peak)
		}
		if other := os.Getenv("BENCH_COMPARE_BINARY"); other != "" {
			wall, _, peak := benchTool(b, other, ns, parallel)
			otherWall, otherRSS = otherWall+wall, max(otherRSS, peak)
		}
		if veleroCLI != "" {
			wall, peak := benchVeleroDebug(b, veleroCLI, ns)
			veleroWall, veleroRSS = veleroWall+wall, max(veleroRSS, peak)
		}
	}
	n := float64(b.N)
	b.ReportMetric(baseline.Seconds()/n, "baseline-s/op")
	b.ReportMetric(tool.Seconds()/n, "tool-s/op")
	b.ReportMetric(tool.Seconds()/baseline.Seconds(), "ratio")
	b.ReportMetric(cpu.Seconds()/n, "tool-cpu-s/op")
	b.ReportMetric(float64(rss)/1024, "peak-rss-MiB")
	if otherWall > 0 {
		b.ReportMetric(otherWall.Seconds()/n, "compared-s/op")
		b.ReportMetric(float64(otherRSS)/1024, "compared-peak-rss-MiB")
	}
	if budgetWall > 0 {
		b.ReportMetric(budgetWall.Seconds()/n, "max-size-s/op")
		b.ReportMetric(budgetWall.Seconds()/tool.Seconds(), "max-size-ratio")
		b.ReportMetric(float64(budgetRSS)/1024, "max-size-peak-rss-MiB")
	}
	if veleroWall > 0 {
		b.ReportMetric(veleroWall.Seconds()/n, "velero-cli-debug-s/op")
		b.ReportMetric(float64(veleroRSS)/1024, "velero-cli-debug-peak-rss-MiB")
	}
	b.ReportMetric(float64(opts.Nodes*opts.LogBytes)/(1<<20), "log-MiB")
}

// benchVeleroCLI builds (or finds) the Velero CLI whose `velero debug` the
// benchmarks time beside the tool; "" when BENCH_VELERO_DEBUG=0.
func benchVeleroCLI(b *testing.B) string {
	if os.Getenv("BENCH_VELERO_DEBUG") == "0" {
		return ""
	}
	tools, err := cluster.BuildTools(b.Context(), "veleroserver")
	if err != nil {
		b.Fatal(err)
	}
	return tools.Path("veleroserver", "velero")
}

// benchVeleroDebug runs Velero's own `velero debug` (its embedded crashd
// and velero.cshd) against namespace ns and returns its wall time and peak
// RSS in KiB. It runs `velero version` too, which waits for a Velero
// server that the fixture does not run: its --timeout of 5 s is in the
// time.
func benchVeleroDebug(b *testing.B, velero, ns string) (wall time.Duration, rss int64) {
	b.Helper()
	dir := b.TempDir() // velero debug writes its ./velero-bundle folder here
	cmd := exec.CommandContext(b.Context(), velero, "debug", "--namespace", ns, "--kubeconfig", testCluster.Kubeconfig,
		"--output", filepath.Join(dir, "velero-debug.tar.gz"))
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HOME="+dir)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	wall, rss, err := measure(cmd)
	if err != nil {
		b.Fatalf("velero debug: %v\n%s", err, out.String())
	}
	if st, err := os.Stat(filepath.Join(dir, "velero-debug.tar.gz")); err == nil {
		b.ReportMetric(float64(st.Size())/(1<<20), "velero-cli-debug-bundle-MiB")
	}
	return wall, rss
}

// benchTool runs the velero-debug binary bin against namespace ns and
// returns its wall and CPU time and its peak RSS in KiB. BENCH_COMPARE_BINARY
// names another build to time in the same rounds (the engine before a
// change).
func benchTool(b *testing.B, bin, ns string, parallel int, args ...string) (wall, cpu time.Duration, rss int64) {
	b.Helper()
	out := filepath.Join(b.TempDir(), "bundle.tar.gz")
	// No Velero server runs beside the fixture: do not wait for one.
	cmd := exec.CommandContext(b.Context(), bin, append([]string{"-n", ns, "--max-log-requests", strconv.Itoa(parallel), "--server-timeout", "0", "--output", out}, args...)...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+testCluster.Kubeconfig)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	wall, rss, err := measure(cmd)
	if err != nil {
		b.Fatalf("%s: %v\n%s", bin, err, stderr.String())
	}
	if os.Getenv("BENCH_SHOW_STDERR") != "" {
		b.Log(stderr.String())
	}
	if st, err := os.Stat(out); err == nil && bin == binary {
		unit := "bundle-MiB"
		if len(args) > 0 {
			unit = "max-size-bundle-MiB"
		}
		b.ReportMetric(float64(st.Size())/(1<<20), unit)
	}
	_ = os.Remove(out)
	return wall, cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), rss
}

// measure runs cmd and returns its wall time, its peak RSS in KiB and its
// error.
func measure(cmd *exec.Cmd) (time.Duration, int64, error) {
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	peak := make(chan int64)
	stop := make(chan struct{})
	go func() { peak <- watchPeakRSS(cmd.Process.Pid, stop) }()
	err := cmd.Wait()
	wall := time.Since(start)
	close(stop)
	return wall, <-peak, err
}

// watchPeakRSS reads the peak resident set (VmHWM, KiB) of process pid
// every 10 ms until stop closes, and returns the last it read. The
// rusage of a child is no measure: Go starts it with vfork, and Linux
// counts the parent's memory (here the test's, which holds the fixture) in
// the child's peak.
func watchPeakRSS(pid int, stop <-chan struct{}) int64 {
	var peak int64
	path := fmt.Sprintf("/proc/%d/status", pid)
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for {
		if data, err := os.ReadFile(path); err == nil {
			for _, line := range strings.Split(string(data), "\n") {
				if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
					if kib, err := strconv.ParseInt(f[1], 10, 64); err == nil {
						peak = max(peak, kib)
					}
				}
			}
		}
		select {
		case <-stop:
			return peak
		case <-t.C:
		}
	}
}

// listVelero lists, as a client-go user would (kubectl get -o json
// --chunk-size 500), every Velero resource of namespace ns, and throws the
// JSON away.
func listVelero(b *testing.B, ns string) {
	b.Helper()
	dyn, err := dynamic.NewForConfig(testCluster.Config)
	if err != nil {
		b.Fatal(err)
	}
	for _, r := range []schema.GroupVersionResource{
		{Group: "velero.io", Version: "v1", Resource: "backups"}, {Group: "velero.io", Version: "v1", Resource: "restores"},
		{Group: "velero.io", Version: "v1", Resource: "podvolumebackups"}, {Group: "velero.io", Version: "v1", Resource: "podvolumerestores"},
		{Group: "velero.io", Version: "v2alpha1", Resource: "datauploads"}, {Group: "velero.io", Version: "v2alpha1", Resource: "datadownloads"},
	} {
		opts := metav1.ListOptions{Limit: 500}
		for {
			page, err := dyn.Resource(r).Namespace(ns).List(b.Context(), opts)
			if err != nil {
				b.Fatal(err)
			}
			if err := json.NewEncoder(io.Discard).Encode(page); err != nil {
				b.Fatal(err)
			}
			if opts.Continue = page.GetContinue(); opts.Continue == "" {
				break
			}
		}
	}
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
