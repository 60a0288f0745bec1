package bundle

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"

	"github.com/klauspost/compress/flate"
	"golang.org/x/sync/errgroup"

	"github.com/velero-debug/velero-debug/internal/budget"
)

// With a size budget (Options.MaxSize), the items that may be Cut (pods'
// logs) are held, spooled, until every other item is stored; then fit
// stores them: whole when they all fit in what the budget has left, else
// in part, as package budget chooses (the lines that name what the bundle
// is about and every warning, error and panic line first, then tails).
// The budget counts compressed bytes: what the archive weighs so far is
// measured (the compressor flushed), each log's compression ratio is
// measured on samples of it, and after each log the share of those still
// to store is computed again from what is really left.

// sampleLen is the size of each sample of a log compressed to measure its
// compression ratio.
const sampleLen = 64 << 10

// held is an item held for fit, and where its record is in the items.
// A spooled one is held by its file's name, closed: thousands of pods'
// logs must not hold as many open files.
type held struct {
	j     job
	idx   int
	spool string
}

// hold closes a job's spool file, to be opened again by fit.
func (w *Writer) hold(j job, idx int) held {
	h := held{j: j, idx: idx}
	if j.spool != nil {
		h.spool = j.spool.Name()
		if err := j.spool.Close(); err != nil {
			w.failed.set(fmt.Errorf("closing spool file: %w", err))
		}
		h.j.spool = nil
	}
	return h
}

// reopen opens a held job's spool file again.
func (w *Writer) reopen(h *held) {
	if h.spool == "" || h.j.spool != nil {
		return
	}
	f, err := os.Open(h.spool) //nolint:gosec // G304: a spool file of ours
	if err != nil {
		w.failed.set(fmt.Errorf("opening spool file: %w", err))
		_ = os.Remove(h.spool)
		return
	}
	h.j.spool = f
}

// opened calls read with a held job's content, its spool file open for
// the call only; not once the bundle is lost.
func (w *Writer) opened(h *held, read func(io.ReaderAt)) {
	if w.lost() {
		return
	}
	w.reopen(h)
	if w.lost() {
		return
	}
	read(contentAt(h.j))
	if h.spool != "" && h.j.spool != nil {
		_ = h.j.spool.Close()
		h.j.spool = nil
	}
}

// drop releases a held job, open or not.
func (h held) drop() {
	if h.j.spool != nil {
		h.j.release()
	} else if h.spool != "" {
		_ = os.Remove(h.spool)
	}
}

// fitted is a held log's plan: its ratio, and what budget's Scan found.
type fitted struct {
	held
	ratio float64
	ix    budget.Index
	first bool
}

// fit stores the held items within what the budget leaves, updates their
// records in items, hands them to the summarizer, and returns what the
// budget did.
func (w *Writer) fit(arc *archive, sz *summarizing, hs []held, items []ManifestItem) *Budget {
	rec := &Budget{MaxBytes: w.maxSize}
	if w.lost() {
		for _, h := range hs {
			h.drop()
		}
		return rec
	}
	used, err := arc.compressed()
	if err != nil {
		w.failed.set(err)
	}
	meta := metaEstimate(items)
	left := w.maxSize - used - meta - metaSlack - w.maxSize/100
	rec.OverBytes = max(0, used+meta-w.maxSize)
	first := map[string]bool{}
	for _, p := range w.meta.Focus.First {
		first[p] = true
	}
	logs := make([]fitted, len(hs))
	for i, h := range hs {
		logs[i] = fitted{held: h, first: first[h.j.item.Path], ratio: 1}
	}
	eachLog(logs, func(f *fitted) {
		w.opened(&f.held, func(src io.ReaderAt) { f.ratio = sampleRatio(src, f.j.item.Bytes) })
	})
	// The logs that come first are stored first: a misjudged ratio then
	// costs the others, which are cut more.
	slices.SortStableFunc(logs, func(a, b fitted) int {
		if a.first != b.first {
			if a.first {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.j.item.Path, b.j.item.Path)
	})
	whole, rest := true, need(logs)
	weight := used
	for i := range logs {
		// Whole while the rest fits as measured; once it does not (a
		// ratio misjudged), the logs still to store are cut.
		if whole && rest > float64(left) {
			whole = false
			w.scan(logs[i:])
		}
		rest -= float64(logs[i].j.item.Bytes) * logs[i].ratio
		f := &logs[i]
		w.reopen(&f.held)
		if w.lost() {
			f.drop()
			continue
		}
		j := f.j
		if !whole {
			j = w.cutJob(logs[i:], left, rec)
			// The kept line ranges weigh in manifest.json, written last.
			left -= int64(len(j.item.KeptLines)) * keptLinesCost
		}
		items[f.idx] = j.item
		w.store(arc, j)
		now, err := arc.compressed()
		if err != nil {
			w.failed.set(err)
		}
		left -= now - weight
		weight = now
		if w.lost() {
			j.release()
		} else {
			sz.hand(j)
		}
	}
	return rec
}

// need is what logs weigh whole, as their ratios say.
func need(logs []fitted) float64 {
	var n float64
	for _, f := range logs {
		n += float64(f.j.item.Bytes) * f.ratio
	}
	return n
}

// scan reads logs again to index the lines a cut keeps first.
func (w *Writer) scan(logs []fitted) {
	m := budget.NewMatcher(w.meta.Focus.Names)
	eachLog(logs, func(f *fitted) {
		w.opened(&f.held, func(src io.ReaderAt) {
			ix, err := budget.Scan(io.NewSectionReader(src, 0, f.j.item.Bytes), m)
			if err == nil && ix.Size != f.j.item.Bytes {
				err = fmt.Errorf("read %d bytes of %d", ix.Size, f.j.item.Bytes)
			}
			if err != nil {
				w.failed.set(fmt.Errorf("reading the spooled log %q: %w", f.j.item.Path, err))
			}
			f.ix = ix
		})
	})
}

// eachLog calls f for each log, as many at once as there are CPUs: the
// reading of every log again that a budget costs (about 350 MB/s a CPU).
func eachLog(logs []fitted, f func(*fitted)) {
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i := range logs {
		g.Go(func() error { f(&logs[i]); return nil })
	}
	_ = g.Wait()
}

// lost reports that the bundle is discarded or its writing failed.
func (w *Writer) lost() bool { return w.discard.Load() || w.failed.get() != nil }

// cutJob returns the job of logs[0] with what of it fits: its share of
// left, shared between logs as budget.Allocate does. A log kept whole
// keeps its job; a cut one gets a new spool file with the kept lines and
// the marker lines, and a record that says what was kept.
func (w *Writer) cutJob(logs []fitted, left int64, rec *Budget) job {
	wants := make([]budget.Want, len(logs))
	for i, f := range logs {
		wants[i] = budget.Want{
			Marked: int64(float64(f.ix.MarkedBytes()) * f.ratio),
			Size:   int64(float64(f.ix.Size) * f.ratio),
			First:  f.first,
		}
	}
	f := logs[0]
	// Each log still to store costs its tar header (and the compressor's
	// flush) besides its lines.
	g := budget.Allocate(wants, max(left-int64(len(logs))*perLogCost, 0))[0]
	marked := int64(float64(g.Marked) / f.ratio)
	if g.Marked >= wants[0].Marked {
		marked = f.ix.MarkedBytes() // not a byte less by rounding
	}
	src := contentAt(f.j)
	tail := int64(float64(g.Tail) / f.ratio)
	sel, err := budget.Select(src, f.ix, marked, tail)
	// Each run of lines left out costs a marker line, and each span kept
	// a line range in manifest.json: once their number is known, they are
	// paid from the tail, then from the marked lines.
	if cost := int64(float64(int64(len(sel.Spans)+1)*spanCost) / f.ratio); err == nil && !sel.Whole() && cost > 0 {
		fromTail := min(cost, tail)
		sel, err = budget.Select(src, f.ix, max(0, marked-(cost-fromTail)), tail-fromTail)
	}
	if err != nil {
		w.failed.set(fmt.Errorf("reading the spooled log %q: %w", f.j.item.Path, err))
		return f.j
	}
	if sel.Whole() || sel.StoredSize() >= f.j.item.Bytes {
		return f.j // whole, or no bigger than its cut: a short log and its marker
	}
	cut, err := os.CreateTemp(w.spoolDir, "cut-*")
	if err != nil {
		w.failed.set(fmt.Errorf("creating spool file: %w", err))
		return f.j
	}
	h := sha256.New()
	n, err := budget.Write(io.MultiWriter(cut, h), src, sel)
	if err != nil {
		removeSpool(cut)
		w.failed.set(fmt.Errorf("cutting the log %q: %w", f.j.item.Path, err))
		return f.j
	}
	j := f.j
	j.release()
	j.spool, j.data = cut, nil
	j.item.OriginalBytes = j.item.Bytes
	j.item.Bytes, j.item.SHA256, j.item.Truncated = n, hex.EncodeToString(h.Sum(nil)), true
	j.item.KeptLines = make([][2]int64, 0, len(sel.Spans))
	for _, sp := range sel.Spans {
		j.item.KeptLines = append(j.item.KeptLines, [2]int64{sp.FirstLine, sp.LastLine})
	}
	rec.LogsCut++
	rec.OriginalBytes += j.item.OriginalBytes
	rec.KeptBytes += sel.Kept()
	return j
}

// contentAt is a held job's content.
func contentAt(j job) io.ReaderAt {
	if j.spool == nil {
		return bytes.NewReader(j.data)
	}
	return j.spool
}

// sampleRatio is the compression ratio of a log of size bytes, as the
// archive compresses (at least 1%): the worst of three samples of
// sampleLen bytes, at its start, middle and end (a log that ends in one
// line repeated is not judged by its end).
func sampleRatio(f io.ReaderAt, size int64) float64 {
	n := min(size, sampleLen)
	if n == 0 {
		return 1
	}
	worst := 0.0
	for _, off := range []int64{0, (size - n) / 2, size - n} {
		c, err := compressedSize(io.NewSectionReader(f, off, n))
		if err != nil {
			return 1
		}
		worst = max(worst, float64(c)/float64(n))
	}
	return max(worst, 0.01)
}

// compressedSize is what r weighs compressed as the archive compresses.
func compressedSize(r io.Reader) (int64, error) {
	c := &Counter{W: io.Discard}
	zw, err := flate.NewWriter(c, gzipLevel)
	if err != nil {
		return 0, err
	}
	if _, err := io.Copy(zw, r); err != nil {
		return 0, err
	}
	if err := zw.Close(); err != nil {
		return 0, err
	}
	return c.N, nil
}

// The weight of what a cut adds, compressed: a marker line in the log
// and a line range in manifest.json for each span kept (keptLinesCost of
// spanCost).
const (
	spanCost      = 48
	keptLinesCost = 16
	// perLogCost is a log's tar header and folders, and a flush.
	perLogCost = 160
)

// metaSlack is what summary.md may weigh beyond metaEstimate's guess (on
// the local cluster with the real Velero server: manifest.json 7.5 KB and
// summary.md 3.8 KB compressed, against an estimate of 14.6 KB).
const metaSlack = 4 << 10

// metaEstimate is what manifest.json and summary.md will weigh: the
// manifest of items as it stands, compressed, twice over (the summary is
// about as big).
func metaEstimate(items []ManifestItem) int64 {
	data, err := json.MarshalIndent(items, "", "  ")
	if err != nil {
		return int64(len(items)) * 512
	}
	c, err := compressedSize(bytes.NewReader(data))
	if err != nil {
		return int64(len(data))
	}
	return 2 * c
}
