package crashd

import (
	"context"
	"fmt"
	"path"
	"path/filepath"
	"strings"

	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"

	"github.com/velero-debug/velero-debug/internal/bundle"
	"github.com/velero-debug/velero-debug/internal/plan"
)

// defaultWorkdir is crashd's workdir when a script sets none.
const defaultWorkdir = "/tmp/crashd"

// evaluator is the state of one script: the result being recorded.
type evaluator struct {
	ctx    context.Context
	opts   Options
	result Result
	// commands maps the bundle path of each capture_local to its step.
	commands map[string]int
	// recorded counts the steps and commands recorded.
	recorded int
}

func newEvaluator(ctx context.Context, opts Options) *evaluator {
	if opts.Env.Getenv == nil {
		opts.Env = HostEnv()
	}
	e := &evaluator{ctx: ctx, opts: opts, commands: map[string]int{}}
	e.result.Plan = &plan.Plan{Steps: []plan.Step{}, Scripts: []string{}}
	e.result.Workdir = defaultWorkdir
	e.result.Dir = "crashd"
	return e
}

// builtin is the Go side of a crashd builtin.
type builtin func(e *evaluator, thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error)

// builtins are crashd's builtins that velero-debug runs.
var builtins = map[string]builtin{
	"crashd_config": (*evaluator).crashdConfig,
	"kube_config":   (*evaluator).kubeConfig,
	"set_defaults":  (*evaluator).setDefaults,
	"kube_capture":  (*evaluator).kubeCapture,
	"capture_local": (*evaluator).captureLocal,
	"run_local":     (*evaluator).runLocal,
	"archive":       (*evaluator).archive,
	"log":           (*evaluator).log,
}

// unsupported are crashd's builtins for remote hosts and cluster
// providers, which velero-debug does not run.
var unsupported = []string{
	"ssh_config", "resources", "run", "capture", "copy_from", "copy_to",
	"kube_exec", "kube_port_forward", "kube_get", "kube_nodes_provider",
	"capv_provider", "capa_provider", "host_list_provider", "prog_avail_local",
}

// predeclared is what the script sees: crashd's builtins, os and args.
func (e *evaluator) predeclared() starlark.StringDict {
	d := starlark.StringDict{}
	for name, fn := range builtins {
		d[name] = starlark.NewBuiltin(name, func(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			return fn(e, thread, b, args, kwargs)
		})
	}
	for _, name := range unsupported {
		d[name] = starlark.NewBuiltin(name, func(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
			return nil, fmt.Errorf("%s is not supported by velero-debug run: it collects from one Kubernetes cluster and the local host only (see docs/crashd.md)", name)
		})
	}
	args := make(starlark.StringDict, len(e.opts.Args))
	for k, v := range e.opts.Args {
		args[k] = starlark.String(v)
	}
	d["args"] = starlarkstruct.FromStringDict(starlark.String("args"), args)
	d["os"] = e.osStruct()
	d.Freeze()
	return d
}

// record appends a step, marked with the script line that called the
// builtin.
func (e *evaluator) record(thread *starlark.Thread, step plan.Step) error {
	if err := e.count(); err != nil {
		return err
	}
	pos := thread.CallFrame(1).Pos
	step.Script = pos.Filename()
	step.Line = int(pos.Line)
	e.result.Plan.Steps = append(e.result.Plan.Steps, step)
	return nil
}

// maxRecorded bounds the steps and commands a script may record: the plan
// is held in memory, and each command runs.
const maxRecorded = 10_000

// count counts one more step or command, and fails past maxRecorded.
func (e *evaluator) count() error {
	if e.recorded++; e.recorded > maxRecorded {
		return fmt.Errorf("the script asks for more than %d captures and commands, one call at a time", maxRecorded)
	}
	return nil
}

// expandHome replaces a leading ~ with the home folder, as crashd does.
func (e *evaluator) expandHome(p string) string {
	if p == "~" {
		return e.opts.Env.Home
	}
	if rest, ok := strings.CutPrefix(p, "~/"); ok {
		return filepath.Join(e.opts.Env.Home, rest)
	}
	return p
}

// workdirDir is the bundle folder of a workdir: its base name, or the
// bundle's own folder when that is velero-bundle (crashd's archive names
// its entries by the workdir's cleaned relative path: ./velero-bundle
// becomes velero-bundle/, which is the bundle's folder).
func workdirDir(workdir string) (string, error) {
	base := filepath.Base(filepath.Clean(workdir))
	switch {
	case base == "." || base == ".." || base == string(filepath.Separator) || strings.ContainsAny(base, "\\\x00"):
		return "", fmt.Errorf("workdir %q must name a folder", workdir)
	case base == bundle.TopDir:
		return "", nil
	case isBundleFile(base):
		return "", fmt.Errorf("workdir %q: its folder in the bundle would be %s/%s, which is the bundle's own %s: choose another workdir", workdir, bundle.TopDir, base, base)
	}
	return base, nil
}

// isBundleFile reports whether p is one of the files every bundle holds
// at its top: the manifest and the summary.
func isBundleFile(p string) bool {
	return p == bundle.ManifestFile || p == bundle.SummaryFile
}

// inWorkdir is p relative to the workdir, slash separated; an error when
// p is outside it.
func (e *evaluator) inWorkdir(p string) (string, error) {
	wd, err := filepath.Abs(e.result.Workdir)
	if err != nil {
		return "", err
	}
	abs, err := filepath.Abs(e.expandHome(p))
	if err != nil {
		return "", err
	}
	rel, err := filepath.Rel(wd, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("%q is outside the workdir %q: velero-debug writes only into the bundle, which is the workdir", p, e.result.Workdir)
	}
	return filepath.ToSlash(rel), nil
}

// bundlePath is the bundle path of file name in folder rel of the workdir.
func (e *evaluator) bundlePath(rel, name string) (string, error) {
	if name == "" || filepath.IsAbs(name) || strings.ContainsAny(name, "\\\x00") {
		return "", fmt.Errorf("file name %q must be a relative path", name)
	}
	p := path.Join(e.result.Dir, rel, filepath.ToSlash(name))
	switch {
	case p == "." || p == ".." || strings.HasPrefix(p, "../") || (e.result.Dir != "" && !strings.HasPrefix(p, e.result.Dir+"/")):
		return "", fmt.Errorf("file name %q leaves the workdir", name)
	case isBundleFile(p):
		return "", fmt.Errorf("file name %q is the bundle's own %s", name, p)
	}
	return p, nil
}
