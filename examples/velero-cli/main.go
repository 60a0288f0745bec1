// Command velero is Velero's CLI (v1.18.3) whose debug command is
// velero-debug: `velero debug` collects a velero-debug bundle, with the
// cluster chosen by the Velero CLI's own --kubeconfig and --kubecontext,
// and the namespace by -n or the Velero CLI's client config, as for every
// other velero command.
package main

import (
	"os"

	"github.com/spf13/cobra"
	"github.com/vmware-tanzu/velero/pkg/cmd/velero"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/velero-debug/velero-debug/pkg/debug"
)

func main() {
	root := velero.NewCommand("velero")
	for _, c := range root.Commands() {
		if c.Name() == "debug" {
			root.RemoveCommand(c) // Velero's own, which runs crashd
		}
	}
	cmd := debug.NewCommand(veleroFlags{root}, genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr})
	cmd.Use = "debug"
	root.AddCommand(cmd)
	// velero-debug's exit codes, errors and Ctrl-C handling; Velero's own
	// commands print their errors themselves and exit 1.
	os.Exit(debug.Execute(root))
}

// veleroFlags resolves the cluster from the flags Velero's client factory
// binds on the root command (--kubeconfig, --kubecontext), read when the
// debug command runs, so that `velero --kubecontext x debug` and
// `velero debug --kubecontext x` both choose x.
type veleroFlags struct{ root *cobra.Command }

func (v veleroFlags) flags() *genericclioptions.ConfigFlags {
	cf := genericclioptions.NewConfigFlags(false)
	kubeconfig := v.root.PersistentFlags().Lookup("kubeconfig").Value.String()
	context := v.root.PersistentFlags().Lookup("kubecontext").Value.String()
	cf.KubeConfig, cf.Context = &kubeconfig, &context
	return cf
}

func (v veleroFlags) ToRESTConfig() (*rest.Config, error) { return v.flags().ToRESTConfig() }

func (v veleroFlags) ToDiscoveryClient() (discovery.CachedDiscoveryInterface, error) {
	return v.flags().ToDiscoveryClient()
}

func (v veleroFlags) ToRESTMapper() (meta.RESTMapper, error) { return v.flags().ToRESTMapper() }

func (v veleroFlags) ToRawKubeConfigLoader() clientcmd.ClientConfig {
	return v.flags().ToRawKubeConfigLoader()
}
