package veleroconfig

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/velero-debug/velero-debug/internal/suggest"
)

// shape is what Velero reads of a JSON value: an object's fields, an
// array's elements or a map's values, and the Velero version that first
// reads it (1.since; 0 for every version this package knows).
type shape struct {
	since  int
	fields map[string]*shape
	// elem is the shape of an array's elements, or of a map's values
	// when fields is nil.
	elem *shape
}

var (
	leaf      = &shape{}
	leafSince = func(minor int) *shape { return &shape{since: minor} }
	stringMap = &shape{elem: leaf} // map[string]string: labels, annotations
	selector  = &shape{fields: map[string]*shape{
		"matchLabels":      stringMap,
		"matchExpressions": {elem: &shape{fields: map[string]*shape{"key": leaf, "operator": leaf, "values": leaf}}},
	}}
	affinity = &shape{elem: &shape{fields: map[string]*shape{"nodeSelector": selector, "storageClass": leafSince(17)}}}
	pod      = &shape{fields: map[string]*shape{"cpuRequest": leaf, "memoryRequest": leaf, "cpuLimit": leaf, "memoryLimit": leaf}}

	nodeAgentShape = &shape{fields: map[string]*shape{
		"loadConcurrency": {fields: map[string]*shape{
			"globalConfig":       leaf,
			"perNodeConfig":      {elem: &shape{fields: map[string]*shape{"nodeSelector": selector, "number": leaf}}},
			"prepareQueueLength": leafSince(17),
		}},
		"loadAffinity": affinity,
		"backupPVC": {elem: &shape{fields: map[string]*shape{
			"storageClass": leaf, "readOnly": leaf, "spcNoRelabeling": leaf, "annotations": {since: 18, elem: leaf},
		}}},
		"restorePVC":         {since: 16, fields: map[string]*shape{"ignoreDelayBinding": leaf}},
		"podResources":       pod,
		"priorityClassName":  leafSince(17),
		"privilegedFsBackup": leafSince(18),
		"cachePVC":           {since: 18, fields: map[string]*shape{"storageClass": leaf, "residentThresholdInMB": leaf}},
		"podAnnotations":     {since: 18, elem: leaf},
		"podLabels":          {since: 18, elem: leaf},
	}}

	jobShape = &shape{fields: map[string]*shape{
		"loadAffinity":              affinity,
		"podResources":              pod,
		"keepLatestMaintenanceJobs": leafSince(17),
		"priorityClassName":         leafSince(17),
		"podAnnotations":            {since: 18, elem: leaf},
		"podLabels":                 {since: 18, elem: leaf},
	}}
)

// fields reports the fields of value that Velero of version v does not
// read: unknown to every version, or read only by later ones. Keys match
// as encoding/json matches them, exact first, then without case.
func (c *Config) fields(key, value string, s *shape, v Version) {
	var doc any
	if json.Unmarshal([]byte(value), &doc) != nil {
		return // decode said why
	}
	c.walk(key, "", doc, s, v)
}

func (c *Config) walk(key, at string, doc any, s *shape, v Version) {
	if len(c.Problems) >= maxProblems {
		return
	}
	switch d := doc.(type) {
	case map[string]any:
		if s.fields == nil {
			if s.elem != nil {
				for _, name := range sortedKeys(d) {
					c.walk(key, join(at, name), d[name], s.elem, v)
				}
			}
			return
		}
		for _, name := range sortedKeys(d) {
			f, known := lookup(s.fields, name)
			field := join(at, name)
			switch {
			case !known:
				c.add(Problem{Severity: Warning, Key: key, Field: field, Message: "unknown field: Velero ignores it" + didYouMean(s.fields, name)})
			case v.Known() && f.since > v.Minor:
				c.add(Problem{Severity: Warning, Key: key, Field: field,
					Message: fmt.Sprintf("read by Velero 1.%d and later; this Velero is %s and ignores it", f.since, v)})
			default:
				c.walk(key, field, d[name], f, v)
			}
		}
	case []any:
		if s.elem != nil {
			for i, e := range d {
				c.walk(key, fmt.Sprintf("%s[%d]", at, i), e, s.elem, v)
			}
		}
	}
}

// lookup finds name among fields as encoding/json does: exactly, else
// ignoring case.
func lookup(fields map[string]*shape, name string) (*shape, bool) {
	if f, ok := fields[name]; ok {
		return f, true
	}
	for k, f := range fields {
		if strings.EqualFold(k, name) {
			return f, true
		}
	}
	return nil, false
}

// didYouMean names the known field closest to name, when one is close: a
// typo such as "loadAfinity".
func didYouMean(fields map[string]*shape, name string) string {
	best, dist := "", 3
	for _, k := range sortedKeys(fields) {
		if d := suggest.Distance(strings.ToLower(k), strings.ToLower(name)); d < dist {
			best, dist = k, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %s?)", best)
}

func join(at, name string) string {
	if at == "" {
		return name
	}
	return at + "." + name
}
