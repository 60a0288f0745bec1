package bundle

import (
	"cmp"
	"maps"
	"slices"
	"time"

	"github.com/velero-debug/velero-debug/internal/budget"
)

// Meta is what the caller tells Close about the run.
type Meta struct {
	// Tool names the program that wrote the bundle.
	Tool Tool
	// Cluster describes the cluster the bundle was collected from.
	Cluster Cluster
	// Options are the run's options, as they should appear in the manifest
	// and the summary. Values must be encodable as JSON.
	Options map[string]any
	// Started is when the run started; zero means when Create was called.
	Started time.Time
	// Finished is when the run finished; zero means when Close was called.
	Finished time.Time
	// Complete reports that the run was not interrupted.
	Complete bool
	// Focus is what the bundle is about: the logs a size budget cuts keep
	// the lines that name it, and the tails of its First logs first.
	Focus budget.Focus
	// Budget is the record of a size budget kept before, for a bundle
	// rewritten from another; a Writer with a budget of its own writes
	// its own.
	Budget *Budget
}

// Tool names the program that wrote a bundle.
type Tool struct {
	// Name is the program's name, for example "velero-debug".
	Name string `json:"name"`
	// Version is the program's version.
	Version string `json:"version"`
}

// Cluster describes the cluster a bundle was collected from.
type Cluster struct {
	// Context is the kubeconfig context used, if any.
	Context string `json:"context"`
	// Server is the API server's URL.
	Server string `json:"server"`
	// KubernetesVersion is the API server's version, for example "v1.31.2".
	KubernetesVersion string `json:"kubernetesVersion"`
}

// Manifest is the content of manifest.json.
type Manifest struct {
	// Tool names the program that wrote the bundle.
	Tool Tool `json:"tool"`
	// Started is when the run started, in UTC.
	Started time.Time `json:"started"`
	// Finished is when the run finished, in UTC.
	Finished time.Time `json:"finished"`
	// Cluster describes the cluster the bundle was collected from.
	Cluster Cluster `json:"cluster"`
	// Options are the run's options; never nil.
	Options map[string]any `json:"options"`
	// Complete reports that the run was not interrupted and that no item was
	// still open when the bundle was closed.
	Complete bool `json:"complete"`
	// Items lists every item, sorted by path; never nil. manifest.json and
	// summary.md are not listed.
	Items []ManifestItem `json:"items"`
	// Budget is what --max-size did, when it was given.
	Budget *Budget `json:"budget,omitempty"`
}

// Budget is what a size budget (--max-size) did to a bundle.
type Budget struct {
	// MaxBytes is the most the bundle was to weigh, compressed.
	MaxBytes int64 `json:"maxBytes"`
	// LogsCut is the number of logs cut to fit; OriginalBytes and
	// KeptBytes their sizes before the cut and the bytes of them kept.
	LogsCut       int   `json:"logsCut"`
	OriginalBytes int64 `json:"originalBytes"`
	KeptBytes     int64 `json:"keptBytes"`
	// OverBytes, when positive, is by how much what may not be cut
	// (Velero's objects and downloads, the cluster's objects) was already
	// over the budget, as the logs were fitted: every log was then left
	// out but its marker line.
	OverBytes int64 `json:"overBytes,omitempty"`
}

func newManifest(meta Meta, items []ManifestItem) Manifest {
	items = slices.Clone(items)
	if items == nil {
		items = []ManifestItem{}
	}
	slices.SortFunc(items, func(a, b ManifestItem) int { return cmp.Compare(a.Path, b.Path) })
	options := maps.Clone(meta.Options)
	if options == nil {
		options = map[string]any{}
	}
	return Manifest{
		Tool:     meta.Tool,
		Started:  utc(meta.Started),
		Finished: utc(meta.Finished),
		Cluster:  meta.Cluster,
		Options:  options,
		Complete: meta.Complete,
		Items:    items,
	}
}

// utc returns t in UTC to the millisecond, which encodes as RFC 3339.
func utc(t time.Time) time.Time {
	return t.UTC().Truncate(time.Millisecond)
}
