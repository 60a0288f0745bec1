package debug

import (
	"context"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/velero-debug/velero-debug/internal/locate"
)

// completionTimeout bounds what completing one value asks the cluster: a
// shell waits for it.
const completionTimeout = 5 * time.Second

// registerCompletions makes the shell complete values from the cluster
// (--namespace, Velero's namespaces first; --backup and --restore, those
// of the namespace on the line) and from the kubeconfig (--kubecontext,
// --context). Flags the command does not have are left alone.
func (o *Options) registerCompletions(cmd *cobra.Command) {
	register := func(flag string, fn cobra.CompletionFunc) {
		if cmd.Flags().Lookup(flag) != nil {
			_ = cmd.RegisterFlagCompletionFunc(flag, fn)
		}
	}
	register("namespace", o.completeNamespaces)
	register("backup", o.completeNamed("backups"))
	register("restore", o.completeNamed("restores"))
	register("kubecontext", o.completeContexts)
	register("context", o.completeContexts)
}

// completing runs list with the cluster's clients and a short deadline,
// and returns the values that start with prefix, each once, in order.
func (o *Options) completing(cmd *cobra.Command, prefix string, list func(context.Context, *target) ([]string, error)) ([]cobra.Completion, cobra.ShellCompDirective) {
	t, err := o.clients()
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), completionTimeout)
	defer cancel()
	values, _ := list(ctx, t) // what arrived is still offered
	var out []cobra.Completion
	for _, v := range values {
		if strings.HasPrefix(v, prefix) && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

func (o *Options) completeNamespaces(cmd *cobra.Command, _ []string, prefix string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return o.completing(cmd, prefix, func(ctx context.Context, t *target) ([]string, error) {
		finder := locate.Finder{Discovery: t.clients.Discovery, Dynamic: t.clients.Dynamic, Timeout: completionTimeout}
		names, _ := finder.Namespaces(ctx) // Velero's first
		list, err := t.clients.Kube.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
		if err != nil {
			return names, err
		}
		for _, ns := range list.Items {
			names = append(names, ns.Name)
		}
		return names, nil
	})
}

func (o *Options) completeNamed(resource string) cobra.CompletionFunc {
	return func(cmd *cobra.Command, _ []string, prefix string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return o.completing(cmd, prefix, func(ctx context.Context, t *target) ([]string, error) {
			gvr := schema.GroupVersionResource{Group: "velero.io", Version: "v1", Resource: resource}
			list, err := t.clients.Dynamic.Resource(gvr).Namespace(o.Namespace).List(ctx, metav1.ListOptions{})
			if err != nil {
				return nil, err
			}
			names := make([]string, 0, len(list.Items))
			for _, it := range list.Items {
				names = append(names, it.GetName())
			}
			return names, nil
		})
	}
}

func (o *Options) completeContexts(_ *cobra.Command, _ []string, prefix string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if o.ConfigFlags == nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	raw, err := o.ConfigFlags.ToRawKubeConfigLoader().RawConfig()
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []cobra.Completion
	for _, name := range slices.Sorted(maps.Keys(raw.Contexts)) {
		if strings.HasPrefix(name, prefix) {
			out = append(out, name)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}
