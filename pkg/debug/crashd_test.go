package debug

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/spf13/pflag"
	"github.com/stretchr/testify/require"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/velero-debug/velero-debug/internal/crashd"
)

func TestCrashdApply(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	newOpts := func(args ...string) *crashdOptions {
		fs := pflag.NewFlagSet("run", pflag.ContinueOnError)
		o := &crashdOptions{Options: NewOptions(genericiooptions.NewTestIOStreamsDiscard())}
		o.bindFlags(fs)
		require.NoError(t, fs.Parse(args))
		return o
	}
	res := &crashd.Result{Output: filepath.Join(dir, "script.tar.gz"), Kubeconfig: testKubeconfig(t), Context: "prod"}

	o := newOpts()
	require.NoError(t, o.apply(res))
	require.Equal(t, res.Output, o.Output, "archive names the bundle")
	require.Equal(t, res.Kubeconfig, *o.ConfigFlags.KubeConfig, "kube_config chooses the cluster")
	require.Equal(t, "prod", *o.ConfigFlags.Context)
	require.Equal(t, "prod", o.target.cluster.Context, "the clients are of the script's cluster")

	o = newOpts("--output", filepath.Join(dir, "flag.tar.gz"), "--kubeconfig", res.Kubeconfig, "--kubecontext", "prod")
	require.NoError(t, o.apply(res))
	require.Equal(t, filepath.Join(dir, "flag.tar.gz"), o.Output, "--output wins")

	o = newOpts("--kubeconfig", filepath.Join(dir, "other"))
	require.ErrorContains(t, o.apply(res), "is not --kubeconfig")
	o = newOpts("--kubecontext", "dev")
	require.ErrorContains(t, o.apply(res), "is not --kubecontext")
	o = newOpts("--output", filepath.Join(dir, "missing", "b.tar.gz"))
	require.ErrorContains(t, o.apply(res), "--output")
	require.NoError(t, os.WriteFile(res.Output, nil, 0o600))
	o = newOpts()
	require.ErrorContains(t, o.apply(res), "the script's archive(output_file=...) ", "the error names who chose the path")
	o = newOpts()
	require.ErrorContains(t, o.apply(&crashd.Result{Kubeconfig: filepath.Join(dir, "nope")}), "the script's kube_config(path=")
}
