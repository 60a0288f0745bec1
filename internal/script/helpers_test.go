package script

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// fakeLookups answers RecentFailures from fixed lists, fails for the
// resources in errs, and counts the calls of each (resource, n).
type fakeLookups struct {
	answers map[string][]string
	errs    map[string]error

	mu    sync.Mutex
	calls map[string]int
}

func newFakeLookups() *fakeLookups {
	return &fakeLookups{
		answers: map[string][]string{
			"backups":  {"b-failed-2", "b-partial-1"},
			"restores": {"r-failed-1"},
		},
		errs:  map[string]error{},
		calls: map[string]int{},
	}
}

// failing returns a fake whose backups lookup fails.
func failingLookups() *fakeLookups {
	f := newFakeLookups()
	f.errs["backups"] = errors.New(`backups.velero.io is forbidden: User "alice" cannot list resource "backups" in API group "velero.io" in the namespace "velero"`)
	return f
}

func (f *fakeLookups) RecentFailures(_ context.Context, resource string, n int) ([]string, error) {
	f.mu.Lock()
	f.calls[fmt.Sprintf("%s/%d", resource, n)]++
	f.mu.Unlock()
	if err := f.errs[resource]; err != nil {
		return nil, err
	}
	names := f.answers[resource]
	if len(names) > n {
		names = names[:n]
	}
	return names, nil
}

func (f *fakeLookups) callCounts() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[string]int, len(f.calls))
	for k, v := range f.calls {
		out[k] = v
	}
	return out
}

// testSettings are the settings of the golden and .star tests.
func testSettings() Settings {
	return Settings{Namespace: "velero", Backups: []string{"nightly"}, Restores: nil, RecentFailed: 3}
}

// testArgs are the --args of the golden and .star tests.
func testArgs() map[string]string {
	return map[string]string{"app": "shop", "since": "30m", "namespace": "shop-prod"}
}

func testOptions(l Lookups) Options {
	return Options{Settings: testSettings(), Args: testArgs(), Lookups: l}
}
