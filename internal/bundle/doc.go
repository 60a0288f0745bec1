// Package bundle writes a velero-debug bundle: one tar.gz file whose entries
// all live under the top folder velero-bundle/, together with manifest.json
// (the machine-readable record of every item) and summary.md (the same, for
// people).
//
// # Lifecycle
//
// Create makes the output file as "<path>.partial" (mode 0600, never an
// existing file) and a private spool folder (mode 0700). Producers add items
// concurrently; Close finishes the archive and renames it to path. Discard
// throws everything away instead.
//
//	w, err := bundle.Create("velero-debug.tar.gz", bundle.Options{})
//	if err != nil { ... }
//	defer w.Discard() // no-op once Close has run
//	// from many goroutines:
//	w.AddBytes(item, data)                // small content already in memory
//	w.Add(ctx, item, stream)              // content of unknown size
//	w.AddError(item, err)                 // the item could not be collected
//	w.AddSkipped(item, "disabled by --no-logs")
//	// once the producers are done, or interrupted:
//	err = w.Close(bundle.Meta{Complete: !interrupted, ...})
//	code := bundle.ExitCode(w.Manifest().Complete, interrupted, w.Manifest().Items)
//
// # Items
//
// Every item is recorded in the manifest, whatever its fate: its path, type,
// source, the number and sha256 of the bytes stored in the archive, whether it
// was truncated, how many values were redacted (by rule), its status (ok,
// error, skipped or cancelled), an error message and how long it took. An
// item path is relative to velero-bundle/, uses forward slashes, and is
// used at most once; see ErrInvalidPath and ErrDuplicatePath.
//
// A failed or cancelled item keeps the bytes received before it stopped (a
// log stream cut half-way is still evidence); an item without content has no
// archive entry and an empty sha256. Open returns an Entry for producers that
// need to write content piecewise, set Truncated or Redactions after writing,
// have the item's duration cover the request that precedes the content, or
// keep a duration measured elsewhere (SetDuration).
//
// # Memory and concurrency
//
// One goroutine owns the tar writer and the output file; producers hand it
// finished items through a channel. Streamed content is spooled to a file in
// the spool folder while its size and sha256 are computed, because a tar
// header needs the size before the content: memory use does not depend on the
// size of an item. The spool file is copied into the archive and deleted as
// soon as the item is finished.
//
// # Interrupts and failures
//
// Close needs no context: on an interrupt it still writes every finished item,
// records the items still open as cancelled (keeping their bytes), and
// produces a valid archive whose manifest says "complete": false. When writing
// the archive fails (a full disk), later Open and Add calls fail fast, Close
// returns the first error, and no output file is left behind.
package bundle
