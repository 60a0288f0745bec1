package bundle

import (
	"fmt"
	"path"
	"strings"
)

// TopDir is the folder that holds every entry of a bundle.
const TopDir = "velero-bundle"

// The bundle's own files, in TopDir: every other file is an item.
const (
	// ManifestFile is the machine-readable record of every item.
	ManifestFile = "manifest.json"
	// SummaryFile is the same for people, with the analysis; manifest.json
	// lists it.
	SummaryFile = "summary.md"
)

// validatePath checks that p is a clean relative slash-separated path.
func validatePath(p string) error {
	reason := ""
	switch {
	case p == "" || p == ".":
		reason = "it is empty"
	case strings.ContainsAny(p, "\\\x00"):
		reason = "it contains a backslash or a NUL byte"
	case path.IsAbs(p):
		reason = "it is absolute"
	case p == ".." || strings.HasPrefix(p, "../"):
		reason = "it leaves the bundle folder"
	case path.Clean(p) != p:
		reason = "it is not clean (empty, \".\" or \"..\" segments, or a trailing slash)"
	default:
		return nil
	}
	return fmt.Errorf("%w %q: %s", ErrInvalidPath, p, reason)
}

// pathSet records the paths of a bundle, as files and as the folders that
// hold them, so that no path is used twice and no file is also a folder.
type pathSet struct {
	files map[string]bool
	dirs  map[string]bool
}

// newPathSet returns a pathSet that already holds the bundle's own files.
func newPathSet() pathSet {
	return pathSet{
		files: map[string]bool{ManifestFile: true, SummaryFile: true},
		dirs:  map[string]bool{},
	}
}

// reserve validates p and records it.
func (s pathSet) reserve(p string) error {
	if err := validatePath(p); err != nil {
		return err
	}
	if s.files[p] || s.dirs[p] {
		return fmt.Errorf("%w %q: it is already in the bundle", ErrDuplicatePath, p)
	}
	for d := path.Dir(p); d != "."; d = path.Dir(d) {
		if s.files[d] {
			return fmt.Errorf("%w %q: %q is already a file in the bundle", ErrDuplicatePath, p, d)
		}
	}
	for d := path.Dir(p); d != "." && !s.dirs[d]; d = path.Dir(d) {
		s.dirs[d] = true
	}
	s.files[p] = true
	return nil
}
