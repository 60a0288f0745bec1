// Package suggest finds what a misspelt name was probably meant to be: a
// flag, a command, a field of Velero's configuration.
package suggest

import "strings"

// Distance is the Levenshtein distance of a and b: the fewest insertions,
// deletions and substitutions of bytes that make one the other.
func Distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// Names returns the candidates that name is probably a misspelling of,
// in their order: those within two edits of it, or that it starts, or
// that start it (from three letters on).
func Names(name string, candidates []string) []string {
	var out []string
	for _, c := range candidates {
		if c == name {
			continue
		}
		if Distance(name, c) <= 2 || len(name) >= 3 && (strings.HasPrefix(c, name) || strings.HasPrefix(name, c)) {
			out = append(out, c)
		}
	}
	return out
}
