package bundleread

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/velero-debug/velero-debug/internal/bundle"
)

// maxDurationMs is the longest duration a time.Duration holds, in ms.
const maxDurationMs = math.MaxInt64 / int64(time.Millisecond)

// decodeManifest decodes manifest.json strictly: one JSON object with the
// manifest's fields and no others, so that nothing in it is lost unseen.
// Numbers in the options keep their text.
func decodeManifest(data []byte) (bundle.Manifest, error) {
	var m bundle.Manifest
	if t := bytes.TrimLeft(data, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return m, invalid("%s/%s is not a JSON object", bundle.TopDir, bundle.ManifestFile)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return m, invalid("%s/%s: %v", bundle.TopDir, bundle.ManifestFile, err)
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		return m, invalid("%s/%s: more than one JSON value", bundle.TopDir, bundle.ManifestFile)
	}
	if m.Options == nil {
		m.Options = map[string]any{}
	}
	if m.Items == nil {
		m.Items = []bundle.ManifestItem{}
	}
	paths := newPathSet()
	for i := range m.Items {
		if err := checkItem(&m.Items[i], paths); err != nil {
			return m, err
		}
	}
	return m, nil
}

// checkItem checks one item of the manifest, and records its path in
// paths. A missing redactions map becomes an empty one.
func checkItem(it *bundle.ManifestItem, paths pathSet) error {
	where := fmt.Sprintf("%s item %q", bundle.ManifestFile, it.Path)
	if err := checkRelative(it.Path); err != nil {
		return invalid("%s: %v", where, err)
	}
	if it.Path == bundle.ManifestFile {
		return invalid("%s: manifest.json cannot list itself", where)
	}
	if err := paths.addFile(it.Path); err != nil {
		return invalid("%s: listed twice, or both a file and a folder", where)
	}
	switch it.Status {
	case bundle.StatusOK, bundle.StatusError, bundle.StatusSkipped, bundle.StatusCancelled:
	default:
		return invalid("%s: unknown status %q", where, it.Status)
	}
	switch {
	case it.Bytes < 0:
		return invalid("%s: negative bytes", where)
	case it.DurationMs < 0:
		return invalid("%s: negative durationMs", where)
	case it.DurationMs > maxDurationMs:
		return invalid("%s: durationMs %d is out of range", where, it.DurationMs)
	case it.Status == bundle.StatusSkipped && it.Bytes > 0:
		return invalid("%s: a skipped item has no content, but bytes is %d", where, it.Bytes)
	}
	for rule, n := range it.Redactions {
		if n < 0 {
			return invalid("%s: negative redaction count for rule %q", where, rule)
		}
	}
	if it.Redactions == nil {
		it.Redactions = map[string]int{}
	}
	if HasContent(*it) {
		if len(it.SHA256) != 64 || !isHex(it.SHA256) {
			return invalid("%s: sha256 %q is not 64 lowercase hex digits", where, it.SHA256)
		}
	} else if it.SHA256 != "" {
		return invalid("%s: an item without content has no sha256", where)
	}
	return nil
}

// isHex reports whether s is lowercase hex digits, as bundle writes them.
func isHex(s string) bool {
	for _, c := range []byte(s) {
		if ('0' > c || c > '9') && ('a' > c || c > 'f') {
			return false
		}
	}
	return true
}

// HasContent reports whether item has a file in the archive: every ok
// item has one, even when empty; any other item only when it kept bytes.
func HasContent(item bundle.ManifestItem) bool {
	return item.Status == bundle.StatusOK || item.Bytes > 0
}

// checkFiles checks that the archive's files and the manifest's items are
// the same, with the same sizes and sha256. It returns the items with
// content, by path.
func checkFiles(items []bundle.ManifestItem, files map[string]fileSum) (map[string]bundle.ManifestItem, error) {
	content := map[string]bundle.ManifestItem{}
	for _, it := range items {
		fs, ok := files[it.Path]
		switch {
		case !HasContent(it) && ok:
			return nil, invalid("%s/%s is in the archive, but its %s item (status %s) has no content", bundle.TopDir, it.Path, bundle.ManifestFile, it.Status)
		case !HasContent(it):
			continue
		case !ok:
			return nil, invalid("%s lists %s (status %s, %d bytes), which is not in the archive", bundle.ManifestFile, it.Path, it.Status, it.Bytes)
		case fs.size != it.Bytes:
			return nil, invalid("%s/%s is %d bytes, but %s says %d", bundle.TopDir, it.Path, fs.size, bundle.ManifestFile, it.Bytes)
		case hex.EncodeToString(fs.sum[:]) != it.SHA256:
			return nil, invalid("%s/%s does not match its sha256 in %s: the bundle is damaged, or was changed after it was written", bundle.TopDir, it.Path, bundle.ManifestFile)
		}
		content[it.Path] = it
	}
	for _, p := range slices.Sorted(maps.Keys(files)) {
		if _, ok := content[p]; !ok && p != bundle.SummaryFile {
			return nil, invalid("%s/%s is not listed in %s", bundle.TopDir, p, bundle.ManifestFile)
		}
	}
	return content, nil
}
