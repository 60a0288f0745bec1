package bundle

import (
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/velero-debug/velero-debug/internal/budget"
)

// fakeLog is a node-agent's log of about size bytes, as compressible as
// real ones (ids and durations vary): an error line every 500 lines,
// one line naming the volume operation "daily-7-xk2p9", and "last line"
// at its end.
func fakeLog(seed uint64, size int) string {
	r := rand.New(rand.NewPCG(seed, 7))
	var b strings.Builder
	for i := 0; b.Len() < size; i++ {
		switch {
		case i%500 == 499:
			fmt.Fprintf(&b, "time=\"2026-12-07T10:00:%02dZ\" level=error msg=\"error %d of log %d\" error=\"timeout\"\n", i%60, i, seed)
		case i == 777:
			fmt.Fprintf(&b, "time=\"2026-12-07T10:00:00Z\" level=info msg=\"PVB processed\" podvolumebackup=velero/daily-7-xk2p9 log=%d\n", seed)
		default:
			fmt.Fprintf(&b, "time=\"2026-12-07T10:%02d:%02dZ\" level=info msg=\"Processing item\" uid=%08x duration=%dms logSource=\"pkg/uploader/kopia.go:%d\"\n",
				i/60%60, i%60, r.Uint32(), r.IntN(5000), r.IntN(900))
		}
	}
	b.WriteString("last line\n")
	return b.String()
}

var errorLine = regexp.MustCompile(`(?m)^.*level=error.*$`)

func TestMaxSizeCutsLogsToFit(t *testing.T) {
	const maxSize = 320 << 10
	w, out, tmp := create(t, Options{MaxSize: maxSize})
	logs := map[string]string{}
	for i := range 40 {
		p := fmt.Sprintf("logs/velero/node-agent-%02d/node-agent.log", i)
		logs[p] = fakeLog(uint64(i), 256<<10)
		require.NoError(t, w.AddBytes(Item{Path: p, Type: "log", Cut: true}, []byte(logs[p])))
	}
	objects := map[string]string{}
	for i := range 10 {
		p := fmt.Sprintf("resources/velero/velero.io_v1/backups-%d.json", i)
		objects[p] = strings.Repeat(fmt.Sprintf(`{"name":"b%d","phase":"Completed"},`, i), 200)
		require.NoError(t, w.AddBytes(Item{Path: p, Type: "object-list"}, []byte(objects[p])))
	}
	first := "logs/velero/node-agent-03/node-agent.log"
	require.NoError(t, w.Close(Meta{Complete: true, Focus: budget.Focus{Names: []string{"daily-7-xk2p9"}, First: []string{first}}}))
	requireClean(t, out, tmp)

	info, err := os.Stat(out)
	require.NoError(t, err)
	require.LessOrEqual(t, info.Size(), int64(maxSize))
	t.Logf("bundle of %d bytes for 10 MiB of logs, budget %d", info.Size(), maxSize)
	b := readBundle(t, out)
	checkItems(t, b)
	for p, data := range objects {
		require.Equal(t, data, b.files[p], "objects are kept whole")
	}
	require.NotNil(t, b.manifest.Budget)
	require.GreaterOrEqual(t, b.manifest.Budget.LogsCut, 39)
	require.Equal(t, int64(maxSize), b.manifest.Budget.MaxBytes)
	require.Zero(t, b.manifest.Budget.OverBytes)
	var kept, firstKept, otherKept int64
	for p, orig := range logs {
		it := itemByPath(t, b.manifest, p)
		got := b.files[p]
		if p == first {
			firstKept = int64(len(got))
			if !it.Truncated {
				if orig != got {
					t.Fatalf("%s, not cut, should be whole", p)
				}
				continue
			}
		} else {
			otherKept = max(otherKept, int64(len(got)))
		}
		require.True(t, it.Truncated, p)
		require.Equal(t, int64(len(orig)), it.OriginalBytes, p)
		require.NotEmpty(t, it.KeptLines, p)
		for _, l := range errorLine.FindAllString(orig, -1) {
			requireHas(t, got, l+"\n", "every error line of "+p)
		}
		requireHas(t, got, "podvolumebackup=velero/daily-7-xk2p9", "the lines naming the focus in "+p)
		require.True(t, strings.HasSuffix(got, "last line\n"), "the tail of %s", p)
		requireHas(t, got, "left out here to fit --max-size]\n", "markers in "+p)
		var lines int64
		for _, r := range it.KeptLines {
			lines += r[1] - r[0] + 1
		}
		require.Equal(t, lines, int64(strings.Count(got, "\n")-strings.Count(got, "left out here to fit")), "keptLines count the kept lines of %s", p)
		kept += int64(len(got))
	}
	require.Greater(t, b.manifest.Budget.KeptBytes, kept/2)
	require.Greater(t, firstKept, 2*otherKept, "the First log's tail comes before the others'")
}

func TestMaxSizeKeepsWhatFits(t *testing.T) {
	w, out, _ := create(t, Options{MaxSize: 10 << 20})
	log := fakeLog(1, 1<<20)
	require.NoError(t, w.AddBytes(Item{Path: "logs/a.log", Type: "log", Cut: true}, []byte(log)))
	require.NoError(t, w.Close(Meta{Complete: true}))
	b := readBundle(t, out)
	checkItems(t, b)
	require.Equal(t, log, b.files["logs/a.log"])
	it := itemByPath(t, b.manifest, "logs/a.log")
	require.False(t, it.Truncated)
	require.Zero(t, it.OriginalBytes)
	require.Equal(t, &Budget{MaxBytes: 10 << 20}, b.manifest.Budget)
}

func TestMaxSizeOverByWhatCannotBeCut(t *testing.T) {
	const maxSize = 256 << 10
	w, out, _ := create(t, Options{MaxSize: maxSize})
	r := rand.New(rand.NewPCG(3, 4))
	noise := make([]byte, 400<<10)
	for i := range noise {
		noise[i] = byte(r.UintN(256))
	}
	require.NoError(t, w.AddBytes(Item{Path: "velero/backups/b1/b1-logs.gz", Type: "download"}, noise))
	log := fakeLog(2, 256<<10)
	require.NoError(t, w.AddBytes(Item{Path: "logs/a.log", Type: "log", Cut: true}, []byte(log)))
	require.NoError(t, w.Close(Meta{Complete: true}))
	b := readBundle(t, out)
	checkItems(t, b)
	require.Equal(t, string(noise), b.files["velero/backups/b1/b1-logs.gz"], "kept whole, over the budget")
	require.Greater(t, b.manifest.Budget.OverBytes, int64(400<<10-maxSize))
	it := itemByPath(t, b.manifest, "logs/a.log")
	require.True(t, it.Truncated)
	require.Equal(t, budget.Marker(1, int64(strings.Count(log, "\n")), int64(len(log))), b.files["logs/a.log"], "the marker alone")
}

// requireHas fails unless s holds sub, without printing s (a log).
func requireHas(t *testing.T, s, sub, what string) {
	t.Helper()
	if !strings.Contains(s, sub) {
		t.Fatalf("%s: %q is missing", what, sub)
	}
}

// TestMaxSizeDiscardAndInterrupt: held logs leave nothing behind when the
// bundle is discarded, and an entry still open at Close is held and cut
// like the others.
func TestMaxSizeDiscardAndInterrupt(t *testing.T) {
	w, out, tmp := create(t, Options{MaxSize: 64 << 10})
	for i := range 5 {
		_, err := w.Add(t.Context(), Item{Path: fmt.Sprintf("logs/%d.log", i), Type: "log", Cut: true}, strings.NewReader(fakeLog(uint64(i), 256<<10)))
		require.NoError(t, err)
	}
	require.NoError(t, w.Discard())
	requireClean(t, out, tmp)
	_, err := os.Stat(out)
	require.ErrorIs(t, err, os.ErrNotExist)

	w, out, tmp = create(t, Options{MaxSize: 64 << 10})
	e, err := w.Open(Item{Path: "logs/open.log", Type: "log", Cut: true})
	require.NoError(t, err)
	_, err = e.Write([]byte(fakeLog(9, 512<<10)))
	require.NoError(t, err)
	require.NoError(t, w.Close(Meta{}))
	requireClean(t, out, tmp)
	b := readBundle(t, out)
	checkItems(t, b)
	it := itemByPath(t, b.manifest, "logs/open.log")
	require.Equal(t, StatusCancelled, it.Status)
	require.True(t, it.Truncated)
	info, err := os.Stat(out)
	require.NoError(t, err)
	require.LessOrEqual(t, info.Size(), int64(64<<10))
}

// fitOne writes logs into a bundle of maxSize and returns it, checked.
func fitOne(t *testing.T, maxSize int64, focus budget.Focus, logs map[string]string) (testBundle, int64) {
	t.Helper()
	w, out, tmp := create(t, Options{MaxSize: maxSize})
	for p, l := range logs {
		require.NoError(t, w.AddBytes(Item{Path: p, Type: "log", Cut: true}, []byte(l)))
	}
	require.NoError(t, w.Close(Meta{Complete: true, Focus: focus}))
	requireClean(t, out, tmp)
	info, err := os.Stat(out)
	require.NoError(t, err)
	b := readBundle(t, out)
	checkItems(t, b)
	return b, info.Size()
}

// TestMaxSizeLogEndingInRepeats: a log whose end compresses far better
// than the rest is not judged by its end (found in review: 681,578 bytes
// for a budget of 524,288).
func TestMaxSizeLogEndingInRepeats(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	var b strings.Builder
	raw := make([]byte, 48)
	for b.Len() < 1<<20 {
		for i := range raw {
			raw[i] = byte(r.UintN(256))
		}
		fmt.Fprintf(&b, "level=info msg=%s\n", base64.StdEncoding.EncodeToString(raw))
	}
	for b.Len() < 1<<20+100<<10 {
		b.WriteString("level=info msg=\"waiting for the volume to be attached\"\n")
	}
	bu, size := fitOne(t, 512<<10, budget.Focus{}, map[string]string{"logs/a.log": b.String()})
	require.LessOrEqual(t, size, int64(512<<10))
	require.Equal(t, 1, bu.manifest.Budget.LogsCut)
}

// TestMaxSizeManySpans: thousands of kept spans weigh in manifest.json
// (keptLines) and in marker lines, and the budget holds (found in
// review: 176 KB over).
func TestMaxSizeManySpans(t *testing.T) {
	logs := map[string]string{}
	for i := range 8 {
		var b strings.Builder
		for j := 0; b.Len() < 1<<20; j++ {
			if j%9 == 8 {
				fmt.Fprintf(&b, "level=warning n=%d\n", j)
			} else {
				fmt.Fprintf(&b, "level=info n=%d id=%08x\n", j, uint32(j*2654435761+i))
			}
		}
		logs[fmt.Sprintf("logs/%d.log", i)] = b.String()
	}
	b, size := fitOne(t, 1<<20, budget.Focus{}, logs)
	require.LessOrEqual(t, size, int64(1<<20))
	require.Positive(t, b.manifest.Budget.LogsCut)
}

// TestMaxSizePanicAtTheEnd: a log whose newest marked span (a panic's
// stack) does not fit its share keeps its older marked lines instead,
// and what they leave goes to its tail (found in review: every log was
// its marker alone).
func TestMaxSizePanicAtTheEnd(t *testing.T) {
	logs := map[string]string{}
	for i := range 10 {
		var b strings.Builder
		for j := range 200 {
			fmt.Fprintf(&b, "level=info msg=\"step %d of log %d\" id=%08x\n", j, i, uint32(j*7919+i))
			if j == 50 {
				fmt.Fprintf(&b, "level=error msg=\"old error of log %d\"\n", i)
			}
		}
		b.WriteString("panic: runtime error: invalid memory address or nil pointer dereference\n")
		for j := range 100 {
			fmt.Fprintf(&b, "\tgithub.com/vmware-tanzu/velero/pkg/controller.(*backupReconciler).Reconcile(%d)\n", j)
		}
		logs[fmt.Sprintf("logs/%02d.log", i)] = b.String()
	}
	first := "logs/00.log"
	b, size := fitOne(t, 28<<10, budget.Focus{First: []string{first}}, logs)
	require.LessOrEqual(t, size, int64(28<<10))
	for p := range logs {
		got := b.files[p]
		if !strings.Contains(got, "old error of log") && !strings.Contains(got, "panic: ") {
			t.Fatalf("%s keeps none of its marked lines:\n%s", p, got)
		}
	}
	for p := range logs {
		require.GreaterOrEqual(t, len(b.files[first]), len(b.files[p]), "the First log keeps at least as much as %s", p)
	}
}

// TestMaxSizeOverOnlyWhenItIs: a small budget that leaves the logs little
// is not blamed on what is never cut (found in review: overBytes held the
// reserve).
func TestMaxSizeOverOnlyWhenItIs(t *testing.T) {
	logs := map[string]string{}
	for i := range 10 {
		logs[fmt.Sprintf("logs/%d.log", i)] = fakeLog(uint64(i), 64<<10)
	}
	b, size := fitOne(t, 18<<10, budget.Focus{}, logs)
	require.LessOrEqual(t, size, int64(18<<10))
	require.Zero(t, b.manifest.Budget.OverBytes)
	require.NotContains(t, b.files[SummaryFile], "over it alone")
}

// TestMaxSizeShortLogsStayWhole: a log no longer than its marker line is
// kept whole, even with nothing left for logs (a plugin's init container
// says one line).
func TestMaxSizeShortLogsStayWhole(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	noise := make([]byte, 40<<10)
	for i := range noise {
		noise[i] = byte(r.UintN(256))
	}
	w, out, _ := create(t, Options{MaxSize: 32 << 10})
	require.NoError(t, w.AddBytes(Item{Path: "velero/backups/b1/b1-logs.gz", Type: "download"}, noise))
	short := "level=info msg=\"plugin registered\"\n"
	require.NoError(t, w.AddBytes(Item{Path: "logs/plugin.log", Type: "log", Cut: true}, []byte(short)))
	require.NoError(t, w.AddBytes(Item{Path: "logs/long.log", Type: "log", Cut: true}, []byte(fakeLog(3, 64<<10))))
	require.NoError(t, w.Close(Meta{Complete: true}))
	b := readBundle(t, out)
	checkItems(t, b)
	require.Equal(t, short, b.files["logs/plugin.log"])
	require.False(t, itemByPath(t, b.manifest, "logs/plugin.log").Truncated)
	require.True(t, itemByPath(t, b.manifest, "logs/long.log").Truncated)
}
