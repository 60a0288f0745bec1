package debug

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	corev1api "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"sigs.k8s.io/yaml"

	"github.com/velero-debug/velero-debug/internal/access"
	"github.com/velero-debug/velero-debug/internal/collect"
	"github.com/velero-debug/velero-debug/internal/discover"
)

const rbacHelp = `Print, as YAML for kubectl apply, the least RBAC a collection needs: a
ServiceAccount in Velero's namespace, a ClusterRole with the cluster-scoped
resources, the lists across every namespace and /version, a Role in each
namespace the plan reads (Velero's: its objects, pods and logs, and the
create, get and delete of the DownloadRequests and ServerStatusRequests
that ask the Velero server), and the bindings of both to the account.

The rules come from the plan itself, each step's own needs, as --dry-run
checks them: the default plan's, with --script, --args, --backup and
--restore as a collection would take them. Secrets are never among them.
Run velero-debug in a pod with that account and it collects a complete
bundle.`

// newRBACCommand returns the rbac command.
func newRBACCommand(getter genericclioptions.RESTClientGetter, streams genericiooptions.IOStreams) *cobra.Command {
	o := newOptions(getter, streams)
	account := "velero-debug"
	cmd := &cobra.Command{
		Use:   "rbac",
		Short: "Print the least RBAC (ServiceAccount, roles and bindings) a collection needs",
		Long:  rbacHelp,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.settleNamespace(cmd.Flags())
			if err := validNamespace(o.Namespace); err != nil {
				return err
			}
			if errs := validation.IsDNS1123Subdomain(account); len(errs) > 0 {
				return fmt.Errorf("--service-account %q is not a valid name: %s", account, errs[0])
			}
			return o.printRBAC(cmd.Context(), account)
		},
	}
	fs := cmd.Flags()
	o.bindKubeFlags(fs)
	fs.StringVarP(&o.Namespace, "namespace", "n", o.Namespace, "Velero's namespace, where the service account is")
	fs.StringArrayVar(&o.Backups, "backup", nil, "a backup the collection names (repeatable)")
	fs.StringArrayVar(&o.Restores, "restore", nil, "a restore the collection names (repeatable)")
	fs.StringArrayVar(&o.Scripts, "script", nil, "Starlark file whose steps the collection adds (repeatable)")
	fs.BoolVar(&o.OnlyScripts, "only-scripts", false, "the needs of the --script files only, not the default plan's")
	fs.StringToStringVar(&o.Args, "args", nil, "key=value pairs for scripts, as a collection would take them")
	fs.StringVar(&account, "service-account", account, "the service account, in Velero's namespace, that the roles are bound to")
	o.registerCompletions(cmd)
	return cmd
}

// printRBAC makes the plan, gathers its steps' needs and prints the
// ServiceAccount, the roles that grant them and their bindings.
func (o *Options) printRBAC(ctx context.Context, account string) error {
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	t, err := o.clients()
	if err != nil {
		return err
	}
	o.target = t
	if _, err := o.reach(ctx); err != nil {
		return err
	}
	p, err := o.makePlan(ctx, t)
	if err != nil {
		return err
	}
	res := discover.New(t.clients.Discovery)
	var needs []access.Need
	for _, s := range p.Steps {
		n, err := collect.Needs(ctx, s, res)
		if err != nil {
			return fmt.Errorf("the needs of step %s: %w", s, err)
		}
		needs = append(needs, n...)
	}
	roles := access.RolesFor(account, account+"-"+o.Namespace, needs)
	subject := rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Name: account, Namespace: o.Namespace}
	docs := []any{&corev1api.ServiceAccount{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"},
		ObjectMeta: metav1.ObjectMeta{Name: account, Namespace: o.Namespace},
	}}
	if c := roles.Cluster; c != nil {
		docs = append(docs, c, &rbacv1.ClusterRoleBinding{
			TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRoleBinding"},
			ObjectMeta: metav1.ObjectMeta{Name: c.Name},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: c.Name},
			Subjects:   []rbacv1.Subject{subject},
		})
	}
	for _, r := range roles.Namespaced {
		docs = append(docs, r, &rbacv1.RoleBinding{
			TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "RoleBinding"},
			ObjectMeta: metav1.ObjectMeta{Name: r.Name, Namespace: r.Namespace},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: r.Name},
			Subjects:   []rbacv1.Subject{subject},
		})
	}
	fmt.Fprintf(o.Out, "# The least RBAC velero-debug %s needs in namespace %s of %s: velero-debug rbac\n", build().Version, o.Namespace, t.cluster.Server)
	for _, d := range docs {
		data, err := yaml.Marshal(d)
		if err != nil {
			return err
		}
		fmt.Fprintf(o.Out, "---\n%s", data)
	}
	return nil
}
