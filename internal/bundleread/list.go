package bundleread

import (
	"encoding/json"
	"io"
)

// EachListItem calls f with each item of a JSON List, one at a time: a list
// of thousands of objects is never held whole. A damaged list ends the
// reading, keeping what came before.
func EachListItem(r io.Reader, f func(json.RawMessage)) error {
	dec := json.NewDecoder(r)
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil
		}
		if t != "items" {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil
			}
			continue
		}
		if t, err := dec.Token(); err != nil || t != json.Delim('[') {
			return nil
		}
		for dec.More() {
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return nil
			}
			f(raw)
		}
		if _, err := dec.Token(); err != nil {
			return nil
		}
	}
	return nil
}
