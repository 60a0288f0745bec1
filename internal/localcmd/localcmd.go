// Package localcmd runs the local commands of scripts (crashd's
// capture_local and run_local): without a shell, with a deadline, and with
// every process they start, background ones included, killed when they
// end, time out or are cancelled.
package localcmd

import (
	"context"
	"errors"
	"io"
	"os/exec"
	"time"
)

// waitDelay is how long a command's output may stay open after it exits
// or is killed (a background process holding it).
const waitDelay = 2 * time.Second

// Run runs argv until it ends or ctx is done, its standard output and error
// into out. The command's process group is killed when ctx is done, and
// after the command ends, so that nothing it started outlives it. A
// command that succeeded while a background process it started held its
// output open succeeds: its output is what arrived until it ended plus
// waitDelay.
func Run(ctx context.Context, argv []string, out io.Writer) error {
	if len(argv) == 0 {
		return errors.New("empty command")
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...) //nolint:gosec // argv from the user's own script, run without a shell
	cmd.Stdout, cmd.Stderr = out, out
	cmd.WaitDelay = waitDelay
	ownGroup(cmd)
	err := cmd.Run()
	killGroup(cmd)
	if errors.Is(err, exec.ErrWaitDelay) && cmd.ProcessState != nil && cmd.ProcessState.Success() {
		return nil
	}
	return err
}
