package collect

import (
	"slices"
	"sync"

	"github.com/velero-debug/velero-debug/internal/budget"
)

// focus gathers, during the run, what the bundle is about for a size
// budget (budget.Focus): the names of the backups and restores collected
// in detail and of their failed volume operations, and the pods' logs
// whose tails matter most, the Velero server's and those of the
// node-agents on the nodes of failed volume operations.
type focus struct {
	mu    sync.Mutex
	names map[string]bool
	nodes map[string]bool
	logs  []focusLog
}

// focusLog is a pod's log the run stored.
type focusLog struct {
	path, node    string
	server, agent bool
}

// name notes names the bundle is about.
func (f *focus) name(names ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.names == nil {
		f.names = map[string]bool{}
	}
	for _, n := range names {
		f.names[n] = true
	}
}

// failedOn notes a node where a volume operation failed.
func (f *focus) failedOn(node string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.nodes == nil {
		f.nodes = map[string]bool{}
	}
	f.nodes[node] = true
}

// log notes a pod's log the run stores.
func (f *focus) log(req logRequest) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.logs = append(f.logs, focusLog{path: req.path(), node: req.node, server: req.server, agent: req.agent})
}

// result is the run's budget.Focus, in a stable order.
func (f *focus) result() budget.Focus {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out budget.Focus
	for n := range f.names {
		out.Names = append(out.Names, n)
	}
	for _, l := range f.logs {
		if l.server || l.agent && f.nodes[l.node] {
			out.First = append(out.First, l.path)
		}
	}
	slices.Sort(out.Names)
	slices.Sort(out.First)
	return out
}
