package crashd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"go.starlark.net/starlark"

	"github.com/velero-debug/velero-debug/internal/localcmd"
	"github.com/velero-debug/velero-debug/internal/plan"
)

// restrictedError is the error of a builtin --restricted refuses.
func restrictedError(b *starlark.Builtin) error {
	return fmt.Errorf("%s is not allowed with --restricted: it runs a command on this host", b.Name())
}

// command splits cmd for builtin b, which --restricted refuses.
func (e *evaluator) command(b *starlark.Builtin, cmd string) ([]string, error) {
	if e.opts.Restricted {
		return nil, restrictedError(b)
	}
	argv, err := SplitCommand(cmd)
	if err != nil {
		return nil, fmt.Errorf("cmd %q: %w", cmd, err)
	}
	return argv, nil
}

var unsafeFileChars = regexp.MustCompile(`[^a-zA-Z0-9]`)

// defaultFileName is crashd's file name of a capture_local without one:
// every character but letters and digits becomes _, then .txt.
func defaultFileName(cmd string) string {
	return unsafeFileChars.ReplaceAllString(cmd, "_") + ".txt"
}

// captureLocal is capture_local(cmd, workdir, file_name, desc, append): it
// records a Command step whose output goes to <workdir>/<file_name> in the
// bundle, and returns that file's path. append adds the command to an
// earlier capture_local of the same file.
func (e *evaluator) captureLocal(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var cmd, workdir, fileName, desc string
	var appendTo bool
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "cmd", &cmd, "workdir?", &workdir, "file_name?", &fileName,
		"desc?", &desc, "append?", &appendTo); err != nil {
		return nil, err
	}
	argv, err := e.command(b, cmd)
	if err != nil {
		return nil, err
	}
	if workdir == "" {
		workdir = e.result.Workdir
	}
	rel, err := e.inWorkdir(workdir)
	if err != nil {
		return nil, fmt.Errorf("workdir: %w", err)
	}
	if fileName == "" {
		fileName = defaultFileName(cmd)
	}
	p, err := e.bundlePath(rel, fileName)
	if err != nil {
		return nil, err
	}
	run := plan.Run{Cmd: cmd, Argv: argv, Desc: desc}
	if i, ok := e.commands[p]; ok {
		if !appendTo {
			return nil, fmt.Errorf("file_name %q is already captured by the call at line %d: add append=True to add to it, or choose another name", fileName, e.result.Plan.Steps[i].Line)
		}
		if err := e.count(); err != nil {
			return nil, err
		}
		c := e.result.Plan.Steps[i].Command
		c.Runs = append(c.Runs, run)
	} else {
		e.commands[p] = len(e.result.Plan.Steps)
		if err := e.record(thread, plan.Step{Command: &plan.Command{Path: p, Runs: []plan.Run{run}}}); err != nil {
			return nil, err
		}
	}
	return starlark.String(filepath.Join(e.expandHome(workdir), fileName)), nil
}

// maxRunLocalOutput bounds what run_local keeps of a command's output.
const maxRunLocalOutput = 4 << 20

// runLocal is run_local(cmd): it runs the command now, without a shell,
// and returns its output (standard output and error), trimmed. A command
// that fails stops the script with its error and output.
func (e *evaluator) runLocal(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var cmd string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "cmd", &cmd); err != nil {
		return nil, err
	}
	argv, err := e.command(b, cmd)
	if err != nil {
		return nil, err
	}
	timeout := e.opts.CommandTimeout
	if timeout <= 0 {
		timeout = time.Minute
	}
	ctx, cancel := context.WithTimeout(e.ctx, timeout)
	defer cancel()
	var out limitedBuffer
	err = localcmd.Run(ctx, argv, &out)
	text := strings.TrimSpace(out.buf.String())
	switch {
	case err == nil && out.over:
		return nil, fmt.Errorf("%q wrote more than %d bytes", cmd, maxRunLocalOutput)
	case err == nil:
		return starlark.String(text), nil
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		err = fmt.Errorf("did not end within %s, killed (see --command-timeout)", timeout)
	}
	return nil, fmt.Errorf("%q failed: %w\n%s", cmd, err, text)
}

// limitedBuffer keeps the first maxRunLocalOutput bytes.
type limitedBuffer struct {
	buf  bytes.Buffer
	over bool
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	room := maxRunLocalOutput - l.buf.Len()
	if len(p) > room {
		l.over = true
		l.buf.Write(p[:max(room, 0)])
		return len(p), nil
	}
	return l.buf.Write(p)
}
