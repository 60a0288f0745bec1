package reconnect

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"
)

// flaky is an HTTP server on a fixed loopback address that can go away
// (connections refused) and come back on the same address.
type flaky struct {
	t    *testing.T
	addr string
	hits atomic.Int64
	body sync.Map // the bodies of POST requests, by count
	mu   sync.Mutex
	srv  *http.Server
}

func listen(addr string) (net.Listener, error) {
	return (&net.ListenConfig{}).Listen(context.Background(), "tcp", addr)
}

func newFlaky(t *testing.T) *flaky {
	t.Helper()
	l, err := listen("127.0.0.1:0")
	require.NoError(t, err)
	f := &flaky{t: t, addr: l.Addr().String()}
	f.serve(l)
	t.Cleanup(f.down)
	return f
}

func (f *flaky) serve(l net.Listener) {
	srv := &http.Server{ReadHeaderTimeout: time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := f.hits.Add(1)
		if r.Method == http.MethodPost {
			b, _ := io.ReadAll(r.Body)
			f.body.Store(n, string(b))
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"kind":"Status","apiVersion":"v1","status":"Success"}`)
	})}
	f.mu.Lock()
	f.srv = srv
	f.mu.Unlock()
	go func() { _ = srv.Serve(l) }()
}

// down closes the listener and every connection: new ones are refused.
func (f *flaky) down() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.srv != nil {
		_ = f.srv.Close()
		f.srv = nil
	}
}

// upAfter listens on the same address again after d.
func (f *flaky) upAfter(d time.Duration) {
	time.AfterFunc(d, func() {
		l, err := listen(f.addr)
		if err != nil {
			f.t.Errorf("listening again on %s: %v", f.addr, err)
			return
		}
		f.serve(l)
	})
}

// notes keeps what a policy's Notify heard.
type notes struct {
	mu    sync.Mutex
	lines []string
}

func (n *notes) add(line string) {
	n.mu.Lock()
	n.lines = append(n.lines, line)
	n.mu.Unlock()
}

func (n *notes) all() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.lines...)
}

func client(t *testing.T, f *flaky, outage time.Duration) (*http.Client, *notes) {
	t.Helper()
	n := &notes{}
	cfg := &rest.Config{Host: "http://" + f.addr}
	Wrap(cfg, Policy{Outage: outage, Backoff: wait.Backoff{Duration: 10 * time.Millisecond, Factor: 2, Cap: 100 * time.Millisecond}, Notify: n.add})
	hc, err := rest.HTTPClientFor(cfg)
	require.NoError(t, err)
	return hc, n
}

// answeredThenDown has hc hear f once, then takes f down.
func answeredThenDown(t *testing.T, f *flaky, hc *http.Client) {
	t.Helper()
	require.NoError(t, get(t.Context(), hc, "http://"+f.addr+"/version"))
	f.down()
}

func get(ctx context.Context, hc *http.Client, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	return resp.Body.Close()
}

func TestNeverAnsweredFailsAtOnce(t *testing.T) {
	t.Parallel()
	l, err := listen("127.0.0.1:0")
	require.NoError(t, err)
	require.NoError(t, l.Close())
	hc, _ := client(t, &flaky{addr: l.Addr().String()}, time.Minute)
	start := time.Now()
	err = get(t.Context(), hc, "http://"+l.Addr().String()+"/version")
	require.ErrorContains(t, err, "connection refused")
	require.NotContains(t, err.Error(), "has not answered", "a server that never answered is not an outage")
	require.Less(t, time.Since(start), time.Second)
}

func TestRestartIsWaitedFor(t *testing.T) {
	t.Parallel()
	f := newFlaky(t)
	hc, n := client(t, f, time.Minute)
	answeredThenDown(t, f, hc)
	f.upAfter(300 * time.Millisecond)
	start := time.Now()
	require.NoError(t, get(t.Context(), hc, "http://"+f.addr+"/api/v1/pods"))
	require.GreaterOrEqual(t, time.Since(start), 300*time.Millisecond)
	require.Equal(t, int64(2), f.hits.Load())
	lines := n.all()
	require.Len(t, lines, 2, "once when it goes, once when it is back")
	require.Contains(t, lines[0], "the API server stopped answering (")
	require.Contains(t, lines[0], "waiting up to 1m0s for it")
	require.Contains(t, lines[1], "the API server answers again, after ")
}

func TestBodyIsSentAgain(t *testing.T) {
	t.Parallel()
	f := newFlaky(t)
	hc, _ := client(t, f, time.Minute)
	answeredThenDown(t, f, hc)
	f.upAfter(200 * time.Millisecond)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, "http://"+f.addr+"/apis/velero.io/v1/namespaces/velero/downloadrequests", strings.NewReader(`{"kind":"DownloadRequest"}`))
	require.NoError(t, err)
	resp, err := hc.Do(req)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	got, ok := f.body.Load(int64(2))
	require.True(t, ok)
	require.JSONEq(t, `{"kind":"DownloadRequest"}`, got.(string))
}

// TestOutageIsBounded: past the outage the request fails saying for how
// long the server has not answered, and later requests do not wait.
func TestOutageIsBounded(t *testing.T) {
	t.Parallel()
	f := newFlaky(t)
	hc, n := client(t, f, 300*time.Millisecond)
	answeredThenDown(t, f, hc)
	start := time.Now()
	err := get(t.Context(), hc, "http://"+f.addr+"/api")
	require.ErrorContains(t, err, "the API server has not answered for")
	require.ErrorContains(t, err, "connect:")
	require.Less(t, time.Since(start), 2*time.Second)
	start = time.Now()
	require.Error(t, get(t.Context(), hc, "http://"+f.addr+"/api"))
	require.Less(t, time.Since(start), 100*time.Millisecond, "the outage is the run's, not each request's")
	require.ErrorContains(t, err, "the API server has not answered for 300ms")
	lines := n.all()
	require.Len(t, lines, 2, "once when it goes, once when the wait ends")
	require.Equal(t, "the API server has not answered for 300ms; what still needs it fails", lines[1])
	f.upAfter(0)
	require.Eventually(t, func() bool { return get(t.Context(), hc, "http://"+f.addr+"/api") == nil }, time.Second, 10*time.Millisecond,
		"the first try of each request still goes out")
	require.Equal(t, "the API server answers again", n.all()[2])
}

// TestBlipIsQuiet: an outage shorter than Quiet is waited for without a
// word.
func TestBlipIsQuiet(t *testing.T) {
	t.Parallel()
	f := newFlaky(t)
	n := &notes{}
	cfg := &rest.Config{Host: "http://" + f.addr}
	Wrap(cfg, Policy{Outage: time.Minute, Quiet: time.Hour, Backoff: wait.Backoff{Duration: 10 * time.Millisecond}, Notify: n.add})
	hc, err := rest.HTTPClientFor(cfg)
	require.NoError(t, err)
	answeredThenDown(t, f, hc)
	f.upAfter(100 * time.Millisecond)
	require.NoError(t, get(t.Context(), hc, "http://"+f.addr+"/api"))
	require.Empty(t, n.all())
}

// TestCutsAfterSending: a read whose connection is cut before its answer
// is sent again once the server has answered before; a write cut after it
// was sent may have been done and is not.
func TestCutsAfterSending(t *testing.T) {
	t.Parallel()
	var hits atomic.Int64
	var cut atomic.Bool
	l, err := listen("127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{ReadHeaderTimeout: time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if cut.Swap(false) || r.Method == http.MethodPost {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				_ = conn.Close() // cut before any answer
			}
			return
		}
		_, _ = io.WriteString(w, "{}")
	})}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	cfg := &rest.Config{Host: "http://" + l.Addr().String()}
	Wrap(cfg, Policy{Outage: time.Minute, Backoff: wait.Backoff{Duration: 10 * time.Millisecond}})
	hc, err := rest.HTTPClientFor(cfg)
	require.NoError(t, err)
	url := "http://" + l.Addr().String() + "/x"

	cut.Store(true)
	require.Error(t, get(t.Context(), hc, url), "cut before the server ever answered: not an outage")
	require.NoError(t, get(t.Context(), hc, url))
	before := hits.Load()
	cut.Store(true)
	require.NoError(t, get(t.Context(), hc, url), "a read cut after the server answered before is sent again")
	require.Equal(t, int64(2), hits.Load()-before)

	before = hits.Load()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url, strings.NewReader("{}"))
	require.NoError(t, err)
	resp, err := hc.Do(req)
	if err == nil {
		_ = resp.Body.Close()
	}
	require.Error(t, err)
	require.Equal(t, int64(1), hits.Load()-before, "a write cut after it was sent is not sent again")
}

// counting counts the tries that reach the network.
type counting struct {
	next  http.RoundTripper
	tries *atomic.Int64
}

func (c counting) RoundTrip(req *http.Request) (*http.Response, error) {
	c.tries.Add(1)
	return c.next.RoundTrip(req)
}

// TestDefaultBackoffGrows: the default pause doubles (250ms, 500ms, 1s,
// ...): a second and a half of outage costs a handful of tries, not one
// every 250ms.
func TestDefaultBackoffGrows(t *testing.T) {
	t.Parallel()
	f := newFlaky(t)
	var tries atomic.Int64
	cfg := &rest.Config{Host: "http://" + f.addr}
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { return counting{next: rt, tries: &tries} })
	Wrap(cfg, Policy{Outage: time.Minute})
	hc, err := rest.HTTPClientFor(cfg)
	require.NoError(t, err)
	answeredThenDown(t, f, hc)
	f.upAfter(1500 * time.Millisecond)
	tries.Store(0)
	require.NoError(t, get(t.Context(), hc, "http://"+f.addr+"/api"))
	require.LessOrEqual(t, tries.Load(), int64(5), "about 0, 0.25, 0.75, 1.75s")
}

// TestEndedWhileWaiting: a request whose context ends while it waits for
// the server fails with its context's error (an interrupt is a
// cancellation, a deadline a timeout), with the server's error beside it.
func TestEndedWhileWaiting(t *testing.T) {
	t.Parallel()
	f := newFlaky(t)
	hc, _ := client(t, f, time.Hour)
	answeredThenDown(t, f, hc)
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	err := get(ctx, hc, "http://"+f.addr+"/api")
	require.ErrorIs(t, err, context.Canceled)
	require.ErrorContains(t, err, "waiting for the API server, which stopped answering")
	require.Less(t, time.Since(start), time.Second)

	ctx, cancel = context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, get(ctx, hc, "http://"+f.addr+"/api"), context.DeadlineExceeded)
}

// TestStaleOutage: an outage whose waiting requests gave up on their own
// is not counted on: after the server came back unseen, a new short
// outage is waited for, not failed at once.
func TestStaleOutage(t *testing.T) {
	t.Parallel()
	f := newFlaky(t)
	n := &notes{}
	cfg := &rest.Config{Host: "http://" + f.addr}
	Wrap(cfg, Policy{Outage: 500 * time.Millisecond, Backoff: wait.Backoff{Duration: 10 * time.Millisecond, Factor: 2, Cap: 40 * time.Millisecond}, Notify: n.add})
	hc, err := rest.HTTPClientFor(cfg)
	require.NoError(t, err)
	answeredThenDown(t, f, hc)
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	require.Error(t, get(ctx, hc, "http://"+f.addr+"/api"), "gave up on its own")
	f.upAfter(0)
	time.Sleep(600 * time.Millisecond) // up, and nobody asks
	f.down()
	f.upAfter(200 * time.Millisecond)
	require.NoError(t, get(t.Context(), hc, "http://"+f.addr+"/api"), "a new outage, within the policy")
}

func TestZeroPolicyChangesNothing(t *testing.T) {
	t.Parallel()
	cfg := &rest.Config{Host: "http://127.0.0.1:1"}
	Wrap(cfg, Policy{})
	require.Nil(t, cfg.WrapTransport)
}
