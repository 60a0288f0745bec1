package analysis

import (
	"encoding/json"
	"io"
	"slices"
	"strings"

	"github.com/velero-debug/velero-debug/internal/veleroapi"

	"github.com/velero-debug/velero-debug/internal/bundleread"
)

// DataPath is what the bundle holds of the short-lived objects a volume
// operation's data path used, where they still existed: the pod that
// moved its data, the snapshot it read, and their events.
type DataPath struct {
	// Pod is the data mover's or pod volume exposer's pod, named after
	// the operation.
	Pod *PodState `json:"pod,omitempty"`
	// Snapshot is the VolumeSnapshot a DataUpload reads.
	Snapshot *Snapshot `json:"snapshot,omitempty"`
	// Events are the latest events of the operation, its pod and its
	// PVC (all named after it), newest first.
	Events []Event `json:"events,omitempty"`
}

// PodState is a pod's status, as kubectl describe shows what matters.
type PodState struct {
	Name  string `json:"name"`
	Phase string `json:"phase,omitempty"`
	Node  string `json:"node,omitempty"`
	// Problems are its conditions that are false with a reason
	// (Unschedulable...) and its containers that wait or ended with a
	// reason (ImagePullBackOff, OOMKilled...), each with its message.
	Problems []string `json:"problems,omitempty"`
}

// Snapshot is a VolumeSnapshot's state.
type Snapshot struct {
	Namespace  string `json:"namespace"`
	Name       string `json:"name"`
	ReadyToUse *bool  `json:"readyToUse,omitempty"`
	Error      string `json:"error,omitempty"`
	Content    string `json:"content,omitempty"`
}

// Bounds of what the analysis keeps of the data path.
const (
	maxDataPathObjects = 2000
	maxEventsPerObject = 5
	maxSnapshots       = 5000
)

// dataPaths keeps the data-path objects while the items stream past.
type dataPaths struct {
	pods      map[string]PodState // by operation name
	events    map[string][]Event  // by the name of the object
	snapshots map[string]Snapshot // by namespace/name
}

func newDataPaths() *dataPaths {
	return &dataPaths{pods: map[string]PodState{}, events: map[string][]Event{}, snapshots: map[string]Snapshot{}}
}

// eventKinds are the kinds of the objects whose events tell of a data
// path: named after the operation, or its snapshot.
var eventKinds = map[string]bool{"Pod": true, "PersistentVolumeClaim": true, "DataUpload": true, "DataDownload": true,
	"PodVolumeBackup": true, "PodVolumeRestore": true, "VolumeSnapshot": true}

// pod keeps a data-path pod of Velero's namespace.
func (d *dataPaths) pod(o *podObject) {
	if len(d.pods) >= maxDataPathObjects {
		return
	}
	op := ""
	for _, k := range veleroapi.VolumeKinds {
		if v := o.Metadata.Labels[k.PodLabel]; v != "" {
			op = v
		}
	}
	if op == "" {
		return
	}
	p := PodState{Name: o.Metadata.Name, Phase: o.Status.Phase, Node: o.Spec.NodeName}
	if o.Status.Reason != "" || o.Status.Message != "" {
		p.Problems = append(p.Problems, joinNonEmpty(o.Status.Reason, o.Status.Message))
	}
	for _, c := range o.Status.Conditions {
		if c.Status == "False" && c.Reason != "" {
			p.Problems = append(p.Problems, joinNonEmpty(c.Type+" "+c.Reason, c.Message))
		}
	}
	for _, c := range o.containers() {
		if s := c.problem(); s != "" {
			p.Problems = append(p.Problems, s)
		}
	}
	p.Problems = p.Problems[:min(len(p.Problems), MaxMessages)]
	for i := range p.Problems {
		p.Problems[i] = cut(p.Problems[i], maxLineBytes)
	}
	d.pods[op] = p
}

func joinNonEmpty(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + ": " + b
}

// event keeps an event about an object a data path may have used: the
// latest of each reason, a few of each object.
func (d *dataPaths) event(e Event, kind, name string) {
	if !eventKinds[kind] {
		return
	}
	evs := d.events[name]
	if evs == nil && len(d.events) >= maxDataPathObjects {
		return
	}
	if i := slices.IndexFunc(evs, func(x Event) bool { return x.Reason == e.Reason && x.Object == e.Object }); i >= 0 {
		evs[i].merge(e)
	} else {
		evs = append(evs, e)
	}
	slices.SortStableFunc(evs, func(a, b Event) int { return strings.Compare(b.Last, a.Last) })
	d.events[name] = evs[:min(len(evs), maxEventsPerObject)]
}

// snapshot keeps a VolumeSnapshot.
func (d *dataPaths) snapshot(raw json.RawMessage) {
	var o struct {
		Metadata struct {
			Name      string `json:"name"`
			Namespace string `json:"namespace"`
		} `json:"metadata"`
		Status struct {
			ReadyToUse *bool  `json:"readyToUse"`
			Content    string `json:"boundVolumeSnapshotContentName"`
			Error      *struct {
				Message string `json:"message"`
			} `json:"error"`
		} `json:"status"`
	}
	if json.Unmarshal(raw, &o) != nil || len(d.snapshots) >= maxSnapshots {
		return
	}
	s := Snapshot{Namespace: o.Metadata.Namespace, Name: o.Metadata.Name, ReadyToUse: o.Status.ReadyToUse, Content: o.Status.Content}
	if o.Status.Error != nil {
		s.Error = cut(o.Status.Error.Message, maxLineBytes)
	}
	d.snapshots[s.Namespace+"/"+s.Name] = s
}

// reader returns what reads the item at path p (parts, split) for the
// data paths, or nil.
func (d *dataPaths) reader(parts []string) func(io.Reader) error {
	if len(parts) == 4 && parts[0] == "resources" && parts[2] == "snapshot.storage.k8s.io_v1" && parts[3] == "volumesnapshots.json" {
		return func(r io.Reader) error { return bundleread.EachListItem(r, d.snapshot) }
	}
	return nil
}

// of returns the data path of a volume operation of namespace: its pod,
// its snapshot (the DataUpload's, in its source namespace, else the one
// its exposer made in Velero's namespace, named after it), their events;
// nil when the bundle holds none of them.
func (d *dataPaths) of(namespace string, v VolumeFailure, snapshotRef string) *DataPath {
	dp := &DataPath{}
	if p, ok := d.pods[v.Name]; ok {
		dp.Pod = &p
	}
	for _, key := range []string{snapshotRef, namespace + "/" + v.Name} {
		if s, ok := d.snapshots[key]; ok && key != "" {
			dp.Snapshot = &s
			break
		}
	}
	names := []string{v.Name}
	if dp.Snapshot != nil && dp.Snapshot.Name != v.Name {
		names = append(names, dp.Snapshot.Name)
	}
	for _, n := range names {
		dp.Events = append(dp.Events, d.events[n]...)
	}
	slices.SortStableFunc(dp.Events, func(a, b Event) int { return strings.Compare(b.Last, a.Last) })
	dp.Events = dp.Events[:min(len(dp.Events), maxEventsPerObject)]
	if dp.Pod == nil && dp.Snapshot == nil && len(dp.Events) == 0 {
		return nil
	}
	return dp
}
