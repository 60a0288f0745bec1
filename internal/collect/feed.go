package collect

import (
	"context"
	"sync"
)

// A feed is a summary that later steps wait for (volume operations, the
// node-agent pods): filled by a list of the plan as it reads, its
// claimant, or, when no list claimed it or its list did not read every
// object, by a pass of its own, once. Each list is then read once.
type feed[T any] struct {
	claimed bool          // set before anything runs
	done    chan struct{} // closed by end
	ended   sync.Once
	fed     bool // the claimant read every object: val holds what it kept
	val     T
	own     sync.Once // the pass of its own
	ownVal  T
	ownErr  error
}

// end tells, once, what the claimant kept, and whether it read every
// object.
func (f *feed[T]) end(val T, fed bool) {
	f.ended.Do(func() {
		f.val, f.fed = val, fed
		close(f.done)
	})
}

// get returns the feed's value: the claimant's once it ends, when it read
// every object, else read's, which runs once.
func (f *feed[T]) get(ctx context.Context, read func(context.Context) (T, error)) (T, error) {
	if f.claimed {
		select {
		case <-f.done: // ended already: the same answer, cancelled or not
		default:
			select {
			case <-f.done:
			case <-ctx.Done():
				var zero T
				return zero, ctx.Err()
			}
		}
		if f.fed {
			return f.val, nil
		}
	}
	f.own.Do(func() { f.ownVal, f.ownErr = read(ctx) })
	return f.ownVal, f.ownErr
}

// feeds are the feeds of a run, by key, made on first use.
type feeds[K comparable, T any] struct {
	mu sync.Mutex
	m  map[K]*feed[T]
}

// of returns the feed of k.
func (fs *feeds[K, T]) of(k K) *feed[T] {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.m == nil {
		fs.m = map[K]*feed[T]{}
	}
	f := fs.m[k]
	if f == nil {
		f = &feed[T]{done: make(chan struct{})}
		fs.m[k] = f
	}
	return f
}

// claim reports whether the caller is the first to claim k: its list then
// feeds it, and must end it. Every claim is made before anything runs.
func (fs *feeds[K, T]) claim(k K) bool {
	f := fs.of(k)
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if f.claimed {
		return false
	}
	f.claimed = true
	return true
}
