package debug

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/velero-debug/velero-debug/internal/analysis"
	"github.com/velero-debug/velero-debug/internal/bundle"
	"github.com/velero-debug/velero-debug/internal/bundleread"
)

const inspectLongHelp = `Say, from a bundle alone, why Velero's backups and restores failed: Velero
at a glance (server, plugins, locations, repositories and their maintenance,
node-agents, restarted containers, Warning events); each backup and restore
the bundle holds in detail that failed, partially failed or failed
validation, and each that had not ended long after it was made, with its
reason, the first errors and warnings of its results, the Velero server's
lines about it, its failed volume operations (PodVolumeBackups and Restores,
DataUploads and Downloads) with the node that ran each, that node's
node-agent pod, the lines that name the operation, Velero's diagnosis of its
data path, its data mover pod and snapshot; the checks of Velero's
ConfigMaps; and the files to read next. docs/inspect.md documents the JSON.

The bundle is read as untrusted input: as a stream, never extracted, its
sizes bounded and every entry checked against its manifest. Nothing is
written.

Exit codes:
  0    no failure found
  1    the bundle cannot be read
  3    failures or configuration errors found (printed)`

// InspectOptions are the settings of `velero-debug inspect`.
type InspectOptions struct {
	genericiooptions.IOStreams
	// Input is the bundle to read.
	Input string
	// Output is the format: text or json.
	Output string
}

// newInspectCommand returns `velero-debug inspect BUNDLE`.
func newInspectCommand(streams genericiooptions.IOStreams) *cobra.Command {
	o := &InspectOptions{IOStreams: streams, Output: "text"}
	return bundleCommand(bundleCommandSpec{
		use: "inspect BUNDLE", short: "Say why the backups and restores of a bundle failed, from the bundle alone", long: inspectLongHelp,
		example: "  velero-debug inspect bundle-2026-12-02-10-00-00.tar.gz\n  velero-debug inspect bundle.tar.gz -o json | jq '.failures[].name'",
	}, &o.Input, o)
}

// BindFlags adds the command's flags to fs.
func (o *InspectOptions) BindFlags(fs *pflag.FlagSet) {
	fs.StringVarP(&o.Output, "output", "o", o.Output, "output format: text (Markdown) or json")
}

// Validate checks the format and that the bundle is a file.
func (o *InspectOptions) Validate() error {
	if o.Output != "text" && o.Output != "json" {
		return fmt.Errorf("--output %q: want text or json", o.Output)
	}
	return checkBundleInput(o.Input)
}

// Run reads the bundle and prints what it says. Its error carries the
// exit code: 3 when failures were found.
func (o *InspectOptions) Run(ctx context.Context) error {
	b, err := openBundle(ctx, o.Input)
	if err != nil {
		return err
	}
	defer func() { _ = b.Close() }()
	r, err := analysis.Analyze(ctx, b)
	if err != nil {
		return fmt.Errorf("reading %s: %w", o.Input, err)
	}
	if o.Output == "json" {
		enc := json.NewEncoder(o.Out)
		enc.SetIndent("", "  ")
		err = enc.Encode(r)
	} else {
		err = analysis.Render(o.Out, r)
	}
	if err != nil {
		return err
	}
	if len(r.Failures) > 0 || r.ConfigurationErrors() > 0 {
		return &ExitError{Code: bundle.ExitPartial}
	}
	return nil
}

// bundleOptions are the options of a command that reads one bundle.
type bundleOptions interface {
	BindFlags(fs *pflag.FlagSet)
	Validate() error
	Run(ctx context.Context) error
}

// bundleCommandSpec names a command that reads one bundle.
type bundleCommandSpec struct{ use, short, long, example string }

// bundleCommand is a command of one argument, the bundle it reads into
// *input, with kubectl's lifecycle: Validate, then Run.
func bundleCommand(spec bundleCommandSpec, input *string, o bundleOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use: spec.use, Short: spec.short, Long: spec.long, Example: spec.example,
		Args:          cobra.ExactArgs(1),
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			*input = args[0]
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Run(cmd.Context())
		},
	}
	o.BindFlags(cmd.Flags())
	return cmd
}

// openBundle opens the bundle at path through the hardened reader; a file
// that is not a bundle says so in one line.
func openBundle(ctx context.Context, path string) (*bundleread.Bundle, error) {
	b, err := bundleread.Open(ctx, path, bundleread.Limits{})
	if err != nil && errors.Is(err, bundleread.ErrInvalid) {
		return nil, fmt.Errorf("%s is not a bundle velero-debug can read: %w", path, err)
	}
	return b, err
}
