package bundle

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// testBundle is a bundle read back from disk.
type testBundle struct {
	// files holds the content of every regular file, by path relative to
	// the top folder, manifest.json and summary.md included.
	files map[string]string
	// dirs holds every folder entry, by path relative to the top folder
	// ("." for the top folder itself).
	dirs     map[string]bool
	manifest Manifest
	// rawManifest is manifest.json decoded without the package's types.
	rawManifest map[string]any
}

// create starts a bundle in a fresh folder, with its own spool parent folder.
func create(t *testing.T, opts Options) (w *Writer, out, tmp string) {
	t.Helper()
	out = filepath.Join(t.TempDir(), "bundle.tar.gz")
	tmp = t.TempDir()
	opts.TempDir = tmp
	w, err := Create(out, opts)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, w.Discard()) })
	return w, out, tmp
}

// readBundle reads a bundle and checks the archive's structure: every entry
// under the top folder, files 0600, folders 0700 and written once, each file
// after its folder.
func readBundle(t *testing.T, file string) testBundle {
	t.Helper()
	f, err := os.Open(file)
	require.NoError(t, err)
	defer func() { require.NoError(t, f.Close()) }()
	gz, err := gzip.NewReader(f)
	require.NoError(t, err)
	b := testBundle{files: map[string]string{}, dirs: map[string]bool{}}
	tr := tar.NewReader(gz)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		b.addEntry(t, hdr, tr)
	}
	_, err = io.Copy(io.Discard, gz) // reach the gzip trailer and its checksum
	require.NoError(t, err)
	require.NoError(t, gz.Close())
	b.decodeManifest(t)
	return b
}

func (b *testBundle) addEntry(t *testing.T, hdr *tar.Header, r io.Reader) {
	t.Helper()
	name, ok := strings.CutPrefix(hdr.Name, TopDir+"/")
	require.True(t, ok, "entry %q is outside the top folder", hdr.Name)
	switch hdr.Typeflag {
	case tar.TypeDir:
		dir := path.Clean("./" + name)
		require.False(t, b.dirs[dir], "folder %q written twice", dir)
		require.Equal(t, int64(dirMode), hdr.Mode, "mode of %q", hdr.Name)
		b.dirs[dir] = true
	case tar.TypeReg:
		require.NotContains(t, b.files, name, "file written twice")
		require.True(t, b.dirs[path.Dir(name)], "file %q comes before its folder", name)
		require.Equal(t, int64(fileMode), hdr.Mode, "mode of %q", hdr.Name)
		data, err := io.ReadAll(r)
		require.NoError(t, err)
		require.Len(t, data, int(hdr.Size))
		b.files[name] = string(data)
	default:
		require.Failf(t, "unexpected entry type", "%q has type %q", hdr.Name, hdr.Typeflag)
	}
}

func (b *testBundle) decodeManifest(t *testing.T) {
	t.Helper()
	data, ok := b.files[ManifestFile]
	require.True(t, ok, "no manifest.json")
	require.Contains(t, b.files, SummaryFile)
	require.NoError(t, json.Unmarshal([]byte(data), &b.manifest))
	require.NoError(t, json.Unmarshal([]byte(data), &b.rawManifest))
	// summary.md is listed with its size and sha256; the tests see the
	// other items.
	i := slices.IndexFunc(b.manifest.Items, func(it ManifestItem) bool { return it.Path == SummaryFile })
	require.GreaterOrEqual(t, i, 0, "summary.md is not listed in manifest.json")
	summary := b.manifest.Items[i]
	require.Equal(t, int64(len(b.files[SummaryFile])), summary.Bytes)
	require.Equal(t, sha256Hex(b.files[SummaryFile]), summary.SHA256)
	b.manifest.Items = slices.Delete(b.manifest.Items, i, i+1)
}

// content returns the stored files other than manifest.json and summary.md.
func (b *testBundle) content() map[string]string {
	files := map[string]string{}
	for name, data := range b.files {
		if name != ManifestFile && name != SummaryFile {
			files[name] = data
		}
	}
	return files
}

// checkItems checks that the manifest and the archive agree: an item has an
// entry exactly when it has content, with the recorded size and sha256, and
// every entry is an item.
func checkItems(t *testing.T, b testBundle) {
	t.Helper()
	files := b.content()
	for _, it := range b.manifest.Items {
		data, stored := files[it.Path]
		delete(files, it.Path)
		if !it.hasContent() {
			require.False(t, stored, "%q has no content but an entry", it.Path)
			require.Empty(t, it.SHA256, "sha256 of %q", it.Path)
			continue
		}
		require.True(t, stored, "%q has content but no entry", it.Path)
		require.Equal(t, it.Bytes, int64(len(data)), "bytes of %q", it.Path)
		require.Equal(t, sha256Hex(data), it.SHA256, "sha256 of %q", it.Path)
	}
	require.Empty(t, files, "entries missing from the manifest")
}

// requireClean checks that Close left only the output: no partial file and
// nothing in the spool parent folder.
func requireClean(t *testing.T, out, tmp string) {
	t.Helper()
	_, err := os.Stat(out + ".partial")
	require.ErrorIs(t, err, fs.ErrNotExist)
	left, err := os.ReadDir(tmp)
	require.NoError(t, err)
	require.Empty(t, left, "spool folder left behind")
}

// itemByPath returns the manifest item at p.
func itemByPath(t *testing.T, m Manifest, p string) ManifestItem {
	t.Helper()
	for _, it := range m.Items {
		if it.Path == p {
			return it
		}
	}
	require.Failf(t, "item not in manifest", "%q", p)
	return ManifestItem{}
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// logStream returns a reader of n bytes of log-like lines, generated on the
// fly so that neither the test nor the reader holds them in memory.
func logStream(n int64) io.Reader {
	return io.LimitReader(&lineReader{}, n)
}

type lineReader struct {
	line int64
	buf  []byte
	off  int
}

func (r *lineReader) Read(p []byte) (int, error) {
	total := 0
	for total < len(p) {
		if r.off == len(r.buf) {
			r.next()
		}
		n := copy(p[total:], r.buf[r.off:])
		r.off += n
		total += n
	}
	return total, nil
}

func (r *lineReader) next() {
	r.line++
	r.buf = append(r.buf[:0], `time="2025-01-01T00:00:00Z" level=info msg="Backed up item" backup=velero/daily item=`...)
	r.buf = strconv.AppendInt(r.buf, r.line, 10)
	r.buf = append(r.buf, " logSource=\"pkg/backup/item_backupper.go:"...)
	r.buf = strconv.AppendInt(r.buf, r.line%997, 10)
	r.buf = append(r.buf, "\"\n"...)
	r.off = 0
}
