package debug

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/require"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/rest"

	"github.com/velero-debug/velero-debug/internal/bundle"
)

func TestValidate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	existing := filepath.Join(dir, "old.tar.gz")
	require.NoError(t, os.WriteFile(existing, nil, 0o600))
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
		{"missing folder", func(o *Options) { o.Output = filepath.Join(dir, "nope", "b.tar.gz") }, "does not exist"},
		{"output is a folder", func(o *Options) { o.Output = dir }, "is a folder"},
		{"output exists", func(o *Options) { o.Output = existing }, "add --force"},
		{"output exists, forced", func(o *Options) { o.Output, o.Force = existing, true }, ""},
		{"output exists, dry run", func(o *Options) { o.Output, o.DryRun = existing, true }, ""},
		{"only scripts without one", func(o *Options) { o.OnlyScripts = true }, "--only-scripts needs at least one --script"},
		{"missing script", func(o *Options) { o.Scripts = []string{filepath.Join(dir, "nope.star")} }, `--script "`},
		{"script is a folder", func(o *Options) { o.Scripts = []string{dir} }, "is a folder"},
		{"script", func(o *Options) { o.Scripts = []string{existing} }, ""},
		{"args key", func(o *Options) { o.Args = map[string]string{"bad-key": "x"} }, `--args key "bad-key" is not a valid name`},
		{"args", func(o *Options) { o.Args = map[string]string{"app_name": "shop"} }, ""},
		{"context alias", func(o *Options) { o.contextAlias = "prod" }, ""},
		{"context and kubecontext", func(o *Options) { o.contextAlias, *o.ConfigFlags.Context = "prod", "dev" }, `--context "prod" and --kubecontext "dev" name different contexts`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := NewOptions(genericiooptions.NewTestIOStreamsDiscard())
			o.Output = filepath.Join(dir, "b.tar.gz")
			tc.set(o)
			err := o.Validate()
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

func TestCompleteNamesOutputByTime(t *testing.T) {
	t.Parallel()
	o := NewOptions(genericiooptions.NewTestIOStreamsDiscard())
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
