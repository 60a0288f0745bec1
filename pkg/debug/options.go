package debug

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/velero-debug/velero-debug/internal/flagvalue"
	"github.com/velero-debug/velero-debug/internal/redact"
)

// Options are the settings of one run of the debug command, bound straight
// onto its flags.
type Options struct {
	genericiooptions.IOStreams

	// ConfigFlags hold the kubeconfig and context flags; they resolve the
	// cluster with client-go's loading rules (every file of KUBECONFIG
	// merged, in-cluster configuration when run in a pod). They are nil
	// when Getter comes from the CLI that mounts the command.
	ConfigFlags *genericclioptions.ConfigFlags
	// Getter resolves the cluster: ConfigFlags, or the client factory of
	// the CLI that mounts the command (see NewCommand).
	Getter genericclioptions.RESTClientGetter

	Output         string
	Force          bool
	Namespace      string
	Backups        []string
	Restores       []string
	Verbose        bool
	MaxLogRequests int
	Since          time.Duration
	Tail           int64
	LimitBytes     int64
	MaxSize        int64
	Timeout        time.Duration
	RequestTimeout time.Duration
	ServerTimeout  time.Duration
	RecentFailed   int
	CACert         string
	Insecure       bool

	RedactRules        string
	NoDefaultRedaction bool

	// Scripts are Starlark files whose steps join the default plan's, or
	// replace it with OnlyScripts; Args reach them as args.
	Scripts     []string
	OnlyScripts bool
	Args        map[string]string
	// DryRun prints the plan and what the user may not read; it collects
	// nothing.
	DryRun bool
	// CommandTimeout bounds each local command a crashd script runs.
	CommandTimeout time.Duration

	// Now is the clock, replaceable in tests.
	Now func() time.Time

	// contextAlias is --context, the alias of --kubecontext.
	contextAlias string
	// namespaceFrom says what chose Namespace; namespaceWarning says why
	// the Velero CLI's client config was passed over, if it was.
	namespaceFrom    string
	namespaceWarning string

	// Complete's ready values: the redaction rules compiled, the CA of
	// --cacert read, once, and the cluster's clients.
	rules  *redact.Rules
	ca     []byte
	target *target
}

// NewOptions returns the defaults.
func NewOptions(streams genericiooptions.IOStreams) *Options {
	ns, from, nsWarning := defaultNamespace()
	cf := genericclioptions.NewConfigFlags(false)
	return &Options{
		IOStreams:        streams,
		ConfigFlags:      cf,
		Getter:           cf,
		Namespace:        ns,
		namespaceFrom:    from,
		namespaceWarning: nsWarning,
		MaxLogRequests:   8,
		Tail:             -1,
		Timeout:          10 * time.Minute,
		RequestTimeout:   30 * time.Second,
		ServerTimeout:    15 * time.Second,
		RecentFailed:     3,
		CommandTimeout:   2 * time.Minute,
		Now:              time.Now,
	}
}

// newOptions returns the defaults, reaching the cluster through getter
// when it is set (the client factory of the CLI that mounts the command),
// else through velero-debug's own cluster flags.
func newOptions(getter genericclioptions.RESTClientGetter, streams genericiooptions.IOStreams) *Options {
	o := NewOptions(streams)
	if getter != nil {
		o.ConfigFlags, o.Getter = nil, getter
	}
	return o
}

// BindFlags adds the command's flags to fs: the common ones (see
// bindCommonFlags) and those of the default plan.
func (o *Options) BindFlags(fs *pflag.FlagSet) {
	o.bindCommonFlags(fs)
	fs.StringVarP(&o.Namespace, "namespace", "n", o.Namespace, "Velero's namespace; the default is the Velero CLI's (velero client config set namespace=...), else $VELERO_NAMESPACE, else velero")
	fs.StringArrayVar(&o.Backups, "backup", nil, "a backup to collect in detail (repeatable)")
	fs.StringArrayVar(&o.Restores, "restore", nil, "a restore to collect in detail (repeatable)")
	fs.Var(flagvalue.NewDuration(&o.ServerTimeout), "server-timeout", "how long the Velero server may take to answer a request (version, downloads); 0 does not ask it")
	fs.IntVar(&o.RecentFailed, "recent-failed", o.RecentFailed, "also collect in detail the N most recent failed (wholly, partially or in validation) backups, and as many restores; 0 only those named")
	fs.StringVar(&o.CACert, "cacert", "", "PEM file of a CA that signs the object store's certificate, besides each storage location's caCert")
	fs.BoolVar(&o.Insecure, "insecure-skip-tls-verify", false, "download from the object store without checking its certificate")
	fs.StringArrayVar(&o.Scripts, "script", nil, "Starlark file whose steps are collected besides the default plan's (repeatable; see docs/starlark.md)")
	fs.BoolVar(&o.OnlyScripts, "only-scripts", false, "collect only what the --script files say, not the default plan")
}

// bindCommonFlags adds the flags of every command that collects (the root
// and run): the output, the cluster, the bounds of logs and requests,
// redaction, the scripts' args and --dry-run, one definition for both.
func (o *Options) bindCommonFlags(fs *pflag.FlagSet) {
	fs.StringVarP(&o.Output, "output", "o", "", "bundle to write (default ./bundle-YYYY-MM-DD-HH-MM-SS.tar.gz)")
	fs.BoolVar(&o.Force, "force", false, "replace the output file if it exists")
	fs.Var(flagvalue.NewBytes(&o.MaxSize), "max-size", "the most the bundle may weigh, e.g. 25MB (GitHub's limit for attachments) or 10MiB: pods' logs are cut to fit, keeping first the lines that name the backups, restores and volume operations looked at and every warning, error and panic line, then their last lines; the rest is kept whole (default: no limit)")
	fs.BoolVar(&o.Verbose, "verbose", false, "print every item collected")
	o.bindKubeFlags(fs)
	o.bindLimitFlags(fs)
	o.bindRedactionFlags(fs)
	fs.StringToStringVar(&o.Args, "args", nil, "key=value pairs for scripts, which read them as args.key (e.g. --args app=shop,since=2h; a value with a comma is quoted with its key: --args '\"labels=app=shop,tier=db\"')")
	fs.BoolVar(&o.DryRun, "dry-run", false, "print what would be collected and where it would go, check which parts you may not read, and collect nothing")
}

// bindKubeFlags adds the flags that choose the cluster, unless the CLI that
// mounts the command chooses it.
func (o *Options) bindKubeFlags(fs *pflag.FlagSet) {
	if o.ConfigFlags == nil {
		return
	}
	fs.StringVar(o.ConfigFlags.KubeConfig, "kubeconfig", "", "kubeconfig file (default: $KUBECONFIG, merged, else ~/.kube/config, else in-cluster)")
	fs.StringVar(o.ConfigFlags.Context, "kubecontext", "", "kubeconfig context to use (default: the current context)")
	fs.StringVar(&o.contextAlias, "context", "", "alias of --kubecontext")
}

// bindLimitFlags adds the flags that bound logs, requests and the run.
func (o *Options) bindLimitFlags(fs *pflag.FlagSet) {
	fs.IntVar(&o.MaxLogRequests, "max-log-requests", o.MaxLogRequests, "container logs fetched at once")
	fs.Var(flagvalue.NewDuration(&o.Since), "since", "keep only log lines newer than this, e.g. 2h or 7d (default: all)")
	fs.Int64Var(&o.Tail, "tail", o.Tail, "keep only the last N lines of each log; -1 keeps all")
	fs.Var(flagvalue.NewBytes(&o.LimitBytes), "limit-bytes", "keep at most this many bytes of each log, e.g. 10MiB (default: no limit)")
	fs.Var(flagvalue.NewDuration(&o.Timeout), "timeout", "deadline of the whole run; what is collected by then is written")
	fs.Var(flagvalue.NewDuration(&o.RequestTimeout), "request-timeout", "deadline of each API request, and of each pause in a log stream; also how long an API server that stops answering mid-run is waited for")
}

// bindRedactionFlags adds the flags of redaction.
func (o *Options) bindRedactionFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.RedactRules, "redact-rules", "", "YAML file of more redaction rules: named regular expressions and literal strings")
	fs.BoolVar(&o.NoDefaultRedaction, "no-default-redaction", false, "turn the default redaction rules off (a warning is printed): the bundle may then hold secrets")
}

// Complete fills in what the flags left to defaults and turns flags into
// ready values: the redaction rules compiled, the CA of --cacert read, the
// clients built from the getter (no request is made).
func (o *Options) Complete() error {
	if o.Output == "" {
		o.Output = o.Now().Format("bundle-2006-01-02-15-04-05.tar.gz")
	}
	if alias := o.contextAlias; alias != "" && o.ConfigFlags != nil {
		if kc := *o.ConfigFlags.Context; kc != "" && kc != alias {
			return fmt.Errorf("--context %q and --kubecontext %q name different contexts: give one", alias, kc)
		}
		*o.ConfigFlags.Context = alias
	}
	if o.CACert != "" {
		var err error
		if o.ca, err = os.ReadFile(o.CACert); err != nil {
			return fmt.Errorf("--cacert %q cannot be read: %w", o.CACert, err)
		}
	}
	for _, s := range o.Scripts {
		st, err := os.Stat(s)
		switch {
		case err != nil:
			return fmt.Errorf("--script %q cannot be read: %w", s, err)
		case st.IsDir():
			return fmt.Errorf("--script %q is a folder: name a Starlark file", s)
		}
	}
	var err error
	if o.rules, err = o.redactionRules(); err != nil {
		return err
	}
	o.target, err = o.clients()
	return err
}

// kubeContext is the context the flags name, if any.
func (o *Options) kubeContext() string {
	if o.ConfigFlags == nil || o.ConfigFlags.Context == nil {
		return ""
	}
	return *o.ConfigFlags.Context
}

// Validate checks the values of the options, without reading a file or
// calling the cluster.
func (o *Options) Validate() error {
	if err := validNamespace(o.Namespace); err != nil {
		return err
	}
	for _, f := range []struct {
		flag  string
		names []string
	}{{"--backup", o.Backups}, {"--restore", o.Restores}} {
		for _, n := range f.names {
			if errs := validation.IsDNS1123Subdomain(n); len(errs) > 0 {
				return fmt.Errorf("%s %q is not a valid name: %s", f.flag, n, errs[0])
			}
		}
	}
	switch {
	case o.MaxLogRequests < 1:
		return errors.New("--max-log-requests must be at least 1")
	case o.Since < 0:
		return errors.New("--since must not be negative")
	case o.Tail < -1:
		return errors.New("--tail must be -1 (all lines) or more")
	case o.LimitBytes < 0:
		return errors.New("--limit-bytes must not be negative")
	case o.MaxSize < 0:
		return errors.New("--max-size must not be negative")
	case o.Timeout <= 0:
		return errors.New("--timeout must be greater than 0")
	case o.RequestTimeout <= 0:
		return errors.New("--request-timeout must be greater than 0")
	case o.ServerTimeout < 0:
		return errors.New("--server-timeout must not be negative")
	case o.RecentFailed < 0:
		return errors.New("--recent-failed must not be negative")
	}
	if o.OnlyScripts && len(o.Scripts) == 0 {
		return errors.New("--only-scripts needs at least one --script")
	}
	for k := range o.Args {
		if !validArgName.MatchString(k) {
			return fmt.Errorf("--args key %q is not a valid name: use letters, digits and _, not starting with a digit", k)
		}
	}
	return nil
}

var validArgName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// checkOutput fails when the bundle could not be written at path.
func checkOutput(path string, force bool) error {
	return checkOutputFrom("--output", path, force)
}

// checkOutputFrom is checkOutput for a path given by from (a flag, or a
// script), named in its errors.
func checkOutputFrom(from, path string, force bool) error {
	dir := filepath.Dir(path)
	st, err := os.Stat(dir)
	switch {
	case err != nil:
		return fmt.Errorf("%s %q: folder %q does not exist", from, path, dir)
	case !st.IsDir():
		return fmt.Errorf("%s %q: %q is not a folder", from, path, dir)
	}
	if st, err := os.Stat(path); err == nil {
		if st.IsDir() {
			return fmt.Errorf("%s %q is a folder: name a file", from, path)
		}
		if !force {
			return fmt.Errorf("%s %q exists: choose another name, or add --force to replace it", from, path)
		}
	}
	probe, err := os.CreateTemp(dir, ".velero-debug-probe-*")
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return fmt.Errorf("%s %q: cannot write in folder %q: %w", from, path, dir, err)
	}
	return errors.Join(probe.Close(), os.Remove(probe.Name()))
}
