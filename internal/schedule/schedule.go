// Package schedule runs the jobs of a collection under a limit per class
// of work (lists, logs, the Velero server's requests). A job that finds
// more work returns it as child jobs, which wait in their class's queue
// behind those already there: no job ever waits for a slot while holding
// one, so a full class cannot wait on itself, whatever the order of the
// work.
//
// Each job may name the bundle path it writes; a second job with a path
// already taken is left out when it is added, before it runs.
package schedule

import (
	"context"
	"sync"
)

// A Class is a kind of work with its own limit of jobs running at once.
type Class string

// A Job is one piece of work.
type Job struct {
	// Class bounds how many jobs like it run at once.
	Class Class
	// Path, when set, is the bundle path the job writes: a job added
	// after another with the same path is left out.
	Path string
	// Run does the work and returns the jobs it found, queued when it
	// returns. Its error is the run's (a bundle that cannot be written),
	// not the job's: the failure of an item is recorded in the bundle.
	Run func(ctx context.Context) ([]Job, error)
	// Then, when set, is queued once the jobs Run returned, and theirs,
	// have all ended: work that reads what they wrote. It is not queued
	// when Run fails.
	Then *Job
}

// A Scheduler runs jobs until none is left.
type Scheduler struct {
	ctx    context.Context
	limits map[Class]int

	mu      sync.Mutex
	queues  map[Class][]*task
	running map[Class]int
	paths   map[string]bool
	pending int        // tasks added and not yet ended, children included
	idle    *sync.Cond // signalled when pending falls to 0
	err     error
}

// task is a job in the scheduler, with the group of its parent's
// descendants it belongs to.
type task struct {
	job   Job
	group *group
}

// group counts the descendants of a job with Then that have not ended.
type group struct {
	left   int
	then   *Job // nil once queued
	parent *group
}

// DefaultLimit is the limit of a class that New was not given.
const DefaultLimit = 4

// New returns a scheduler whose jobs run with ctx, at most limits[c] of
// class c at once (DefaultLimit when absent or not positive). Jobs still
// run once ctx is done: each records how it was cut short.
func New(ctx context.Context, limits map[Class]int) *Scheduler {
	s := &Scheduler{ctx: ctx, limits: limits, queues: map[Class][]*task{}, running: map[Class]int{}, paths: map[string]bool{}}
	s.idle = sync.NewCond(&s.mu)
	return s
}

// Claim takes path for a caller that writes it without a job of its own
// path; it reports whether the path was free.
func (s *Scheduler) Claim(path string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.claim(path)
}

func (s *Scheduler) claim(path string) bool {
	if path == "" {
		return true
	}
	if s.paths[path] {
		return false
	}
	s.paths[path] = true
	return true
}

// Add queues jobs in order; a job whose path is taken is left out.
func (s *Scheduler) Add(jobs ...Job) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.add(nil, jobs)
}

// add queues jobs into group g; s.mu is held.
func (s *Scheduler) add(g *group, jobs []Job) {
	for _, j := range jobs {
		if !s.claim(j.Path) {
			continue
		}
		t := &task{job: j, group: g}
		s.pending++
		if g != nil {
			g.left++
		}
		s.queues[j.Class] = append(s.queues[j.Class], t)
	}
	for c := range s.queues {
		s.start(c)
	}
}

// start runs the queued tasks of class c that its limit allows; s.mu is
// held.
func (s *Scheduler) start(c Class) {
	limit := s.limits[c]
	if limit <= 0 {
		limit = DefaultLimit
	}
	for s.running[c] < limit && len(s.queues[c]) > 0 {
		t := s.queues[c][0]
		s.queues[c][0] = nil
		s.queues[c] = s.queues[c][1:]
		s.running[c]++
		go s.run(t)
	}
}

// run runs t, queues its children, and ends it.
func (s *Scheduler) run(t *task) {
	children, err := t.job.Run(s.ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil && s.err == nil {
		s.err = err
	}
	s.running[t.job.Class]--
	g := t.group
	if t.job.Then != nil && err == nil {
		g = &group{then: t.job.Then, parent: t.group}
		if t.group != nil {
			t.group.left++ // the Then job belongs to the parent's group
		}
		s.pending++ // and is pending until it ends
	}
	s.add(g, children)
	if g != t.group {
		s.settle(g)
	}
	s.end(t.group)
	s.start(t.job.Class)
}

// end ends a task of group g; s.mu is held.
func (s *Scheduler) end(g *group) {
	if g != nil {
		g.left--
		s.settle(g)
	}
	s.pending--
	if s.pending == 0 {
		s.idle.Broadcast()
	}
}

// settle queues the Then job of g once none of g's tasks is left; s.mu is
// held. The Then job takes the place in the parent's group and in pending
// that run reserved for it; when its path is taken, it is left out and
// gives the place up.
func (s *Scheduler) settle(g *group) {
	if g.left > 0 || g.then == nil {
		return
	}
	then := *g.then
	g.then = nil
	if !s.claim(then.Path) {
		s.end(g.parent)
		return
	}
	s.queues[then.Class] = append(s.queues[then.Class], &task{job: then, group: g.parent})
	s.start(then.Class)
}

// Wait returns, once every job added has ended, the first error a job
// returned. Jobs may be added again after it returns.
func (s *Scheduler) Wait() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.pending > 0 {
		s.idle.Wait()
	}
	return s.err
}
