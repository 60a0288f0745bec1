// Package nosecrets makes sure velero-debug never reads a Secret, whatever
// a plan or a script asks: every request to the API server passes a
// RoundTripper that refuses the core group's secrets resource, in any
// namespace, by any verb, before it leaves the process.
package nosecrets

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"k8s.io/client-go/rest"
)

// ErrRefused is the error of a request for Secrets.
var ErrRefused = errors.New("velero-debug never reads Secrets")

// Wrap makes cfg refuse every request for Secrets.
func Wrap(cfg *rest.Config) {
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { return refuser{next: rt} })
}

type refuser struct{ next http.RoundTripper }

func (r refuser) RoundTrip(req *http.Request) (*http.Response, error) {
	if IsSecretsPath(req.URL.Path) || IsSecretsPath(req.URL.RawPath) {
		return nil, fmt.Errorf("%w: refused %s %s", ErrRefused, req.Method, req.URL.Path)
	}
	return r.next.RoundTrip(req)
}

// WrappedRoundTripper lets client-go reach the transport underneath, to
// cancel requests.
func (r refuser) WrappedRoundTripper() http.RoundTripper { return r.next }

// IsSecretsPath reports whether an API path names the core group's
// secrets: /api/v1/secrets, /api/v1/namespaces/<ns>/secrets[/<name>...],
// and the same under /api/v1/watch, also behind any prefix (a server URL
// with a path, such as Rancher's /k8s/clusters/<id>). Paths are compared
// without case and without empty segments, as a proxy in front of the
// server might treat them.
func IsSecretsPath(p string) bool {
	var segs []string
	for _, s := range strings.Split(p, "/") {
		if s != "" && s != "." {
			segs = append(segs, strings.ToLower(s))
		}
	}
	for i, s := range segs {
		if s == "api" && secretsAfterAPI(segs[i+1:]) {
			return true
		}
	}
	return false
}

// secretsAfterAPI reports whether the segments after "api" are
// <version>/[watch/][namespaces/<ns>/]secrets[/...].
func secretsAfterAPI(rest []string) bool {
	if len(rest) < 2 {
		return false
	}
	rest = rest[1:] // the version
	if rest[0] == "watch" {
		rest = rest[1:]
	}
	if len(rest) >= 2 && rest[0] == "namespaces" {
		rest = rest[2:]
	}
	return len(rest) > 0 && rest[0] == "secrets"
}
