package debug

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/velero-debug/velero-debug/internal/crashd"
	"github.com/velero-debug/velero-debug/internal/flagvalue"
)

const runLongHelp = `Run a crashd (Crash Diagnostics) script, such as Velero's velero.cshd,
unmodified, into a velero-debug bundle: crashd's folder layout inside
velero-bundle/, with manifest.json and summary.md, redaction on by default,
Secrets never read, and each failed item recorded while the run goes on.

The script's workdir is the bundle: a workdir named velero-bundle is the
bundle's own folder, any other becomes a folder of that name inside it.
Nothing is written on the host but the bundle. archive(output_file=...)
names the bundle unless --output does. kube_config(path=...,
cluster_context=...) chooses the cluster unless --kubeconfig and
--kubecontext do (they must then agree). capture_local and run_local run
commands without a shell; --restricted refuses them. See docs/crashd.md.

Exit codes are those of velero-debug: 0 complete, 1 nothing collected (a
script error, bad flags, no cluster), 3 some items failed, 130 interrupted.`

// crashdOptions are the settings of `velero-debug run`.
type crashdOptions struct {
	*Options
	script     string
	restricted bool
	// outputFrom says who chose the output: a flag, or the script.
	outputFrom string
	// fs tells which flags the user set.
	fs *pflag.FlagSet
}

// newRunCommand returns `velero-debug run SCRIPT`.
func newRunCommand(getter genericclioptions.RESTClientGetter, streams genericiooptions.IOStreams) *cobra.Command {
	o := &crashdOptions{Options: newOptions(getter, streams)}
	cmd := &cobra.Command{
		Use:           "run SCRIPT",
		Short:         "Run a crashd script (such as Velero's velero.cshd) into a velero-debug bundle",
		Long:          runLongHelp,
		Args:          cobra.ExactArgs(1),
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.script = args[0]
			if err := o.validate(); err != nil {
				return err
			}
			return stopped(cmd.Context(), o.run(cmd.Context()))
		},
	}
	o.bindFlags(cmd.Flags())
	o.registerCompletions(cmd)
	return cmd
}

func (o *crashdOptions) bindFlags(fs *pflag.FlagSet) {
	o.fs = fs
	o.bindCommonFlags(fs)
	// The script may name the output: say so where the flag is described.
	fs.Lookup("output").Usage = "bundle to write (default: the script's archive(output_file=...), else ./bundle-YYYY-MM-DD-HH-MM-SS.tar.gz)"
	fs.BoolVar(&o.restricted, "restricted", false, "refuse capture_local and run_local: the script may not run commands on this host")
	fs.Var(flagvalue.NewDuration(&o.CommandTimeout), "command-timeout", "deadline of each command of capture_local and run_local; the command is killed after it")
}

func (o *crashdOptions) validate() error {
	if o.CommandTimeout <= 0 {
		return errors.New("--command-timeout must be greater than 0")
	}
	return o.Validate()
}

// run evaluates the script into a plan, then collects it like the main
// command.
func (o *crashdOptions) run(ctx context.Context) error {
	started := o.Now()
	ctx, cancelRun := context.WithTimeout(ctx, o.Timeout)
	defer cancelRun()
	data, err := readScript(o.script)
	if err != nil {
		return err
	}
	res, err := crashd.Eval(ctx, o.script, data, crashd.Options{
		Args: o.Args, Restricted: o.restricted, CommandTimeout: o.CommandTimeout, Log: &logWriter{w: o.ErrOut},
	})
	if err != nil {
		return err
	}
	if err := o.apply(res); err != nil {
		return err
	}
	t, err := o.reach(ctx)
	if err != nil {
		return err
	}
	if o.DryRun {
		return o.dryRun(ctx, t, res.Plan)
	}
	headline := fmt.Sprintf("running %s against %s", o.script, t.cluster.Server)
	return o.collect(ctx, t, res.Plan, started, headline, o.manifestOptions())
}

// apply takes what the script chose and the flags did not: the output
// and the cluster; then completes the options (the clients of that
// cluster). A script and a flag that disagree are an error.
func (o *crashdOptions) apply(res *crashd.Result) error {
	o.outputFrom = "--output"
	if res.Output != "" && !o.fs.Changed("output") {
		o.Output, o.outputFrom = res.Output, "the script's archive(output_file=...)"
	}
	if (res.Kubeconfig != "" || res.Context != "") && o.ConfigFlags == nil {
		return errors.New("the script's kube_config() names a cluster, but the CLI that runs velero-debug chooses it: drop kube_config() from the script")
	}
	if res.Kubeconfig != "" {
		if _, err := os.Stat(res.Kubeconfig); err != nil {
			return fmt.Errorf("the script's kube_config(path=%q) cannot be read: %w; fix the script's path (or its kubeconfig arg), or pass --kubeconfig", res.Kubeconfig, err)
		}
		flag := *o.ConfigFlags.KubeConfig
		if flag != "" && !samePath(flag, res.Kubeconfig) {
			return fmt.Errorf("the script's kube_config(path=%q) is not --kubeconfig %q: a run reads one cluster; drop one of them, or make them agree", res.Kubeconfig, flag)
		}
		*o.ConfigFlags.KubeConfig = res.Kubeconfig
	}
	if res.Context != "" {
		flag := *o.ConfigFlags.Context
		if flag == "" {
			flag = o.contextAlias
		}
		if flag != "" && flag != res.Context {
			return fmt.Errorf("the script's kube_config(cluster_context=%q) is not --kubecontext %q: a run reads one cluster; drop one of them, or make them agree", res.Context, flag)
		}
		*o.ConfigFlags.Context = res.Context
	}
	if err := o.Complete(); err != nil {
		return err
	}
	if o.DryRun {
		return nil
	}
	return checkOutputFrom(o.outputFrom, o.Output, o.Force)
}

func samePath(a, b string) bool {
	aa, errA := filepath.Abs(a)
	bb, errB := filepath.Abs(b)
	return errA == nil && errB == nil && aa == bb
}

// manifestOptions records the run's settings; never credentials nor the
// values of --args.
func (o *crashdOptions) manifestOptions() map[string]any {
	return map[string]any{
		"script": o.script, "restricted": o.restricted, "args": o.argNames(),
		"kubecontext": o.kubeContext(), "maxLogRequests": o.MaxLogRequests,
		"since": o.Since.String(), "tail": o.Tail, "limitBytes": o.LimitBytes,
		"timeout": o.Timeout.String(), "requestTimeout": o.RequestTimeout.String(),
		"commandTimeout": o.CommandTimeout.String(),
		"redactRules":    o.RedactRules, "defaultRedaction": !o.NoDefaultRedaction,
	}
}

// logWriter prints each message of the script's log() on its own line.
type logWriter struct{ w io.Writer }

func (l *logWriter) Write(p []byte) (int, error) {
	if _, err := fmt.Fprintf(l.w, "velero-debug: script: %s", p); err != nil {
		return 0, err
	}
	return len(p), nil
}
