package budget

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// veleroLine is a line as Velero's server logs it (logrus, text).
func veleroLine(i int, level, msg string, kv ...string) string {
	return fmt.Sprintf("time=\"2026-12-07T10:%02d:%02dZ\" level=%s msg=%q %s logSource=\"pkg/controller/backup_controller.go:%d\"\n",
		i/60%60, i%60, level, msg, strings.Join(kv, " "), i)
}

func scan(t *testing.T, log string, names ...string) Index {
	t.Helper()
	ix, err := Scan(strings.NewReader(log), NewMatcher(names))
	require.NoError(t, err)
	require.Equal(t, int64(len(log)), ix.Size)
	return ix
}

// lines are the numbers of the lines of spans.
func lines(spans []Span) []int64 {
	var out []int64
	for _, s := range spans {
		for l := s.FirstLine; l <= s.LastLine; l++ {
			out = append(out, l)
		}
	}
	return out
}

func TestScanMarksLevelsWithContext(t *testing.T) {
	var b strings.Builder
	for i := 1; i <= 40; i++ {
		switch i {
		case 10:
			b.WriteString(veleroLine(i, "error", "Error uploading log file", "backup=velero/b1", `error="rpc error"`))
		case 12:
			b.WriteString(veleroLine(i, "warning", "Volume snapshot skipped"))
		case 30:
			b.WriteString(`{"level":"error","msg":"json formatted","time":"2026-12-07T10:00:00Z"}` + "\n")
		default:
			b.WriteString(veleroLine(i, "info", "Processing item", "backup=velero/b1"))
		}
	}
	ix := scan(t, b.String())
	require.Equal(t, int64(40), ix.Lines)
	require.Equal(t, []int64{7, 8, 9, 10, 11, 12, 13, 14, 15, 27, 28, 29, 30, 31, 32, 33}, lines(ix.Marked))
	require.Len(t, ix.Marked, 2, "touching context merges")
	// Spans are whole lines: each starts after a newline, ends with one.
	log := b.String()
	for _, s := range ix.Marked {
		require.Equal(t, byte('\n'), log[s.Start-1])
		require.Equal(t, byte('\n'), log[s.End-1])
		require.Equal(t, int(s.LastLine-s.FirstLine+1), strings.Count(log[s.Start:s.End], "\n"))
	}
}

func TestScanNamesAreWholeWords(t *testing.T) {
	log := veleroLine(1, "info", "a", "backup=velero/daily-10") +
		veleroLine(2, "info", "b", "backup=velero/daily-1") +
		veleroLine(3, "info", "c", "name=daily-1x") +
		veleroLine(4, "info", "Backup completed: daily-1.", "") +
		veleroLine(5, "info", "d", "podvolumebackup=velero/daily-1-abcde")
	for range 20 {
		log += veleroLine(9, "info", "filler", "")
	}
	ix := scan(t, log, "daily-1", "daily-1-abcde")
	require.Equal(t, []int64{1, 2, 3, 4, 5, 6, 7, 8}, lines(ix.Marked))
	ix = scan(t, log, "daily-10")
	require.Equal(t, []int64{1, 2, 3, 4}, lines(ix.Marked))
}

func TestScanKlogAndPanics(t *testing.T) {
	var b strings.Builder
	for i := 1; i <= 300; i++ {
		switch {
		case i == 5:
			b.WriteString("E1207 10:00:00.123456       1 reflector.go:158] failed to list *v1.Pod\n")
		case i == 6:
			b.WriteString("I1207 10:00:00.123456       1 reflector.go:158] Listing and watching\n")
		case i == 100:
			b.WriteString("panic: runtime error: invalid memory address or nil pointer dereference\n")
		case i > 100 && i <= 260:
			b.WriteString("\tgithub.com/vmware-tanzu/velero/pkg/backup.(*kubernetesBackupper).BackupWithResolvers(...)\n")
		default:
			b.WriteString("W1207x not klog\n")
		}
	}
	ix := scan(t, b.String())
	want := []int64{2, 3, 4, 5, 6, 7, 8}
	for l := int64(97); l <= 200; l++ {
		want = append(want, l)
	}
	require.Equal(t, want, lines(ix.Marked))
}

func TestScanLongLinesAndNoFinalNewline(t *testing.T) {
	long := strings.Repeat("x", 300<<10) + " level=error far into a long line\n"
	log := "first\n" + long + "third\nlast without newline level=error"
	ix := scan(t, log)
	require.Equal(t, int64(4), ix.Lines)
	// The long line is judged by its start only: not marked; the last
	// line, without a newline, is.
	require.Equal(t, []int64{1, 2, 3, 4}, lines(ix.Marked))
	ix = scan(t, "a\nb\nc\nd\ne\nf\ng\nh\nno newline level=error")
	require.Equal(t, []int64{6, 7, 8, 9}, lines(ix.Marked))
	require.Equal(t, int64(9), ix.Lines)
}

var markerRE = regexp.MustCompile(`^\[velero-debug: lines (\d+)-(\d+) \((\d+) bytes\) left out here to fit --max-size\]$`)

// check writes sel of log and checks that the output is the log with
// runs of lines replaced by markers that name them exactly.
func check(t *testing.T, log string, sel Selection) string {
	t.Helper()
	var out bytes.Buffer
	n, err := Write(&out, strings.NewReader(log), sel)
	require.NoError(t, err)
	require.Equal(t, int64(out.Len()), n)
	require.Equal(t, n, sel.StoredSize())
	orig := strings.SplitAfter(log, "\n")
	if orig[len(orig)-1] == "" {
		orig = orig[:len(orig)-1]
	}
	var rebuilt []string
	for _, l := range strings.SplitAfter(out.String(), "\n") {
		if m := markerRE.FindStringSubmatch(strings.TrimSuffix(l, "\n")); m != nil {
			first, _ := strconv.Atoi(m[1])
			last, _ := strconv.Atoi(m[2])
			size, _ := strconv.Atoi(m[3])
			require.Equal(t, len(rebuilt)+1, first, "marker %q", l)
			left := strings.Join(orig[first-1:last], "")
			require.Len(t, left, size, "marker %q", l)
			rebuilt = append(rebuilt, orig[first-1:last]...)
			continue
		}
		if l != "" {
			rebuilt = append(rebuilt, l)
		}
	}
	require.Equal(t, log, strings.Join(rebuilt, ""), "kept lines and markers rebuild the log")
	return out.String()
}

func TestSelectKeepsMarkedThenTail(t *testing.T) {
	var b strings.Builder
	for i := 1; i <= 1000; i++ {
		if i%100 == 0 {
			b.WriteString(veleroLine(i, "error", "failed", "backup=velero/b1"))
		} else {
			b.WriteString(veleroLine(i, "info", "fine", ""))
		}
	}
	log := b.String()
	ix := scan(t, log)
	src := strings.NewReader(log)

	all, err := Select(src, ix, ix.MarkedBytes(), 0)
	require.NoError(t, err)
	out := check(t, log, all)
	require.Equal(t, 10, strings.Count(out, "level=error"))
	require.False(t, all.Whole())

	// Room for the three newest marked spans only.
	three := ix.Marked[len(ix.Marked)-3:]
	var room int64
	for _, s := range three {
		room += s.End - s.Start
	}
	some, err := Select(src, ix, room+10, 0)
	require.NoError(t, err)
	require.Equal(t, three, some.Spans)
	check(t, log, some)

	// A tail of 5 lines' bytes besides the marked span kept: the last
	// marked span (lines 997-1000) joins the 5 unmarked lines before it.
	lineLen := int64(len(veleroLine(999, "info", "fine", "")))
	last := ix.Marked[len(ix.Marked)-1]
	tail, err := Select(src, ix, last.End-last.Start, 5*lineLen)
	require.NoError(t, err)
	require.Len(t, tail.Spans, 1)
	require.Equal(t, int64(1000), tail.Spans[0].LastLine)
	require.InDelta(t, 992, tail.Spans[0].FirstLine, 1)
	check(t, log, tail)

	// Without the marked span, the same tail is the last 5 lines: the
	// marked ones are no free ride.
	tail, err = Select(src, ix, 0, 5*lineLen)
	require.NoError(t, err)
	require.Len(t, tail.Spans, 1)
	require.InDelta(t, 996, tail.Spans[0].FirstLine, 1)
	require.LessOrEqual(t, tail.Kept(), 6*lineLen)

	// A marked span too big for what is left is passed over for an older
	// one; what the marked spans leave goes to the tail.
	spans := ix.Marked
	small := spans[len(spans)-2]
	room = small.End - small.Start
	skip, err := Select(src, ix, room, 0)
	require.NoError(t, err)
	require.NotEmpty(t, skip.Spans)
	require.LessOrEqual(t, skip.Kept(), room)
	check(t, log, skip)

	whole, err := Select(src, ix, ix.Size, ix.Size)
	require.NoError(t, err)
	require.True(t, whole.Whole())
	require.Equal(t, log, check(t, log, whole))
}

func TestSelectRandomLogs(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for n := range 300 {
		var b strings.Builder
		count := r.IntN(200)
		for i := range count {
			switch r.IntN(20) {
			case 0:
				b.WriteString(veleroLine(i, "error", "bad", ""))
			case 1:
				b.WriteString("\n")
			case 2:
				b.WriteString("panic: x\n")
			default:
				b.WriteString(strings.Repeat("y", r.IntN(200)) + "\n")
			}
		}
		if r.IntN(3) == 0 {
			b.WriteString("no final newline")
		}
		log := b.String()
		ix := scan(t, log)
		size := int64(len(log))
		marked, tail := r.Int64N(size+1), r.Int64N(size+1)
		sel, err := Select(strings.NewReader(log), ix, marked, tail)
		require.NoError(t, err, "log %d", n)
		require.LessOrEqual(t, sel.Kept(), size)
		check(t, log, sel)
	}
}

func TestAllocate(t *testing.T) {
	// Everything fits.
	g := Allocate([]Want{{Marked: 10, Size: 100}, {Marked: 0, Size: 50, First: true}}, 1000)
	require.Equal(t, []Grant{{Marked: 10, Tail: 90}, {Marked: 0, Tail: 50}}, g)

	// Marked lines first, then the First log's tail, then the others'.
	g = Allocate([]Want{{Marked: 10, Size: 100}, {Marked: 20, Size: 100, First: true}, {Marked: 5, Size: 100}}, 135)
	require.Equal(t, []Grant{{Marked: 10, Tail: 10}, {Marked: 20, Tail: 80}, {Marked: 5, Tail: 10}}, g)

	// Marked lines that do not all fit are shared evenly (water-filling:
	// the small one takes its need, the big ones share the rest).
	g = Allocate([]Want{{Marked: 100, Size: 200}, {Marked: 4, Size: 10}, {Marked: 100, Size: 200}}, 64)
	require.Equal(t, []Grant{{Marked: 30}, {Marked: 4}, {Marked: 30}}, g)

	// Nothing to share.
	g = Allocate([]Want{{Marked: 1, Size: 2}}, 0)
	require.Equal(t, []Grant{{}}, g)

	// Tails evenly between 200 logs.
	wants := make([]Want, 200)
	for i := range wants {
		wants[i] = Want{Size: 1 << 20}
	}
	var total int64
	for _, g := range Allocate(wants, 2<<20) {
		require.InDelta(t, int64(2<<20)/200, g.Tail, 1)
		total += g.Tail
	}
	require.LessOrEqual(t, total, int64(2<<20))
}

// BenchmarkScan reads a Velero-like log of 16 MiB, a warning every 100
// lines, looking for three names.
func BenchmarkScan(b *testing.B) {
	var sb strings.Builder
	for i := 0; sb.Len() < 16<<20; i++ {
		if i%100 == 99 {
			sb.WriteString(veleroLine(i, "warning", "slow", "backup=velero/daily-1"))
		} else {
			sb.WriteString(veleroLine(i, "info", "Processing item", "backup=velero/daily-2 item=pods/ns/pod-"+strconv.Itoa(i)))
		}
	}
	log := sb.String()
	m := NewMatcher([]string{"daily-9", "restore-1", "pvb-abcde"})
	b.SetBytes(int64(len(log)))
	for b.Loop() {
		if _, err := Scan(strings.NewReader(log), m); err != nil {
			b.Fatal(err)
		}
	}
}

// TestScanBoundsItsSpans: a log with more marked runs than maxSpans has
// them joined, every marked line still in a span.
func TestScanBoundsItsSpans(t *testing.T) {
	var b strings.Builder
	var errs []int64
	for i := 1; i <= 12*maxSpans; i++ {
		if i%12 == 0 {
			b.WriteString(veleroLine(i, "error", "e", ""))
			errs = append(errs, int64(i))
		} else {
			b.WriteString(veleroLine(i, "info", "i", ""))
		}
	}
	ix := scan(t, b.String())
	require.LessOrEqual(t, len(ix.Marked), maxSpans)
	kept := map[int64]bool{}
	for _, l := range lines(ix.Marked) {
		kept[l] = true
	}
	for _, l := range errs {
		require.True(t, kept[l], "line %d", l)
	}
	check(t, b.String(), Selection{Spans: ix.Marked, Size: ix.Size, Lines: ix.Lines})
}

// errAfter returns data, then err with the last bytes.
type errAfter struct {
	data string
	err  error
}

func (r *errAfter) Read(p []byte) (int, error) {
	n := copy(p, r.data)
	r.data = r.data[n:]
	if r.data == "" {
		return n, r.err
	}
	return n, nil
}

func TestScanReportsReadErrors(t *testing.T) {
	_, err := Scan(&errAfter{data: "a\nb\npartial", err: errors.New("boom")}, NewMatcher(nil))
	require.EqualError(t, err, "boom")
}
