package debug

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/version"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/velero-debug/velero-debug/internal/analysis"
	"github.com/velero-debug/velero-debug/internal/bundle"
	"github.com/velero-debug/velero-debug/internal/collect"
	"github.com/velero-debug/velero-debug/internal/locate"
	"github.com/velero-debug/velero-debug/internal/nosecrets"
	"github.com/velero-debug/velero-debug/internal/plan"
	"github.com/velero-debug/velero-debug/internal/progress"
	"github.com/velero-debug/velero-debug/internal/reconnect"
	"github.com/velero-debug/velero-debug/internal/redact"
	"github.com/velero-debug/velero-debug/internal/veleroapi"
	buildinfo "github.com/velero-debug/velero-debug/internal/version"
)

// Version is velero-debug's version as a release stamps it, with
// -ldflags "-X github.com/velero-debug/velero-debug/pkg/debug.Version=v1.2.3".
// Left "dev", the version is what Go recorded in the binary (see build).
var Version = "dev"

// build is the binary's version: Version, else Go's build information.
var build = sync.OnceValue(func() buildinfo.Info { return buildinfo.Get(Version) })

// target is the cluster a run talks to.
type target struct {
	clients collect.Clients
	disc    *discovery.DiscoveryClient
	cluster bundle.Cluster
	notices *notices
}

// notices carries the lines the clients say (an API server that stops
// answering, and comes back) to stderr before a collection, to its
// reporter during it (above the live line), and nowhere after it: a
// discovery call still running then must not write beside the summary.
type notices struct {
	mu    sync.Mutex
	w     io.Writer
	rep   progress.Reporter
	ended bool
}

func (n *notices) say(line string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	line = "velero-debug: " + line
	switch {
	case n.ended:
	case n.rep != nil:
		n.rep.Note(line)
	default:
		fmt.Fprintln(n.w, line)
	}
}

// to sends the lines to rep from now on.
func (n *notices) to(rep progress.Reporter) {
	n.mu.Lock()
	n.rep = rep
	n.mu.Unlock()
}

// end drops the lines from now on.
func (n *notices) end() {
	n.mu.Lock()
	n.ended = true
	n.mu.Unlock()
}

// Run collects the bundle. Its error carries the exit code (see ExitCode).
func (o *Options) Run(ctx context.Context) error {
	started := o.Now()
	if !o.DryRun {
		// Before any request: a bundle that cannot be written fails now.
		if err := checkOutput(o.Output, o.Force); err != nil {
			return err
		}
	}
	ctx, cancelRun := context.WithTimeout(ctx, o.Timeout)
	defer cancelRun()
	t, err := o.reach(ctx)
	if err != nil {
		return err
	}
	finder := locate.Finder{Discovery: t.clients.Discovery, Dynamic: t.clients.Dynamic, Timeout: o.RequestTimeout}
	if err := finder.Check(ctx, o.Namespace); err != nil {
		if ctx.Err() != nil || o.namespaceFrom == "" || errors.Is(err, locate.ErrNoCRDs) {
			return err
		}
		return fmt.Errorf("%w (namespace %q: %s)", err, o.Namespace, o.namespaceFrom)
	}
	p, err := o.makePlan(ctx, t)
	if err != nil {
		return err
	}
	if o.DryRun {
		return o.dryRun(ctx, t, p)
	}
	headline := fmt.Sprintf("collecting Velero in namespace %q of %s", o.Namespace, t.cluster.Server)
	return o.collect(ctx, t, p, started, headline, o.manifestOptions())
}

// collect executes plan p into the bundle at o.Output and ends the run
// with its summary. options are the run's settings for the manifest.
func (o *Options) collect(ctx context.Context, t *target, p *plan.Plan, started time.Time, headline string, options map[string]any) error {
	cfg, err := o.collectConfig()
	if err != nil {
		return err
	}
	rep := progress.New(o.ErrOut, o.Verbose)
	analyzer := analysis.NewAnalyzer()
	w, err := bundle.Create(o.Output, bundle.Options{Force: o.Force, Scrub: scrubber(cfg.Redact), Observer: rep, Summarizer: analyzer, MaxSize: o.MaxSize})
	if err != nil {
		rep.Close()
		return fmt.Errorf("creating the bundle %s: %w", o.Output, err)
	}
	defer func() { _ = w.Discard() }() // a no-op once Close has run
	fmt.Fprintf(o.ErrOut, "velero-debug: %s into %s\n", headline, o.Output)

	t.notices.to(rep)
	focus, runErr := collect.Run(ctx, cfg, p, t.clients, w)
	t.notices.end()
	rep.Close()
	interrupted := errors.Is(runErr, context.Canceled)
	var sinkErr error
	if runErr != nil && !errors.Is(runErr, context.Canceled) && !errors.Is(runErr, context.DeadlineExceeded) {
		sinkErr = runErr // the bundle itself failed
	}
	meta := bundle.Meta{
		Tool: bundle.Tool{Name: "velero-debug", Version: build().Version}, Cluster: t.cluster,
		Options: options, Started: started, Finished: o.Now(), Complete: runErr == nil, Focus: focus,
	}
	if err := errors.Join(sinkErr, w.Close(meta)); err != nil {
		return fmt.Errorf("writing the bundle %s: %w", o.Output, err)
	}
	m := w.Manifest()
	code := bundle.ExitCode(m.Complete, interrupted, m.Items)
	size := fileSize(o.Output)
	o.printSummary(m, code, runErr)
	if o.overBudget(m, size) && code == bundle.ExitComplete {
		code = bundle.ExitPartial
	}
	if r, ok := analyzer.Last(); ok {
		o.printDigest(r)
	}
	return exitCodeError(code)
}

// serverVersion asks GET /version, as discovery's ServerVersion does, but
// bound to ctx: Ctrl-C does not wait for an API server that never answers.
func serverVersion(ctx context.Context, disc *discovery.DiscoveryClient) (*version.Info, error) {
	body, err := disc.RESTClient().Get().AbsPath("/version").Do(ctx).Raw()
	if err != nil {
		return nil, err
	}
	var v version.Info
	if err := json.Unmarshal(body, &v); err != nil {
		return nil, fmt.Errorf("reading the server's version: %w", err)
	}
	return &v, nil
}

// scrubber redacts the sources and errors of the manifest's items with
// rules: a command line or a server's message may quote a secret. Nil when
// redaction is off.
func scrubber(rules *redact.Rules) func(string) string {
	if rules == nil {
		return nil
	}
	return func(s string) string {
		if s == "" {
			return s
		}
		out, _ := rules.Redact([]byte(s))
		return string(out)
	}
}

// clients builds the clients of the cluster the getter resolves; it
// makes no request.
func (o *Options) clients() (*target, error) {
	if err := o.noKubeconfig(); err != nil {
		return nil, err
	}
	cfg, err := o.Getter.ToRESTConfig()
	if err != nil {
		return nil, kubeconfigError(err)
	}
	cfg = rest.CopyConfig(cfg)
	// Whatever a plan asks, no request for Secrets leaves the process.
	nosecrets.Wrap(cfg)
	// A server that answered and then refuses connections (restarting, or
	// a control plane rolling) is waited for as long as one request may
	// take; one that never answered fails at once.
	notes := &notices{w: o.ErrOut}
	reconnect.Wrap(cfg, reconnect.Policy{Outage: o.RequestTimeout, Quiet: time.Second, Notify: notes.say})
	// Bulk reads: one request per container log, bounded in concurrency by
	// --max-log-requests. A client-side rate as low as client-go's default
	// (5/s) would pace a large namespace's logs, not protect the server,
	// whose priority and fairness still apply.
	cfg.QPS, cfg.Burst = 100, 500
	cfg.UserAgent = "velero-debug/" + build().Version
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, kubeconfigError(err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, kubeconfigError(err)
	}
	// Discovery calls take no context: bound them with the client's timeout.
	dcfg := rest.CopyConfig(cfg)
	dcfg.Timeout = o.RequestTimeout
	disc, err := discovery.NewDiscoveryClientForConfig(dcfg)
	if err != nil {
		return nil, kubeconfigError(err)
	}
	t := &target{clients: collect.Clients{Kube: kube, Dynamic: dyn, Discovery: disc, REST: kube.CoreV1().RESTClient()}, disc: disc, notices: notes}
	t.cluster.Server = cfg.Host
	if raw, err := o.Getter.ToRawKubeConfigLoader().RawConfig(); err == nil {
		t.cluster.Context = raw.CurrentContext
		if kc := o.kubeContext(); kc != "" {
			t.cluster.Context = kc
		}
	}
	return t, nil
}

// reach checks that the API server of Complete's clients answers, and
// records its version.
func (o *Options) reach(ctx context.Context) (*target, error) {
	t := o.target
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	v, err := serverVersion(ctx, t.disc)
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return nil, cerr
		}
		return nil, unreachableError(t.cluster.Server, err)
	}
	t.cluster.KubernetesVersion = v.GitVersion
	return t, nil
}

func (o *Options) collectConfig() (collect.Config, error) {
	rules, ca := o.rules, o.ca
	if o.NoDefaultRedaction {
		fmt.Fprintln(o.ErrOut, "velero-debug: WARNING: --no-default-redaction: the bundle may hold passwords, keys and tokens; read it before you share it")
	}
	return collect.Config{
		Redact:         rules,
		RequestTimeout: o.RequestTimeout,
		Commands:       collect.CommandOptions{Timeout: o.CommandTimeout, LimitBytes: o.LimitBytes},
		Logs: collect.LogOptions{
			Since: o.Since, Tail: o.Tail, LimitBytes: o.LimitBytes, MaxRequests: o.MaxLogRequests,
		},
		Velero: collect.VeleroOptions{
			Wait: o.ServerTimeout, ClientVersion: build().Version,
			TLS: veleroapi.TLS{CACert: ca, InsecureSkipVerify: o.Insecure},
		},
	}, nil
}

// manifestOptions records the run's settings; never credentials.
func (o *Options) manifestOptions() map[string]any {
	return map[string]any{
		"namespace": o.Namespace, "backups": o.Backups, "restores": o.Restores,
		"kubecontext": o.kubeContext(), "maxLogRequests": o.MaxLogRequests,
		"since": o.Since.String(), "tail": o.Tail, "limitBytes": o.LimitBytes,
		"maxSize": o.MaxSize, "timeout": o.Timeout.String(), "requestTimeout": o.RequestTimeout.String(),
		"serverTimeout": o.ServerTimeout.String(), "recentFailed": o.RecentFailed,
		"cacert": o.CACert != "", "insecureSkipTLSVerify": o.Insecure,
		"redactRules": o.RedactRules, "defaultRedaction": !o.NoDefaultRedaction,
		"scripts": o.Scripts, "onlyScripts": o.OnlyScripts, "args": o.argNames(),
	}
}

// printSummary ends the run with one line naming the bundle and what failed.
func (o *Options) printSummary(m bundle.Manifest, code int, runErr error) {
	var total int64
	var failed []string
	for _, it := range m.Items {
		total += it.Bytes
		if it.Status == bundle.StatusError || it.Status == bundle.StatusCancelled {
			failed = append(failed, it.Path)
		}
	}
	took := m.Finished.Sub(m.Started).Round(100 * time.Millisecond)
	fmt.Fprintf(o.ErrOut, "velero-debug: wrote %s: %d items, %s, in %s\n", o.Output, len(m.Items), progress.HumanBytes(total), took)
	switch {
	case code == bundle.ExitInterrupted:
		fmt.Fprintln(o.ErrOut, "velero-debug: interrupted: the bundle holds what was collected until then")
	case errors.Is(runErr, context.DeadlineExceeded):
		fmt.Fprintf(o.ErrOut, "velero-debug: --timeout %s reached: the bundle holds what was collected until then\n", o.Timeout)
	}
	if len(failed) > 0 {
		shown := failed[:min(len(failed), 5)]
		more := ""
		if len(failed) > len(shown) {
			more = fmt.Sprintf(" and %d more", len(failed)-len(shown))
		}
		fmt.Fprintf(o.ErrOut, "velero-debug: %d items failed (%s%s); see velero-bundle/summary.md in the bundle\n",
			len(failed), strings.Join(shown, ", "), more)
	}
}

// fileSize is the size of the file at p, or 0.
func fileSize(p string) int64 {
	info, err := os.Stat(p)
	if err != nil {
		return 0
	}
	return info.Size()
}

// suggestedMaxSize is the bundle size above which the run suggests
// --max-size: what GitHub takes as an attachment (Velero's issue template
// asks for the bundle).
const suggestedMaxSize = 25_000_000

// overBudget tells what --max-size did to a bundle of size bytes, or
// suggests it for a big bundle, and reports whether the bundle is over
// its budget: what could not be cut alone was.
func (o *Options) overBudget(m bundle.Manifest, size int64) bool {
	b := m.Budget
	if b == nil {
		if size > suggestedMaxSize {
			fmt.Fprintf(o.ErrOut, "velero-debug: the bundle is %s, over the 25 MB GitHub takes as an attachment: --max-size 25MB cuts the pods' logs to fit, keeping their warnings, errors and last lines\n",
				progress.HumanBytes(size))
		}
		return false
	}
	if b.LogsCut > 0 {
		fmt.Fprintf(o.ErrOut, "velero-debug: %d logs cut to fit --max-size %s: %s of %s kept (the lines naming the backups and restores looked at, every warning, error and panic, then the last lines; manifest.json lists the lines each keeps)\n",
			b.LogsCut, progress.HumanBytes(b.MaxBytes), progress.HumanBytes(b.KeptBytes), progress.HumanBytes(b.OriginalBytes))
	}
	if size <= b.MaxBytes {
		return false
	}
	why := "what is never cut (Velero's and the cluster's objects, what Velero's object storage holds) takes more than that alone; the pods' logs hold their marker lines only"
	if b.OverBytes == 0 {
		why = "the pods' logs compressed worse than measured; please report it"
	}
	fmt.Fprintf(o.ErrOut, "velero-debug: the bundle is %s, %s over --max-size %s: %s\n",
		progress.HumanBytes(size), progress.HumanBytes(size-b.MaxBytes), progress.HumanBytes(b.MaxBytes), why)
	return true
}

// printDigest ends the run with what failed in Velero, at most six
// lines: the bundle's summary.md says why.
func (o *Options) printDigest(r analysis.Report) {
	lines := analysis.Digest(r)
	if len(lines) == 0 {
		return
	}
	for _, l := range lines {
		fmt.Fprintln(o.ErrOut, "velero-debug: "+l)
	}
	fmt.Fprintf(o.ErrOut, "velero-debug: why, with the evidence: velero-bundle/summary.md in %s (or velero-debug inspect %s)\n", o.Output, o.Output)
}

func kubeconfigError(err error) error {
	return fmt.Errorf("cannot load the kubeconfig: %w (check --kubeconfig, $KUBECONFIG and --kubecontext)", err)
}

func unreachableError(host string, err error) error {
	if apierrors.IsUnauthorized(err) {
		return fmt.Errorf("the Kubernetes API server at %s refused the kubeconfig's credentials (%w): an expired or revoked token, or a certificate it does not trust; log in again, or check --kubeconfig and --kubecontext", host, err)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return fmt.Errorf("cannot reach the Kubernetes API server at %s: %w (check --kubeconfig and --kubecontext, and that the cluster is up)", host, err)
}
