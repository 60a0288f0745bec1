package schedule

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// recorder notes the order jobs ran in.
type recorder struct {
	mu  sync.Mutex
	ran []string
}

func (r *recorder) job(c Class, name string, children ...Job) Job {
	return Job{Class: c, Path: name, Run: func(context.Context) ([]Job, error) {
		r.mu.Lock()
		r.ran = append(r.ran, name)
		r.mu.Unlock()
		return children, nil
	}}
}

func (r *recorder) order() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.ran)
}

func TestWaitWithNothingReturns(t *testing.T) {
	if err := New(context.Background(), nil).Wait(); err != nil {
		t.Fatal(err)
	}
}

// A class of one whose jobs all return children of the same class ends:
// no job waits for a slot while it holds one.
func TestChildrenOfAFullClassDoNotDeadlock(t *testing.T) {
	s := New(context.Background(), map[Class]int{"lists": 1})
	rec := &recorder{}
	var parents []Job
	for i := range 5 {
		var kids []Job
		for k := range 3 {
			kids = append(kids, rec.job("lists", fmt.Sprintf("p%d/c%d", i, k), rec.job("lists", fmt.Sprintf("p%d/c%d/g", i, k))))
		}
		parents = append(parents, rec.job("lists", fmt.Sprintf("p%d", i), kids...))
	}
	s.Add(parents...)
	done := make(chan error)
	go func() { done <- s.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the scheduler did not end")
	}
	if got := len(rec.order()); got != 5+15+15 {
		t.Fatalf("ran %d jobs, want 35", got)
	}
	// One at a time, first in first out: the parents first, in order.
	if got := rec.order()[:5]; !slices.Equal(got, []string{"p0", "p1", "p2", "p3", "p4"}) {
		t.Fatalf("first jobs %v", got)
	}
}

func TestLimitsPerClass(t *testing.T) {
	limits := map[Class]int{"logs": 3, "lists": 2}
	s := New(context.Background(), limits)
	var mu sync.Mutex
	running, peak := map[Class]int{}, map[Class]int{}
	job := func(c Class) Job {
		return Job{Class: c, Run: func(context.Context) ([]Job, error) {
			mu.Lock()
			running[c]++
			peak[c] = max(peak[c], running[c])
			mu.Unlock()
			time.Sleep(5 * time.Millisecond)
			mu.Lock()
			running[c]--
			mu.Unlock()
			return nil, nil
		}}
	}
	var jobs []Job
	for range 20 {
		jobs = append(jobs, job("logs"), job("lists"), job("other"))
	}
	s.Add(jobs...)
	if err := s.Wait(); err != nil {
		t.Fatal(err)
	}
	want := map[Class]int{"logs": 3, "lists": 2, "other": DefaultLimit}
	for c, n := range want {
		if peak[c] != n {
			t.Errorf("class %s: %d at once, want %d", c, peak[c], n)
		}
	}
}

func TestDuplicatePathIsLeftOutAtExpansion(t *testing.T) {
	s := New(context.Background(), nil)
	rec := &recorder{}
	if !s.Claim("claimed") {
		t.Fatal("a free path was refused")
	}
	s.Add(rec.job("a", "x"), rec.job("a", "x"), rec.job("a", "claimed"), rec.job("a", "y", rec.job("b", "x"), rec.job("b", "z")))
	if err := s.Wait(); err != nil {
		t.Fatal(err)
	}
	got := rec.order()
	slices.Sort(got)
	if !slices.Equal(got, []string{"x", "y", "z"}) {
		t.Fatalf("ran %v, want x, y, z once each", got)
	}
	if s.Claim("z") {
		t.Fatal("a child's path was not taken")
	}
}

// Then runs once every descendant of its job has ended, grandchildren
// included, and its own children are waited for by the job's parent.
func TestThenRunsAfterDescendants(t *testing.T) {
	s := New(context.Background(), map[Class]int{"a": 2, "b": 2})
	var left atomic.Int32
	leaf := func(d time.Duration) Job {
		left.Add(1)
		return Job{Class: "b", Run: func(context.Context) ([]Job, error) {
			time.Sleep(d)
			left.Add(-1)
			return nil, nil
		}}
	}
	var thenSaw, outerSaw int32 = -1, -1
	var afterThen atomic.Bool
	inner := Job{Class: "a",
		Run: func(context.Context) ([]Job, error) {
			return []Job{leaf(20 * time.Millisecond), {Class: "b", Run: func(context.Context) ([]Job, error) {
				return []Job{leaf(30 * time.Millisecond)}, nil
			}}}, nil
		},
		Then: &Job{Class: "c", Run: func(context.Context) ([]Job, error) {
			thenSaw = left.Load()
			return []Job{{Class: "b", Run: func(context.Context) ([]Job, error) {
				time.Sleep(10 * time.Millisecond)
				afterThen.Store(true)
				return nil, nil
			}}}, nil
		}},
	}
	outer := Job{Class: "a",
		Run: func(context.Context) ([]Job, error) { return []Job{inner}, nil },
		Then: &Job{Run: func(context.Context) ([]Job, error) {
			if afterThen.Load() {
				outerSaw = 0
			}
			return nil, nil
		}},
	}
	s.Add(outer)
	if err := s.Wait(); err != nil {
		t.Fatal(err)
	}
	if thenSaw != 0 {
		t.Fatalf("Then ran with %d descendants left", thenSaw)
	}
	if outerSaw != 0 {
		t.Fatal("the outer Then ran before the inner Then's children ended")
	}
}

func TestThenOfAJobWithoutChildren(t *testing.T) {
	s := New(context.Background(), nil)
	var ran atomic.Bool
	s.Add(Job{Run: func(context.Context) ([]Job, error) { return nil, nil },
		Then: &Job{Run: func(context.Context) ([]Job, error) { ran.Store(true); return nil, nil }}})
	if err := s.Wait(); err != nil || !ran.Load() {
		t.Fatalf("Then ran %v, err %v", ran.Load(), err)
	}
}

// A Then whose path is taken is left out, and its parent's Then still
// runs; a job that fails has its Then left out.
func TestThenLeftOut(t *testing.T) {
	s := New(context.Background(), nil)
	rec := &recorder{}
	s.Claim("taken")
	taken := rec.job("a", "taken")
	failing := Job{Run: func(context.Context) ([]Job, error) { return nil, errors.New("bundle full") }, Then: &Job{Path: "never"}}
	inner := Job{Run: func(context.Context) ([]Job, error) { return []Job{failing}, nil }, Then: &taken}
	outer := rec.job("a", "outer", inner)
	outerThen := rec.job("a", "outer-then")
	outer.Then = &outerThen
	s.Add(outer)
	if err := s.Wait(); err == nil {
		t.Fatal("the failing job's error was lost")
	}
	if got := rec.order(); !slices.Equal(got, []string{"outer", "outer-then"}) {
		t.Fatalf("ran %v", got)
	}
	if !s.Claim("never") {
		t.Fatal("the Then of a failed job was queued")
	}
}

func TestFirstErrorIsReturnedAndTheRestRuns(t *testing.T) {
	s := New(context.Background(), map[Class]int{"a": 1})
	first, second := errors.New("first"), errors.New("second")
	var ran atomic.Int32
	fail := func(err error) Job {
		return Job{Class: "a", Run: func(context.Context) ([]Job, error) { ran.Add(1); return nil, err }}
	}
	s.Add(fail(first), fail(nil), fail(second), fail(nil))
	if err := s.Wait(); !errors.Is(err, first) {
		t.Fatalf("err %v, want the first", err)
	}
	if ran.Load() != 4 {
		t.Fatalf("%d jobs ran, want 4", ran.Load())
	}
}

// Jobs still run once the context is done: each records how it was cut
// short, and Wait ends.
func TestCancelledJobsStillRun(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s := New(ctx, nil)
	var saw atomic.Int32
	for range 10 {
		s.Add(Job{Run: func(ctx context.Context) ([]Job, error) {
			if ctx.Err() != nil {
				saw.Add(1)
			}
			return nil, nil
		}})
	}
	if err := s.Wait(); err != nil || saw.Load() != 10 {
		t.Fatalf("%d of 10 saw the cancel, err %v", saw.Load(), err)
	}
}

// Adding after the jobs of an earlier Add have ended works, and Wait can
// be called again.
func TestAddAfterIdle(t *testing.T) {
	s := New(context.Background(), nil)
	rec := &recorder{}
	s.Add(rec.job("a", "1"))
	if err := s.Wait(); err != nil {
		t.Fatal(err)
	}
	s.Add(rec.job("a", "2"))
	if err := s.Wait(); err != nil {
		t.Fatal(err)
	}
	if got := rec.order(); !slices.Equal(got, []string{"1", "2"}) {
		t.Fatalf("ran %v", got)
	}
}
