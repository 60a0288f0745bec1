// Package e2e runs the velero-debug binary, as a user would, against the
// local test cluster with the Velero fixture, and checks the bundles it
// writes from the archives themselves.
package e2e

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/velero-debug/velero-debug/internal/bundle"
	"github.com/velero-debug/velero-debug/test/cluster"
	"github.com/velero-debug/velero-debug/test/fixture"
)

var (
	testCluster *cluster.Cluster
	velero      *fixture.Velero // installed in namespace "velero"
	binary      string          // the velero-debug binary under test
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	logf := func(f string, a ...any) { fmt.Fprintf(os.Stderr, "e2e: "+f+"\n", a...) }
	dir, err := os.MkdirTemp("", "velero-debug-e2e-")
	if err != nil {
		logf("%v", err)
		return 1
	}
	defer func() { _ = os.RemoveAll(dir) }()
	binary = filepath.Join(dir, "velero-debug")
	build := exec.CommandContext(ctx, "go", "build", "-buildvcs=auto", "-o", binary, "./cmd/velero-debug")
	build.Dir = cluster.RepoRoot()
	if out, err := build.CombinedOutput(); err != nil {
		logf("building velero-debug: %v\n%s", err, out)
		return 1
	}
	c, err := cluster.Start(ctx, cluster.Options{Logf: logf})
	if err != nil {
		logf("starting the test cluster: %v", err)
		return 1
	}
	defer func() { _ = c.Stop() }()
	testCluster = c
	if velero, err = fixture.Install(ctx, c, fixture.Options{Namespace: "velero", Nodes: 3, LogBytes: 64 << 10}); err != nil {
		logf("%v", err)
		return 1
	}
	return m.Run()
}

// result is what one run of the binary did.
type result struct {
	code   int
	stderr string
	output string // the bundle's path
}

// runTool runs velero-debug with args against the test cluster's
// kubeconfig (unless env sets KUBECONFIG) and an output in a fresh folder
// (unless args set --output). No Velero server runs beside the fixture, so
// the server is not asked unless args set --server-timeout.
func runTool(t *testing.T, env []string, args ...string) result {
	t.Helper()
	out := filepath.Join(t.TempDir(), "bundle.tar.gz")
	if !hasFlag(args, "--output") {
		args = append(args, "--output", out)
	}
	if !hasFlag(args, "--server-timeout") {
		args = append(args, "--server-timeout", "0")
	}
	r := execTool(t, "", append([]string{"KUBECONFIG=" + testCluster.Kubeconfig}, env...), args...)
	r.output = out
	return r
}

// execTool runs the binary with args in dir (the test's folder when
// empty), with env on top of the test's environment, VELERO_NAMESPACE
// unset and a HOME of its own. Its stdout and stderr are kept together.
func execTool(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), binary, args...)
	cmd.Dir = dir
	// A HOME of its own: no Velero CLI client config of this machine's
	// chooses the namespace.
	cmd.Env = append(append(os.Environ(), "VELERO_NAMESPACE=", "HOME="+t.TempDir()), env...)
	var stderr bytes.Buffer
	cmd.Stderr, cmd.Stdout = &stderr, &stderr
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return result{code: code, stderr: stderr.String()}
}

func hasFlag(args []string, flag string) bool {
	for _, a := range args {
		if a == flag || strings.HasPrefix(a, flag+"=") {
			return true
		}
	}
	return false
}

// archive is a bundle read back: every file by its path under
// velero-bundle/, and the manifest.
type archive struct {
	files    map[string][]byte
	modes    map[string]int64
	manifest bundle.Manifest
}

func readBundle(t *testing.T, path string) archive {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer func() { _ = f.Close() }()
	st, err := f.Stat()
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), st.Mode().Perm(), "the bundle is private to its owner")
	gz, err := gzip.NewReader(f)
	require.NoError(t, err)
	tr := tar.NewReader(gz)
	a := archive{files: map[string][]byte{}, modes: map[string]int64{}}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		rel, ok := strings.CutPrefix(h.Name, "velero-bundle/")
		require.True(t, ok, "entry %s is under velero-bundle/", h.Name)
		if h.Typeflag == tar.TypeDir {
			continue
		}
		data, err := io.ReadAll(tr)
		require.NoError(t, err)
		a.files[rel] = data
		a.modes[rel] = h.Mode
	}
	require.NoError(t, json.Unmarshal(a.files["manifest.json"], &a.manifest))
	return a
}

// item returns the manifest record of path.
func (a archive) item(t *testing.T, path string) bundle.ManifestItem {
	t.Helper()
	for _, it := range a.manifest.Items {
		if it.Path == path {
			return it
		}
	}
	require.Failf(t, "no such item", "%s is not in the manifest", path)
	return bundle.ManifestItem{}
}

// onlyFailure returns the item at path, which failed, and checks that no
// other item failed and that every log of the shared fixture was
// collected.
func (a archive) onlyFailure(t *testing.T, path string) bundle.ManifestItem {
	t.Helper()
	failed := a.item(t, path)
	require.Equal(t, bundle.StatusError, failed.Status, path)
	for _, it := range a.manifest.Items {
		if it.Path != path {
			require.NotEqual(t, bundle.StatusError, it.Status, "%s: %s", it.Path, it.Error)
		}
	}
	for _, l := range velero.Logs {
		require.Contains(t, a.files, logPath(l))
	}
	return failed
}

// logPath is where a fixture log goes in a bundle.
func logPath(l fixture.Log) string {
	name := l.Container + ".log"
	if l.Previous {
		name = l.Container + ".previous.log"
	}
	return filepath.Join("logs", l.Namespace, l.Pod, name)
}

// contains reports whether some file of the archive holds s.
func (a archive) contains(s string) bool {
	for _, data := range a.files {
		if bytes.Contains(data, []byte(s)) {
			return true
		}
	}
	return false
}

// firstDiff describes the first line where got differs from want.
func firstDiff(want, got []byte) string {
	w, g := bytes.Split(want, []byte("\n")), bytes.Split(got, []byte("\n"))
	for i := range min(len(w), len(g)) {
		if !bytes.Equal(w[i], g[i]) {
			return fmt.Sprintf("line %d:\nwant %s\ngot  %s", i+1, w[i], g[i])
		}
	}
	return fmt.Sprintf("%d lines, want %d", len(g), len(w))
}
