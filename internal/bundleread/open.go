package bundleread

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"

	"github.com/velero-debug/velero-debug/internal/bundle"
)

// ErrInvalid is wrapped by every error that says what is wrong with the
// bundle itself.
var ErrInvalid = errors.New("not a valid velero-debug bundle")

// Defaults of Limits.
const (
	// DefaultMaxManifestBytes bounds manifest.json: about 200 000 items.
	DefaultMaxManifestBytes = 64 << 20
	// DefaultMaxEntries bounds the entries of the archive, files and
	// folders.
	DefaultMaxEntries = 1 << 18
	// MinMaxBytes and MaxRatio make the default bound on the decompressed
	// archive: MaxRatio times the compressed file's size, and at least
	// MinMaxBytes. Velero's logs and objects compress ten to thirty times.
	MinMaxBytes = 1 << 30
	// MaxRatio is the compression ratio of the default bound; see
	// MinMaxBytes.
	MaxRatio = 200
)

// Limits bound what reading a bundle may cost. A zero field takes its
// default.
type Limits struct {
	// MaxBytes bounds the decompressed archive, headers included; default
	// MaxRatio times the file's size, at least MinMaxBytes.
	MaxBytes int64
	// MaxManifestBytes bounds manifest.json; default
	// DefaultMaxManifestBytes.
	MaxManifestBytes int64
	// MaxEntries bounds the entries of the archive; default
	// DefaultMaxEntries.
	MaxEntries int
}

func (l Limits) withDefaults(compressed int64) Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = max(MinMaxBytes, MaxRatio*compressed)
	}
	if l.MaxManifestBytes <= 0 {
		l.MaxManifestBytes = DefaultMaxManifestBytes
	}
	if l.MaxEntries <= 0 {
		l.MaxEntries = DefaultMaxEntries
	}
	return l
}

// Bundle is a bundle that Open checked. It holds the file open until
// Close.
type Bundle struct {
	f        *os.File
	lim      Limits
	manifest bundle.Manifest
	// content are the items with content, by path.
	content map[string]bundle.ManifestItem
}

// Open reads and checks the bundle at path; see the package documentation
// for what it refuses. It never writes to the file.
func Open(ctx context.Context, path string, lim Limits) (*Bundle, error) {
	f, err := os.Open(path) //nolint:gosec // G304: the bundle is the user's choice
	if err != nil {
		return nil, err
	}
	b, err := open(ctx, f, lim)
	if err != nil {
		return nil, errors.Join(err, f.Close())
	}
	return b, nil
}

func open(ctx context.Context, f *os.File, lim Limits) (*Bundle, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", f.Name())
	}
	lim = lim.withDefaults(st.Size())
	files, data, err := scan(ctx, f, lim)
	if err != nil {
		return nil, err
	}
	m, err := decodeManifest(data)
	if err != nil {
		return nil, err
	}
	content, err := checkFiles(m.Items, files)
	if err != nil {
		return nil, err
	}
	return &Bundle{f: f, lim: lim, manifest: m, content: content}, nil
}

// Manifest returns the bundle's manifest. Its Options and Items are the
// Bundle's own: do not change them.
func (b *Bundle) Manifest() bundle.Manifest { return b.manifest }

// Close closes the file.
func (b *Bundle) Close() error { return b.f.Close() }

// fileSum is what the first read learnt of a file.
type fileSum struct {
	size int64
	sum  [sha256.Size]byte
}

// scan reads the archive once: it checks every header, hashes every file
// and returns manifest.json's content.
func scan(ctx context.Context, r io.Reader, lim Limits) (map[string]fileSum, []byte, error) {
	s, err := newStream(r, lim)
	if err != nil {
		return nil, nil, err
	}
	files := map[string]fileSum{}
	var manifest []byte
	h := sha256.New()
	buf := make([]byte, 64<<10)
	for {
		fl, err := s.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, err
		}
		if fl.path == bundle.ManifestFile {
			if manifest, err = readManifest(s, fl, lim.MaxManifestBytes); err != nil {
				return nil, nil, err
			}
			continue
		}
		h.Reset()
		if err := copyContext(ctx, h, s.tr, buf); err != nil {
			return nil, nil, readError(fl, err)
		}
		var fs fileSum
		fs.size = fl.size
		h.Sum(fs.sum[:0])
		files[fl.path] = fs
	}
	if err := s.end(); err != nil {
		return nil, nil, err
	}
	if manifest == nil {
		return nil, nil, invalid("it has no %s/%s", bundle.TopDir, bundle.ManifestFile)
	}
	return files, manifest, nil
}

func readManifest(s *stream, fl file, limit int64) ([]byte, error) {
	if fl.size > limit {
		return nil, invalid("%s/%s is %d bytes, more than %d", bundle.TopDir, bundle.ManifestFile, fl.size, limit)
	}
	data := make([]byte, fl.size)
	if _, err := io.ReadFull(s.tr, data); err != nil {
		return nil, readError(fl, err)
	}
	return data, nil
}

// readError says which file could not be read; a cancelled context stays
// as it is.
func readError(fl file, err error) error {
	if errors.Is(err, ErrInvalid) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return invalid("reading %s/%s: %v", bundle.TopDir, fl.path, err)
}

// copyContext copies src to h until EOF, checking ctx between reads.
func copyContext(ctx context.Context, h hash.Hash, src io.Reader, buf []byte) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, err := src.Read(buf)
		h.Write(buf[:n])
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
