package script

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"sync"

	"go.starlark.net/lib/json"
	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
	"go.starlark.net/syntax"

	"github.com/velero-debug/velero-debug/internal/plan"
)

// Source is one script: a name for messages and backtraces, and its text.
type Source struct {
	Name string
	Data []byte
}

//go:embed default.star
var defaultPlan []byte

// defaultName is the name of the default plan in messages and steps.
const defaultName = "default.star"

// Default returns the embedded default plan (default.star, via go:embed).
func Default() Source {
	return Source{Name: defaultName, Data: append([]byte(nil), defaultPlan...)}
}

// Settings are what the command line tells scripts, as velero.namespace,
// velero.backups, velero.restores, velero.recent_failed.
type Settings struct {
	// Namespace is Velero's namespace.
	Namespace string
	// Backups and Restores are named by --backup and --restore.
	Backups, Restores []string
	// RecentFailed is how many of the most recent failed backups, and as
	// many restores, to collect in detail.
	RecentFailed int
}

// Lookups answer the read-only questions a script may ask of the cluster.
// The evaluator caches each answer.
type Lookups interface {
	// RecentFailures names the most recent Failed, PartiallyFailed or FailedValidation
	// backups or restores (resource is "backups" or "restores"), newest
	// first, at most n.
	RecentFailures(ctx context.Context, resource string, n int) ([]string, error)
}

// Options tell Eval what scripts see and how far they may run.
type Options struct {
	// Settings are the command line's, as the velero.* values.
	Settings Settings
	// Args are the --args key=value pairs, as the fields of args.
	Args map[string]string
	// Lookups answer velero.recent_failures; may be nil: then a lookup is
	// an error in the script.
	Lookups Lookups
	// MaxSteps bounds the Starlark execution steps of each script; 0 means
	// a default of 10,000,000.
	MaxSteps uint64
}

// defaultMaxSteps is the bound on the execution steps of each script when
// Options.MaxSteps is 0: far more than any sensible plan needs, yet a
// runaway loop stops within a few seconds.
const defaultMaxSteps = 10_000_000

// fileOptions is the Starlark dialect of our scripts.
var fileOptions = &syntax.FileOptions{
	Set:             true,
	While:           true,
	TopLevelControl: true,
	GlobalReassign:  true,
	Recursion:       true,
}

// Eval runs scripts in order, each in its own global scope, into one plan.
// A script error is returned as an error whose message has the Starlark
// backtrace. ctx cancels a running script (thread.Cancel).
func Eval(ctx context.Context, scripts []Source, opts Options) (*plan.Plan, error) {
	e := newEvaluator(ctx, opts)
	predeclared := e.predeclared()
	for _, src := range scripts {
		if err := e.run(src, predeclared, nil); err != nil {
			return nil, err
		}
	}
	return e.plan, nil
}

// evaluator holds the state of one Eval: the plan being recorded and the
// answers of the lookups so far.
type evaluator struct {
	ctx  context.Context
	opts Options
	plan *plan.Plan
	// details are the details recorded so far, and servers the namespaces
	// whose server's version is asked, to keep each once.
	details map[plan.Detail]bool
	servers map[string]bool
	// fileBytes is the size of the files recorded so far.
	fileBytes int
	// paths are the bundle paths named by scripts so far, with where.
	paths map[string]string
	// lookups caches the answers of Lookups; failed records the failures
	// already in the plan.
	lookups map[string]lookupAnswer
	failed  map[string]bool
}

// maxRecent is the most recent failures a script may ask for: the one
// lookup of each resource asks for as many, and each call takes its part.
const maxRecent = 100

type lookupAnswer struct {
	names []string
	err   error
}

func newEvaluator(ctx context.Context, opts Options) *evaluator {
	if opts.MaxSteps == 0 {
		opts.MaxSteps = defaultMaxSteps
	}
	return &evaluator{
		ctx:     ctx,
		opts:    opts,
		plan:    &plan.Plan{Steps: []plan.Step{}, Scripts: []string{}},
		details: map[plan.Detail]bool{},
		servers: map[string]bool{},
		paths:   map[string]string{},
		lookups: map[string]lookupAnswer{},
		failed:  map[string]bool{},
	}
}

// predeclared is what every script sees besides the Starlark builtins:
// velero, args, json and struct. Everything in it is frozen, so that no
// script changes what the next one sees.
func (e *evaluator) predeclared() starlark.StringDict {
	args := make(starlark.StringDict, len(e.opts.Args))
	for k, v := range e.opts.Args {
		args[k] = starlark.String(v)
	}
	d := starlark.StringDict{
		"velero": e.module(),
		"args":   starlarkstruct.FromStringDict(starlark.String("args"), args),
		"json":   json.Module,
		"struct": starlark.NewBuiltin("struct", starlarkstruct.Make),
	}
	d.Freeze()
	return d
}

// module is the velero module: the settings as values and the builtins.
func (e *evaluator) module() *starlarkstruct.Module {
	s := e.opts.Settings
	m := starlark.StringDict{
		"namespace":     starlark.String(s.Namespace),
		"backups":       stringList(s.Backups),
		"restores":      stringList(s.Restores),
		"recent_failed": starlark.MakeInt(s.RecentFailed),
	}
	for _, mb := range members {
		if mb.fn == nil {
			continue
		}
		fn := mb.fn
		m[mb.name] = starlark.NewBuiltin("velero."+mb.name, func(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			return fn(e, thread, b, args, kwargs)
		})
	}
	return &starlarkstruct.Module{Name: "velero", Members: m}
}

func stringList(ss []string) *starlark.List {
	vs := make([]starlark.Value, len(ss))
	for i, s := range ss {
		vs[i] = starlark.String(s)
	}
	return starlark.NewList(vs)
}

// run executes one script in its own thread and global scope; setup, when
// not nil, prepares the thread (tests give it a reporter).
func (e *evaluator) run(src Source, predeclared starlark.StringDict, setup func(*starlark.Thread)) error {
	if err := e.ctx.Err(); err != nil {
		return fmt.Errorf("script %s not run: %w", src.Name, err)
	}
	e.plan.Scripts = append(e.plan.Scripts, src.Name)
	thread := &starlark.Thread{
		Name: src.Name,
		Load: func(*starlark.Thread, string) (starlark.StringDict, error) {
			return nil, errors.New("load() is not supported: each script stands alone; give several scripts, one after the other, instead")
		},
	}
	thread.SetMaxExecutionSteps(e.opts.MaxSteps)
	if setup != nil {
		setup(thread)
	}
	stop := context.AfterFunc(e.ctx, func() {
		thread.Cancel(context.Cause(e.ctx).Error())
	})
	defer stop()
	prog, err := compile(src, predeclared)
	if err == nil {
		_, err = prog.Init(thread, predeclared)
	}
	if err == nil {
		return nil
	}
	serr := &scriptError{script: src.Name, err: err}
	var evalErr *starlark.EvalError
	if errors.As(err, &evalErr) {
		serr.msg = evalErr.Backtrace()
	} else {
		// A syntax or resolve error: its message has the file and line.
		serr.msg = err.Error()
	}
	if ctxErr := e.ctx.Err(); ctxErr != nil {
		serr.ctxErr = ctxErr
	}
	return serr
}

// compile parses, resolves and compiles a script. The default plan is
// compiled once per process: its text never changes.
func compile(src Source, predeclared starlark.StringDict) (*starlark.Program, error) {
	if src.Name == defaultName && bytes.Equal(src.Data, defaultPlan) {
		return defaultProgram()
	}
	_, prog, err := starlark.SourceProgramOptions(fileOptions, src.Name, src.Data, predeclared.Has)
	return prog, err
}

// defaultProgram is the default plan, compiled.
var defaultProgram = sync.OnceValues(func() (*starlark.Program, error) {
	predeclared := newEvaluator(context.Background(), Options{}).predeclared()
	_, prog, err := starlark.SourceProgramOptions(fileOptions, defaultName, defaultPlan, predeclared.Has)
	return prog, err
})

// scriptError is a script that failed, with its Starlark backtrace.
type scriptError struct {
	script string
	msg    string
	err    error
	// ctxErr is the context's error when the context stopped the script.
	ctxErr error
}

func (e *scriptError) Error() string {
	return fmt.Sprintf("script %s failed:\n%s", e.script, e.msg)
}

func (e *scriptError) Unwrap() []error {
	if e.ctxErr != nil {
		return []error{e.err, e.ctxErr}
	}
	return []error{e.err}
}

// record appends a step, marked with the script line that called the
// builtin.
func (e *evaluator) record(thread *starlark.Thread, step plan.Step) error {
	if len(e.plan.Steps) >= maxPlanSteps {
		return fmt.Errorf("the plan has more than %d steps: a script asks for too much, one call at a time", maxPlanSteps)
	}
	pos := caller(thread)
	step.Script = pos.Filename()
	step.Line = int(pos.Line)
	e.plan.Steps = append(e.plan.Steps, step)
	return nil
}

// Bounds of what scripts may put in a plan: the plan and the files are
// held in memory until the collection writes them.
const (
	maxPlanSteps  = 10_000
	maxFileBytes  = 4 << 20
	maxFilesBytes = 64 << 20
)

// caller is the position in a script of the call to the running builtin:
// thread.CallFrame(1), or further up when a builtin called it (a script
// may pass velero.backup to another builtin as a function).
func caller(thread *starlark.Thread) syntax.Position {
	for depth := 1; depth < thread.CallStackDepth(); depth++ {
		if pos := thread.CallFrame(depth).Pos; pos.Filename() != "<builtin>" {
			return pos
		}
	}
	return thread.CallFrame(1).Pos
}

// where names the script line that called the builtin, for messages.
func where(thread *starlark.Thread) string {
	pos := caller(thread)
	return fmt.Sprintf("%s:%d", pos.Filename(), pos.Line)
}

// claimPath records that a script named a bundle path, and fails when an
// earlier call named it already.
func (e *evaluator) claimPath(thread *starlark.Thread, b *starlark.Builtin, param, p string) error {
	if p == "" {
		return nil
	}
	if at, ok := e.paths[p]; ok {
		return paramError(b, param, "bundle path %q is already used by the call at %s", p, at)
	}
	e.paths[p] = where(thread)
	return nil
}

// recentFailures asks Lookups once per resource, for maxRecent names, and
// answers the first n. A failed lookup is recorded in the plan once and
// answers no names.
func (e *evaluator) recentFailures(resource string, n int) ([]string, error) {
	if n > maxRecent {
		return nil, fmt.Errorf("n is %d: at most %d", n, maxRecent)
	}
	a, ok := e.lookups[resource]
	if !ok {
		if e.opts.Lookups == nil {
			return nil, errors.New("this run has no cluster to ask (no lookups)")
		}
		a.names, a.err = e.opts.Lookups.RecentFailures(e.ctx, resource, maxRecent)
		e.lookups[resource] = a
	}
	if a.err != nil {
		p := resource + "/recent-failures.json"
		if !e.failed[p] {
			e.failed[p] = true
			e.plan.Failures = append(e.plan.Failures, plan.Failure{Path: p, Source: "list " + resource, Error: a.err.Error()})
		}
		return nil, nil
	}
	return a.names[:min(n, len(a.names))], nil
}
