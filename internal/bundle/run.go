package bundle

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// run is the only goroutine that touches the archive. It stores the jobs it
// receives until Close or Discard closes the channel, then finishes the
// archive. After a write error it keeps receiving (and deleting spool files)
// so that producers never block, but writes nothing more.
func (w *Writer) run(arc *archive) {
	defer close(w.done)
	sz := startSummarizing(w.summarizer, func() bool { return w.discard.Load() || w.failed.get() != nil })
	defer sz.release()
	var items []ManifestItem
	var hold []held
	for j := range w.jobs {
		items = append(items, j.item)
		if w.maxSize > 0 && j.cut && j.item.hasContent() && !w.lost() {
			hold = append(hold, w.hold(j, len(items)-1))
			continue
		}
		w.store(arc, j)
		if w.lost() {
			j.release()
		} else {
			sz.hand(j)
		}
	}
	budget := w.meta.Budget
	if w.maxSize > 0 {
		budget = w.fit(arc, sz, hold, items)
	}
	sz.wait()
	if w.discard.Load() {
		w.result = arc.abandon()
		return
	}
	w.manifest = newManifest(w.meta, items)
	w.manifest.Budget = budget
	w.result = w.finish(arc, sz)
}

func (w *Writer) store(arc *archive, j job) {
	if w.discard.Load() || w.failed.get() != nil || !j.item.hasContent() {
		return
	}
	if err := arc.writeJob(j); err != nil {
		w.failed.set(err)
	}
}

// finish writes summary.md and manifest.json and closes the archive. After
// an earlier write error it only closes the file and returns that error.
func (w *Writer) finish(arc *archive, sz *summarizing) error {
	err := w.failed.get()
	if err == nil {
		err = w.writeMetaFiles(arc, sz)
	}
	if err != nil {
		_ = arc.abandon() // the partial file is removed; err says why
		return err
	}
	return arc.close()
}

// writeMetaFiles writes summary.md, then manifest.json, which lists
// summary.md too: it is the one file that cannot list itself.
func (w *Writer) writeMetaFiles(arc *archive, sz *summarizing) error {
	sections, serr := sz.summary(w.manifest)
	summary := renderSummary(w.manifest, sections, serr)
	if err := arc.writeBytes(SummaryFile, summary, w.meta.Finished); err != nil {
		return err
	}
	w.manifest.Items = withSummary(w.manifest.Items, summary, serr)
	manifest, err := json.MarshalIndent(w.manifest, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding %s: %w", ManifestFile, err)
	}
	manifest = append(manifest, '\n')
	return arc.writeBytes(ManifestFile, manifest, w.meta.Finished)
}

// withSummary adds summary.md to items, in path order; serr is why its
// analysis is missing.
func withSummary(items []ManifestItem, summary []byte, serr error) []ManifestItem {
	sum := sha256.Sum256(summary)
	it := ManifestItem{Path: SummaryFile, Type: "summary", Source: "this bundle: its manifest and the analysis of its items",
		Bytes: int64(len(summary)), SHA256: hex.EncodeToString(sum[:]), Redactions: map[string]int{}, Status: StatusOK}
	if serr != nil {
		it.Status, it.Error = StatusError, "the analysis of the bundle failed: "+firstLine(serr.Error())
	}
	i, _ := slices.BinarySearchFunc(items, SummaryFile, func(a ManifestItem, p string) int { return cmp.Compare(a.Path, p) })
	return slices.Insert(items, i, it)
}

// firstLine returns s up to its first newline.
func firstLine(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return first
}
