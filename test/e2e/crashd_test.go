package e2e

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/velero-debug/velero-debug/internal/bundle"
	"github.com/velero-debug/velero-debug/internal/crashd"
)

// velero.cshd is Velero's crashd script, verbatim, from the golden tests of
// package crashd.
var veleroScript = filepath.Join("..", "..", "internal", "crashd", "testdata", "golden", "velero.cshd")

// runCrashd runs `velero-debug run` with args in dir, with env on top of
// the test's environment (KUBECONFIG unset: the script or the flags name
// the cluster).
func runCrashd(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	env = append([]string{"KUBECONFIG=" + filepath.Join(dir, "no-such-kubeconfig")}, env...)
	return execTool(t, dir, env, append([]string{"run"}, args...)...)
}

// fakeVelero writes a velero CLI into dir that prints its arguments, the
// server's log lines with the planted secrets for `backup logs`, and fails
// `restore logs`.
func fakeVelero(t *testing.T, dir string) string {
	t.Helper()
	var log strings.Builder
	for _, p := range velero.Planted {
		if p.Where == "the Velero server's log" {
			log.WriteString(p.Raw + "\n")
		}
	}
	logFile := filepath.Join(dir, "backup.log")
	require.NoError(t, os.WriteFile(logFile, []byte(log.String()), 0o600))
	script := `#!/bin/sh
case "$*" in
  *"backup logs"*) cat '` + logFile + `' ;;
  *"restore logs"*) echo "An error occurred: restore not found" >&2; exit 1 ;;
  *) echo "fake velero: $*" ;;
esac
`
	path := filepath.Join(dir, "velero")
	require.NoError(t, os.WriteFile(path, []byte(script), 0o700)) //nolint:gosec // an executable for the test
	return path
}

// veleroArgs are the 8 --args Velero's `velero debug` passes.
func veleroArgs(cmd, output, backup, restore string) string {
	return strings.Join([]string{
		"cmd=" + cmd, "output=" + output, "namespace=" + velero.Namespace, "basedir=",
		"backup=" + backup, "restore=" + restore, "kubeconfig=" + testCluster.Kubeconfig, "kubecontext=",
	}, ",")
}

var crashdStamp = `\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ\.\d{4}`

// TestCrashdVeleroScript runs Velero's velero.cshd unmodified and checks
// that the bundle has crashd's layout, the fixture's logs, the fake CLI's
// output, redacted, and no secret.
func TestCrashdVeleroScript(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cli := fakeVelero(t, dir)
	out := filepath.Join(dir, "crashd.tar.gz")
	b, r := velero.Backups["Failed"], velero.Restores["Failed"]
	script, err := filepath.Abs(veleroScript)
	require.NoError(t, err)
	res := runCrashd(t, dir, nil, script, "--args", veleroArgs(cli, out, b, r))
	require.Equal(t, 3, res.code, "restore logs fails: %s", res.stderr)
	require.Contains(t, res.stderr, "velero-debug: script: Collecting velero resources in namespace: velero")
	a := readBundle(t, out)

	var paths []string
	for p := range a.files {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	t.Logf("bundle entries:\n%s", strings.Join(paths, "\n"))
	for _, it := range a.manifest.Items {
		if it.Status == bundle.StatusOK {
			require.Contains(t, a.files, it.Path, "the manifest's items are in the bundle")
		}
	}
	for p, mode := range a.modes {
		require.Equal(t, int64(0o600), mode, p)
	}

	ns := velero.Namespace
	backups := findOne(t, a, `^kubecapture/velero\.io_v1/`+ns+`/backups-`+crashdStamp+`\.json$`)
	var list struct {
		Kind  string `json:"kind"`
		Items []struct {
			Metadata struct{ Name string } `json:"metadata"`
		} `json:"items"`
	}
	require.NoError(t, json.Unmarshal(a.files[backups], &list))
	require.Equal(t, "BackupList", list.Kind)
	var names []string
	for _, it := range list.Items {
		names = append(names, it.Metadata.Name)
	}
	for _, name := range velero.Backups {
		require.Contains(t, names, name)
	}
	for _, res := range []string{"velero.io_v1/" + ns + "/restores", "velero.io_v1/" + ns + "/backupstoragelocations", "velero.io_v2alpha1/" + ns + "/datauploads", "core_v1/" + ns + "/pods"} {
		findOne(t, a, `^kubecapture/`+regexp.QuoteMeta(res)+`-`+crashdStamp+`\.json$`)
	}

	n := 0
	for _, l := range velero.Logs {
		if l.Namespace != ns {
			continue
		}
		n++
		name := l.Container + ".log"
		if l.Previous {
			name = l.Container + ".previous.log"
		}
		p := filepath.Join("kubecapture", "core_v1", ns, l.Pod, l.Container, name)
		want, err := l.Redacted()
		require.NoError(t, err)
		require.Contains(t, a.files, p)
		if !bytes.Equal(want, a.files[p]) {
			require.Failf(t, "log differs", "%s: %s", p, firstDiff(want, a.files[p]))
		}
	}
	require.Positive(t, n)

	require.Equal(t, "fake velero: version -n "+ns+"\n", string(a.files["version.txt"]))
	require.Equal(t, "fake velero: --namespace="+ns+" backup describe "+b+" --details\n", string(a.files["backup_describe_"+b+".txt"]))
	backupLog := string(a.files["backup_"+b+".log"])
	for _, p := range velero.Planted {
		if p.Where == "the Velero server's log" {
			assert.Contains(t, backupLog, p.Redacted, "the command's output is redacted")
		}
	}
	failed := a.item(t, "restore_"+r+".log")
	require.Equal(t, bundle.StatusError, failed.Status)
	require.Contains(t, failed.Error, "exit status 1")
	require.Equal(t, bundle.StatusOK, a.item(t, "restore_describe_"+r+".txt").Status)

	for path, data := range a.files {
		for _, s := range append(append([]string{}, velero.SecretValues...), velero.PlantedCredentials...) {
			require.False(t, bytes.Contains(data, []byte(s)), "%s holds the secret %q", path, s)
		}
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		require.NotEqual(t, "velero-bundle", e.Name(), "nothing is written on the host but the bundle")
	}
}

func findOne(t *testing.T, a archive, pattern string) string {
	t.Helper()
	re := regexp.MustCompile(pattern)
	var found []string
	for p := range a.files {
		if re.MatchString(p) {
			found = append(found, p)
		}
	}
	require.Len(t, found, 1, "entries matching %s", pattern)
	return found[0]
}

// TestCrashdRestricted checks that --restricted refuses velero.cshd, whose
// capture_local runs a command, before anything is collected.
func TestCrashdRestricted(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out := filepath.Join(dir, "crashd.tar.gz")
	script, err := filepath.Abs(veleroScript)
	require.NoError(t, err)
	res := runCrashd(t, dir, nil, script, "--restricted", "--args", veleroArgs("velero", out, "", ""))
	require.Equal(t, 1, res.code, res.stderr)
	require.Contains(t, res.stderr, "capture_local is not allowed with --restricted")
	require.NoFileExists(t, out)
}

// TestCrashdDryRun prints velero.cshd's plan, with crashd's paths, and
// collects nothing: no bundle, and no command run.
func TestCrashdDryRun(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cli := fakeVelero(t, dir)
	out := filepath.Join(dir, "crashd.tar.gz")
	script, err := filepath.Abs(veleroScript)
	require.NoError(t, err)
	res := runCrashd(t, dir, nil, script, "--dry-run", "--args", veleroArgs(cli, out, velero.Backups["Failed"], ""))
	require.Equal(t, 0, res.code, res.stderr)
	require.NoFileExists(t, out)
	for _, want := range []string{"Dry run: the plan of", "groups [velero.io] in namespaces [velero] → kubecapture/", "→ version.txt", "→ backup_" + velero.Backups["Failed"] + ".log"} {
		require.Contains(t, res.stderr, want)
	}
	require.NotContains(t, res.stderr, "forbidden", "the admin may do everything")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		require.NotEqual(t, "crashd.tar.gz", e.Name())
	}
}

// TestCrashdSeedAndSecrets runs the seed design's script with the velero
// CLI on PATH (it names no path), and a script that asks for Secrets:
// they are refused with an error item, and never read.
func TestCrashdSeedAndSecrets(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fakeVelero(t, dir)
	seed := filepath.Join("..", "..", "internal", "crashd", "testdata", "golden", "seed.cshd")
	src, err := os.ReadFile(seed)
	require.NoError(t, err)
	src = append(src, []byte("\nkube_capture(what=\"objects\", kinds=[\"secrets\", \"configmaps\"], namespaces=[args.namespace])\n")...)
	script := filepath.Join(dir, "seed.cshd")
	require.NoError(t, os.WriteFile(script, src, 0o600))
	_, err = crashd.Eval(t.Context(), script, src, crashd.Options{Args: map[string]string{
		"namespace": velero.Namespace, "basedir": dir, "output": "", "kubeconfig": "", "backup": "", "restore": "",
	}})
	require.NoError(t, err, "the script is valid")

	b := velero.Backups["Completed"]
	env := []string{"PATH=" + dir + string(os.PathListSeparator) + os.Getenv("PATH")}
	res := runCrashd(t, dir, env, script, "--kubeconfig", testCluster.Kubeconfig, "--output", "seed.tar.gz",
		"--args", "backup="+b+",namespace="+velero.Namespace+",basedir="+dir+",restore=,kubeconfig=,output=")
	require.Equal(t, 3, res.code, "the Secrets are refused: %s", res.stderr)
	a := readBundle(t, filepath.Join(dir, "seed.tar.gz"))
	refused := a.item(t, "kubecapture/core_v1/secrets.refused")
	require.Equal(t, bundle.StatusError, refused.Status)
	require.Contains(t, refused.Error, "never reads Secrets")
	findOne(t, a, `^kubecapture/core_v1/`+velero.Namespace+`/configmaps-`+crashdStamp+`\.json$`)
	require.Equal(t, "fake velero: version -n "+velero.Namespace+"\n", string(a.files["velero_version__n_"+velero.Namespace+".txt"]))
	require.Contains(t, a.files, "velero_backup_logs_"+strings.ReplaceAll(b, "-", "_")+".txt")

	backups := findOne(t, a, `^kubecapture/velero\.io_v1/`+velero.Namespace+`/backups-`+crashdStamp+`\.json$`)
	require.Contains(t, string(a.files[backups]), `"name":"`+b+`"`)
	require.Equal(t, 1, strings.Count(string(a.files[backups]), `"kind":"Backup"`), "names keeps the one named, exactly")
	for path, data := range a.files {
		for _, s := range velero.SecretValues {
			require.False(t, bytes.Contains(data, []byte(s)), "%s holds the secret %q", path, s)
		}
	}
}

// TestCrashdExample runs the README's crashd example, the project's own
// examples/velero-basics.crsh, as written (--restricted too: it runs no
// command on the host), into a complete bundle with crashd's layout.
func TestCrashdExample(t *testing.T) {
	t.Parallel()
	script, err := filepath.Abs(filepath.Join("..", "..", "examples", "velero-basics.crsh"))
	require.NoError(t, err)
	dir := t.TempDir()
	r := execTool(t, dir, []string{"KUBECONFIG=" + testCluster.Kubeconfig}, "run", "--restricted", script, "--args", "namespace="+velero.Namespace)
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stderr, "velero-debug: script: collecting Velero in namespace "+velero.Namespace)
	a := readBundle(t, filepath.Join(dir, "velero-basics.tar.gz"))
	require.True(t, a.manifest.Complete)
	var logs, objects int
	for _, it := range a.manifest.Items {
		require.Equal(t, bundle.StatusOK, it.Status, "%s: %s", it.Path, it.Error)
		switch it.Type {
		case "log":
			logs++
		case "object-list":
			objects++
		}
	}
	require.Positive(t, logs)
	require.Positive(t, objects)
	pods := false
	for path := range a.files {
		pods = pods || strings.HasPrefix(path, "kubecapture/core_v1/"+velero.Namespace+"/pods-")
	}
	require.True(t, pods, "crashd's layout: kubecapture/core_v1/<namespace>/pods-<time>.json")
}
