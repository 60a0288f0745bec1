// Package collect executes a collection plan (see package plan): it lists
// objects, streams container logs and asks the Velero server, into a
// bundle, concurrently and with bounds, and records every failure as an
// item of the bundle instead of stopping.
//
// The engine gets typed settings and narrow clients; it never sees flags.
package collect

import (
	"context"
	"crypto/rand"
	"errors"
	"strings"
	"sync"
	"time"

	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/velero-debug/velero-debug/internal/budget"
	"github.com/velero-debug/velero-debug/internal/bundle"
	"github.com/velero-debug/velero-debug/internal/discover"
	"github.com/velero-debug/velero-debug/internal/plan"
	"github.com/velero-debug/velero-debug/internal/redact"
	"github.com/velero-debug/velero-debug/internal/schedule"
	"github.com/velero-debug/velero-debug/internal/veleroapi"
)

// Config is how the engine collects: the plan says what.
type Config struct {
	// Logs are the default bounds of container logs; a plan's step may set
	// its own.
	Logs LogOptions
	// Velero says how to ask the Velero server.
	Velero VeleroOptions
	// Redact, when set, redacts every byte on its way into the bundle.
	Redact *redact.Rules
	// RequestTimeout bounds each API request; for a log stream, the wait for
	// its first byte and each later pause.
	RequestTimeout time.Duration
	// ObjectParallelism bounds concurrent object lists; default 4.
	ObjectParallelism int
	// Commands bound the local commands of Command steps.
	Commands CommandOptions
	// Now is the clock of the names a Search stamps; default time.Now.
	Now func() time.Time
	// RunID names the run on the requests it makes the Velero server
	// process; they are left out of the lists the run collects (they are
	// the run's own, there only while it asks). Empty: one is drawn.
	RunID string
}

// LogOptions bound each container log, each on its own.
type LogOptions struct {
	// Since keeps only lines newer than this; 0 keeps all.
	Since time.Duration
	// Tail keeps only the last lines; negative keeps all.
	Tail int64
	// LimitBytes cuts each log after this many bytes; 0 means no limit.
	LimitBytes int64
	// MaxRequests bounds the log streams open at once.
	MaxRequests int
}

// Clients are the API clients the engine uses.
type Clients struct {
	Kube      kubernetes.Interface
	Dynamic   dynamic.Interface
	Discovery discovery.DiscoveryInterface
	// REST, when set, reads the pages of the bundle's lists as they
	// stream, an object at a time, instead of Dynamic's whole decoded
	// pages; any REST client of the cluster will do (the paths are
	// absolute).
	REST rest.Interface
}

// Sink receives what the engine collects: a bundle.Writer.
type Sink interface {
	Open(item bundle.Item) (*bundle.Entry, error)
	AddBytes(item bundle.Item, data []byte) error
	AddError(item bundle.Item, err error) error
	AddSkipped(item bundle.Item, reason string) error
}

// Run executes the plan p into sink. Failures of single items are
// recorded in the sink and do not stop the run; Run returns an error only
// when the sink itself fails (the bundle cannot be written), or ctx's error
// when the run was cut short. The Focus it returns, what the bundle is
// about, is what a size budget keeps first (bundle.Meta's Focus).
func Run(ctx context.Context, cfg Config, p *plan.Plan, clients Clients, sink Sink) (budget.Focus, error) {
	if cfg.ObjectParallelism <= 0 {
		cfg.ObjectParallelism = 4
	}
	if cfg.Logs.MaxRequests <= 0 {
		cfg.Logs.MaxRequests = 8
	}
	if cfg.RunID == "" {
		cfg.RunID = strings.ToLower(rand.Text())
	}
	r := &run{cfg: cfg, clients: clients, sink: sink, volumes: newVolumeIndex(),
		claims: map[*plan.APIGroup][]string{}, podClaims: map[*plan.Logs]bool{}, imageClaims: map[*plan.Objects]feedKey{}}
	r.resolver = discover.New(clients.Discovery)
	r.sched = schedule.New(ctx, r.limits())
	err := errors.Join(r.execute(p), r.sched.Wait())
	if err == nil {
		err = ctx.Err()
	}
	return r.focus.result(), err
}

// run is the state of one collection.
type run struct {
	cfg Config
	// focus is what the bundle is about, for a size budget.
	focus   focus
	clients Clients
	sink    Sink
	// resolver resolves kinds, preferred versions and API groups.
	resolver *discover.Resolver
	// sched runs the run's jobs, and knows the paths they claimed.
	sched *schedule.Scheduler
	// nsNames are the cluster's namespaces for Search steps, listed once.
	nsOnce  sync.Once
	nsNames []string
	nsErr   error
	// volumes keeps what the summaries need of the volume operations,
	// fed by the lists of the plan's api_group steps (see claims).
	volumes *volumeIndex
	// claims are the volume kinds whose lists each velero.io api_group
	// step feeds into volumes.
	claims map[*plan.APIGroup][]string
	// pods are the node-agent and server pods of each namespace, fed by
	// the pods list of its logs step or listed once.
	pods feeds[string, *veleroPods]
	// images are the containers of Velero's workloads for version.json,
	// fed by the plan's lists of them or listed once.
	images feeds[feedKey, []containerImage]
	// imageClaims are the Objects steps whose lists feed images.
	imageClaims map[*plan.Objects]feedKey
	// recent finds the most recent failures of the RecentFailed steps.
	recent recentIndex
	// podClaims are the logs steps whose pods feed pods.
	podClaims map[*plan.Logs]bool
	// evidence gathers the log lines that name the details.
	evidence evidence
}

// now is the run's clock.
func (r *run) now() time.Time {
	if r.cfg.Now != nil {
		return r.cfg.Now()
	}
	return time.Now()
}

// veleroClient asks the Velero server of namespace.
func (r *run) veleroClient(namespace string) veleroapi.Client {
	return veleroapi.Client{Dynamic: r.clients.Dynamic, Namespace: namespace, RequestTimeout: r.cfg.RequestTimeout, Wait: r.cfg.Velero.Wait, Run: r.cfg.RunID}
}

// requestContext bounds one API request.
func (r *run) requestContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, r.cfg.RequestTimeout)
}
