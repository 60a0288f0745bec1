package bundle

import (
	"context"
	"errors"
)

// Status is the outcome of one item, as recorded in the manifest.
type Status string

const (
	// StatusOK means the item was collected completely.
	StatusOK Status = "ok"
	// StatusError means collecting the item failed; the manifest's error field
	// says why. Bytes received before the failure are kept.
	StatusError Status = "error"
	// StatusSkipped means the item was deliberately not collected; the
	// manifest's error field gives the reason. A skipped item has no content.
	StatusSkipped Status = "skipped"
	// StatusCancelled means the run stopped before the item finished. Bytes
	// received before that are kept.
	StatusCancelled Status = "cancelled"
)

// Item describes one file of the bundle as its producer knows it.
type Item struct {
	// Path is where the item goes, relative to the bundle's top folder, with
	// forward slashes, for example "logs/velero/velero-abc/velero.log".
	Path string
	// Type classifies the item, for example "log", "object-list",
	// "download", "version" or "summary".
	Type string
	// Source says what the item was collected from, for example
	// "pods/velero/velero-abc/velero".
	Source string
	// Truncated reports that the content was cut short on purpose, by a byte
	// or line limit. Entry.SetTruncated changes it after Open.
	Truncated bool
	// Redactions counts the values the redactor replaced, by rule name.
	// Entry.SetRedactions changes it after Open.
	Redactions map[string]int
	// Cut allows a bundle with a size budget (Options.MaxSize) to keep
	// only part of the item: a pod's log, which is then held to the end of
	// the run and cut to what fits (package budget chooses the lines).
	Cut bool
	// OriginalBytes and KeptLines carry the record of a cut made before,
	// for a bundle rewritten from another (see ManifestItem).
	OriginalBytes int64
	KeptLines     [][2]int64
}

// ManifestItem is the record of one item in manifest.json.
type ManifestItem struct {
	// Path is the item's path relative to the bundle's top folder.
	Path string `json:"path"`
	// Type is the item's type, as given by its producer.
	Type string `json:"type"`
	// Source is the item's source, as given by its producer.
	Source string `json:"source"`
	// Bytes is the size of the item's content in the archive.
	Bytes int64 `json:"bytes"`
	// SHA256 is the hex sha256 of the item's content in the archive, or
	// empty when the item has no archive entry.
	SHA256 string `json:"sha256"`
	// Truncated reports that the content was cut short on purpose.
	Truncated bool `json:"truncated"`
	// Redactions counts redacted values by rule name; never nil.
	Redactions map[string]int `json:"redactions"`
	// Status is the item's outcome.
	Status Status `json:"status"`
	// Error explains a status other than ok; empty when ok.
	Error string `json:"error"`
	// DurationMs is the time from Open to the item's end, in milliseconds.
	DurationMs int64 `json:"durationMs"`
	// OriginalBytes is the size of a log that was cut to fit --max-size,
	// before the cut; zero when it was not cut that way.
	OriginalBytes int64 `json:"originalBytes,omitempty"`
	// KeptLines are the line ranges, first and last, counted from 1, of
	// the original log that a log cut to fit --max-size keeps (none when
	// only its marker is left); a marker line stands in the file for each
	// run of lines left out.
	KeptLines [][2]int64 `json:"keptLines,omitempty"`
}

// hasContent reports whether the item has an entry in the archive: every ok
// item has one, even when empty; any other item only when bytes were kept.
func (m ManifestItem) hasContent() bool {
	return m.Status == StatusOK || m.Bytes > 0
}

var (
	// ErrClosed is returned when the Writer, or the Entry, was closed by
	// Close or Discard.
	ErrClosed = errors.New("bundle writer is closed")
	// ErrEntryFinished is returned by an Entry that was already committed,
	// failed or skipped.
	ErrEntryFinished = errors.New("bundle entry is already finished")
	// ErrInvalidPath is returned by Open for a path that is empty, absolute,
	// not clean (empty, "." or ".." segments, a trailing slash), or that
	// contains a backslash or a NUL byte.
	ErrInvalidPath = errors.New("invalid bundle path")
	// ErrDuplicatePath is returned by Open for a path already used by another
	// item or by the bundle's own files, either as a file or as a folder.
	ErrDuplicatePath = errors.New("duplicate bundle path")
)

// statusOf returns the status of an item that stopped with err:
// cancelled when the run's context was cancelled, error otherwise. A deadline
// is an error: the request took too long.
func statusOf(err error) Status {
	if errors.Is(err, context.Canceled) {
		return StatusCancelled
	}
	return StatusError
}

// messageOf returns the manifest's error string for err.
func messageOf(err error) string {
	if err == nil {
		return "unknown error"
	}
	return err.Error()
}
