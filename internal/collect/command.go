package collect

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/velero-debug/velero-debug/internal/bundle"
	"github.com/velero-debug/velero-debug/internal/localcmd"
	"github.com/velero-debug/velero-debug/internal/plan"
)

// CommandOptions bound the local commands a plan runs.
type CommandOptions struct {
	// Timeout bounds each command; the process is killed after it. 0
	// means the run's RequestTimeout.
	Timeout time.Duration
	// LimitBytes keeps at most this many bytes of an item's output; 0
	// means no limit.
	LimitBytes int64
}

// command runs the commands of a Command step, one after the other, into
// its item: standard output and error together, through the redactor. A
// command that fails, or cannot start, fails the item; what it wrote is
// kept, and the next command still runs.
func (r *run) command(ctx context.Context, c *plan.Command) error {
	item := bundle.Item{Path: c.Path, Type: "command", Source: commandSource(c)}
	e, err := r.open(item)
	if err != nil {
		return err
	}
	lim := &limitWriter{w: e, left: r.cfg.Commands.LimitBytes}
	var errs []error
	for _, run := range c.Runs {
		if run.Desc != "" {
			if _, err := io.WriteString(lim, run.Desc+"\n"); err != nil {
				return e.Fail(err)
			}
		}
		if err := r.runCommand(ctx, run, lim); err != nil {
			errs = append(errs, err)
		}
	}
	e.SetTruncated(lim.truncated)
	if err := errors.Join(errs...); err != nil {
		return e.Fail(err)
	}
	return e.Commit()
}

// runCommand runs one command without a shell, with the command timeout,
// its output into w.
func (r *run) runCommand(ctx context.Context, run plan.Run, w io.Writer) error {
	if len(run.Argv) == 0 {
		return fmt.Errorf("command %q: empty", run.Cmd)
	}
	timeout := r.cfg.Commands.Timeout
	if timeout <= 0 {
		timeout = r.cfg.RequestTimeout
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	err := localcmd.Run(cctx, run.Argv, w)
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return fmt.Errorf("command %q: cancelled: %w", run.Cmd, ctx.Err())
	case errors.Is(cctx.Err(), context.DeadlineExceeded):
		return fmt.Errorf("command %q did not end within %s, killed (see --command-timeout): %w", run.Cmd, timeout, context.DeadlineExceeded)
	default:
		return fmt.Errorf("command %q: %w", run.Cmd, err)
	}
}

func commandSource(c *plan.Command) string {
	cmds := make([]string, len(c.Runs))
	for i, r := range c.Runs {
		cmds[i] = r.Cmd
	}
	return "output of local command " + strings.Join(cmds, "; ")
}

// limitWriter passes at most left bytes (all when left is 0 at the
// start) and drops the rest without failing the writer, so that the
// command still runs to its end.
type limitWriter struct {
	w         io.Writer
	left      int64
	unlimited bool
	truncated bool
	checked   bool
}

func (l *limitWriter) Write(p []byte) (int, error) {
	if !l.checked {
		l.checked, l.unlimited = true, l.left <= 0
	}
	if l.unlimited {
		return l.w.Write(p)
	}
	n := len(p)
	if int64(n) > l.left {
		p, l.truncated = p[:l.left], true
	}
	l.left -= int64(len(p))
	if len(p) > 0 {
		if _, err := l.w.Write(p); err != nil {
			return 0, err
		}
	}
	return n, nil
}
