package bundle

import (
	"encoding/json"
	"fmt"
)

// run is the only goroutine that touches the archive. It stores the jobs it
// receives until Close or Discard closes the channel, then finishes the
// archive. After a write error it keeps receiving (and deleting spool files)
// so that producers never block, but writes nothing more.
func (w *Writer) run(arc *archive) {
	defer close(w.done)
	var items []ManifestItem
	for j := range w.jobs {
		items = append(items, j.item)
		w.store(arc, j)
		j.release()
	}
	if w.discard.Load() {
		w.result = arc.abandon()
		return
	}
	w.manifest = newManifest(w.meta, items)
	w.result = w.finish(arc)
}

func (w *Writer) store(arc *archive, j job) {
	if w.discard.Load() || w.failed.get() != nil || !j.item.hasContent() {
		return
	}
	if err := arc.writeJob(j); err != nil {
		w.failed.set(err)
	}
}

// finish writes manifest.json and summary.md and closes the archive. After
// an earlier write error it only closes the file and returns that error.
func (w *Writer) finish(arc *archive) error {
	err := w.failed.get()
	if err == nil {
		err = w.writeMetaFiles(arc)
	}
	if err != nil {
		_ = arc.abandon() // the partial file is removed; err says why
		return err
	}
	return arc.close()
}

func (w *Writer) writeMetaFiles(arc *archive) error {
	manifest, err := json.MarshalIndent(w.manifest, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding %s: %w", manifestName, err)
	}
	manifest = append(manifest, '\n')
	if err := arc.writeBytes(manifestName, manifest, w.meta.Finished); err != nil {
		return err
	}
	return arc.writeBytes(summaryName, renderSummary(w.manifest), w.meta.Finished)
}
