// Package debug is the velero-debug command: it collects, in one run, what
// a Velero maintainer needs to diagnose a failed backup or restore into one
// tar.gz bundle. NewCommand returns it as a cobra command, so that another
// CLI (the Velero CLI's `debug`) can mount it.
package debug

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/velero-debug/velero-debug/internal/bundle"
	"github.com/velero-debug/velero-debug/internal/flagvalue"
)

const longHelp = `Collect what a Velero maintainer needs to diagnose a failed backup or
restore into one tar.gz bundle: the logs of the Velero server, node-agents and
plugins (and the previous logs of restarted containers), every Velero custom
resource of every served API version, the workloads, configuration and events
of Velero's namespace, and the cluster's nodes and storage setup. Secrets are
never read.

The bundle's velero-bundle/manifest.json lists every item with its source,
size, sha256 and status; velero-bundle/summary.md says the same for people.
One failed item (a pod gone, a forbidden list) is recorded and the run goes on.

What is collected is a plan made by Starlark scripts: the embedded default
plan, plus any --script (or only them, with --only-scripts); --dry-run prints
the plan and what your RBAC forbids, and collects nothing. The builtins are
documented in docs/starlark.md. "velero-debug run" runs crashd scripts, such as
Velero's velero.cshd, unmodified (docs/crashd.md). "velero-debug redact"
re-redacts a bundle already written, with more rules (docs/redaction.md).
"velero-debug inspect BUNDLE" says, from a bundle alone, why its backups and
restores failed.

Exit codes:
  0    complete bundle
  1    nothing useful collected: bad flags, unreachable cluster, no Velero,
       or the output cannot be written (no bundle is left behind)
  3    bundle written, but some items failed (see the summary)
  130  interrupted (Ctrl-C): the bundle holds what was collected until then
       (none is written when nothing was collected yet)`

// NewCommand returns the velero-debug command writing to streams. getter
// resolves the cluster: nil for velero-debug's own --kubeconfig,
// --kubecontext and --context flags (client-go's loading rules), or the
// client factory of the CLI that mounts the command, which then binds the
// flags that choose the cluster itself.
func NewCommand(getter genericclioptions.RESTClientGetter, streams genericiooptions.IOStreams) *cobra.Command {
	o := newOptions(getter, streams)
	cmd := &cobra.Command{
		Use:           "velero-debug",
		Short:         "Collect a diagnostic bundle of a Velero installation",
		Long:          longHelp,
		Args:          noArgsButCommands,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.settleNamespace(cmd.Flags())
			if err := o.Complete(); err != nil {
				return err
			}
			if err := o.Validate(); err != nil {
				return err
			}
			return stopped(cmd.Context(), o.Run(cmd.Context()))
		},
	}
	o.BindFlags(cmd.Flags())
	o.registerCompletions(cmd)
	cmd.SuggestionsMinimumDistance = 2
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return flagvalue.Explain(c.Flags(), err) })
	cmd.Version = build().Version
	cmd.SetVersionTemplate(build().String())
	// --version without cobra's -v, which users of kubectl read as a log
	// level; velero-debug's verbosity is --verbose.
	cmd.Flags().Bool("version", false, "print velero-debug's version, and exit")
	cmd.Annotations = map[string]string{ownedBy: "root"}
	cmd.AddCommand(newRunCommand(getter, streams), newRedactCommand(streams), newInspectCommand(streams), newServeCommand(streams), newRBACCommand(getter, streams), newVersionCommand(streams))
	return cmd
}

// noArgsButCommands refuses arguments to the root command, suggesting the
// command an argument probably meant.
func noArgsButCommands(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		return fmt.Errorf("unknown command %q: did you mean %q?", args[0], s[0])
	}
	var names []string
	for _, c := range cmd.Commands() {
		if c.IsAvailableCommand() {
			names = append(names, c.Name())
		}
	}
	return fmt.Errorf("unknown command %q: %s takes flags, or one of the commands %s", args[0], cmd.CommandPath(), strings.Join(names, ", "))
}

// newVersionCommand prints the binary's version, commit, Go and platform.
func newVersionCommand(streams genericiooptions.IOStreams) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print velero-debug's version, the commit it was built from, and the Go that built it",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			_, err := fmt.Fprint(streams.Out, build().String())
			return err
		},
	}
}

// KubectlPluginName is the file name under which kubectl finds velero-debug
// as its plugin `kubectl velero-debug` (a dash in a plugin's command is an
// underscore in its file name).
const KubectlPluginName = "kubectl-velero_debug"

// IsKubectlPlugin reports whether the program at path (os.Args[0]) runs as
// kubectl's plugin.
func IsKubectlPlugin(path string) bool {
	return strings.TrimSuffix(filepath.Base(path), ".exe") == KubectlPluginName
}

// ExitError is the error of a run that ends with an exit code other than
// 1 and has already told the user why: a bundle was written but is
// partial, or the run was interrupted.
type ExitError struct{ Code int }

func (e *ExitError) Error() string { return fmt.Sprintf("exit status %d", e.Code) }

func exitCodeError(code int) error {
	if code == bundle.ExitComplete {
		return nil
	}
	return &ExitError{Code: code}
}

// stopped is err, the error of a run whose context ctx may have been
// cancelled by a signal: whatever the failure says then, the user stopped
// the run, and its error says so (see ExitCode).
func stopped(ctx context.Context, err error) error {
	var ee *ExitError
	if err == nil || errors.As(err, &ee) || ctx.Err() == nil || errors.Is(err, context.Canceled) {
		return err
	}
	return fmt.Errorf("%w (%w)", context.Canceled, err)
}

// ExitCode maps the error of the command to the process's exit status; it
// alone decides it.
func ExitCode(err error) int {
	var ee *ExitError
	switch {
	case err == nil:
		return bundle.ExitComplete
	case errors.As(err, &ee):
		return ee.Code
	case errors.Is(err, context.Canceled):
		return bundle.ExitInterrupted
	default:
		return bundle.ExitNothing
	}
}

// errorMessage is what the user reads of err, the error of the command:
// nothing for an ExitError, which has told the user already.
func errorMessage(err error) string {
	var ee *ExitError
	switch {
	case err == nil || errors.As(err, &ee):
		return ""
	case errors.Is(err, context.Canceled):
		return "interrupted before anything was collected"
	case errors.Is(err, context.DeadlineExceeded):
		return "--timeout was reached before anything was collected (" + err.Error() + "): raise it, or check that the API server answers"
	}
	return err.Error()
}

// Main runs the command with the process's arguments and streams and
// returns its exit status (see Execute).
func Main() int {
	streams := genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}
	cmd := NewCommand(nil, streams)
	if IsKubectlPlugin(os.Args[0]) {
		// Help and usage say how the user called it.
		cmd.Annotations[cobra.CommandDisplayNameAnnotation] = "kubectl velero-debug"
	}
	return Execute(cmd)
}

// Execute runs root, velero-debug's command or a CLI that mounts it (the
// Velero CLI's root with it as its debug command), with the process's
// arguments, and returns the exit status: it prints the command's error on
// stderr, as velero-debug's own; the first Ctrl-C stops a collection and
// still writes the bundle, a second one ends the process at once; a closed
// stdout or stderr does not stop it.
func Execute(root *cobra.Command) int {
	// A closed stdout or stderr (velero-debug ... | head -1) makes writes
	// fail with EPIPE instead of killing the process: the collection
	// goes on quietly and the bundle is still written.
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop() // restore the default: the next signal kills
	}()
	cmd, err := root.ExecuteContextC(ctx)
	if !ours(cmd) {
		// The host's own command: cobra, or the command, told the user.
		if err != nil {
			return bundle.ExitNothing
		}
		return bundle.ExitComplete
	}
	if msg := errorMessage(err); msg != "" {
		fmt.Fprintln(os.Stderr, "velero-debug:", msg)
	}
	return ExitCode(err)
}

// ownedBy marks velero-debug's root command, for Execute to know its
// commands from those of a CLI that mounts it.
const ownedBy = "velero-debug.io/command"

// ours reports whether cmd is velero-debug's command or one of its
// subcommands.
func ours(cmd *cobra.Command) bool {
	for c := cmd; c != nil; c = c.Parent() {
		if c.Annotations[ownedBy] != "" {
			return true
		}
	}
	return false
}
