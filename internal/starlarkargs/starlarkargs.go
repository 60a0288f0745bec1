// Package starlarkargs holds the argument types that the builtins of
// velero-debug's Starlark dialects (package script, package crashd) unpack.
package starlarkargs

import (
	"fmt"

	"go.starlark.net/starlark"
)

// Strings is a parameter that takes a list or a tuple of strings.
type Strings []string

// Unpack implements starlark.Unpacker.
func (s *Strings) Unpack(v starlark.Value) error {
	var seq starlark.Indexable
	switch v := v.(type) {
	case *starlark.List:
		seq = v
	case starlark.Tuple:
		seq = v
	default:
		return fmt.Errorf("got %s, want a list of strings", v.Type())
	}
	out := make([]string, seq.Len())
	for i := range out {
		str, ok := starlark.AsString(seq.Index(i))
		if !ok {
			return fmt.Errorf("element %d is %s, want string", i, seq.Index(i).Type())
		}
		out[i] = str
	}
	*s = out
	return nil
}
