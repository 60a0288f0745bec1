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
}

// Failure is one failed backup or restore, with its evidence.
type Failure struct {
	// Kind is "backup" or "restore".
	Kind      string `json:"kind"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	// Phase is Failed, PartiallyFailed or FailedValidation.
	Phase            string   `json:"phase"`
	FailureReason    string   `json:"failureReason,omitempty"`
	ValidationErrors []string `json:"validationErrors,omitempty"`
	Started          string   `json:"started,omitempty"`
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
	// Volumes are its failed volume operations.
	Volumes []VolumeFailure `json:"volumes,omitempty"`
	// Files are the bundle's files about it: describe.txt, log.txt...
	Files []string `json:"files"`
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
	// Lines are the lines of Log that name the operation.
	Lines []LogLine `json:"lines,omitempty"`
}

// LogLine is a line of a log file in the bundle.
type LogLine struct {
	File string `json:"file"`
	Line int    `json:"line"`
	Text string `json:"text"`
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
	// "<namespace>/<resource>/<owner label>".
	volumes map[string][]VolumeFailure
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
		volumes: map[string][]VolumeFailure{}, agents: map[string]map[string]string{}, wanted: map[string][]volumeRef{},
		glance: newGlancer(), config: newConfiger()}
}

// failedPhases are the phases of a backup or restore that failed.
var failedPhases = map[string]bool{"Failed": true, "PartiallyFailed": true, "FailedValidation": true}

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
// a node-agent's log, which the failed volume operations found later may
// name, and the nodes, which the node selectors of Velero's ConfigMaps
// found later may match.
func (a *Analyzer) Keep(p string) bool {
	if p == nodesFile {
		return true
	}
	parts := strings.Split(p, "/")
	return len(parts) == 4 && parts[0] == "logs" && parts[3] == nodeAgentLog
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
			return eachRaw(r, func(raw json.RawMessage) {
				a.glance.pod(parts[1], raw)
				var o object
				if json.Unmarshal(raw, &o) == nil {
					a.pod(parts[1], o)
				}
			})
		}
	case len(parts) == 3 && (parts[0] == "backups" || parts[0] == "restores") && parts[2] == strings.TrimSuffix(parts[0], "s")+".json":
		return func(r io.Reader) error { return a.detail(parts[0], r) }
	case len(parts) == 3 && (parts[0] == "backups" || parts[0] == "restores") && parts[2] == "results.json":
		return func(r io.Reader) error {
			a.results[parts[0]+"/"+parts[1]] = readResults(r)
			return nil
		}
	case p == storageClassesFile:
		return names(&a.config.storageClasses)
	case p == priorityClassesFile:
		return names(&a.config.priority)
	case len(parts) == 4 && parts[0] == "resources" && parts[2] == "core_v1" && parts[3] == "configmaps.json":
		return func(r io.Reader) error {
			return eachRaw(r, func(raw json.RawMessage) { a.config.configMap(parts[1], raw) })
		}
	case len(parts) == 4 && parts[0] == "resources" && parts[2] == "apps_v1" && parts[3] == "deployments.json":
		return func(r io.Reader) error {
			return eachRaw(r, func(raw json.RawMessage) { a.config.workload(parts[1], "deployment", raw) })
		}
	case len(parts) == 4 && parts[0] == "resources" && parts[2] == "apps_v1" && parts[3] == "daemonsets.json":
		return func(r io.Reader) error {
			return eachRaw(r, func(raw json.RawMessage) {
				a.glance.daemonSet(raw)
				a.config.workload(parts[1], "daemonset", raw)
			})
		}
	case len(parts) == 4 && parts[0] == "resources" && parts[2] == "velero.io_v1" && parts[3] == "backuprepositories.json":
		return func(r io.Reader) error {
			return eachRaw(r, func(raw json.RawMessage) {
				a.glance.repository(raw)
				a.config.repository(parts[1], raw)
			})
		}
	case len(parts) == 4 && parts[0] == "resources" && strings.HasPrefix(parts[2], "velero.io_"):
		res := strings.TrimSuffix(parts[3], ".json")
		if _, ok := veleroapi.VolumeKindOf(res); ok {
			return func(r io.Reader) error {
				return eachRaw(r, func(raw json.RawMessage) {
					var o object
					if json.Unmarshal(raw, &o) == nil {
						a.volume(parts[1], res, o)
					}
				})
			}
		}
	}
	return a.glance.reader(p, parts)
}

// detail keeps a backup or restore collected in detail, if it failed.
func (a *Analyzer) detail(resource string, r io.Reader) error {
	var o object
	if err := json.NewDecoder(io.LimitReader(r, 64<<20)).Decode(&o); err != nil {
		return nil // a damaged object says nothing
	}
	phase := o.Status.Phase
	if !failedPhases[phase] {
		return nil
	}
	f := &Failure{Kind: strings.TrimSuffix(resource, "s"), Namespace: o.Metadata.Namespace, Name: o.Metadata.Name, Phase: phase,
		FailureReason: o.Status.FailureReason, ValidationErrors: o.Status.ValidationErrors, Started: o.Status.StartTimestamp,
		Errors: o.Status.Errors, Warnings: o.Status.Warnings}
	if f.FailureReason == "" {
		f.FailureReason = o.Status.Message // a restore's reason
	}
	a.details[resource+"/"+o.Metadata.Name] = f
	return nil
}

// volume keeps a failed volume operation.
func (a *Analyzer) volume(namespace, resource string, o object) {
	if o.Status.Phase != "Failed" && o.Status.Phase != "Canceled" {
		return
	}
	k, _ := veleroapi.VolumeKindOf(resource)
	node := veleroapi.NodeOf(o.Status.Node, o.Spec.Node, o.Status.AcceptedByNode)
	v := VolumeFailure{Resource: resource, Name: o.Metadata.Name, Phase: o.Status.Phase, Node: node, Message: o.Status.Message}
	key := namespace + "/" + k.Owner + "/" + o.Metadata.Labels[k.Label]
	a.volumes[key] = append(a.volumes[key], v)
}

// pod notes a node-agent pod.
func (a *Analyzer) pod(namespace string, o object) {
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
	for key, f := range a.details {
		f.FirstErrors, f.FirstWarnings, f.Results, f.Files = nil, nil, "", nil
		if res, ok := a.results[key]; ok {
			f.FirstErrors, f.FirstWarnings = res.errors, res.warnings
		} else if it, ok := manifest[key+"/results.json"]; ok {
			f.Results = string(it.Status)
			if it.Error != "" {
				f.Results += ": " + it.Error // a skip's reason, too
			}
		}
		for _, file := range []string{"describe.txt", "log.txt", "server-log.txt", "results.json"} {
			if it, ok := manifest[key+"/"+file]; ok && it.Status == bundle.StatusOK {
				f.Files = append(f.Files, key+"/"+file)
			}
		}
		f.Volumes = slices.Clone(a.volumes[f.Namespace+"/"+f.Kind+"s/"+veleroapi.OwnerLabel(f.Name)])
		for i := range f.Volumes {
			v := &f.Volumes[i]
			if pod := a.agents[f.Namespace][v.Node]; pod != "" {
				v.NodeAgentPod = pod
				v.Log = path.Join("logs", f.Namespace, pod, nodeAgentLog)
				if bundleread.HasContent(manifest[v.Log]) {
					a.wanted[v.Log] = append(a.wanted[v.Log], volumeRef{failure: f, index: i})
				}
			}
		}
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
	r := a.report(previous, notCollected)
	r.Configuration = a.config.checks(manifest, nodesRead)
	return r, nil
}

// log reads an item of the second pass: a node-agent log that failed
// operations name.
func (a *Analyzer) log(it bundle.ManifestItem, r io.Reader) error {
	refs := a.wanted[it.Path]
	if r == nil || len(refs) == 0 {
		return nil
	}
	n := 0
	return eachLine(r, maxLogLine, func(line []byte) {
		n++
		for _, ref := range refs {
			v := &ref.failure.Volumes[ref.index]
			if bytes.Contains(line, []byte(v.Name)) {
				v.Lines = keepLine(v.Lines, LogLine{File: it.Path, Line: n, Text: cut(string(line), maxLineBytes)})
			}
		}
	})
}

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

// report orders the failures, newest first.
func (a *Analyzer) report(previous map[string]bool, notCollected int) Report {
	r := Report{Glance: a.glance.glance(previous), Failures: []Failure{}, NotCollected: notCollected}
	for _, f := range a.details {
		r.Failures = append(r.Failures, *f)
	}
	sort.Slice(r.Failures, func(i, j int) bool {
		fi, fj := r.Failures[i], r.Failures[j]
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
		Node     string `json:"node"`
		NodeName string `json:"nodeName"`
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

// eachRaw calls f with each item of a JSON List, one at a time: a list
// of thousands of objects is never held whole. A damaged list ends the
// reading, keeping what came before.
func eachRaw(r io.Reader, f func(json.RawMessage)) error {
	dec := json.NewDecoder(r)
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil
		}
		if t != "items" {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil
			}
			continue
		}
		if t, err := dec.Token(); err != nil || t != json.Delim('[') {
			return nil
		}
		for dec.More() {
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return nil
			}
			f(raw)
		}
		if _, err := dec.Token(); err != nil {
			return nil
		}
	}
	return nil
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
