package analysis

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/velero-debug/velero-debug/internal/veleroapi"
)

// A backup or restore that has not ended long after it was made is a
// failure too: Velero waits for something that does not come (a node-agent
// that cannot prepare a volume, a plugin operation, a queue). The analysis
// finds them in the lists of backups and restores and among those
// collected in detail, and says how long each has run when the bundle was
// made.

// maxRunning bounds the backups and restores that have not ended the
// analysis keeps: the oldest.
const maxRunning = 20

// Thresholds past which a backup or restore that has not ended is
// reported: Velero takes a new one within seconds; a queue, a main pass
// or a plugin operation may take long, but rarely an hour, and never past
// the item operation timeout.
const (
	notStartedAfter = 10 * time.Minute
	runningAfter    = time.Hour
)

// running is a backup or restore that had not ended.
type running struct {
	kind, namespace, name, phase string
	// since is when it started (its startTimestamp), else when it was
	// made.
	since         string
	started       bool
	queuePosition int64
	// timeout is its item operation timeout, for the plugin operations
	// Velero waits for.
	timeout time.Duration
}

// runningOf returns what is kept of o, a backup or restore (resource),
// and whether it has not ended.
func runningOf(resource string, raw json.RawMessage) (running, bool) {
	var o struct {
		Metadata struct {
			Name              string `json:"name"`
			Namespace         string `json:"namespace"`
			CreationTimestamp string `json:"creationTimestamp"`
		} `json:"metadata"`
		Spec struct {
			ItemOperationTimeout string `json:"itemOperationTimeout"`
		} `json:"spec"`
		Status struct {
			Phase          string `json:"phase"`
			StartTimestamp string `json:"startTimestamp"`
			QueuePosition  int64  `json:"queuePosition"`
		} `json:"status"`
	}
	if json.Unmarshal(raw, &o) != nil || !veleroapi.Running(o.Status.Phase) || o.Metadata.Name == "" {
		return running{}, false
	}
	r := running{kind: strings.TrimSuffix(resource, "s"), namespace: o.Metadata.Namespace, name: o.Metadata.Name,
		phase: o.Status.Phase, since: o.Status.StartTimestamp, started: o.Status.StartTimestamp != "", queuePosition: o.Status.QueuePosition}
	if r.phase == "" {
		r.phase = veleroapi.PhaseNew
	}
	if !r.started {
		r.since = o.Metadata.CreationTimestamp
	}
	r.timeout, _ = time.ParseDuration(o.Spec.ItemOperationTimeout)
	return r, true
}

// keepRunning adds r, of a list, to the kept ones: the oldest maxRunning,
// by start and then key, whatever the order they come in.
func (a *Analyzer) keepRunning(key string, r running) {
	if _, ok := a.running[key]; !ok && len(a.running) >= maxRunning {
		newest := ""
		for k, x := range a.running {
			if a.detailRead[k] {
				continue // a detail's stays
			}
			if newest == "" || later(x.since, k, a.running[newest].since, newest) {
				newest = k
			}
		}
		if newest == "" || !later(a.running[newest].since, newest, r.since, key) {
			return
		}
		delete(a.running, newest)
	}
	a.running[key] = r
}

// later reports whether (since, key) comes after (since2, key2).
func later(since, key, since2, key2 string) bool {
	if since != since2 {
		return since > since2
	}
	return key > key2
}

// threshold is how long a backup or restore may stay unended in r's
// phase before the analysis reports it.
func (r running) threshold() time.Duration {
	switch {
	case !r.started && (r.phase == veleroapi.PhaseNew || r.phase == ""):
		return notStartedAfter
	case strings.HasPrefix(r.phase, veleroapi.PhaseWaitingForPluginOperations):
		return max(runningAfter, r.timeout)
	}
	return runningAfter
}

// overdue returns the failures of the backups and restores that had not
// ended past their threshold when the bundle was made (now), oldest
// first.
func (a *Analyzer) overdue(now time.Time) []*Failure {
	if now.IsZero() {
		return nil
	}
	var out []*Failure
	since := map[*Failure]string{}
	for key, r := range a.running {
		start, err := time.Parse(time.RFC3339, r.since)
		if err != nil {
			continue
		}
		age := now.Sub(start)
		if age <= r.threshold() {
			continue
		}
		f := &Failure{Kind: r.kind, Namespace: r.namespace, Name: r.name, Phase: r.phase, Running: formatAge(age),
			QueuePosition: r.queuePosition, key: key}
		if r.started {
			f.Started = r.since
		} else {
			f.Created = r.since
		}
		since[f] = r.since
		out = append(out, f)
	}
	slices.SortFunc(out, func(x, y *Failure) int { return strings.Compare(since[x]+x.key, since[y]+y.key) })
	return out
}

// formatAge says an age for people: "5h", "2h10m", "12m", "40s".
func formatAge(d time.Duration) string {
	if d < time.Minute {
		return d.Round(time.Second).String()
	}
	d = d.Round(time.Minute)
	h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
	switch {
	case h == 0:
		return fmt.Sprintf("%dm", m)
	case m == 0:
		return fmt.Sprintf("%dh", h)
	}
	return fmt.Sprintf("%dh%dm", h, m)
}
