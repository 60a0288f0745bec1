package budget

import (
	"cmp"
	"slices"
)

// Want is what one log could use of a budget.
type Want struct {
	// Marked is the size of its marked lines, Size its whole size.
	Marked, Size int64
	// First puts its tail before the tails of the logs without it: the
	// Velero server's log, the node-agents' of nodes whose volume
	// operations failed.
	First bool
}

// Grant is what a log gets: bytes of marked lines and bytes of tail
// besides them, the arguments of Select.
type Grant struct {
	Marked, Tail int64
}

// Allocate shares allowance bytes between logs: first the marked lines
// of every log, shared evenly when they do not all fit; then the tails of
// the logs that come First, evenly; then the tails of the others, evenly.
// Evenly is water-filling: a log that needs less than its share leaves
// the rest to the others.
func Allocate(logs []Want, allowance int64) []Grant {
	grants := make([]Grant, len(logs))
	marked := make([]int64, len(logs))
	for i, l := range logs {
		marked[i] = l.Marked
	}
	left := allowance
	for i, g := range fill(marked, left) {
		grants[i].Marked = g
		left -= g
	}
	for _, first := range []bool{true, false} {
		var idx []int
		var caps []int64
		for i, l := range logs {
			if l.First == first {
				idx = append(idx, i)
				caps = append(caps, max(0, l.Size-l.Marked))
			}
		}
		for k, g := range fill(caps, left) {
			grants[idx[k]].Tail = g
			left -= g
		}
	}
	return grants
}

// fill shares amount between needs by water-filling: each gets at most
// its need, and what one does not take is shared by the others.
func fill(needs []int64, amount int64) []int64 {
	got := make([]int64, len(needs))
	order := make([]int, len(needs))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(needs[a], needs[b]) })
	for k, i := range order {
		if amount <= 0 {
			break
		}
		share := amount / int64(len(order)-k)
		got[i] = min(needs[i], share)
		amount -= got[i]
	}
	return got
}

// Focus is what a bundle is about, as its collection found it: the names
// of the backups, restores and volume operations that the lines to mark
// name, and the paths of the logs whose tails come First.
type Focus struct {
	Names []string
	First []string
}
