package crashd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"time"

	"go.starlark.net/starlark"
	"go.starlark.net/syntax"

	"github.com/velero-debug/velero-debug/internal/plan"
)

// Env is what a script may learn of the host: os.getenv, os.home and
// os.username. Tests replace it.
type Env struct {
	Getenv   func(string) string
	Home     string
	Username string
}

// HostEnv is the process's environment.
func HostEnv() Env {
	home, _ := os.UserHomeDir()
	name := ""
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	return Env{Getenv: os.Getenv, Home: home, Username: name}
}

// Options tell Eval what the script sees and may do.
type Options struct {
	// Args are the --args pairs, the fields of args.
	Args map[string]string
	// Restricted refuses capture_local and run_local, as crashd's
	// restricted mode.
	Restricted bool
	// CommandTimeout bounds each run_local command; 0 means one minute.
	CommandTimeout time.Duration
	// Env is the host as os.* sees it; a zero Env means HostEnv.
	Env Env
	// Log receives the messages of log(); nil discards them.
	Log io.Writer
	// MaxSteps bounds the script's Starlark execution steps; 0 means
	// 10,000,000.
	MaxSteps uint64
}

// Result is what a script asked for.
type Result struct {
	// Plan is what to collect.
	Plan *plan.Plan `json:"plan"`
	// Output is archive's output_file; empty when the script made no
	// archive.
	Output string `json:"output,omitempty"`
	// Kubeconfig and Context are those of kube_config(path=...,
	// cluster_context=...); empty when the script named none.
	Kubeconfig string `json:"kubeconfig,omitempty"`
	Context    string `json:"context,omitempty"`
	// Workdir is the last workdir of crashd_config, and Dir the bundle
	// folder it maps to ("" for the bundle's own folder).
	Workdir string `json:"workdir"`
	Dir     string `json:"dir"`
}

// fileOptions is crashd's dialect: no top-level if or for, no global
// reassignment, no while, recursion or set.
var fileOptions = syntax.LegacyFileOptions()

// Eval runs a crashd script named name into a Result. A script error is
// returned with its Starlark backtrace. ctx cancels a running script.
func Eval(ctx context.Context, name string, src []byte, opts Options) (*Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	e := newEvaluator(ctx, opts)
	thread := &starlark.Thread{
		Name: name,
		Load: func(*starlark.Thread, string) (starlark.StringDict, error) {
			return nil, errors.New("load() is not supported by crashd scripts")
		},
	}
	maxSteps := opts.MaxSteps
	if maxSteps == 0 {
		maxSteps = 10_000_000
	}
	thread.SetMaxExecutionSteps(maxSteps)
	stop := context.AfterFunc(ctx, func() { thread.Cancel(context.Cause(ctx).Error()) })
	defer stop()
	predeclared := e.predeclared()
	_, err := starlark.ExecFileOptions(fileOptions, thread, name, src, predeclared)
	if err != nil {
		msg := err.Error()
		var evalErr *starlark.EvalError
		if errors.As(err, &evalErr) {
			msg = evalErr.Backtrace()
		}
		return nil, &ScriptError{Script: name, Msg: msg, Err: errors.Join(err, ctx.Err())}
	}
	e.result.Plan.Scripts = []string{name}
	return &e.result, nil
}

// ScriptError is a script that failed, with its Starlark backtrace.
type ScriptError struct {
	Script string
	Msg    string
	Err    error
}

func (e *ScriptError) Error() string { return fmt.Sprintf("script %s failed:\n%s", e.Script, e.Msg) }

// Unwrap returns the Starlark error, joined with the context's when the
// run was interrupted.
func (e *ScriptError) Unwrap() error { return e.Err }
