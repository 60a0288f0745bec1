// Package analysis answers, from a bundle alone, the question a Velero
// maintainer asks of it: why did each backup and restore fail. It reads
// the bundle's items as they stream past (see Analyzer), keeps only what
// the answer needs (the failed backups and restores collected in detail,
// their first errors, their failed volume operations and the node-agent
// log lines that name them), and returns a Report, which Render prints.
//
// The package reads; it never writes. A bundle is untrusted input: it
// reads through package bundleread, and bounds what it keeps.
package analysis

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"path"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/velero-debug/velero-debug/internal/bundle"
	"github.com/velero-debug/velero-debug/internal/bundleread"
	"github.com/velero-debug/velero-debug/internal/veleroapi"
)

// Limits of what a Report keeps of one failure.
const (
	// MaxMessages is how many errors (and warnings) of results.json a
	// failure quotes.
	MaxMessages = 5
	// MaxLines is how many node-agent log lines a failed volume
	// operation quotes.
	MaxLines = 8
	// maxLineBytes cuts a quoted log line.
	maxLineBytes = 512
	// maxLogLine bounds one line read from a log; longer lines are
	// counted, not read.
	maxLogLine = 1 << 20
)

// Report is what a bundle says of Velero's failures.
type Report struct {
	// Glance is Velero at a glance.
	Glance Glance `json:"glance"`
	// Failures are the backups and restores collected in detail that
	// failed, newest first.
	Failures []Failure `json:"failures"`
	// Configuration are the ConfigMaps that Velero's server and
	// node-agent are started with, checked.
	Configuration []ConfigCheck `json:"configuration"`
	// NotCollected counts the bundle's items that failed or were cut
	// short: what the analysis may lack.
	NotCollected int `json:"notCollected"`
	// VolumesLeftOut counts the failed volume operations past the first
	// 5,000, which the analysis does not relate to their backups and
	// restores.
	VolumesLeftOut int `json:"volumesLeftOut,omitempty"`
}

// Failure is one failed backup or restore, with its evidence.
type Failure struct {
	// Kind is "backup" or "restore".
	Kind      string `json:"kind"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	// Phase is Failed, PartiallyFailed or FailedValidation; or, for a
	// backup or restore that had not ended long after it was made (see
	// Running), the phase it was in.
	Phase            string   `json:"phase"`
	FailureReason    string   `json:"failureReason,omitempty"`
	ValidationErrors []string `json:"validationErrors,omitempty"`
	Started          string   `json:"started,omitempty"`
	// Created is when a backup or restore that had not started was made.
	Created string `json:"created,omitempty"`
	// Running is how long a backup or restore that had not ended had run
	// (since it started, else since it was made) when the bundle was
	// made, such as "2h10m"; empty for one that ended.
	Running string `json:"running,omitempty"`
	// QueuePosition is a queued backup's place in Velero's queue
	// (Velero 1.18 and later).
	QueuePosition int64 `json:"queuePosition,omitempty"`
	// Errors and Warnings are the counts of its status.
	Errors   int64 `json:"errors"`
	Warnings int64 `json:"warnings"`
	// FirstErrors and FirstWarnings quote results.json, when the bundle
	// has it.
	FirstErrors   []string `json:"firstErrors,omitempty"`
	FirstWarnings []string `json:"firstWarnings,omitempty"`
	// Results says why FirstErrors is empty when the bundle has no
	// results.json: its status in the manifest.
	Results string `json:"results,omitempty"`
	// ServerLines are lines of the Velero server's logs that name it
	// (its server-log.txt): the first errors and warnings, else the last
	// lines.
	ServerLines []LogLine `json:"serverLines,omitempty"`
	// Volumes are its failed volume operations; for one that had not
	// ended, those that had not ended either.
	Volumes []VolumeFailure `json:"volumes,omitempty"`
	// Files are the bundle's files about it: describe.txt, log.txt...
	// Empty when the bundle does not hold it in detail.
	Files []string `json:"files"`

	key string // "<resource>/<name>", the folder of its files
}

// VolumeFailure is a failed PodVolumeBackup, PodVolumeRestore,
// DataUpload or DataDownload, with the node-agent that ran it.
type VolumeFailure struct {
	Resource string `json:"resource"`
	Name     string `json:"name"`
	Phase    string `json:"phase"`
	Node     string `json:"node,omitempty"`
	Message  string `json:"message,omitempty"`
	// NodeAgentPod runs on Node; Log is its log in the bundle.
	NodeAgentPod string `json:"nodeAgentPod,omitempty"`
	Log          string `json:"log,omitempty"`
	// Lines are the lines of the node-agents' logs that name the
	// operation, errors and warnings first; Diagnose is the last report
	// of Velero's exposer on it ([Diagnose ... expose] lines: its pod,
	// PVC, PV and snapshot), when the node-agent wrote one.
	Lines    []LogLine `json:"lines,omitempty"`
	Diagnose []LogLine `json:"diagnose,omitempty"`
	// DataPath is what the bundle holds of the objects its data path
	// used.
	DataPath *DataPath `json:"dataPath,omitempty"`

	snapshot string // namespace/name of the VolumeSnapshot it reads
}

// LogLine is a line of a log file in the bundle.
type LogLine struct {
	// File is the bundle's file and Line the line's number in it.
	File string `json:"file"`
	Line int    `json:"line"`
	Text string `json:"text"`
	// From names the log the line was read from, when File gathers lines
	// of several (server-log.txt, node-agent-log.txt).
	From string `json:"from,omitempty"`
	// Repeats counts the later lines that said the same but for their
	// time: they are not quoted.
	Repeats int `json:"repeats,omitempty"`
}

// Source hands each item of a bundle to fn, with its content (nil for an
// item without one): bundleread.Bundle.Each.
type Source interface {
	Manifest() bundle.Manifest
	Each(ctx context.Context, fn func(item bundle.ManifestItem, content io.Reader) error) error
}

// Again reads once more the items at paths, which the Analyzer kept (see
// Analyzer.Keep): it calls read with each one's content, in any order,
// and skips a path it does not hold.
type Again func(paths []string, read func(item bundle.ManifestItem, content io.Reader) error) error

// Analyze reads b twice, the items the analysis wants first, then the
// logs the failures name, and returns its Report.
func Analyze(ctx context.Context, b Source) (Report, error) {
	a := NewAnalyzer()
	err := b.Each(ctx, func(it bundle.ManifestItem, r io.Reader) error {
		if r == nil || !a.Wants(it.Path) {
			return nil
		}
		return a.Item(it, r)
	})
	if err != nil {
		return Report{}, err
	}
	return a.Report(b.Manifest(), func(paths []string, read func(bundle.ManifestItem, io.Reader) error) error {
		want := map[string]bool{}
		for _, p := range paths {
			want[p] = true
		}
		return b.Each(ctx, func(it bundle.ManifestItem, r io.Reader) error {
			if r == nil || !want[it.Path] {
				return nil
			}
			return read(it, r)
		})
	})
}

// Analyzer is the analysis of one bundle, handed the items it wants in
// any order: by Analyze from a bundle on disk, and by the bundle Writer
// as it stores them, so that summary.md and `velero-debug inspect` say
// the same. It keeps only what the report needs. It is not safe for
// concurrent use.
type Analyzer struct {
	// details are the backups and restores collected in detail that
	// failed, by "<resource>/<name>".
	details map[string]*Failure
	// results are the first messages of each detail's results.json.
	results map[string]results
	// volumes are the failed volume operations, by owner
	// "<namespace>/<resource>/<owner label>"; unfinished those that had
	// not ended, at most maxUnfinished.
	volumes    map[string][]VolumeFailure
	unfinished map[string][]VolumeFailure
	nFailed    int
	nUnfinish  int
	// volumesLeftOut counts the failed volume operations past
	// maxFailedVolumes.
	volumesLeftOut int
	// running are the backups and restores that had not ended, by
	// "<resource>/<name>"; detailRead are those whose object in detail
	// was read: it says more than a list's copy, read before or after.
	running    map[string]running
	detailRead map[string]bool
	// serverLines are the quoted lines of each detail's server-log.txt.
	serverLines map[string][]LogLine
	data        *dataPaths
	// agents map namespace and node to the node-agent pod.
	agents map[string]map[string]string
	// wanted are the logs to read, by path, and the operations each
	// names: index into the failure's Volumes.
	wanted map[string][]volumeRef
	glance *glancer
	config *configer
	// last is the report Summary made.
	last *Report
}

type results struct{ errors, warnings []string }

type volumeRef struct {
	failure *Failure
	index   int
}

// NewAnalyzer returns an Analyzer that has read nothing.
func NewAnalyzer() *Analyzer {
	return &Analyzer{details: map[string]*Failure{}, results: map[string]results{},
		volumes: map[string][]VolumeFailure{}, unfinished: map[string][]VolumeFailure{}, running: map[string]running{}, detailRead: map[string]bool{},
		serverLines: map[string][]LogLine{}, data: newDataPaths(),
		agents: map[string]map[string]string{}, wanted: map[string][]volumeRef{},
		glance: newGlancer(), config: newConfiger()}
}

// Wants reports whether Item reads the item at path p: the objects,
// lists and Velero files the report is made of.
func (a *Analyzer) Wants(p string) bool { return a.reader(p) != nil }

// Item reads the content of an item Wants. A damaged item says nothing;
// the error is the reader's.
func (a *Analyzer) Item(it bundle.ManifestItem, r io.Reader) error {
	if read := a.reader(it.Path); read != nil {
		return read(r)
	}
	return nil
}

// Keep reports whether the item at path p may be read again by Report:
// the node-agents' lines of a detail, and a node-agent's log (a bundle
// of an earlier version has no such lines), which the failed volume
// operations found later may name, and the nodes, which the node
// selectors of Velero's ConfigMaps found later may match.
func (a *Analyzer) Keep(p string) bool {
	if p == nodesFile {
		return true
	}
	parts := strings.Split(p, "/")
	return len(parts) == 4 && parts[0] == "logs" && parts[3] == nodeAgentLog || isDetailFile(parts, nodeAgentLines)
}

// Files of a backup or restore collected in detail that the analysis reads.
const (
	serverLogFile  = "server-log.txt"
	nodeAgentLines = "node-agent-log.txt"
)

// isDetailFile reports whether parts (a path, split) is the file name of
// a backup or restore collected in detail.
func isDetailFile(parts []string, name string) bool {
	return len(parts) == 3 && (parts[0] == "backups" || parts[0] == "restores") && parts[2] == name
}

// nodeAgentLog is the file name of a node-agent container's log.
const nodeAgentLog = "node-agent.log"

// reader returns what reads the item at path p, or nil when the analysis
// does not read it.
func (a *Analyzer) reader(p string) func(io.Reader) error {
	parts := strings.Split(p, "/")
	switch {
	case len(parts) == 4 && parts[0] == "resources" && parts[2] == "core_v1" && parts[3] == "pods.json":
		return func(r io.Reader) error {
			return bundleread.EachListItem(r, func(raw json.RawMessage) {
				var o podObject
				if json.Unmarshal(raw, &o) != nil {
					return
				}
				a.glance.pod(parts[1], &o)
				a.data.pod(&o)
				a.pod(parts[1], &o)
			})
		}
	case len(parts) == 3 && (parts[0] == "backups" || parts[0] == "restores") && parts[2] == strings.TrimSuffix(parts[0], "s")+".json":
		return func(r io.Reader) error { return a.detail(parts[0], r) }
	case isDetailFile(parts, "results.json"):
		return func(r io.Reader) error {
			a.results[parts[0]+"/"+parts[1]] = readResults(r)
			return nil
		}
	case isDetailFile(parts, serverLogFile):
		return func(r io.Reader) error {
			lines, err := quoteServerLog(p, r)
			a.serverLines[parts[0]+"/"+parts[1]] = lines
			return err
		}
	case len(parts) == 4 && parts[0] == "resources" && parts[2] == "velero.io_v1" && (parts[3] == "backups.json" || parts[3] == "restores.json"):
		res := strings.TrimSuffix(parts[3], ".json")
		return func(r io.Reader) error {
			return bundleread.EachListItem(r, func(raw json.RawMessage) {
				if run, ok := runningOf(res, raw); ok && !a.detailRead[res+"/"+run.name] {
					a.keepRunning(res+"/"+run.name, run)
				}
			})
		}
	case len(parts) == 4 && parts[0] == "resources" && parts[2] == "core_v1" && parts[3] == "events.json":
		return func(r io.Reader) error {
			return bundleread.EachListItem(r, func(raw json.RawMessage) {
				if e, kind, name, ok := eventOf(raw); ok {
					a.glance.event(e)
					a.data.event(e, kind, name)
				}
			})
		}
	case p == storageClassesFile:
		return names(&a.config.storageClasses)
	case p == priorityClassesFile:
		return names(&a.config.priority)
	case len(parts) == 4 && parts[0] == "resources" && parts[2] == "core_v1" && parts[3] == "configmaps.json":
		return func(r io.Reader) error {
			return bundleread.EachListItem(r, func(raw json.RawMessage) { a.config.configMap(parts[1], raw) })
		}
	case len(parts) == 4 && parts[0] == "resources" && parts[2] == "apps_v1" && parts[3] == "deployments.json":
		return func(r io.Reader) error {
			return bundleread.EachListItem(r, func(raw json.RawMessage) { a.config.workload(parts[1], "deployment", raw) })
		}
	case len(parts) == 4 && parts[0] == "resources" && parts[2] == "apps_v1" && parts[3] == "daemonsets.json":
		return func(r io.Reader) error {
			return bundleread.EachListItem(r, func(raw json.RawMessage) {
				a.glance.daemonSet(raw)
				a.config.workload(parts[1], "daemonset", raw)
			})
		}
	case len(parts) == 4 && parts[0] == "resources" && parts[2] == "velero.io_v1" && parts[3] == "backuprepositories.json":
		return func(r io.Reader) error {
			return bundleread.EachListItem(r, func(raw json.RawMessage) {
				a.glance.repository(raw)
				a.config.repository(parts[1], raw)
			})
		}
	case len(parts) == 4 && parts[0] == "resources" && strings.HasPrefix(parts[2], "velero.io_"):
		res := strings.TrimSuffix(parts[3], ".json")
		if _, ok := veleroapi.VolumeKindOf(res); ok {
			return func(r io.Reader) error {
				return bundleread.EachListItem(r, func(raw json.RawMessage) {
					var o object
					if json.Unmarshal(raw, &o) == nil {
						a.volume(parts[1], res, o)
					}
				})
			}
		}
	}
	if read := a.data.reader(parts); read != nil {
		return read
	}
	return a.glance.reader(p, parts)
}

// detail keeps a backup or restore collected in detail, if it failed or
// has not ended.
func (a *Analyzer) detail(resource string, r io.Reader) error {
	var raw json.RawMessage
	if err := json.NewDecoder(io.LimitReader(r, 64<<20)).Decode(&raw); err != nil {
		return nil // a damaged object says nothing
	}
	var o object
	if json.Unmarshal(raw, &o) != nil {
		return nil
	}
	key := resource + "/" + o.Metadata.Name
	a.detailRead[key] = true
	delete(a.running, key) // a list's copy, older
	if run, ok := runningOf(resource, raw); ok {
		a.running[key] = run
		return nil
	}
	phase := o.Status.Phase
	if !veleroapi.Failed(phase) {
		return nil
	}
	f := &Failure{Kind: strings.TrimSuffix(resource, "s"), Namespace: o.Metadata.Namespace, Name: o.Metadata.Name, Phase: phase,
		FailureReason: cut(o.Status.FailureReason, maxLineBytes), Started: o.Status.StartTimestamp,
		Errors: o.Status.Errors, Warnings: o.Status.Warnings, key: key}
	if f.FailureReason == "" {
		f.FailureReason = cut(o.Status.Message, maxLineBytes) // a restore's reason
	}
	for _, e := range o.Status.ValidationErrors[:min(len(o.Status.ValidationErrors), MaxMessages)] {
		f.ValidationErrors = append(f.ValidationErrors, cut(e, maxLineBytes))
	}
	a.details[key] = f
	return nil
}

// Bounds of the volume operations the analysis keeps: the failed ones,
// and those that had not ended, for the backups and restores that had
// not ended.
const (
	maxFailedVolumes = 5000
	maxUnfinished    = 1000
)

// volume keeps a failed volume operation, or one that had not ended.
func (a *Analyzer) volume(namespace, resource string, o object) {
	failed := o.Status.Phase == "Failed" || o.Status.Phase == "Canceled"
	switch {
	case o.Status.Phase == "Completed":
		return
	case failed && a.nFailed >= maxFailedVolumes:
		a.volumesLeftOut++
		return
	case !failed && a.nUnfinish >= maxUnfinished:
		return
	}
	k, _ := veleroapi.VolumeKindOf(resource)
	node := veleroapi.NodeOf(o.Status.Node, o.Spec.Node, o.Status.AcceptedByNode)
	v := VolumeFailure{Resource: resource, Name: o.Metadata.Name, Phase: o.Status.Phase, Node: node, Message: cut(o.Status.Message, maxLineBytes)}
	if s := o.Spec.CSISnapshot.VolumeSnapshot; s != "" {
		v.snapshot = o.Spec.SourceNamespace + "/" + s
	}
	key := namespace + "/" + k.Owner + "/" + o.Metadata.Labels[k.Label]
	if failed {
		a.volumes[key] = append(a.volumes[key], v)
		a.nFailed++
		return
	}
	a.unfinished[key] = append(a.unfinished[key], v)
	a.nUnfinish++
}

// pod notes a node-agent pod.
func (a *Analyzer) pod(namespace string, o *podObject) {
	if o.Metadata.Labels["name"] != "node-agent" || o.Spec.NodeName == "" {
		return
	}
	if a.agents[namespace] == nil {
		a.agents[namespace] = map[string]string{}
	}
	a.agents[namespace][o.Spec.NodeName] = o.Metadata.Name
}

// Report ties what Item read together and returns the report: each
// failure gets its results, its volume operations and their node-agents,
// whose logs are read again through again. m is the bundle's manifest:
// what it says of the items that are missing.
func (a *Analyzer) Report(m bundle.Manifest, again Again) (Report, error) {
	manifest := make(map[string]bundle.ManifestItem, len(m.Items))
	previous := map[string]bool{}
	notCollected := 0
	for _, it := range m.Items {
		if it.Path == bundle.SummaryFile {
			continue // the bundle's own file, not a collected item
		}
		manifest[it.Path] = it
		if it.Status == bundle.StatusError || it.Status == bundle.StatusCancelled {
			notCollected++
		}
		if strings.HasSuffix(it.Path, ".previous.log") && it.Bytes > 0 {
			previous[it.Path] = true
		}
	}
	clear(a.wanted)
	failures := slices.Collect(maps.Values(a.details))
	failures = append(failures, a.overdue(m.Started)...)
	for _, f := range failures {
		a.evidence(f, manifest)
	}
	paths := slices.Sorted(maps.Keys(a.wanted))
	if a.config.read(manifest, a.glance.g.Server) {
		paths = append(paths, nodesFile)
	}
	nodesRead := false
	if len(paths) > 0 {
		err := again(paths, func(it bundle.ManifestItem, r io.Reader) error {
			if it.Path == nodesFile {
				nodesRead = true
				return a.config.nodes(r)
			}
			return a.log(it, r)
		})
		if err != nil {
			return Report{}, err
		}
	}
	r := a.report(failures, previous, notCollected)
	r.Configuration = a.config.checks(manifest, nodesRead)
	return r, nil
}

// evidence gathers what the bundle says of failure f: its results, its
// files, the server's lines, its volume operations (the failed ones; for
// one that had not ended, those that had not ended either) with their
// node-agents and data paths; the node-agents' lines that name them are
// read in the second pass: its node-agent-log.txt, or, in a bundle of an
// earlier version, the current log of each node-agent.
func (a *Analyzer) evidence(f *Failure, manifest map[string]bundle.ManifestItem) {
	key := f.key
	f.FirstErrors, f.FirstWarnings, f.Results, f.Files = nil, nil, "", nil
	if res, ok := a.results[key]; ok {
		f.FirstErrors, f.FirstWarnings = res.errors, res.warnings
	} else if it, ok := manifest[key+"/results.json"]; ok {
		f.Results = string(it.Status)
		if it.Error != "" {
			f.Results += ": " + it.Error // a skip's reason, too
		}
	}
	for _, file := range []string{"describe.txt", "log.txt", serverLogFile, nodeAgentLines, "results.json"} {
		if it, ok := manifest[key+"/"+file]; ok && it.Status == bundle.StatusOK {
			f.Files = append(f.Files, key+"/"+file)
		}
	}
	f.ServerLines = a.serverLines[key]
	owner := f.Namespace + "/" + f.Kind + "s/" + veleroapi.OwnerLabel(f.Name)
	f.Volumes = slices.Clone(a.volumes[owner])
	if f.Running != "" {
		f.Volumes = append(f.Volumes, a.unfinished[owner]...)
	}
	extract := key + "/" + nodeAgentLines
	fromExtract := bundleread.HasContent(manifest[extract])
	for i := range f.Volumes {
		v := &f.Volumes[i]
		v.DataPath = a.data.of(f.Namespace, *v, v.snapshot)
		ref := volumeRef{failure: f, index: i}
		if fromExtract {
			a.wanted[extract] = append(a.wanted[extract], ref)
		}
		if pod := a.agents[f.Namespace][v.Node]; pod != "" {
			v.NodeAgentPod = pod
			v.Log = path.Join("logs", f.Namespace, pod, nodeAgentLog)
			if !fromExtract && bundleread.HasContent(manifest[v.Log]) {
				a.wanted[v.Log] = append(a.wanted[v.Log], ref)
			}
		}
	}
}

// log reads an item of the second pass: the node-agent lines of a
// detail, or a node-agent's log, that volume operations name. Velero's
// [Diagnose ... expose] lines are kept apart: the last report on an
// operation, whole.
func (a *Analyzer) log(it bundle.ManifestItem, r io.Reader) error {
	refs := a.wanted[it.Path]
	if r == nil || len(refs) == 0 {
		return nil
	}
	byName := map[string][]volumeRef{}
	for _, ref := range refs {
		name := ref.failure.Volumes[ref.index].Name
		byName[name] = append(byName[name], ref)
	}
	n, from := 0, ""
	return eachLine(r, maxLogLine, func(line []byte) {
		n++
		if h, ok := logHeader(line); ok {
			from = h
			return
		}
		var l *LogLine
		var named []string // the operations this line names, once each
		for w := range veleroapi.LogWords(line) {
			if _, ok := byName[string(w)]; ok && !slices.Contains(named, string(w)) {
				named = append(named, string(w))
			}
		}
		for _, name := range named {
			for _, ref := range byName[name] {
				if l == nil {
					l = &LogLine{File: it.Path, Line: n, Text: cut(string(line), maxLineBytes), From: from}
				}
				v := &ref.failure.Volumes[ref.index]
				if bytes.Contains(line, diagnoseMark) {
					v.Diagnose = keepDiagnose(v.Diagnose, *l)
					continue
				}
				v.Lines = keepLine(v.Lines, *l)
			}
		}
	})
}

// logHeader returns the log a header line of an extract names.
func logHeader(line []byte) (string, bool) {
	if !bytes.HasPrefix(line, []byte("==> ")) {
		return "", false
	}
	return bundle.ParseLogHeader(string(line))
}

// diagnoseMark starts the message of each line of the report Velero's
// exposers write when a volume operation could not be prepared (the
// node-agent logs it a line at a time, at warning level, Velero 1.15 and
// later): "[Diagnose DU expose]begin diagnose CSI exposer" ... "end
// diagnose CSI exposer".
var diagnoseMark = []byte("[Diagnose ")

// maxDiagnose bounds the lines of one diagnose report.
const maxDiagnose = 40

// keepDiagnose adds l to the last diagnose report: a line that begins one
// starts it anew.
func keepDiagnose(report []LogLine, l LogLine) []LogLine {
	if strings.Contains(l.Text, "begin diagnose") {
		report = report[:0]
	}
	if len(report) < maxDiagnose {
		report = append(report, l)
	}
	return report
}

// quoteServerLog returns the lines of a detail's server-log.txt (at p)
// worth quoting: the first errors and warnings, else the last lines.
func quoteServerLog(p string, r io.Reader) ([]LogLine, error) {
	var problems, last []LogLine
	n, from := 0, ""
	err := eachLine(r, maxLogLine, func(line []byte) {
		n++
		if line == nil {
			return
		}
		if h, ok := logHeader(line); ok {
			from = h
			return
		}
		l := LogLine{File: p, Line: n, Text: cut(string(line), maxLineBytes), From: from}
		if isProblem(l.Text) && !repeated(problems, l) && len(problems) < MaxLines {
			problems = append(problems, l)
		}
		if len(last) > 0 && withoutTime(last[len(last)-1].Text) == withoutTime(l.Text) {
			last[len(last)-1].Repeats++
			return
		}
		if last = append(last, l); len(last) > maxLastLines {
			last = last[1:]
		}
	})
	if len(problems) > 0 {
		return problems, err
	}
	return last, err
}

// maxLastLines is how many of its last lines a server-log.txt without
// errors quotes.
const maxLastLines = 5

// eachLine calls f with each line of r, without its newline, in order: a
// line longer than limit is passed as nil (it is counted, not read).
func eachLine(r io.Reader, limit int, f func([]byte)) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var long []byte // the start of a line longer than the buffer
	tooLong := false
	for {
		chunk, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			if len(long)+len(chunk) > limit {
				tooLong, long = true, long[:0]
			} else if !tooLong {
				long = append(long, chunk...)
			}
			continue
		}
		if len(chunk) > 0 || len(long) > 0 || tooLong {
			line := chunk
			if len(long) > 0 {
				line = append(long, chunk...)
			}
			switch {
			case tooLong || len(line) > limit:
				f(nil)
			default:
				f(bytes.TrimSuffix(bytes.TrimSuffix(line, []byte("\n")), []byte("\r")))
			}
			long, tooLong = long[:0], false
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

// keepLine adds l to lines, at most MaxLines of them in file order: the
// errors and warnings first, then the earliest others (a long log names an
// operation in many routine lines, and in few that say what went wrong).
func keepLine(lines []LogLine, l LogLine) []LogLine {
	if repeated(lines, l) {
		return lines
	}
	if len(lines) < MaxLines {
		return append(lines, l)
	}
	if !isProblem(l.Text) {
		return lines
	}
	for i := len(lines) - 1; i >= 0; i-- {
		if !isProblem(lines[i].Text) {
			return append(slices.Delete(lines, i, i+1), l)
		}
	}
	return lines // already MaxLines errors and warnings
}

// repeated reports whether one of lines says what l says but for its
// time, and counts l on it.
func repeated(lines []LogLine, l LogLine) bool {
	key := withoutTime(l.Text)
	for i := range lines {
		if withoutTime(lines[i].Text) == key {
			lines[i].Repeats++
			return true
		}
	}
	return false
}

// withoutTime is a log line without its time, as logrus writes it (text
// or JSON).
func withoutTime(line string) string {
	for _, field := range []string{`time="`, `"time":"`} {
		i := strings.Index(line, field)
		if i < 0 {
			continue
		}
		j := strings.IndexByte(line[i+len(field):], '"')
		if j < 0 {
			return line
		}
		return line[:i] + line[i+len(field)+j+1:]
	}
	return line
}

// isProblem reports whether a log line is an error or a warning, as logrus
// writes them (text or JSON).
func isProblem(line string) bool {
	for _, level := range []string{"level=error", "level=warn", `"level":"error"`, `"level":"warn`, "level=fatal", `"level":"fatal"`} {
		if strings.Contains(line, level) {
			return true
		}
	}
	return false
}

// report orders the failures: those that ended, newest first, then those
// that had not ended, oldest first.
func (a *Analyzer) report(failures []*Failure, previous map[string]bool, notCollected int) Report {
	r := Report{Glance: a.glance.glance(previous), Failures: []Failure{}, NotCollected: notCollected, VolumesLeftOut: a.volumesLeftOut}
	for _, f := range failures {
		r.Failures = append(r.Failures, *f)
	}
	sort.SliceStable(r.Failures, func(i, j int) bool {
		fi, fj := r.Failures[i], r.Failures[j]
		if (fi.Running == "") != (fj.Running == "") {
			return fi.Running == "" // those that ended first
		}
		if fi.Running != "" {
			return false // oldest first, as overdue sorts them
		}
		if fi.Started != fj.Started {
			return fi.Started > fj.Started
		}
		return fi.Kind+"/"+fi.Name < fj.Kind+"/"+fj.Name
	})
	return r
}

// object is what the analysis reads of a Kubernetes object.
type object struct {
	Metadata struct {
		Name      string            `json:"name"`
		Namespace string            `json:"namespace"`
		Labels    map[string]string `json:"labels"`
	} `json:"metadata"`
	Spec struct {
		Node            string `json:"node"`
		SourceNamespace string `json:"sourceNamespace"`
		CSISnapshot     struct {
			VolumeSnapshot string `json:"volumeSnapshot"`
		} `json:"csiSnapshot"`
	} `json:"spec"`
	Status struct {
		Phase            string   `json:"phase"`
		FailureReason    string   `json:"failureReason"`
		Message          string   `json:"message"`
		ValidationErrors []string `json:"validationErrors"`
		StartTimestamp   string   `json:"startTimestamp"`
		Errors           int64    `json:"errors"`
		Warnings         int64    `json:"warnings"`
		Node             string   `json:"node"`
		AcceptedByNode   string   `json:"acceptedByNode"`
	} `json:"status"`
}

// readResults reads the first messages of a results.json: Velero's
// errors and warnings, by scope (velero, cluster, each namespace).
func readResults(r io.Reader) results {
	var doc struct {
		Errors, Warnings scoped
	}
	if err := json.NewDecoder(io.LimitReader(r, 64<<20)).Decode(&doc); err != nil {
		return results{}
	}
	return results{errors: doc.Errors.first(MaxMessages), warnings: doc.Warnings.first(MaxMessages)}
}

// scoped are the messages of one kind in a results.json.
type scoped struct {
	Velero     []json.RawMessage            `json:"velero"`
	Cluster    []json.RawMessage            `json:"cluster"`
	Namespaces map[string][]json.RawMessage `json:"namespaces"`
}

// first returns the first n messages: Velero's, then the cluster's, then
// each namespace's in name order, each prefixed with its scope.
func (s scoped) first(n int) []string {
	var out []string
	add := func(scope string, msgs []json.RawMessage) {
		for _, m := range msgs {
			if len(out) == n {
				return
			}
			out = append(out, scope+": "+cut(message(m), maxLineBytes))
		}
	}
	add("velero", s.Velero)
	add("cluster", s.Cluster)
	for _, ns := range slices.Sorted(maps.Keys(s.Namespaces)) {
		add("namespace "+ns, s.Namespaces[ns])
	}
	return out
}

// message is one message of a results.json: a string, or (Velero 1.15 and
// later with error details) an object with a message.
func message(m json.RawMessage) string {
	var s string
	if json.Unmarshal(m, &s) == nil {
		return s
	}
	var o map[string]any
	if json.Unmarshal(m, &o) == nil {
		for _, k := range []string{"message", "Message", "error"} {
			if v, ok := o[k].(string); ok {
				return v
			}
		}
	}
	return string(m)
}

// cut shortens s to at most n bytes, on a rune boundary.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
