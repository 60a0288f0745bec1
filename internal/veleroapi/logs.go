package veleroapi

import (
	"bytes"
	"iter"
)

// LogWords yields the words of a log line that may name a Kubernetes
// object: the runs of the bytes of names (letters, digits, '-' and '.'),
// without the dots that end a sentence. Velero's loggers name its objects
// so (dataupload=ns/name, PVB=name, "Pod ns/name, phase ..."): a name is
// matched as a whole word, b1-x7k2p not in b1-x7k2pq or ab1-x7k2p, and
// a line is read once whatever the number of names looked for.
func LogWords(line []byte) iter.Seq[[]byte] {
	return func(yield func([]byte) bool) {
		for i := 0; i < len(line); {
			if !nameByte(line[i]) {
				i++
				continue
			}
			j := i
			for j < len(line) && nameByte(line[j]) {
				j++
			}
			if word := bytes.TrimRight(line[i:j], "."); len(word) > 0 && !yield(word) {
				return
			}
			i = j
		}
	}
}

// LogNames reports whether a log line names the object name (see
// LogWords).
func LogNames(line, name []byte) bool {
	for w := range LogWords(line) {
		if bytes.Equal(w, name) {
			return true
		}
	}
	return false
}

// nameByte reports whether c may be part of a Kubernetes object's name.
func nameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.'
}
