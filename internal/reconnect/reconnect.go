// Package reconnect carries a run over an API server that stops answering
// for a while, as during a restart or a control plane's rolling update:
// a request that could not reach a server which answered before is tried
// again with a growing pause, until the server answers or has been
// unreachable for longer than the outage allowed. A server that never
// answered is not waited for: a wrong address or a cluster that is down
// still fails at once.
//
// Only requests that cannot have had an effect are tried again: any
// request whose connection could not be made (nothing was sent), and reads (GET,
// HEAD) whose connection was reset or lost before an answer came. An
// answer that arrived, whatever its status, is the caller's; a stream cut
// after its answer began is not resumed here.
package reconnect

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"sync"
	"time"

	utilnet "k8s.io/apimachinery/pkg/util/net"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"
)

// Policy bounds the retries. The zero value never retries.
type Policy struct {
	// Outage is how long the server may stay unreachable, counted from the
	// first failed connection, before requests fail at once: one bound for
	// the whole run, however many requests wait.
	Outage time.Duration
	// Backoff paces the tries of one request: its Steps count the pauses
	// that grow (none or fewer than one means all of them; the outage
	// bounds the tries). The zero value pauses 250ms, doubled up to 5s.
	Backoff wait.Backoff
	// Notify, if set, hears once when an outage has lasted Quiet, when the
	// server answers again after that, and when the outage outlasts the
	// policy: one line each, for the user who waits.
	Notify func(line string)
	// Quiet is how long an outage lasts before Notify hears of it: a
	// server shutting down still answers on the connections it has, and a
	// blip is not worth a line.
	Quiet time.Duration
}

// Wrap makes every client built from cfg, and from its copies, retry as
// policy says. The copies share one view of the server: whether it has
// answered yet, and since when it has not.
func Wrap(cfg *rest.Config, policy Policy) {
	if policy.Outage <= 0 {
		return
	}
	if policy.Backoff.Duration <= 0 {
		policy.Backoff = wait.Backoff{Duration: 250 * time.Millisecond, Factor: 2, Jitter: 0.1, Cap: 5 * time.Second}
	}
	if policy.Backoff.Steps < 1 {
		policy.Backoff.Steps = math.MaxInt32 // wait.Backoff grows its pause only while it has steps
	}
	s := &server{policy: policy, now: time.Now, stale: 2 * max(policy.Backoff.Cap, policy.Backoff.Duration)}
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { return &transport{next: rt, server: s} })
}

// server is what the clients of one configuration know of their server.
type server struct {
	policy Policy
	now    func() time.Time
	// stale is how long after the last failure an outage that nobody saw
	// end (its waiting requests gave up on their own) is over: longer than
	// any pause between two tries.
	stale time.Duration

	// mu also orders the lines Notify hears.
	mu       sync.Mutex
	answered bool      // it answered at least once
	down     time.Time // the first failure since its last answer; zero while it answers
	last     time.Time // the last failure
	told     bool      // Notify heard of this outage
	gaveUp   bool      // the outage outlasted the policy
}

// up records an answer.
func (s *server) up() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.told && !s.gaveUp {
		s.notify("the API server answers again, after %s", s.now().Sub(s.down).Round(100*time.Millisecond))
	} else if s.gaveUp {
		s.notify("the API server answers again")
	}
	s.answered, s.down, s.told, s.gaveUp = true, time.Time{}, false, false
}

// failed records a failed connection and says whether to try again.
func (s *server) failed(err error) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.answered {
		return false
	}
	now := s.now()
	if s.down.IsZero() || !s.gaveUp && now.Sub(s.last) > s.stale {
		s.down, s.told = now, false
	}
	s.last = now
	if s.gaveUp {
		return false
	}
	gone := now.Sub(s.down)
	if gone >= s.policy.Outage {
		s.gaveUp, s.told = true, true
		s.notify("the API server has not answered for %s; what still needs it fails", s.policy.Outage)
		return false
	}
	if !s.told && gone >= s.policy.Quiet {
		s.told = true
		s.notify("the API server stopped answering (%v); waiting up to %s for it", err, s.policy.Outage)
	}
	return true
}

// outlasted reports whether the current outage outlasted the policy.
func (s *server) outlasted() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gaveUp
}

// notify tells Notify a line; s.mu is held, so that lines keep their order.
func (s *server) notify(format string, args ...any) {
	if s.policy.Notify != nil {
		s.policy.Notify(fmt.Sprintf(format, args...))
	}
}

type transport struct {
	next   http.RoundTripper
	server *server
}

// RoundTrip sends req, and sends it again while the server is unreachable
// within the policy's outage and req's context.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	backoff := t.server.policy.Backoff
	try := req
	for {
		resp, err := t.next.RoundTrip(try)
		if err == nil {
			t.server.up()
			return resp, nil
		}
		if !retriable(req, err) {
			return nil, err
		}
		if !t.server.failed(err) {
			if t.server.outlasted() {
				return nil, fmt.Errorf("the API server has not answered for %s: %w", t.server.policy.Outage, err)
			}
			return nil, err
		}
		next, rerr := rewound(req)
		if rerr != nil {
			return nil, err
		}
		pause := time.NewTimer(backoff.Step())
		select {
		case <-req.Context().Done():
			pause.Stop()
			return nil, fmt.Errorf("%w (waiting for the API server, which stopped answering: %w)", context.Cause(req.Context()), err)
		case <-pause.C:
		}
		try = next
	}
}

// WrappedRoundTripper lets client-go reach the transport underneath, to
// cancel requests.
func (t *transport) WrappedRoundTripper() http.RoundTripper { return t.next }

// retriable reports whether req may be sent again after err: a connection
// that could not be made (refused, reset while connecting, no route) sent
// nothing; a read may be repeated after its connection broke before the
// answer.
func retriable(req *http.Request, err error) bool {
	if req.Context().Err() != nil {
		return false
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" || utilnet.IsConnectionRefused(err) {
		return true
	}
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		return false
	}
	return utilnet.IsConnectionReset(err) || utilnet.IsProbableEOF(err) || utilnet.IsHTTP2ConnectionLost(err)
}

// rewound returns a copy of req to send again, with its body from the
// start.
func rewound(req *http.Request) (*http.Request, error) {
	next := req.Clone(req.Context())
	if req.Body == nil || req.Body == http.NoBody {
		return next, nil
	}
	if req.GetBody == nil {
		return nil, errors.New("the request's body cannot be sent again")
	}
	body, err := req.GetBody()
	if err != nil {
		return nil, err
	}
	next.Body = body
	return next, nil
}
