package crashd

import (
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"strings"

	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/velero-debug/velero-debug/internal/plan"
	"github.com/velero-debug/velero-debug/internal/starlarkargs"
)

// captureArgs are the parameters of kube_capture.
type captureArgs struct {
	what, format, mode                    string
	groups, categories, kinds, namespaces starlarkargs.Strings
	versions, names, labels, containers   starlarkargs.Strings
	kubeConfig, tunnelConfig              starlark.Value
}

// kubeCapture is kube_capture(what, output_format, output_mode, groups,
// categories, kinds, namespaces, versions, names, labels, containers,
// kube_config, tunnel_config): it records a Search step, which discovery
// resolves when the plan is executed, into <workdir>/kubecapture. It
// returns struct(file=<workdir>/kubecapture, error=""): failures are
// items of the bundle, known only later.
func (e *evaluator) kubeCapture(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	a := captureArgs{format: "json", mode: "single_file", kubeConfig: starlark.None, tunnelConfig: starlark.None}
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "what", &a.what, "output_format?", &a.format, "output_mode?", &a.mode,
		"groups?", &a.groups, "categories?", &a.categories, "kinds?", &a.kinds, "namespaces?", &a.namespaces,
		"versions?", &a.versions, "names?", &a.names, "labels?", &a.labels, "containers?", &a.containers,
		"kube_config?", &a.kubeConfig, "tunnel_config?", &a.tunnelConfig); err != nil {
		return nil, err
	}
	s, err := e.search(a)
	if err != nil {
		return nil, err
	}
	if err := e.record(thread, plan.Step{Search: s}); err != nil {
		return nil, err
	}
	return starlarkstruct.FromStringDict(starlark.String(b.Name()), starlark.StringDict{
		"file":  starlark.String(filepath.Join(e.result.Workdir, "kubecapture")),
		"error": starlark.String(""),
	}), nil
}

// search checks the arguments of kube_capture and makes its step.
func (e *evaluator) search(a captureArgs) (*plan.Search, error) {
	if err := e.captureOptions(a); err != nil {
		return nil, err
	}
	s := &plan.Search{
		Groups: a.groups, Kinds: a.kinds, Versions: a.versions, Categories: a.categories,
		Namespaces: a.namespaces, Names: a.names, Containers: a.containers,
		Dir: path.Join(e.result.Dir, "kubecapture"),
	}
	switch a.what {
	case "logs":
		s.Groups, s.Kinds, s.Versions, s.Categories, s.Logs = []string{"core"}, []string{"pods"}, []string{"v1"}, nil, true
	case "all":
		s.Logs = true
	case "objects", "*":
	default:
		return nil, fmt.Errorf("don't know how to get: %s (what is \"objects\", \"logs\" or \"all\")", a.what)
	}
	if len(s.Groups) == 0 && len(s.Kinds) == 0 && len(s.Categories) == 0 {
		return nil, fmt.Errorf("what=%q needs at least one of groups, kinds or categories", a.what)
	}
	if err := checkFilters(s); err != nil {
		return nil, err
	}
	sel, err := labelSelector(a.labels)
	if err != nil {
		return nil, err
	}
	s.LabelSelector = sel
	return s, nil
}

// captureOptions checks the output options and the cluster of a
// kube_capture.
func (e *evaluator) captureOptions(a captureArgs) error {
	switch a.format {
	case "json", "":
	case "yaml":
		return errors.New("output_format \"yaml\" is not supported: velero-debug writes JSON lists; leave output_format out or set it to \"json\"")
	default:
		return fmt.Errorf("output_format %q is not supported: use \"json\"", a.format)
	}
	switch a.mode {
	case "single_file", "":
	default:
		return fmt.Errorf("output_mode %q is not supported: velero-debug writes one list per resource and namespace (\"single_file\")", a.mode)
	}
	if a.tunnelConfig != starlark.None {
		return errors.New("tunnel_config is not supported: give a kubeconfig that reaches the cluster")
	}
	if a.kubeConfig == starlark.None {
		return nil
	}
	kc, ok := a.kubeConfig.(*starlarkstruct.Struct)
	if !ok || kc.Constructor() != starlark.String("kube_config") {
		return fmt.Errorf("kube_config: got %s, want the result of kube_config()", a.kubeConfig.Type())
	}
	for _, f := range []struct {
		attr string
		dst  *string
	}{{"path", &e.result.Kubeconfig}, {"cluster_context", &e.result.Context}} {
		v, _ := kc.Attr(f.attr)
		s, _ := starlark.AsString(v)
		if err := setOnce(f.dst, s, "kube_config "+f.attr); err != nil {
			return err
		}
	}
	return nil
}

// checkFilters checks the names in a Search's filters.
func checkFilters(s *plan.Search) error {
	for _, f := range []struct {
		param string
		vals  []string
		check func(string) []string
	}{
		{"namespaces", s.Namespaces, validation.IsDNS1123Label},
		{"names", s.Names, validation.IsDNS1123Subdomain},
		{"containers", s.Containers, validation.IsDNS1123Label},
		{"groups", s.Groups, nonEmpty},
		{"kinds", s.Kinds, nonEmpty},
		{"versions", s.Versions, nonEmpty},
		{"categories", s.Categories, nonEmpty},
	} {
		for _, v := range f.vals {
			if errs := f.check(v); len(errs) > 0 {
				return fmt.Errorf("%s: %q: %s", f.param, v, strings.Join(errs, "; "))
			}
		}
	}
	return nil
}

func nonEmpty(s string) []string {
	if strings.TrimSpace(s) == "" {
		return []string{"must not be empty"}
	}
	return nil
}

// labelSelector joins the label selectors of labels: an object must match
// them all.
func labelSelector(sels []string) (string, error) {
	for _, s := range sels {
		if _, err := labels.Parse(s); err != nil {
			return "", fmt.Errorf("labels: %q is not a label selector: %w", s, err)
		}
	}
	return strings.Join(sels, ","), nil
}
