package collect

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"path"
	"slices"
	"sync"

	corev1api "k8s.io/api/core/v1"

	"github.com/velero-debug/velero-debug/internal/bundle"
	"github.com/velero-debug/velero-debug/internal/idle"
	"github.com/velero-debug/velero-debug/internal/plan"
	"github.com/velero-debug/velero-debug/internal/schedule"
	"github.com/velero-debug/velero-debug/internal/veleroapi"
)

// The evidence of the backups and restores collected in detail is the
// lines of the logs that name them, whatever --since, --tail and
// --limit-bytes cut from logs/: server-log.txt, the lines of the Velero
// server's logs (the previous one too, when the server restarted) that
// name the backup or restore, and node-agent-log.txt, the lines of the
// node-agents' logs that name its volume operations that did not complete
// (Velero's [Diagnose ... expose] blocks among them). Each log is read
// once for all the details of its namespace, once they are all known:
// those named by the plan at once, the recent failures when their lists
// end.

// nodeAgentLogFile is the file of a detail's node-agent lines.
const nodeAgentLogFile = "node-agent-log.txt"

// maxEvidenceOps bounds the volume operations of one detail whose lines
// are gathered: the failed ones first. A line is read once whatever their
// number (see veleroapi.LogWords).
const maxEvidenceOps = 5000

// maxEvidenceLine bounds a log line the evidence reads; a longer line is
// left out.
const maxEvidenceLine = 16 << 20

// evidence registers the details of each namespace until every source
// that names them has told.
type evidence struct {
	mu      sync.Mutex
	pending map[string]int
	details map[string][]namedObject
	seen    map[namedObject]bool
}

// expect notes that n sources will tell the details of namespace.
func (ev *evidence) expect(namespace string, n int) {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	if ev.pending == nil {
		ev.pending, ev.details, ev.seen = map[string]int{}, map[string][]namedObject{}, map[namedObject]bool{}
	}
	ev.pending[namespace] += n
}

// told records the details one source found, and returns the evidence
// jobs of their namespace when that source was the last to tell.
func (r *run) told(namespace string, found ...namedObject) []schedule.Job {
	ev := &r.evidence
	ev.mu.Lock()
	defer ev.mu.Unlock()
	for _, n := range found {
		if !ev.seen[n] {
			ev.seen[n] = true
			ev.details[namespace] = append(ev.details[namespace], n)
			r.focus.name(n.name)
		}
	}
	if ev.pending[namespace]--; ev.pending[namespace] != 0 {
		return nil
	}
	details := ev.details[namespace]
	if len(details) == 0 {
		return nil
	}
	return []schedule.Job{
		leaf(classLogs, "", func(ctx context.Context) error { return r.serverLogs(ctx, namespace, details) }),
		leaf(classLogs, "", func(ctx context.Context) error { return r.nodeAgentLines(ctx, namespace, details) }),
	}
}

// serverLogs writes the server-log.txt of each detail.
func (r *run) serverLogs(ctx context.Context, namespace string, details []namedObject) error {
	var targets []*logTarget
	for _, d := range details {
		item := bundle.Item{Path: serverLogPath(d), Type: "log",
			Source: fmt.Sprintf("lines of the Velero server's logs, current and previous, that name %s %s/%s", d.kind, d.namespace, d.name)}
		t, err := r.openTarget(item, targets)
		if err != nil {
			return err
		}
		if t != nil {
			t.match = serverNeedles(d).match
			targets = append(targets, t)
		}
	}
	if len(targets) == 0 {
		return nil
	}
	vp, err := r.veleroPodsOf(ctx, namespace)
	if err == nil && len(vp.serverLogs) == 0 {
		err = errors.New("no pod of the Velero server with a log found in the namespace")
	}
	if err != nil {
		return endTargets(targets, err)
	}
	return endTargets(targets, r.splitLogs(ctx, vp.serverLogs, targets))
}

// openTarget opens the item of a target, once its path is claimed: nil
// when another step took it. When the bundle fails, the targets opened
// before are ended with its error.
func (r *run) openTarget(item bundle.Item, opened []*logTarget) (*logTarget, error) {
	if !r.sched.Claim(item.Path) {
		return nil, nil
	}
	en, err := r.open(item)
	switch {
	case errors.Is(err, errLeftOut):
		return nil, nil
	case err != nil:
		return nil, errors.Join(err, endTargets(opened, err))
	}
	return &logTarget{en: en}, nil
}

// nodeAgentLines writes the node-agent-log.txt of each detail with volume
// operations that did not complete: the lines of the logs of the
// node-agents of their nodes that name them.
func (r *run) nodeAgentLines(ctx context.Context, namespace string, details []namedObject) error {
	vp, err := r.veleroPodsOf(ctx, namespace)
	if err != nil {
		return nil // the pods list records its own failure
	}
	var targets []*logTarget
	nodes := map[string]bool{}
	for _, d := range details {
		ops := r.unfinishedOps(ctx, d)
		if len(ops) == 0 {
			continue
		}
		names := map[string]bool{}
		agentless := true
		for _, op := range ops {
			names[op.name] = true
			if op.failed() {
				r.focus.name(op.name)
				r.focus.failedOn(op.node)
			}
			if vp.agents[op.node] != "" {
				nodes[op.node], agentless = true, false
			}
		}
		item := bundle.Item{Path: path.Join(d.resource, d.name, nodeAgentLogFile), Type: "log",
			Source: fmt.Sprintf("lines of the logs of the node-agents that ran the volume operations of %s %s/%s that did not complete, naming them", d.kind, d.namespace, d.name)}
		if agentless {
			if !r.sched.Claim(item.Path) {
				continue
			}
			if err := ignoreLeftOut(r.skip(item, "no node-agent pod runs on the nodes of its volume operations")); err != nil {
				return errors.Join(err, endTargets(targets, err))
			}
			continue
		}
		t, err := r.openTarget(item, targets)
		if err != nil {
			return err
		}
		if t != nil {
			t.match = func(line []byte) bool {
				for w := range veleroapi.LogWords(line) {
					if names[string(w)] {
						return true
					}
				}
				return false
			}
			targets = append(targets, t)
		}
	}
	if len(targets) == 0 {
		return nil
	}
	var sources []logSource
	for _, node := range slices.Sorted(maps.Keys(nodes)) {
		sources = append(sources, vp.agentLogs[vp.agents[node]]...)
	}
	return endTargets(targets, r.splitLogs(ctx, sources, targets))
}

// unfinishedOps are the volume operations of d that did not complete,
// the failed ones first, at most maxEvidenceOps.
func (r *run) unfinishedOps(ctx context.Context, d namedObject) []volumeOp {
	var failed, other []volumeOp
	owner := veleroapi.OwnerLabel(d.name)
	for _, k := range volumeKinds {
		if k.Owner != d.resource {
			continue
		}
		ops, _ := r.ownerVolumeOps(ctx, detailed{namedObject: d}, k.Resource, k.Version, k.Label) // a failed list records itself
		for _, op := range ops {
			switch {
			case op.owner != owner || op.phase == "Completed":
			case op.failed():
				failed = append(failed, op)
			default:
				other = append(other, op)
			}
		}
	}
	all := append(failed, other...)
	return all[:min(len(all), maxEvidenceOps)]
}

// logSource is one container log the evidence reads.
type logSource struct {
	namespace, pod, container string
	previous                  bool
}

// header names the log in the evidence files, as tail(1) names the files
// it follows: by its path in a bundle of the default plan.
func (s logSource) header() string {
	return bundle.LogHeader(plan.ExpandLogTemplate("", s.namespace, s.pod, s.container, s.previous))
}

// logTarget is an item that takes the lines of the logs that match.
type logTarget struct {
	en    *entry
	match func(line []byte) bool
	// from is the log of the lines last written; err the item's own
	// failure.
	from logSource
	some bool
	err  error
}

// write writes line, read from src, under src's header when the last line
// came from another log.
func (t *logTarget) write(src logSource, line []byte) {
	if t.err != nil {
		return
	}
	if !t.some || t.from != src {
		t.some, t.from = true, src
		if _, t.err = io.WriteString(t.en, src.header()); t.err != nil {
			return
		}
	}
	if _, t.err = t.en.Write(line); t.err == nil && !bytes.HasSuffix(line, []byte("\n")) {
		_, t.err = t.en.Write([]byte("\n"))
	}
}

// endTargets ends each target's item: failed with err (what of its
// logs could not be read), or committed.
func endTargets(targets []*logTarget, err error) error {
	var errs []error
	for _, t := range targets {
		var end error
		switch {
		case t.err != nil:
			end = t.en.Fail(t.err)
		case err != nil:
			end = t.en.Fail(err)
		default:
			end = t.en.Commit()
		}
		errs = append(errs, ignoreLeftOut(end))
	}
	return errors.Join(errs...)
}

// splitLogs reads each of sources once, in order, and writes each line to
// the targets it matches. What could not be read is the error, each log
// named; the others are still read.
func (r *run) splitLogs(ctx context.Context, sources []logSource, targets []*logTarget) error {
	var errs []error
	for _, src := range sources {
		if err := r.splitLog(ctx, src, targets); err != nil {
			errs = append(errs, err)
		}
		if ctx.Err() != nil {
			break
		}
	}
	return errors.Join(errs...)
}

func (r *run) splitLog(ctx context.Context, src logSource, targets []*logTarget) error {
	what := fmt.Sprintf("log of container %s in pod %s/%s", src.container, src.namespace, src.pod)
	if src.previous {
		what = "previous " + what
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	timer := idle.New(r.cfg.RequestTimeout, cancel)
	defer timer.Stop()
	stream, err := r.clients.Kube.CoreV1().Pods(src.namespace).GetLogs(src.pod, &corev1api.PodLogOptions{Container: src.container, Previous: src.previous}).Stream(ctx)
	if err == nil {
		err = eachLogLine(timer.Reader(stream), func(line []byte) {
			for _, t := range targets {
				if t.match(line) {
					t.write(src, line)
				}
			}
		})
		err = errors.Join(err, stream.Close())
	}
	if err != nil {
		if timer.Fired() && ctx.Err() == nil {
			err = fmt.Errorf("no data for %s: %w", r.cfg.RequestTimeout, context.DeadlineExceeded)
		}
		return describeAPIError(err, what)
	}
	return nil
}

// eachLogLine calls f with each line of r, its newline kept; a line
// longer than maxEvidenceLine is left out.
func eachLogLine(r io.Reader, f func([]byte)) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var line []byte
	long := false
	for {
		chunk, err := br.ReadSlice('\n')
		if !long {
			line = append(line, chunk...)
			long = len(line) > maxEvidenceLine
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if len(line) > 0 && !long {
			f(line)
		}
		line, long = line[:0], false
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// needles are the logrus fields that name a backup or restore in the
// Velero server's log, in text and JSON form.
type needles [][]byte

// serverNeedles names d as the server's controllers do: backup=ns/name
// (and backuprequest=, the backup controller's), restore=ns/name (and
// Restore=, the restore controller's).
func serverNeedles(d namedObject) needles {
	keys := []string{d.kind}
	if d.kind == plan.Backup {
		keys = append(keys, "backuprequest")
	} else {
		keys = append(keys, "Restore")
	}
	var out needles
	for _, k := range keys {
		v := d.namespace + "/" + d.name
		out = append(out, []byte(k+"="+v), []byte(`"`+k+`":"`+v+`"`))
	}
	return out
}

func (n needles) match(line []byte) bool {
	return slices.ContainsFunc(n, func(f []byte) bool { return hasField(line, f) })
}

// hasField reports whether line holds field whole: not backup=ns/b1 within
// backup=ns/b10.
func hasField(line, field []byte) bool {
	for i := 0; ; {
		j := bytes.Index(line[i:], field)
		if j < 0 {
			return false
		}
		end := i + j + len(field)
		if end == len(line) || bytes.IndexByte([]byte(" \t\r\n\"',"), line[end]) >= 0 {
			return true
		}
		i = end
	}
}
