package e2e

import (
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/velero-debug/velero-debug/test/cluster"
)

// deadPort is a loopback port where nothing listens.
func deadPort(t *testing.T) int {
	t.Helper()
	var lc net.ListenConfig
	l, err := lc.Listen(t.Context(), "tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())
	return port
}

// splitKubeconfig writes two kubeconfig files for one KUBECONFIG: the
// first holds context "dead" (current) for a port where nothing listens,
// the second context "good" for the test cluster.
func splitKubeconfig(t *testing.T) (kubeconfig, deadServer string) {
	t.Helper()
	dir := t.TempDir()
	good, err := clientcmd.LoadFromFile(testCluster.Kubeconfig)
	require.NoError(t, err)
	goodCfg := clientcmdapi.NewConfig()
	goodCfg.Clusters["test"] = good.Clusters["local"]
	goodCfg.AuthInfos["test-admin"] = good.AuthInfos["admin"]
	goodCfg.Contexts["good"] = &clientcmdapi.Context{Cluster: "test", AuthInfo: "test-admin"}

	deadServer = "https://127.0.0.1:" + strconv.Itoa(deadPort(t))
	deadCfg := clientcmdapi.NewConfig()
	deadCfg.Clusters["dead"] = &clientcmdapi.Cluster{Server: deadServer, CertificateAuthorityData: good.Clusters["local"].CertificateAuthorityData}
	deadCfg.AuthInfos["dead-user"] = good.AuthInfos["admin"]
	deadCfg.Contexts["dead"] = &clientcmdapi.Context{Cluster: "dead", AuthInfo: "dead-user"}
	deadCfg.CurrentContext = "dead"

	first, second := filepath.Join(dir, "dead.yaml"), filepath.Join(dir, "good.yaml")
	require.NoError(t, clientcmd.WriteToFile(*deadCfg, first))
	require.NoError(t, clientcmd.WriteToFile(*goodCfg, second))
	return first + string(os.PathListSeparator) + second, deadServer
}

// TestMergedKubeconfigAndContext checks that every file of KUBECONFIG is
// read and that --kubecontext (and its alias --context) picks the cluster.
func TestMergedKubeconfigAndContext(t *testing.T) {
	t.Parallel()
	kubeconfig, deadServer := splitKubeconfig(t)
	env := []string{"KUBECONFIG=" + kubeconfig}
	for _, flag := range []string{"--kubecontext", "--context"} {
		r := runTool(t, env, flag, "good")
		require.Equal(t, 0, r.code, r.stderr)
		a := readBundle(t, r.output)
		require.Equal(t, "good", a.manifest.Cluster.Context)
		require.Equal(t, testCluster.Server, a.manifest.Cluster.Server)
	}
	// The current context of the first file points at a dead port.
	r := runTool(t, env)
	require.Equal(t, 1, r.code, r.stderr)
	require.Contains(t, r.stderr, "cannot reach the Kubernetes API server at "+deadServer)
	require.Contains(t, r.stderr, "connection refused")
	requireNoOutput(t, r)
}

// TestBadInputs checks that each bad input gets its one-line message, exit
// status 1, and leaves no file behind.
func TestBadInputs(t *testing.T) {
	t.Parallel()
	garbage := filepath.Join(t.TempDir(), "garbage")
	require.NoError(t, os.WriteFile(garbage, []byte("this: [is not a kubeconfig"), 0o600))
	existing := filepath.Join(t.TempDir(), "exists.tar.gz")
	require.NoError(t, os.WriteFile(existing, []byte("precious"), 0o600))
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"missing kubeconfig", []string{"--kubeconfig", "/nonexistent/kubeconfig"}, "cannot load the kubeconfig"},
		{"invalid kubeconfig", []string{"--kubeconfig", garbage}, "cannot load the kubeconfig"},
		{"unknown context", []string{"--kubecontext", "nosuch"}, `context "nosuch" does not exist`},
		{"bad namespace name", []string{"-n", "Bad_Namespace"}, `--namespace "Bad_Namespace" is not a valid namespace name`},
		{"bad backup name", []string{"--backup", "Nightly Backup"}, `--backup "Nightly Backup" is not a valid name`},
		{"bad restore name", []string{"--restore", "-x-"}, `--restore "-x-" is not a valid name`},
		{"missing output folder", []string{"--output", "/nonexistent/dir/b.tar.gz"}, `folder "/nonexistent/dir" does not exist`},
		{"unwritable output folder", []string{"--output", "/proc/b.tar.gz"}, `cannot write in folder "/proc"`},
		{"output exists", []string{"--output", existing}, "exists: choose another name, or add --force"},
		{"no log requests", []string{"--max-log-requests", "0"}, "--max-log-requests must be at least 1"},
		{"negative since", []string{"--since", "-1h"}, "--since must not be negative"},
		{"not a number", []string{"--tail", "abc"}, `invalid value "abc" for --tail: not a whole number`},
		{"not a duration", []string{"--since", "1y"}, `invalid value "1y" for --since: not a duration: use a number and a unit, such as 90s, 30m, 2h, 1h30m or 7d`},
		{"a misspelt flag", []string{"--namspace", "velero"}, "unknown flag --namspace: did you mean --namespace?"},
		{"a misspelt command", []string{"inspekt"}, `unknown command "inspekt": did you mean "inspect"?`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := runTool(t, nil, tc.args...)
			require.Equal(t, 1, r.code, r.stderr)
			require.Contains(t, r.stderr, tc.want)
			require.Equal(t, 1, countLines(r.stderr), "one line: %s", r.stderr)
			requireNoOutput(t, r)
		})
	}
	data, err := os.ReadFile(existing)
	require.NoError(t, err)
	require.Equal(t, "precious", string(data), "an existing output is left alone")
}

// TestForceReplacesOutput checks --force.
func TestForceReplacesOutput(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "b.tar.gz")
	require.NoError(t, os.WriteFile(out, []byte("old"), 0o600))
	r := runTool(t, nil, "--output", out, "--force")
	require.Equal(t, 0, r.code, r.stderr)
	readBundle(t, out)
}

// TestNoVeleroInNamespace checks the message when the namespace holds no
// Velero: it names the namespace where Velero runs.
func TestNoVeleroInNamespace(t *testing.T) {
	t.Parallel()
	r := runTool(t, nil, "-n", "default")
	require.Equal(t, 1, r.code, r.stderr)
	require.Contains(t, r.stderr, `no Velero found in namespace "default"`)
	require.Contains(t, r.stderr, "Velero runs in namespace")
	require.Contains(t, r.stderr, "velero")
	requireNoOutput(t, r)
}

func requireNoOutput(t *testing.T, r result) {
	t.Helper()
	for _, p := range []string{r.output, r.output + ".partial"} {
		_, err := os.Stat(p)
		require.True(t, os.IsNotExist(err), "%s must not exist", p)
	}
	entries, err := os.ReadDir(filepath.Dir(r.output))
	require.NoError(t, err)
	require.Empty(t, entries, "nothing is left in the output folder")
}

func countLines(s string) int {
	n := 0
	for _, c := range s {
		if c == '\n' {
			n++
		}
	}
	return n
}

// TestVersion: `velero-debug version` and `--version` say the same, and
// every bundle and its velero/version.json carry that version.
func TestVersion(t *testing.T) {
	t.Parallel()
	v := execTool(t, "", nil, "version")
	require.Equal(t, 0, v.code, v.stderr)
	flag := execTool(t, "", nil, "--version")
	require.Equal(t, 0, flag.code, flag.stderr)
	require.Equal(t, v.stderr, flag.stderr)
	first, _, _ := strings.Cut(v.stderr, "\n")
	name, ver, ok := strings.Cut(first, " ")
	require.True(t, ok, v.stderr)
	require.Equal(t, "velero-debug", name)
	require.Contains(t, v.stderr, "  go:       go1.")

	r := runTool(t, nil)
	require.Equal(t, 0, r.code, r.stderr)
	a := readBundle(t, r.output)
	require.Equal(t, ver, a.manifest.Tool.Version)
	var info struct {
		Client map[string]string `json:"client"`
	}
	require.NoError(t, json.Unmarshal(a.files["velero/version.json"], &info))
	require.Equal(t, ver, info.Client["version"])
}

// TestKubectlPlugin: installed as kubectl-velero_debug on PATH, the real
// kubectl runs it as `kubectl velero-debug`, whose help says so, and it
// collects a bundle from kubectl's cluster.
func TestKubectlPlugin(t *testing.T) {
	t.Parallel()
	bin := t.TempDir()
	data, err := os.ReadFile(binary)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(bin, "kubectl-velero_debug"), data, 0o700)) //nolint:gosec // the test's copy of the binary
	kubectl := func(args ...string) (string, error) {
		c := exec.CommandContext(t.Context(), testCluster.Tools.Path("cluster", "kubectl"), args...)
		c.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "KUBECONFIG="+testCluster.Kubeconfig, "VELERO_NAMESPACE=")
		out, err := c.CombinedOutput()
		return string(out), err
	}
	plugins, err := kubectl("plugin", "list")
	require.NoError(t, err, plugins)
	require.Contains(t, plugins, filepath.Join(bin, "kubectl-velero_debug"))
	help, err := kubectl("velero-debug", "--help")
	require.NoError(t, err, help)
	require.Contains(t, help, "Usage:\n  kubectl velero-debug [flags]\n  kubectl velero-debug [command]")
	out := filepath.Join(t.TempDir(), "bundle.tar.gz")
	run, err := kubectl("velero-debug", "--server-timeout", "0", "--output", out)
	require.NoError(t, err, run)
	require.True(t, readBundle(t, out).manifest.Complete)
}

// TestCompletion asks the binary what a shell would (cobra's __complete):
// Velero's namespaces first, then the others; the backups and restores of
// the namespace on the line; the kubeconfig's contexts, for `run` too.
func TestCompletion(t *testing.T) {
	t.Parallel()
	complete := func(args ...string) []string {
		t.Helper()
		r := execTool(t, "", []string{"KUBECONFIG=" + testCluster.Kubeconfig}, append([]string{"__complete"}, args...)...)
		require.Equal(t, 0, r.code, r.stderr)
		var values []string
		for _, l := range strings.Split(strings.TrimSpace(r.stderr), "\n") {
			if !strings.HasPrefix(l, ":") && !strings.HasPrefix(l, "Completion ended") {
				values = append(values, l)
			}
		}
		require.Regexp(t, `(^|\n):4\n`, r.stderr, "no file completion")
		return values
	}
	ns := complete("-n", "")
	require.Equal(t, velero.Namespace, ns[0], "Velero's namespace first: %v", ns)
	require.Contains(t, ns, "default")
	require.Equal(t, []string{"default"}, complete("--namespace", "def"))
	backups := complete("-n", velero.Namespace, "--backup", "")
	for _, b := range velero.Backups {
		require.Contains(t, backups, b)
	}
	restores := complete("-n", velero.Namespace, "--restore", "")
	for _, r := range velero.Restores {
		require.Contains(t, restores, r)
	}
	ctxs := complete("--kubecontext", "")
	require.NotEmpty(t, ctxs)
	require.Equal(t, ctxs, complete("--context", ""))
	require.Equal(t, ctxs, complete("run", "--kubecontext", ""))
}

// TestNamespaceAsTheVeleroCLIChoosesIt: without -n, the namespace is the
// Velero CLI's client config's (velero client config set namespace=...),
// over $VELERO_NAMESPACE; -n wins over both; the error for a namespace
// without Velero says what chose it; a client config that cannot be read
// is passed over with a warning, unless -n makes it moot.
func TestNamespaceAsTheVeleroCLIChoosesIt(t *testing.T) {
	t.Parallel()
	home := func(config string) string {
		h := t.TempDir()
		if config != "" {
			require.NoError(t, os.MkdirAll(filepath.Join(h, ".config", "velero"), 0o700))
			require.NoError(t, os.WriteFile(filepath.Join(h, ".config", "velero", "config.json"), []byte(config), 0o600))
		}
		return h
	}
	run := func(env []string, args ...string) result {
		t.Helper()
		out := filepath.Join(t.TempDir(), "bundle.tar.gz")
		r := execTool(t, "", append([]string{"KUBECONFIG=" + testCluster.Kubeconfig}, env...), append(args, "--server-timeout", "0", "--output", out)...)
		r.output = out
		return r
	}
	configured := home(`{"namespace":"default","features":""}`)
	r := run([]string{"HOME=" + configured, "VELERO_NAMESPACE=" + velero.Namespace})
	require.Equal(t, 1, r.code, r.stderr)
	require.Contains(t, r.stderr, `no Velero found in namespace "default"`)
	require.Contains(t, r.stderr, `(namespace "default": set by the Velero CLI's client config (`+filepath.Join(configured, ".config", "velero", "config.json")+`))`)

	r = run([]string{"HOME=" + home(""), "VELERO_NAMESPACE=default"})
	require.Equal(t, 1, r.code, r.stderr)
	require.Contains(t, r.stderr, `(namespace "default": set by $VELERO_NAMESPACE)`)

	r = run([]string{"HOME=" + configured}, "-n", velero.Namespace)
	require.Equal(t, 0, r.code, r.stderr)

	// As the Velero CLI, a client config that cannot be read is passed
	// over (with a warning here), and only the key "namespace" counts.
	broken := home(`{"namespace":`)
	r = run([]string{"HOME=" + broken, "VELERO_NAMESPACE=" + velero.Namespace})
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stderr, "velero-debug: WARNING: the Velero CLI's client config "+filepath.Join(broken, ".config", "velero", "config.json")+" cannot be read")
	r = run([]string{"HOME=" + broken}, "-n", velero.Namespace)
	require.Equal(t, 0, r.code, r.stderr)
	require.NotContains(t, r.stderr, "WARNING", "-n makes the client config moot")
	r = run([]string{"HOME=" + home(`{"Namespace":"default"}`), "VELERO_NAMESPACE=" + velero.Namespace})
	require.Equal(t, 0, r.code, "the key is namespace, exactly: %s", r.stderr)
}

// TestVeleroCLIDebug builds examples/velero-cli, Velero's own CLI v1.18.3
// with velero-debug mounted as its debug command, and collects with it:
// `velero debug` takes the cluster from the Velero CLI's own flags, before
// or after `debug`, and writes a complete bundle.
func TestVeleroCLIDebug(t *testing.T) {
	t.Parallel()
	velerocli := filepath.Join(t.TempDir(), "velero")
	build := exec.CommandContext(t.Context(), "go", "build", "-o", velerocli, ".")
	build.Dir = filepath.Join(cluster.RepoRoot(), "examples", "velero-cli")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "building examples/velero-cli: %s", out)
	run := func(args ...string) (string, int) {
		c := exec.CommandContext(t.Context(), velerocli, args...)
		c.Env = append(os.Environ(), "KUBECONFIG=", "HOME="+t.TempDir(), "VELERO_NAMESPACE=")
		b, err := c.CombinedOutput()
		return string(b), exitCode(t, err)
	}
	help, code := run("debug", "--help")
	require.Equal(t, 0, code, help)
	require.Contains(t, help, "Usage:\n  velero debug [flags]")
	require.Contains(t, help, "--kubecontext string", "Velero's global flags")

	bundleAt := filepath.Join(t.TempDir(), "bundle.tar.gz")
	got, code := run("--kubeconfig", testCluster.Kubeconfig, "debug", "-n", velero.Namespace, "--server-timeout", "0", "--output", bundleAt)
	require.Equal(t, 0, code, got)
	require.True(t, readBundle(t, bundleAt).manifest.Complete)

	got, code = run("debug", "--kubeconfig", testCluster.Kubeconfig, "--kubecontext", "nosuch", "--output", filepath.Join(t.TempDir(), "b.tar.gz"))
	require.Equal(t, 1, code, got)
	require.Contains(t, got, `context "nosuch" does not exist`)
}
