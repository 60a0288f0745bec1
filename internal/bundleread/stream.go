package bundleread

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/klauspost/compress/gzip"

	"github.com/velero-debug/velero-debug/internal/bundle"
)

// maxNameLen bounds an entry's name: no path of a bundle comes near it,
// and the names of every entry are kept in memory.
const maxNameLen = 1024

// file is a regular file of the archive, by its path relative to
// velero-bundle/.
type file struct {
	path string
	size int64
}

// stream is one read of the archive, from its start: gzip, a bound on the
// decompressed bytes, tar, and the checks of every header.
type stream struct {
	in      *bounded
	gz      *gzip.Reader
	tr      *tar.Reader
	lim     Limits
	paths   pathSet
	entries int
	total   int64 // bytes the file headers announce
}

func newStream(r io.Reader, lim Limits) (*stream, error) {
	gz, err := gzip.NewReader(r)
	if err != nil {
		return nil, invalid("it is not a gzip file: %v", err)
	}
	in := &bounded{r: gz, left: lim.MaxBytes, limit: lim.MaxBytes}
	return &stream{in: in, gz: gz, tr: tar.NewReader(in), lim: lim, paths: newPathSet()}, nil
}

// next returns the next regular file, after checking the folders before
// it; io.EOF at the end of the archive. Its content is read from s.tr.
func (s *stream) next() (file, error) {
	for {
		h, err := s.tr.Next()
		switch {
		case errors.Is(err, io.EOF):
			return file{}, io.EOF
		case errors.Is(err, ErrInvalid):
			return file{}, err
		case err != nil:
			return file{}, invalid("reading the archive: %v", err)
		}
		s.entries++
		if s.entries > s.lim.MaxEntries {
			return file{}, invalid("it has more than %d entries", s.lim.MaxEntries)
		}
		rel, dir, err := entryPath(h)
		if err != nil {
			return file{}, err
		}
		if dir {
			if err := s.paths.addDir(rel); err != nil {
				return file{}, err
			}
			continue
		}
		if err := s.paths.addFile(rel); err != nil {
			return file{}, err
		}
		if s.total += h.Size; s.total > s.lim.MaxBytes {
			return file{}, invalid("its files add up to more than %d bytes, at %q: a gzip bomb, or a bundle far larger than its compressed size", s.lim.MaxBytes, h.Name)
		}
		return file{path: rel, size: h.Size}, nil
	}
}

// end reads what follows the tar stream to the end of the gzip stream, so
// that gzip's checksum is verified.
func (s *stream) end() error {
	if _, err := io.Copy(io.Discard, s.in); err != nil {
		if errors.Is(err, ErrInvalid) {
			return err
		}
		return invalid("reading the end of the archive: %v", err)
	}
	return nil
}

// entryPath returns the path of h relative to velero-bundle/, "" for the
// top folder itself, and whether h is a folder. It refuses what is not a
// regular file or a folder, and any name that is not a clean path under
// velero-bundle/.
func entryPath(h *tar.Header) (string, bool, error) {
	name := h.Name
	switch h.Typeflag {
	case tar.TypeReg, tar.TypeDir:
	case tar.TypeSymlink, tar.TypeLink:
		return "", false, invalid("entry %q is a link (to %q): links are refused", name, h.Linkname)
	case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		return "", false, invalid("entry %q is a device or a FIFO: only files and folders are allowed", name)
	default:
		return "", false, invalid("entry %q has tar type %q: only files and folders are allowed", name, h.Typeflag)
	}
	dir := h.Typeflag == tar.TypeDir
	switch {
	case len(name) > maxNameLen:
		return "", false, invalid("an entry's name is %d bytes long, more than %d", len(name), maxNameLen)
	case strings.ContainsAny(name, "\\\x00"):
		return "", false, invalid("entry %q has a backslash or a NUL byte in its name", name)
	case path.IsAbs(name):
		return "", false, invalid("entry %q has an absolute path", name)
	}
	rel, ok := strings.CutPrefix(name, bundle.TopDir+"/")
	if !ok {
		return "", false, invalid("entry %q is outside %s/", name, bundle.TopDir)
	}
	if dir {
		rel = strings.TrimSuffix(rel, "/")
		if rel == "" {
			return "", true, nil
		}
	}
	if err := checkRelative(rel); err != nil {
		return "", false, invalid("entry %q: %v", name, err)
	}
	return rel, dir, nil
}

// checkRelative checks that p is a clean relative path with forward
// slashes, as bundle paths are.
func checkRelative(p string) error {
	switch {
	case p == "":
		return errors.New("the path is empty")
	case strings.ContainsAny(p, "\\\x00"):
		return errors.New("the path has a backslash or a NUL byte")
	case path.IsAbs(p):
		return errors.New("the path is absolute")
	case p == ".." || strings.HasPrefix(p, "../") || strings.Contains(p, "/../") || strings.HasSuffix(p, "/.."):
		return errors.New(`the path has a ".." segment`)
	case path.Clean(p) != p:
		return errors.New(`the path is not clean (an empty or "." segment, or a trailing slash)`)
	}
	return nil
}

// pathSet records the paths of the archive, so that none is there twice
// and no file is also a folder.
type pathSet struct {
	files    map[string]bool
	dirs     map[string]bool // every folder that holds a file or has an entry
	dirEntry map[string]bool // folders that have an entry of their own
}

func newPathSet() pathSet {
	return pathSet{files: map[string]bool{}, dirs: map[string]bool{}, dirEntry: map[string]bool{}}
}

func (s pathSet) addFile(p string) error {
	if s.files[p] {
		return invalid("%s/%s is in the archive twice", bundle.TopDir, p)
	}
	if s.dirs[p] {
		return invalid("%s/%s is both a folder and a file", bundle.TopDir, p)
	}
	if err := s.addParents(p); err != nil {
		return err
	}
	s.files[p] = true
	return nil
}

func (s pathSet) addDir(p string) error {
	if s.dirEntry[p] {
		return invalid("folder %s/%s is in the archive twice", bundle.TopDir, p)
	}
	if s.files[p] {
		return invalid("%s/%s is both a file and a folder", bundle.TopDir, p)
	}
	if p != "" {
		if err := s.addParents(p); err != nil {
			return err
		}
		s.dirs[p] = true
	}
	s.dirEntry[p] = true
	return nil
}

// addParents records the folders that hold p; none may be a file.
func (s pathSet) addParents(p string) error {
	for d := path.Dir(p); d != "."; d = path.Dir(d) {
		if s.files[d] {
			return invalid("%s/%s is both a file and a folder", bundle.TopDir, d)
		}
		s.dirs[d] = true
	}
	return nil
}

// bounded reads r until limit bytes were read, and fails if r holds more.
type bounded struct {
	r     io.Reader
	left  int64
	limit int64
}

func (b *bounded) Read(p []byte) (int, error) {
	if b.left <= 0 {
		var one [1]byte
		if n, err := b.r.Read(one[:]); n == 0 {
			return 0, err
		}
		return 0, invalid("it decompresses to more than %d bytes: a gzip bomb, or a bundle far larger than its compressed size", b.limit)
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	return n, err
}

// invalid returns an error that wraps ErrInvalid.
func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
}
