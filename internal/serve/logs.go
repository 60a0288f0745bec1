package serve

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// logOptions are the options of a log request the bundle's copy can honor.
type logOptions struct {
	container  string
	previous   bool
	timestamps bool
	tail       int64 // -1: all
	limitBytes int64 // 0: no limit
	since      time.Time
}

func parseLogOptions(r *http.Request, now time.Time) (logOptions, *apierrors.StatusError) {
	q := r.URL.Query()
	o := logOptions{container: q.Get("container"), previous: q.Get("previous") == "true", timestamps: q.Get("timestamps") == "true", tail: -1}
	var err error
	if v := q.Get("tailLines"); v != "" {
		if o.tail, err = strconv.ParseInt(v, 10, 64); err != nil || o.tail < 0 {
			return o, apierrors.NewBadRequest(fmt.Sprintf("tailLines %q: want a number of lines, 0 or more", v))
		}
	}
	if v := q.Get("limitBytes"); v != "" {
		if o.limitBytes, err = strconv.ParseInt(v, 10, 64); err != nil || o.limitBytes <= 0 {
			return o, apierrors.NewBadRequest(fmt.Sprintf("limitBytes %q: want a number of bytes, more than 0", v))
		}
	}
	if v := q.Get("sinceSeconds"); v != "" {
		secs, err := strconv.ParseInt(v, 10, 64)
		if err != nil || secs <= 0 {
			return o, apierrors.NewBadRequest(fmt.Sprintf("sinceSeconds %q: want a number of seconds, more than 0", v))
		}
		o.since = now.Add(-time.Duration(secs) * time.Second)
	}
	if q.Get("sinceSeconds") != "" && q.Get("sinceTime") != "" {
		return o, apierrors.NewBadRequest("at most one of sinceTime or sinceSeconds may be specified")
	}
	if v := q.Get("sinceTime"); v != "" {
		if o.since, err = time.Parse(time.RFC3339, v); err != nil {
			return o, apierrors.NewBadRequest(fmt.Sprintf("sinceTime %q: want an RFC 3339 time", v))
		}
	}
	return o, nil
}

// log answers a pod's log from the bundle's copy: container, previous,
// tailLines, limitBytes, sinceSeconds and sinceTime (read from the time
// each line gives itself, as of the bundle's collection), timestamps.
func (a *api) log(w http.ResponseWriter, r *http.Request, res *resource, q request) {
	now := a.s.manifest.Started
	if now.IsZero() {
		now = time.Now()
	}
	o, serr := parseLogOptions(r, now)
	if serr != nil {
		writeStatus(w, serr)
		return
	}
	containers, others, found := a.podContainers(res, q)
	if !found {
		writeStatus(w, a.missing(request{gvr: q.gvr, namespace: q.namespace, name: q.name}))
		return
	}
	if o.container == "" {
		if len(containers) != 1 {
			msg := fmt.Sprintf("a container name must be specified for pod %s, choose one of: %v", q.name, containers)
			if len(others) > 0 {
				msg += fmt.Sprintf(" or one of the init or ephemeral containers: %v", others)
			}
			writeStatus(w, apierrors.NewBadRequest(msg))
			return
		}
		o.container = containers[0]
	}
	file, ok := a.s.logFile(q.namespace, q.name, o.container, o.previous)
	if !ok {
		what := "log"
		if o.previous {
			what = "previous log"
		}
		err := apierrors.NewNotFound(schema.GroupResource{Resource: "pods/log"}, q.name)
		err.ErrStatus.Message = fmt.Sprintf("the %s of container %s of pod %s/%s is not in this bundle (see manifest.json)", what, o.container, q.namespace, q.name)
		writeStatus(w, err)
		return
	}
	f, err := os.Open(file) //nolint:gosec // G304: a file of the store's own
	if err != nil {
		writeStatus(w, apierrors.NewInternalError(err))
		return
	}
	defer func() { _ = f.Close() }()
	w.Header().Set("Content-Type", "text/plain")
	if err := writeLog(w, f, o); err != nil && !errors.Is(err, errLimit) {
		return // the client left
	}
}

// podContainers are the containers of the pod q names, its init and
// ephemeral ones apart, and whether the bundle has the pod.
func (a *api) podContainers(res *resource, q request) (containers, others []string, found bool) {
	for _, o := range res.objects {
		if o.name != q.name || o.namespace != q.namespace {
			continue
		}
		var p struct {
			Spec struct {
				Containers, InitContainers, EphemeralContainers []struct{ Name string }
			}
		}
		_ = json.Unmarshal(o.raw, &p)
		for _, c := range p.Spec.Containers {
			containers = append(containers, c.Name)
		}
		for _, cs := range [][]struct{ Name string }{p.Spec.InitContainers, p.Spec.EphemeralContainers} {
			for _, c := range cs {
				others = append(others, c.Name)
			}
		}
		return containers, others, true
	}
	return nil, nil, false
}

// errLimit ends a log at limitBytes.
var errLimit = errors.New("limitBytes reached")

// Bounds of what a log request holds: a line is cut past maxLogLine (a
// bundle may hold a line of a gigabyte), the lines kept for --tail past
// maxTailBytes (the oldest go first), and the time of a line is looked
// for in its first timePrefix bytes.
const (
	maxLogLine   = 1 << 20
	maxTailBytes = 64 << 20
	timePrefix   = 4 << 10
)

// cutMark ends a line cut at maxLogLine.
const cutMark = " [velero-debug: line cut at 1 MiB]\n"

// writeLog copies the log r to w with the options o.
func writeLog(w io.Writer, r io.Reader, o logOptions) error {
	tailBytes := 0
	written := int64(0)
	emit := func(line string) error {
		if o.limitBytes > 0 && written+int64(len(line)) > o.limitBytes {
			line = line[:o.limitBytes-written]
			_, err := io.WriteString(w, line)
			return errors.Join(err, errLimit)
		}
		written += int64(len(line))
		_, err := io.WriteString(w, line)
		return err
	}
	// Each line as the API server sends it: dropped before --since, with
	// its time first for --timestamps; "" when dropped.
	var last time.Time // the time of the latest line that gave one
	shown := func(line string, at time.Time) string {
		if !o.since.IsZero() && (at.IsZero() || at.Before(o.since)) {
			return ""
		}
		if o.timestamps && !at.IsZero() {
			return at.UTC().Format(time.RFC3339Nano) + " " + line
		}
		return line
	}
	type timed struct {
		line string
		at   time.Time
	}
	var tail []timed // the last o.tail lines, when tailing: --since applies to them, as the kubelet does
	err := eachLogLine(r, func(line string) error {
		if t, ok := lineTime(line[:min(len(line), timePrefix)]); ok {
			last = t
		}
		if o.tail < 0 {
			if s := shown(line, last); s != "" {
				return emit(s)
			}
			return nil
		}
		tail = append(tail, timed{line, last})
		tailBytes += len(line)
		for int64(len(tail)) > o.tail || tailBytes > maxTailBytes && len(tail) > 1 {
			tailBytes -= len(tail[0].line)
			tail = tail[1:]
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, l := range tail {
		if s := shown(l.line, l.at); s != "" {
			if err := emit(s); err != nil {
				return err
			}
		}
	}
	return nil
}

// eachLogLine calls f with each line of r, its newline kept, a line
// longer than maxLogLine cut there with cutMark; it stops at f's first
// error.
func eachLogLine(r io.Reader, f func(string) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var line []byte
	cut := false
	for {
		chunk, err := br.ReadSlice('\n')
		if !cut {
			room := maxLogLine - len(line)
			if len(chunk) > room {
				line, cut = append(line, chunk[:room]...), true
			} else {
				line = append(line, chunk...)
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if len(line) > 0 {
			s := string(line)
			if cut {
				s = strings.TrimSuffix(s, "\n") + cutMark
			}
			if ferr := f(s); ferr != nil {
				return ferr
			}
		}
		line, cut = line[:0], false
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// timePatterns find the time a log line gives itself: logrus text
// (time="..."), JSON ("time":"..." or "ts"), or an RFC 3339 time first.
var timePatterns = []*regexp.Regexp{
	regexp.MustCompile(`time="([^"]+)"`),
	regexp.MustCompile(`"(?:time|ts|timestamp)":"([^"]+)"`),
	regexp.MustCompile(`^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d))`),
}

// lineTime is the time line gives itself, if any.
func lineTime(line string) (time.Time, bool) {
	for _, re := range timePatterns {
		if m := re.FindStringSubmatch(line); m != nil {
			if t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(m[1])); err == nil {
				return t, true
			}
		}
	}
	return time.Time{}, false
}
