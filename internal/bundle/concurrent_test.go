package bundle

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/sync/errgroup"
)

func TestConcurrentProducers(t *testing.T) {
	t.Parallel()
	const producers = 50
	w, out, tmp := create(t, Options{})
	var g errgroup.Group
	for i := range producers {
		g.Go(func() error { return produce(t.Context(), w, i) })
	}
	require.NoError(t, g.Wait())
	require.NoError(t, w.Close(Meta{Complete: true}))
	requireClean(t, out, tmp)

	b := readBundle(t, out)
	checkItems(t, b)
	require.Len(t, b.manifest.Items, producers)
	for i := range producers {
		it := itemByPath(t, b.manifest, producerPath(i))
		if i%4 == 2 {
			require.Equal(t, StatusError, it.Status)
			require.Equal(t, "pod gone", it.Error)
			continue
		}
		require.Equal(t, StatusOK, it.Status)
		require.Equal(t, producerContent(i), b.files[it.Path])
	}
	require.Equal(t, ExitPartial, ExitCode(b.manifest.Complete, false, b.manifest.Items))
}

// produce adds item i in one of four ways.
func produce(ctx context.Context, w *Writer, i int) error {
	item := Item{Path: producerPath(i), Type: "log", Source: fmt.Sprint("producer ", i)}
	switch i % 4 {
	case 0:
		_, err := w.Add(ctx, item, strings.NewReader(producerContent(i)))
		return err
	case 1:
		return w.AddBytes(item, []byte(producerContent(i)))
	case 2:
		return w.AddError(item, errors.New("pod gone"))
	default:
		e, err := w.Open(item)
		if err != nil {
			return err
		}
		for line := range strings.Lines(producerContent(i)) {
			if _, err := io.WriteString(e, line); err != nil {
				return err
			}
		}
		return e.Commit()
	}
}

func producerPath(i int) string {
	return fmt.Sprintf("logs/ns-%d/pod-%d/container.log", i%3, i)
}

func producerContent(i int) string {
	return strings.Repeat(fmt.Sprintf("producer %d says hello\n", i), 100*i)
}

// TestInterruptedRun plays Ctrl-C: streams blocked on the network return
// context.Canceled, and the bundle is closed as incomplete.
func TestInterruptedRun(t *testing.T) {
	t.Parallel()
	const streams = 10
	w, out, tmp := create(t, Options{})
	ctx, cancel := context.WithCancel(t.Context())
	started := make(chan struct{}, streams)
	var g errgroup.Group
	for i := range streams {
		g.Go(func() error {
			r := &stallingReader{ctx: ctx, first: producerContent(i + 1), once: signalOnce{c: started}}
			_, err := w.Add(ctx, Item{Path: producerPath(i), Type: "log"}, r)
			return err
		})
	}
	for range streams {
		<-started
	}
	require.NoError(t, w.AddBytes(Item{Path: "velero/version.json"}, []byte("{}")))
	cancel()
	require.NoError(t, g.Wait())
	require.NoError(t, w.Close(Meta{Complete: false}))
	requireClean(t, out, tmp)

	b := readBundle(t, out)
	checkItems(t, b)
	m := b.manifest
	require.False(t, m.Complete)
	require.Len(t, m.Items, streams+1)
	for i := range streams {
		it := itemByPath(t, m, producerPath(i))
		require.Equal(t, StatusCancelled, it.Status)
		require.Equal(t, producerContent(i+1), b.files[it.Path])
	}
	require.Equal(t, StatusOK, itemByPath(t, m, "velero/version.json").Status)
	require.Equal(t, ExitInterrupted, ExitCode(m.Complete, true, m.Items))
}

// TestCloseCutsOpenEntries closes the bundle while producers are still
// streaming: they are recorded as cancelled with the bytes received, and
// learn about it from ErrClosed.
func TestCloseCutsOpenEntries(t *testing.T) {
	t.Parallel()
	const streams = 5
	w, out, tmp := create(t, Options{})
	started := make(chan struct{}, streams)
	release := make(chan struct{})
	var g errgroup.Group
	for i := range streams {
		g.Go(func() error {
			r := &gatedReader{first: producerContent(i + 1), release: release, once: signalOnce{c: started}}
			_, err := w.Add(t.Context(), Item{Path: producerPath(i), Type: "log"}, r)
			if !errors.Is(err, ErrClosed) {
				return fmt.Errorf("add returned %w, want ErrClosed", err)
			}
			return nil
		})
	}
	for range streams {
		<-started
	}
	idle, err := w.Open(Item{Path: "idle.log"})
	require.NoError(t, err)
	require.NoError(t, w.AddBytes(Item{Path: "done.json"}, []byte("{}")))

	require.NoError(t, w.Close(Meta{Complete: true}))
	close(release)
	require.NoError(t, g.Wait())
	_, err = idle.Write([]byte("late"))
	require.ErrorIs(t, err, ErrClosed)
	require.ErrorIs(t, idle.Commit(), ErrClosed)
	requireClean(t, out, tmp)

	b := readBundle(t, out)
	checkItems(t, b)
	m := b.manifest
	require.False(t, m.Complete, "items were cut, so the bundle is not complete")
	for i := range streams {
		it := itemByPath(t, m, producerPath(i))
		require.Equal(t, StatusCancelled, it.Status)
		require.Equal(t, cutMessage, it.Error)
		require.Equal(t, producerContent(i+1), b.files[it.Path])
	}
	idleItem := itemByPath(t, m, "idle.log")
	require.Equal(t, StatusCancelled, idleItem.Status)
	require.Zero(t, idleItem.Bytes)
	require.Equal(t, StatusOK, itemByPath(t, m, "done.json").Status)
}

// stallingReader returns first, then blocks like a quiet log stream until
// its context ends.
type stallingReader struct {
	ctx   context.Context
	first string
	once  signalOnce
}

func (r *stallingReader) Read(p []byte) (int, error) {
	if r.first != "" {
		n := copy(p, r.first)
		r.first = r.first[n:]
		return n, nil
	}
	r.once.signal()
	<-r.ctx.Done()
	return 0, r.ctx.Err()
}

// gatedReader returns first, then blocks until release is closed, then
// returns more data.
type gatedReader struct {
	first   string
	release <-chan struct{}
	once    signalOnce
}

func (r *gatedReader) Read(p []byte) (int, error) {
	if r.first != "" {
		n := copy(p, r.first)
		r.first = r.first[n:]
		return n, nil
	}
	r.once.signal()
	<-r.release
	return copy(p, "more"), nil
}

// signalOnce sends on c the first time signal is called. The readers above
// signal when they are asked for more than first: by then Add has written
// first to its entry.
type signalOnce struct {
	c    chan<- struct{}
	sent bool
}

func (s *signalOnce) signal() {
	if !s.sent {
		s.sent = true
		s.c <- struct{}{}
	}
}

// TestCloseRacesProducers closes the bundle while producers open, write and
// commit as fast as they can. Whatever the interleaving, every opened item is
// in the manifest once: ok with its content when Commit returned nil,
// cancelled when it returned ErrClosed.
func TestCloseRacesProducers(t *testing.T) {
	t.Parallel()
	const producers = 20
	w, out, tmp := create(t, Options{})
	results := make([]map[string]error, producers)
	var g errgroup.Group
	for i := range producers {
		results[i] = map[string]error{}
		g.Go(func() error { return produceUntilClosed(w, i, results[i]) })
	}
	require.NoError(t, w.AddBytes(Item{Path: "first.json"}, []byte("{}")))
	require.NoError(t, w.Close(Meta{Complete: true}))
	require.NoError(t, g.Wait())
	requireClean(t, out, tmp)

	b := readBundle(t, out)
	checkItems(t, b)
	opened := 1
	for _, res := range results {
		for p, commitErr := range res {
			opened++
			it := itemByPath(t, b.manifest, p)
			if commitErr == nil {
				require.Equal(t, StatusOK, it.Status, p)
				require.Equal(t, p, b.files[p])
			} else {
				require.ErrorIs(t, commitErr, ErrClosed)
				require.Equal(t, StatusCancelled, it.Status, p)
			}
		}
	}
	require.Len(t, b.manifest.Items, opened)
}

// produceUntilClosed adds items until the Writer is closed, recording what
// Commit returned for each opened item.
func produceUntilClosed(w *Writer, i int, results map[string]error) error {
	for n := 0; ; n++ {
		p := fmt.Sprintf("p%d/%d.log", i, n)
		e, err := w.Open(Item{Path: p})
		if errors.Is(err, ErrClosed) {
			return nil
		}
		if err != nil {
			return err
		}
		if _, err := io.WriteString(e, p); err != nil && !errors.Is(err, ErrClosed) {
			return err
		}
		results[p] = e.Commit()
	}
}
