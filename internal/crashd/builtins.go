package crashd

import (
	"errors"
	"fmt"
	"runtime"

	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"

	"github.com/velero-debug/velero-debug/internal/starlarkargs"
)

// crashdConfig is crashd_config(workdir, gid, uid, default_shell,
// requires, use_ssh_agent): it sets the workdir, which is the bundle, and
// creates nothing on the host. The other parameters are for remote hosts
// and are accepted and ignored.
func (e *evaluator) crashdConfig(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var workdir, gid, uid, shell string
	var requires *starlark.List
	var sshAgent bool
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "workdir?", &workdir, "gid?", &gid, "uid?", &uid,
		"default_shell?", &shell, "requires?", &requires, "use_ssh_agent?", &sshAgent); err != nil {
		return nil, err
	}
	if workdir == "" {
		workdir = defaultWorkdir
	}
	workdir = e.expandHome(workdir)
	dir, err := workdirDir(workdir)
	if err != nil {
		return nil, err
	}
	e.result.Workdir, e.result.Dir = workdir, dir
	if requires == nil {
		requires = starlark.NewList(nil)
	}
	return starlarkstruct.FromStringDict(starlark.String(b.Name()), starlark.StringDict{
		"workdir": starlark.String(workdir), "gid": starlark.String(gid), "uid": starlark.String(uid),
		"default_shell": starlark.String(shell), "requires": requires,
	}), nil
}

// kubeConfig is kube_config(path, cluster_context, capi_provider): the
// cluster of the run. An empty path means the command line's kubeconfig.
// A run talks to one cluster: two different paths or contexts are an
// error.
func (e *evaluator) kubeConfig(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var path, context string
	var provider starlark.Value = starlark.None
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "path?", &path, "cluster_context?", &context, "capi_provider?", &provider); err != nil {
		return nil, err
	}
	if provider != starlark.None {
		return nil, errors.New("capi_provider is not supported: give the kubeconfig of the cluster with path, or --kubeconfig")
	}
	path = e.expandHome(path)
	if err := setOnce(&e.result.Kubeconfig, path, "path"); err != nil {
		return nil, err
	}
	if err := setOnce(&e.result.Context, context, "cluster_context"); err != nil {
		return nil, err
	}
	return kubeConfigStruct(path, context), nil
}

func kubeConfigStruct(path, context string) *starlarkstruct.Struct {
	return starlarkstruct.FromStringDict(starlark.String("kube_config"), starlark.StringDict{
		"path": starlark.String(path), "cluster_context": starlark.String(context),
	})
}

// setOnce sets *dst to v unless v is empty; a different earlier value is
// an error.
func setOnce(dst *string, v, param string) error {
	switch {
	case v == "" || v == *dst:
		return nil
	case *dst != "":
		return fmt.Errorf("%s %q: this run already uses %q; velero-debug run collects from one cluster", param, v, *dst)
	}
	*dst = v
	return nil
}

// setDefaults is set_defaults(kube_config, ...): kube_config already set
// the run's cluster, so it checks its arguments and returns None.
func (e *evaluator) setDefaults(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, _ []starlark.Tuple) (starlark.Value, error) {
	if len(args) == 0 {
		return nil, errors.New("atleast one of kube_config, ssh_config or resources is required")
	}
	for _, a := range args {
		s, ok := a.(*starlarkstruct.Struct)
		if !ok || s.Constructor() != starlark.String("kube_config") {
			return nil, fmt.Errorf("got %s, want the result of kube_config (ssh_config and resources are not supported)", a.Type())
		}
	}
	return starlark.None, nil
}

// archive is archive(output_file, source_paths): the bundle is the
// archive. output_file names it, unless --output does; each source path
// must lie inside the workdir, which the bundle holds whole.
func (e *evaluator) archive(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	output := "archive.tar.gz"
	var sources starlarkargs.Strings
	var includeLogs, includeScript starlark.Value
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "output_file?", &output, "source_paths", &sources,
		"includeLogs?", &includeLogs, "includeScript?", &includeScript); err != nil {
		return nil, err
	}
	if output == "" {
		return nil, errors.New("output_file must not be empty")
	}
	if len(sources) == 0 {
		return nil, errors.New("source_paths must name at least one path")
	}
	for _, s := range sources {
		if _, err := e.inWorkdir(s); err != nil {
			return nil, fmt.Errorf("source_paths: %w", err)
		}
	}
	output = e.expandHome(output)
	if e.result.Output != "" && e.result.Output != output {
		return nil, fmt.Errorf("output_file %q: this run already writes %q; velero-debug run writes one bundle", output, e.result.Output)
	}
	e.result.Output = output
	return starlark.String(output), nil
}

// log is log(msg, prefix): the message goes to the log writer.
func (e *evaluator) log(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var msg, prefix string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "msg", &msg, "prefix?", &prefix); err != nil {
		return nil, err
	}
	if e.opts.Log != nil {
		if prefix != "" {
			msg = prefix + ": " + msg
		}
		fmt.Fprintln(e.opts.Log, msg)
	}
	return starlark.None, nil
}

// osStruct is os: name, username, home and getenv(key).
func (e *evaluator) osStruct() *starlarkstruct.Struct {
	getenv := starlark.NewBuiltin("getenv", func(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		var key string
		if err := starlark.UnpackArgs(b.Name(), args, kwargs, "key", &key); err != nil {
			return nil, err
		}
		return starlark.String(e.opts.Env.Getenv(key)), nil
	})
	return starlarkstruct.FromStringDict(starlark.String("os"), starlark.StringDict{
		"name": starlark.String(runtime.GOOS), "username": starlark.String(e.opts.Env.Username),
		"home": starlark.String(e.opts.Env.Home), "getenv": getenv,
	})
}
