package veleroapi

import "bytes"

// LogNames reports whether a log line names the object name as a word of
// its own, as Velero's loggers name its objects (dataupload=ns/name,
// PVB=name, "Pod ns/name, phase ..."): b1-x7k2p, not b1-x7k2pq or
// ab1-x7k2p.
func LogNames(line, name []byte) bool {
	if len(name) == 0 {
		return false
	}
	for i := 0; ; {
		j := bytes.Index(line[i:], name)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(name)
		if (start == 0 || !nameByte(line[start-1])) && (end == len(line) || !nameByte(line[end])) {
			return true
		}
		i = start + 1
	}
}

// nameByte reports whether c may be part of a Kubernetes object's name.
func nameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-'
}
