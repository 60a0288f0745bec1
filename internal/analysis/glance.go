package analysis

import (
	"encoding/json"
	"io"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/velero-debug/velero-debug/internal/bundleread"
)

// Glance is Velero at a glance: what a maintainer checks before any
// failure.
type Glance struct {
	// Server is the Velero server's version, "" when it did not answer.
	Server  string   `json:"server,omitempty"`
	Plugins []string `json:"plugins,omitempty"`
	// ServerError says why Server is empty.
	ServerError string `json:"serverError,omitempty"`
	// Notes are version skews (an image tag that is not the server's
	// version).
	Notes               []string     `json:"notes,omitempty"`
	Images              []string     `json:"images,omitempty"`
	StorageLocations    []Location   `json:"storageLocations,omitempty"`
	SnapshotLocations   []Location   `json:"snapshotLocations,omitempty"`
	Repositories        []Repository `json:"repositories,omitempty"`
	NodeAgents          *NodeAgents  `json:"nodeAgents,omitempty"`
	Restarts            []Restart    `json:"restarts,omitempty"`
	Warnings            []Event      `json:"warnings,omitempty"`
	WarningsLeftOut     int          `json:"warningsLeftOut,omitempty"`
	RepositoriesLeftOut int          `json:"repositoriesLeftOut,omitempty"`
}

// Location is a BackupStorageLocation or VolumeSnapshotLocation.
type Location struct {
	Name           string `json:"name"`
	Provider       string `json:"provider,omitempty"`
	Default        bool   `json:"default,omitempty"`
	Phase          string `json:"phase,omitempty"`
	LastValidation string `json:"lastValidation,omitempty"`
	Message        string `json:"message,omitempty"`
}

// Repository is a BackupRepository with its maintenance history.
type Repository struct {
	Name            string        `json:"name"`
	VolumeNamespace string        `json:"volumeNamespace,omitempty"`
	Type            string        `json:"type,omitempty"`
	Phase           string        `json:"phase,omitempty"`
	Message         string        `json:"message,omitempty"`
	LastMaintenance string        `json:"lastMaintenance,omitempty"`
	Maintenance     []Maintenance `json:"maintenance,omitempty"`
}

// Maintenance is one run of a repository's maintenance
// (status.recentMaintenance, Velero 1.15 and later).
type Maintenance struct {
	Result   string `json:"result"`
	Started  string `json:"started,omitempty"`
	Complete string `json:"complete,omitempty"`
	Message  string `json:"message,omitempty"`
}

// NodeAgents is the node-agent DaemonSet.
type NodeAgents struct {
	Desired int64 `json:"desired"`
	Ready   int64 `json:"ready"`
	// Pods counts the node-agent pods of the bundle.
	Pods int `json:"pods"`
	// Without are the nodes of the bundle with no node-agent pod.
	Without []string `json:"without,omitempty"`
}

// Restart is a container that restarted, with how it last ended.
type Restart struct {
	Pod        string `json:"pod"`
	Container  string `json:"container"`
	Restarts   int64  `json:"restarts"`
	Reason     string `json:"reason,omitempty"`
	ExitCode   int64  `json:"exitCode"`
	FinishedAt string `json:"finishedAt,omitempty"`
	// PreviousLog is the bundle's copy of its previous log, if any.
	PreviousLog string `json:"previousLog,omitempty"`
}

// Event is the events of one reason about one object: how many, the
// last time, and the latest message.
type Event struct {
	Type    string `json:"type"`
	Reason  string `json:"reason"`
	Object  string `json:"object"`
	Count   int64  `json:"count"`
	Last    string `json:"last,omitempty"`
	Message string `json:"message"`
}

// eventOf reads an event of the bundle; kind and name are its object's.
func eventOf(raw json.RawMessage) (e Event, kind, name string, ok bool) {
	var o struct {
		Type           string `json:"type"`
		Reason         string `json:"reason"`
		Message        string `json:"message"`
		Count          int64  `json:"count"`
		LastTimestamp  string `json:"lastTimestamp"`
		EventTime      string `json:"eventTime"`
		InvolvedObject struct {
			Kind string `json:"kind"`
			Name string `json:"name"`
		} `json:"involvedObject"`
	}
	if json.Unmarshal(raw, &o) != nil {
		return Event{}, "", "", false
	}
	kind, name = o.InvolvedObject.Kind, o.InvolvedObject.Name
	e = Event{Type: o.Type, Reason: o.Reason, Object: kind + "/" + name, Count: max(o.Count, 1), Last: o.LastTimestamp, Message: cut(o.Message, maxLineBytes)}
	if e.Last == "" {
		e.Last = o.EventTime
	}
	return e, kind, name, true
}

// merge adds e, a later or earlier event of the same reason and object,
// to x: the counts add up, the latest message stays.
func (x *Event) merge(e Event) {
	count := x.Count + e.Count
	if e.Last >= x.Last {
		*x = e
	}
	x.Count = count
}

// Bounds of the glance: a namespace may hold thousands of repositories
// and events.
const (
	maxRepositories = 50
	maxWarnings     = 30
	maxMaintenance  = 3
)

// glancer keeps the glance while the items stream past.
type glancer struct {
	g        Glance
	nodes    []string
	agents   map[string]bool // nodes with a node-agent pod
	warnings map[[2]string]*Event
}

func newGlancer() *glancer {
	return &glancer{agents: map[string]bool{}, warnings: map[[2]string]*Event{}}
}

// reader returns what reads the item at path p (parts, split), or nil
// when the glance does not read it.
func (gl *glancer) reader(p string, parts []string) func(io.Reader) error {
	each := func(f func(json.RawMessage)) func(io.Reader) error {
		return func(r io.Reader) error { return bundleread.EachListItem(r, f) }
	}
	switch {
	case p == "velero/version.json":
		return func(r io.Reader) error {
			gl.version(r)
			return nil
		}
	case p == "cluster/nodes.json":
		return each(func(raw json.RawMessage) {
			var o struct {
				Metadata struct{ Name string } `json:"metadata"`
			}
			if json.Unmarshal(raw, &o) == nil {
				gl.nodes = append(gl.nodes, o.Metadata.Name)
			}
		})
	case len(parts) == 4 && parts[0] == "resources" && parts[2] == "velero.io_v1":
		switch parts[3] {
		case "backupstoragelocations.json":
			return each(func(raw json.RawMessage) { gl.g.StorageLocations = append(gl.g.StorageLocations, location(raw)) })
		case "volumesnapshotlocations.json":
			return each(func(raw json.RawMessage) { gl.g.SnapshotLocations = append(gl.g.SnapshotLocations, location(raw)) })
		}
	}
	return nil
}

func (gl *glancer) version(r io.Reader) {
	var v struct {
		Server  map[string]string `json:"server"`
		Plugins []struct {
			Name string `json:"name"`
			Kind string `json:"kind"`
		} `json:"plugins"`
		Images []struct {
			Workload, Container, Image string
			Init                       bool
		} `json:"images"`
		Notes []string `json:"notes"`
	}
	if json.NewDecoder(io.LimitReader(r, 16<<20)).Decode(&v) != nil {
		return
	}
	gl.g.Server = v.Server["version"]
	gl.g.ServerError = v.Server["error"]
	if gl.g.ServerError == "" {
		gl.g.ServerError = v.Server["note"]
	}
	seen := map[string]bool{}
	for _, p := range v.Plugins {
		if !seen[p.Name] {
			seen[p.Name] = true
			gl.g.Plugins = append(gl.g.Plugins, p.Name)
		}
	}
	for _, img := range v.Images {
		gl.g.Images = append(gl.g.Images, img.Workload+" "+img.Container+": "+img.Image)
	}
	gl.g.Notes = v.Notes
}

func location(raw json.RawMessage) Location {
	var o struct {
		Metadata struct{ Name string } `json:"metadata"`
		Spec     struct {
			Provider string `json:"provider"`
			Default  bool   `json:"default"`
		} `json:"spec"`
		Status struct {
			Phase          string `json:"phase"`
			LastValidation string `json:"lastValidationTime"`
			Message        string `json:"message"`
		} `json:"status"`
	}
	_ = json.Unmarshal(raw, &o)
	return Location{Name: o.Metadata.Name, Provider: o.Spec.Provider, Default: o.Spec.Default, Phase: o.Status.Phase,
		LastValidation: o.Status.LastValidation, Message: cut(o.Status.Message, maxLineBytes)}
}

func (gl *glancer) repository(raw json.RawMessage) {
	var o struct {
		Metadata struct{ Name string } `json:"metadata"`
		Spec     struct {
			VolumeNamespace string `json:"volumeNamespace"`
			RepositoryType  string `json:"repositoryType"`
		} `json:"spec"`
		Status struct {
			Phase             string `json:"phase"`
			Message           string `json:"message"`
			LastMaintenance   string `json:"lastMaintenanceTime"`
			RecentMaintenance []struct {
				Result   string `json:"result"`
				Start    string `json:"startTimestamp"`
				Complete string `json:"completeTimestamp"`
				Message  string `json:"message"`
			} `json:"recentMaintenance"`
		} `json:"status"`
	}
	if json.Unmarshal(raw, &o) != nil {
		return
	}
	rep := Repository{Name: o.Metadata.Name, VolumeNamespace: o.Spec.VolumeNamespace, Type: o.Spec.RepositoryType,
		Phase: o.Status.Phase, Message: cut(o.Status.Message, maxLineBytes), LastMaintenance: o.Status.LastMaintenance}
	failedMaintenance := false
	for _, m := range o.Status.RecentMaintenance {
		if !strings.EqualFold(m.Result, "Succeeded") {
			failedMaintenance = true
		}
	}
	ms := o.Status.RecentMaintenance
	for _, m := range ms[max(0, len(ms)-maxMaintenance):] { // the latest
		rep.Maintenance = append(rep.Maintenance, Maintenance{Result: m.Result, Started: m.Start, Complete: m.Complete, Message: cut(m.Message, maxLineBytes)})
	}
	// A healthy repository is a line; the glance keeps the troubled ones
	// first when there are too many.
	troubled := rep.Phase != "Ready" || failedMaintenance
	if len(gl.g.Repositories) >= maxRepositories {
		if !troubled {
			gl.g.RepositoriesLeftOut++
			return
		}
		i := slices.IndexFunc(gl.g.Repositories, func(r Repository) bool { return r.Phase == "Ready" && !anyFailed(r.Maintenance) })
		if i < 0 {
			gl.g.RepositoriesLeftOut++
			return
		}
		gl.g.Repositories = slices.Delete(gl.g.Repositories, i, i+1)
		gl.g.RepositoriesLeftOut++
	}
	gl.g.Repositories = append(gl.g.Repositories, rep)
}

func anyFailed(ms []Maintenance) bool {
	return slices.ContainsFunc(ms, func(m Maintenance) bool { return !strings.EqualFold(m.Result, "Succeeded") })
}

func (gl *glancer) daemonSet(raw json.RawMessage) {
	var o struct {
		Metadata struct{ Name string } `json:"metadata"`
		Status   struct {
			Desired int64 `json:"desiredNumberScheduled"`
			Ready   int64 `json:"numberReady"`
		} `json:"status"`
	}
	if json.Unmarshal(raw, &o) == nil && o.Metadata.Name == "node-agent" {
		gl.g.NodeAgents = &NodeAgents{Desired: o.Status.Desired, Ready: o.Status.Ready}
	}
}

// podObject is what the analysis reads of a pod.
type podObject struct {
	Metadata struct {
		Name   string            `json:"name"`
		Labels map[string]string `json:"labels"`
	} `json:"metadata"`
	Spec struct {
		NodeName string `json:"nodeName"`
	} `json:"spec"`
	Status struct {
		Phase      string `json:"phase"`
		Reason     string `json:"reason"`
		Message    string `json:"message"`
		Conditions []struct {
			Type, Status, Reason, Message string
		} `json:"conditions"`
		InitContainerStatuses []containerStatus `json:"initContainerStatuses"`
		ContainerStatuses     []containerStatus `json:"containerStatuses"`
	} `json:"status"`
}

// containers are the statuses of p's init and regular containers.
func (p *podObject) containers() []containerStatus {
	return append(slices.Clip(p.Status.InitContainerStatuses), p.Status.ContainerStatuses...)
}

// pod notes a pod of Velero's namespace: its node-agent, and its
// containers that restarted.
func (gl *glancer) pod(namespace string, o *podObject) {
	if o.Metadata.Labels["name"] == "node-agent" && o.Spec.NodeName != "" {
		gl.agents[o.Spec.NodeName] = true
	}
	for _, cs := range o.containers() {
		if cs.RestartCount == 0 {
			continue
		}
		t := cs.LastState.Terminated
		r := Restart{Pod: o.Metadata.Name, Container: cs.Name, Restarts: cs.RestartCount, Reason: t.Reason, ExitCode: t.ExitCode, FinishedAt: t.FinishedAt,
			PreviousLog: path.Join("logs", namespace, o.Metadata.Name, cs.Name+".previous.log")} // kept if the bundle has it
		gl.g.Restarts = append(gl.g.Restarts, r)
	}
}

// containerStatus is what the analysis reads of a container's status.
type containerStatus struct {
	Name         string `json:"name"`
	RestartCount int64  `json:"restartCount"`
	State        struct {
		Waiting *struct {
			Reason, Message string
		} `json:"waiting"`
		Terminated *struct {
			Reason, Message string
			ExitCode        int64 `json:"exitCode"`
		} `json:"terminated"`
	} `json:"state"`
	LastState struct {
		Terminated struct {
			Reason     string `json:"reason"`
			ExitCode   int64  `json:"exitCode"`
			FinishedAt string `json:"finishedAt"`
		} `json:"terminated"`
	} `json:"lastState"`
}

// problem says why container c waits or ended, "" when it runs or ended
// well.
func (c containerStatus) problem() string {
	switch st := c.State; {
	case st.Waiting != nil && st.Waiting.Reason != "" && st.Waiting.Reason != "ContainerCreating":
		return joinNonEmpty("container "+c.Name+" waiting: "+st.Waiting.Reason, st.Waiting.Message)
	case st.Terminated != nil && st.Terminated.ExitCode != 0:
		return joinNonEmpty("container "+c.Name+" ended: "+st.Terminated.Reason, st.Terminated.Message)
	}
	return ""
}

// event counts a Warning event in its group.
func (gl *glancer) event(e Event) {
	if e.Type != "Warning" {
		return
	}
	key := [2]string{e.Reason, e.Object}
	w := gl.warnings[key]
	if w == nil {
		if len(gl.warnings) >= maxWarnings {
			gl.g.WarningsLeftOut++
			return
		}
		w = &Event{Type: e.Type, Reason: e.Reason, Object: e.Object}
		gl.warnings[key] = w
	}
	w.merge(e)
}

// glance ends the first pass; previous are the paths of the bundle's
// previous logs.
func (gl *glancer) glance(previous map[string]bool) Glance {
	g := gl.g
	g.Restarts = slices.Clone(g.Restarts)
	for i := range g.Restarts {
		if !previous[g.Restarts[i].PreviousLog] {
			g.Restarts[i].PreviousLog = ""
		}
	}
	if g.NodeAgents != nil {
		na := *g.NodeAgents
		g.NodeAgents = &na
		g.NodeAgents.Pods = len(gl.agents)
		for _, n := range gl.nodes {
			if !gl.agents[n] {
				g.NodeAgents.Without = append(g.NodeAgents.Without, n)
			}
		}
	}
	for _, w := range gl.warnings {
		g.Warnings = append(g.Warnings, *w)
	}
	sort.Slice(g.Warnings, func(i, j int) bool {
		if g.Warnings[i].Count != g.Warnings[j].Count {
			return g.Warnings[i].Count > g.Warnings[j].Count
		}
		if g.Warnings[i].Reason != g.Warnings[j].Reason {
			return g.Warnings[i].Reason < g.Warnings[j].Reason
		}
		return g.Warnings[i].Object < g.Warnings[j].Object
	})
	sort.Slice(g.Restarts, func(i, j int) bool {
		if g.Restarts[i].Pod != g.Restarts[j].Pod {
			return g.Restarts[i].Pod < g.Restarts[j].Pod
		}
		return g.Restarts[i].Container < g.Restarts[j].Container
	})
	return g
}
