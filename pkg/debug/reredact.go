package debug

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/velero-debug/velero-debug/internal/analysis"
	"github.com/velero-debug/velero-debug/internal/bundle"
	"github.com/velero-debug/velero-debug/internal/bundleread"
	"github.com/velero-debug/velero-debug/internal/progress"
	"github.com/velero-debug/velero-debug/internal/redact"
	"github.com/velero-debug/velero-debug/internal/reredact"
)

const redactLongHelp = `Re-redact a bundle already written, for a value spotted after the fact (a
host name, a password no rule knew): every item of BUNDLE passes the redactor
again, with the default rules plus those of --redact-rules (only those with
--no-default-redaction), into a new bundle OUT. BUNDLE is never modified.

OUT holds the same items, with the same paths, types, statuses, errors,
truncation and durations. Each item's bytes and sha256 are computed again,
and its redactions are BUNDLE's counts plus the new ones. Sources and errors
are redacted too; paths are kept as they are (they are the bundle's layout),
and a path the rules match is printed. The manifest keeps BUNDLE's tool,
cluster, times and options, and lists this re-redaction under the option
"reRedactions"; summary.md is written anew. Re-redacting with rules the
bundle already went through changes no content.

BUNDLE is read as a stream and checked as untrusted input, never extracted:
an entry outside velero-bundle/, an absolute path or "..", a link or device,
a duplicate, a file the manifest does not list or whose size or sha256 are not
the manifest's, a missing or invalid manifest.json, and an archive that
decompresses to far more than its size suggests are refused, with the reason.

The --redact-rules file is the one the collection takes (docs/redaction.md):

  literals:
    - db.internal.example.com
  rules:
    - name: ticket-id
      pattern: 'TCK-[0-9]{6}'

Exit codes:
  0    OUT is written
  1    nothing written: bad flags, an invalid BUNDLE, or OUT cannot be written
  130  interrupted (Ctrl-C): nothing written`

const redactExample = `  # Redact a database host name that the default rules kept
  velero-debug redact bundle.tar.gz -o bundle-redacted.tar.gz --redact-rules rules.yaml`

// RedactOptions are the settings of `velero-debug redact`.
type RedactOptions struct {
	genericiooptions.IOStreams

	// Input is the bundle to re-redact; it is only read.
	Input string
	// Output is the new bundle.
	Output string
	// Force allows replacing an existing Output.
	Force bool
	// RedactRules is the --redact-rules file; NoDefaultRedaction leaves the
	// default rules out.
	RedactRules        string
	NoDefaultRedaction bool

	// Now is the clock, replaceable in tests.
	Now func() time.Time

	rules *redact.Rules
}

// NewRedactOptions returns the defaults.
func NewRedactOptions(streams genericiooptions.IOStreams) *RedactOptions {
	return &RedactOptions{IOStreams: streams, Now: time.Now}
}

// newRedactCommand returns `velero-debug redact BUNDLE -o OUT`.
func newRedactCommand(streams genericiooptions.IOStreams) *cobra.Command {
	o := NewRedactOptions(streams)
	cmd := &cobra.Command{
		Use:           "redact BUNDLE -o OUT",
		Short:         "Re-redact a bundle already written, with more rules or literals, into a new bundle",
		Long:          redactLongHelp,
		Example:       redactExample,
		Args:          cobra.ExactArgs(1),
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.Complete(args); err != nil {
				return err
			}
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Run(cmd.Context())
		},
	}
	o.BindFlags(cmd.Flags())
	return cmd
}

// BindFlags adds the command's flags to fs.
func (o *RedactOptions) BindFlags(fs *pflag.FlagSet) {
	fs.StringVarP(&o.Output, "output", "o", "", "the new bundle to write (required; never the input)")
	fs.BoolVar(&o.Force, "force", false, "replace the output file if it exists")
	fs.StringVar(&o.RedactRules, "redact-rules", "", "YAML file of more redaction rules: named regular expressions and literal strings")
	fs.BoolVar(&o.NoDefaultRedaction, "no-default-redaction", false, "redact with the --redact-rules rules only, not the default ones again")
}

// Complete takes BUNDLE from args and compiles the rules.
func (o *RedactOptions) Complete(args []string) error {
	if len(args) > 0 {
		o.Input = args[0]
	}
	rules, err := compileRedactionRules(o.RedactRules, !o.NoDefaultRedaction)
	if err != nil {
		return err
	}
	o.rules = rules
	return nil
}

// Validate checks the input and output paths, before anything is read.
func (o *RedactOptions) Validate() error {
	if o.Output == "" {
		return errors.New("--output is required: name the new bundle, e.g. -o bundle-redacted.tar.gz")
	}
	if o.NoDefaultRedaction && o.RedactRules == "" {
		return errors.New("--no-default-redaction needs --redact-rules: without either set of rules there is nothing to redact")
	}
	if err := checkBundleInput(o.Input); err != nil {
		return err
	}
	for _, p := range []string{o.Output, o.Output + ".partial"} {
		if samePath(p, o.Input) || sameFile(p, o.Input) {
			return fmt.Errorf("--output %q would replace the bundle %q, which is never modified: name another file", o.Output, o.Input)
		}
	}
	return checkOutput(o.Output, o.Force)
}

// checkBundleInput fails when path is not a file that could be a bundle.
func checkBundleInput(path string) error {
	st, err := os.Stat(path)
	switch {
	case err != nil:
		return fmt.Errorf("bundle %q cannot be read: %w", path, err)
	case !st.Mode().IsRegular():
		return fmt.Errorf("bundle %q is not a file: name a velero-debug bundle (.tar.gz)", path)
	}
	return nil
}

// sameFile reports whether a and b exist and are one file.
func sameFile(a, b string) bool {
	sa, errA := os.Stat(a)
	sb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(sa, sb)
}

// Run writes the re-redacted bundle. Its error carries the exit code (see
// ExitCode); an interrupt writes nothing.
func (o *RedactOptions) Run(ctx context.Context) error {
	fmt.Fprintf(o.ErrOut, "velero-debug: re-redacting %s into %s\n", o.Input, o.Output)
	res, err := reredact.Rewrite(ctx, o.Input, o.Output, reredact.Options{
		Rules:  o.rules,
		Bundle: bundle.Options{Force: o.Force, Scrub: scrubber(o.rules), Summarizer: analysis.NewAnalyzer()},
		Record: o.record(),
	})
	switch {
	case errors.Is(err, context.Canceled):
		fmt.Fprintf(o.ErrOut, "velero-debug: interrupted: nothing was written, %s was not created\n", o.Output)
		return &ExitError{Code: bundle.ExitInterrupted}
	case errors.Is(err, bundleread.ErrInvalid):
		return fmt.Errorf("bundle %q: %w", o.Input, err)
	case err != nil:
		return err
	}
	o.printResult(res)
	return nil
}

// record describes this re-redaction in the new manifest.
func (o *RedactOptions) record() map[string]any {
	return map[string]any{
		"tool":             bundle.Tool{Name: "velero-debug", Version: build().Version},
		"at":               o.Now().UTC().Truncate(time.Second).Format(time.RFC3339),
		"redactRules":      o.RedactRules,
		"defaultRedaction": !o.NoDefaultRedaction,
	}
}

// printResult ends the run with what changed.
func (o *RedactOptions) printResult(res reredact.Result) {
	var total int64
	for _, it := range res.Manifest.Items {
		total += it.Bytes
	}
	fmt.Fprintf(o.ErrOut, "velero-debug: wrote %s: %d items, %s; %s in %d items\n", o.Output,
		len(res.Manifest.Items), progress.HumanBytes(total), describeCounts(res.Added), len(res.Changed))
	if n := len(res.PathMatches); n > 0 {
		shown := res.PathMatches[:min(n, 5)]
		more := ""
		if n > len(shown) {
			more = fmt.Sprintf(" and %d more", n-len(shown))
		}
		fmt.Fprintf(o.ErrOut, "velero-debug: WARNING: %d item paths hold values the rules match; paths are kept as they are (%s%s)\n",
			n, strings.Join(shown, ", "), more)
	}
}

// describeCounts says how many values were redacted, by rule.
func describeCounts(counts map[string]int) string {
	total := 0
	parts := make([]string, 0, len(counts))
	for _, rule := range slices.Sorted(maps.Keys(counts)) {
		total += counts[rule]
		parts = append(parts, fmt.Sprintf("%s: %d", rule, counts[rule]))
	}
	if total == 0 {
		return "no more values redacted"
	}
	return fmt.Sprintf("%d more values redacted (%s)", total, strings.Join(parts, ", "))
}
