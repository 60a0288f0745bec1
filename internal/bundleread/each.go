package bundleread

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"

	"github.com/velero-debug/velero-debug/internal/bundle"
)

// Each calls fn for every item of the manifest but summary.md (the
// bundle's own file, listed by bundles of this version): first for the items
// without content, with a nil reader, in the manifest's order; then for
// the items with content, in the archive's order, with a reader of the
// content. The reader checks the content against the manifest as it is
// read: it returns an error wrapping ErrInvalid instead of io.EOF when the
// size or sha256 differ, and ctx's error once ctx is done. What fn leaves
// unread is read and checked after it returns.
//
// Each stops at the first error, fn's own included, and returns it. It
// may be called again: every call reads the file from its start.
func (b *Bundle) Each(ctx context.Context, fn func(item bundle.ManifestItem, content io.Reader) error) error {
	for _, it := range b.manifest.Items {
		if err := ctx.Err(); err != nil {
			return err
		}
		if !HasContent(it) && it.Path != bundle.SummaryFile {
			if err := fn(it, nil); err != nil {
				return err
			}
		}
	}
	if _, err := b.f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("rewinding %s: %w", b.f.Name(), err)
	}
	s, err := newStream(b.f, b.lim)
	if err != nil {
		return err
	}
	seen := 0
	for {
		fl, err := s.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if fl.path == bundle.ManifestFile {
			continue
		}
		if fl.path == bundle.SummaryFile {
			if _, listed := b.content[fl.path]; listed {
				seen++
			}
			continue
		}
		it, ok := b.content[fl.path]
		if !ok || fl.size != it.Bytes {
			return changed(b, fl.path)
		}
		seen++
		if err := b.item(ctx, fn, it, s); err != nil {
			return err
		}
	}
	if seen != len(b.content) {
		return changed(b, "")
	}
	return s.end()
}

// item calls fn for one item with content, then checks what fn left.
func (b *Bundle) item(ctx context.Context, fn func(bundle.ManifestItem, io.Reader) error, it bundle.ManifestItem, s *stream) error {
	v := &verifier{ctx: ctx, r: s.tr, item: it, h: sha256.New()}
	if err := fn(it, v); err != nil {
		return err
	}
	if _, err := io.Copy(io.Discard, v); err != nil {
		return err
	}
	return nil
}

func changed(b *Bundle, p string) error {
	if p == "" {
		return invalid("%s changed since it was opened", b.f.Name())
	}
	return invalid("%s changed since it was opened, at %s/%s", b.f.Name(), bundle.TopDir, p)
}

// verifier reads an item's content and checks it at its end.
type verifier struct {
	ctx  context.Context // of the Each call that made it
	r    io.Reader
	item bundle.ManifestItem
	h    hash.Hash
	n    int64
	end  error // io.EOF, or why the content is not the manifest's
}

func (v *verifier) Read(p []byte) (int, error) {
	if v.end != nil {
		return 0, v.end
	}
	if err := v.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := v.r.Read(p)
	v.h.Write(p[:n])
	v.n += int64(n)
	switch {
	case errors.Is(err, io.EOF):
		v.end = io.EOF
		if v.n != v.item.Bytes || hex.EncodeToString(v.h.Sum(nil)) != v.item.SHA256 {
			v.end = invalid("%s/%s does not match its sha256 in %s: the bundle changed since it was opened", bundle.TopDir, v.item.Path, bundle.ManifestFile)
		}
		err = v.end
	case err != nil && !errors.Is(err, ErrInvalid):
		err = invalid("reading %s/%s: %v", bundle.TopDir, v.item.Path, err)
	}
	return n, err
}
