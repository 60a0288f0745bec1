package collect

import (
	"context"

	"github.com/velero-debug/velero-debug/internal/bundle"
)

// lazyEntry opens its item on the first write, so that a list without
// objects leaves nothing in the bundle.
type lazyEntry struct {
	r    *run
	item bundle.Item
	e    *entry
	// err is the sink's error opening the item.
	err error
}

func (l *lazyEntry) Write(p []byte) (int, error) {
	if l.e == nil {
		if l.err != nil {
			return 0, l.err
		}
		if l.e, l.err = l.r.open(l.item); l.err != nil {
			return 0, l.err
		}
	}
	return l.e.Write(p)
}

// sparseList is list for a sparse query: an empty list is no item; a
// failure is an item, with what arrived before it.
func (r *run) sparseList(ctx context.Context, q objectQuery) error {
	item := bundle.Item{Path: q.path, Type: "object-list", Source: q.source()}
	lz := &lazyEntry{r: r, item: item}
	lw := listWriter{w: lz}
	err := r.pages(ctx, q, &lw)
	if lz.err != nil {
		return lz.err // the bundle failed
	}
	if lz.e == nil {
		if err == nil {
			return nil
		}
		return r.fail(item, describeAPIError(err, q.source()))
	}
	if cerr := lw.close(); err == nil {
		err = cerr
	}
	if err != nil {
		err = describeAPIError(err, q.source())
		return lz.e.Fail(err)
	}
	return lz.e.Commit()
}
