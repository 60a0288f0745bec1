package debug

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/stretchr/testify/require"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/rest"

	"github.com/velero-debug/velero-debug/internal/bundle"
)

func TestValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		set  func(*Options)
		want string
	}{
		{"defaults", func(*Options) {}, ""},
		{"namespace", func(o *Options) { o.Namespace = "Velero" }, `--namespace "Velero" is not a valid namespace name`},
		{"backup", func(o *Options) { o.Backups = []string{"ok", "not ok"} }, `--backup "not ok" is not a valid name`},
		{"restore", func(o *Options) { o.Restores = []string{""} }, `--restore "" is not a valid name`},
		{"max log requests", func(o *Options) { o.MaxLogRequests = 0 }, "--max-log-requests must be at least 1"},
		{"since", func(o *Options) { o.Since = -time.Second }, "--since must not be negative"},
		{"tail", func(o *Options) { o.Tail = -2 }, "--tail must be -1"},
		{"limit bytes", func(o *Options) { o.LimitBytes = -1 }, "--limit-bytes must not be negative"},
		{"timeout", func(o *Options) { o.Timeout = 0 }, "--timeout must be greater than 0"},
		{"request timeout", func(o *Options) { o.RequestTimeout = 0 }, "--request-timeout must be greater than 0"},
		{"only scripts without one", func(o *Options) { o.OnlyScripts = true }, "--only-scripts needs at least one --script"},
		{"args key", func(o *Options) { o.Args = map[string]string{"bad-key": "x"} }, `--args key "bad-key" is not a valid name`},
		{"args", func(o *Options) { o.Args = map[string]string{"app_name": "shop"} }, ""},
		// Validate reads no file: a missing output folder or script is
		// Complete's and Run's to find.
		{"fields only", func(o *Options) { o.Output, o.Scripts = "/nonexistent/b.tar.gz", []string{"/nonexistent.star"} }, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := NewOptions(genericiooptions.NewTestIOStreamsDiscard())
			tc.set(o)
			err := o.Validate()
			if tc.want == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tc.want)
		})
	}
}

// testKubeconfig writes a kubeconfig whose server nothing answers:
// Complete builds clients and makes no request.
func testKubeconfig(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kubeconfig")
	kc := `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: dev, context: {cluster: c, user: u}}, {name: prod, context: {cluster: c, user: u}}]
current-context: dev
`
	require.NoError(t, os.WriteFile(path, []byte(kc), 0o600))
	return path
}

func TestComplete(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	script := filepath.Join(dir, "steps.star")
	require.NoError(t, os.WriteFile(script, nil, 0o600))
	kubeconfig := testKubeconfig(t)
	for _, tc := range []struct {
		name string
		set  func(*Options)
		want string
	}{
		{"defaults", func(*Options) {}, ""},
		{"missing script", func(o *Options) { o.Scripts = []string{filepath.Join(dir, "nope.star")} }, `--script "`},
		{"script is a folder", func(o *Options) { o.Scripts = []string{dir} }, "is a folder"},
		{"script", func(o *Options) { o.Scripts = []string{script} }, ""},
		{"missing cacert", func(o *Options) { o.CACert = filepath.Join(dir, "nope.pem") }, `--cacert "`},
		{"missing redaction rules", func(o *Options) { o.RedactRules = filepath.Join(dir, "nope.yaml") }, "--redact-rules"},
		{"context alias", func(o *Options) { o.contextAlias = "prod" }, ""},
		{"context and kubecontext", func(o *Options) { o.contextAlias, *o.ConfigFlags.Context = "prod", "dev" }, `--context "prod" and --kubecontext "dev" name different contexts`},
		{"unknown context", func(o *Options) { *o.ConfigFlags.Context = "staging" }, "cannot load the kubeconfig"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := NewOptions(genericiooptions.NewTestIOStreamsDiscard())
			*o.ConfigFlags.KubeConfig = kubeconfig
			tc.set(o)
			err := o.Complete()
			if tc.want == "" {
				require.NoError(t, err)
				require.NotNil(t, o.target, "the clients are built")
				require.Equal(t, "https://127.0.0.1:1", o.target.cluster.Server)
				return
			}
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func TestCheckOutput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	existing := filepath.Join(dir, "old.tar.gz")
	require.NoError(t, os.WriteFile(existing, nil, 0o600))
	for _, tc := range []struct {
		name   string
		output string
		force  bool
		want   string
	}{
		{"new file", filepath.Join(dir, "b.tar.gz"), false, ""},
		{"missing folder", filepath.Join(dir, "nope", "b.tar.gz"), false, "does not exist"},
		{"output is a folder", dir, false, "is a folder"},
		{"output exists", existing, false, "add --force"},
		{"output exists, forced", existing, true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := checkOutput(tc.output, tc.force)
			if tc.want == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tc.want)
		})
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1, "the writability probe leaves nothing behind")
}

// TestRunSharesTheRootsFlags: every flag of the root command but those of
// the default plan is run's too, with the same meaning and default.
func TestRunSharesTheRootsFlags(t *testing.T) {
	t.Parallel()
	streams := genericiooptions.NewTestIOStreamsDiscard()
	root, run := NewCommand(nil, streams), newRunCommand(nil, streams)
	planOnly := map[string]bool{"namespace": true, "backup": true, "restore": true, "server-timeout": true, "recent-failed": true,
		"cacert": true, "insecure-skip-tls-verify": true, "script": true, "only-scripts": true,
		"version": true} // the root's own
	sameUsage := map[string]bool{"output": false} // run's names the script's archive()
	shared := 0
	root.Flags().VisitAll(func(f *pflag.Flag) {
		if planOnly[f.Name] {
			require.Nil(t, run.Flags().Lookup(f.Name), "--%s is the default plan's", f.Name)
			return
		}
		shared++
		g := run.Flags().Lookup(f.Name)
		require.NotNil(t, g, "run lacks --%s", f.Name)
		require.Equal(t, f.DefValue, g.DefValue, "--%s", f.Name)
		require.Equal(t, f.Shorthand, g.Shorthand, "--%s", f.Name)
		if same, listed := sameUsage[f.Name]; !listed || same {
			require.Equal(t, f.Usage, g.Usage, "--%s", f.Name)
		}
	})
	require.Greater(t, shared, 15)
}

func TestCompleteNamesOutputByTime(t *testing.T) {
	t.Parallel()
	o := NewOptions(genericiooptions.NewTestIOStreamsDiscard())
	*o.ConfigFlags.KubeConfig = testKubeconfig(t)
	o.Now = func() time.Time { return time.Date(2026, 11, 27, 9, 5, 3, 0, time.UTC) }
	require.NoError(t, o.Complete())
	require.Equal(t, "bundle-2026-11-27-09-05-03.tar.gz", o.Output)
}

func TestExitCode(t *testing.T) {
	t.Parallel()
	require.Equal(t, 0, ExitCode(nil))
	require.Equal(t, 3, ExitCode(exitCodeError(bundle.ExitPartial)))
	require.Equal(t, 130, ExitCode(exitCodeError(bundle.ExitInterrupted)))
	require.Equal(t, 130, ExitCode(context.Canceled))
	require.Equal(t, 1, ExitCode(errors.New("cannot reach the cluster")))
	require.NoError(t, exitCodeError(bundle.ExitComplete))

	// A failure after a signal is an interruption, whatever it says.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := stopped(ctx, errors.New("cannot reach the Kubernetes API server"))
	require.Equal(t, 130, ExitCode(err))
	require.Equal(t, "interrupted before anything was collected", errorMessage(err))
	require.Equal(t, 3, ExitCode(stopped(ctx, exitCodeError(bundle.ExitPartial))))
	require.Equal(t, 1, ExitCode(stopped(context.Background(), errors.New("no Velero"))))
	require.Empty(t, errorMessage(exitCodeError(bundle.ExitPartial)))
}

func TestNamespaceDefault(t *testing.T) {
	t.Setenv("VELERO_NAMESPACE", "backups")
	require.Equal(t, "backups", NewOptions(genericiooptions.NewTestIOStreamsDiscard()).Namespace)
	t.Setenv("VELERO_NAMESPACE", "")
	require.Equal(t, "velero", NewOptions(genericiooptions.NewTestIOStreamsDiscard()).Namespace)
}

// hostGetter is the client factory of a CLI that mounts the command: it
// fails to build a client, so the test sees the command use it.
type hostGetter struct{ *genericclioptions.ConfigFlags }

func (hostGetter) ToRESTConfig() (*rest.Config, error) {
	return nil, errors.New("the host CLI's client factory was asked")
}

// TestMountedCommandUsesTheHostsGetter: mounted with another CLI's client
// factory, the command binds no flag that chooses the cluster (the host
// binds its own) and reaches the cluster through that factory.
func TestMountedCommandUsesTheHostsGetter(t *testing.T) {
	t.Parallel()
	streams := genericiooptions.NewTestIOStreamsDiscard()
	getter := hostGetter{genericclioptions.NewConfigFlags(false)}
	for _, cmd := range []*cobra.Command{NewCommand(getter, streams), newRunCommand(getter, streams)} {
		for _, name := range []string{"kubeconfig", "kubecontext", "context"} {
			require.Nil(t, cmd.Flags().Lookup(name), "%s --%s", cmd.Name(), name)
		}
	}
	own := NewCommand(nil, streams)
	require.NotNil(t, own.Flags().Lookup("kubeconfig"))

	cmd := NewCommand(getter, streams)
	cmd.SetArgs([]string{"--dry-run"})
	err := cmd.ExecuteContext(context.Background())
	require.ErrorContains(t, err, "the host CLI's client factory was asked")
}

// TestFlagsTakeDaysAndSizes: durations take days, sizes take units.
func TestFlagsTakeDaysAndSizes(t *testing.T) {
	t.Parallel()
	cmd := NewCommand(nil, genericiooptions.NewTestIOStreamsDiscard())
	require.NoError(t, cmd.ParseFlags([]string{"--since", "7d", "--timeout", "1d12h", "--limit-bytes", "10MiB", "--request-timeout", "45s"}))
	get := func(name string) string { return cmd.Flags().Lookup(name).Value.String() }
	require.Equal(t, "168h0m0s", get("since"))
	require.Equal(t, "36h0m0s", get("timeout"))
	require.Equal(t, "10485760", get("limit-bytes"))
	require.Equal(t, "45s", get("request-timeout"))
}
