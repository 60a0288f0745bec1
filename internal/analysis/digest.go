package analysis

import (
	"fmt"
	"strings"
)

// maxDigestFailures is how many failures a digest names, one per line.
const maxDigestFailures = 3

// Digest returns what went wrong in Velero, for the end of a run on a
// terminal: at most five lines, none when nothing did. The first says
// how many backups and restores failed or had not ended long after they
// were made, and what else is wrong (storage locations not available,
// containers that restarted, nodes without a node-agent); each next one
// names a failure and its reason.
func Digest(r Report) []string {
	var problems []string
	count := map[[2]string]int{}
	longest := ""
	for _, f := range r.Failures {
		state := "failed"
		if f.Running != "" {
			state = "had not ended"
			if longest == "" {
				longest = f.Running // the oldest comes first
			}
		}
		count[[2]string{state, f.Kind}]++
	}
	for _, state := range []string{"failed", "had not ended"} {
		var which []string
		for _, kind := range []string{"backup", "restore"} {
			if n := count[[2]string{state, kind}]; n > 0 {
				which = append(which, plural(n, kind))
			}
		}
		if len(which) == 0 {
			continue
		}
		s := strings.Join(which, " and ") + " " + state
		if state != "failed" {
			s += " (the oldest after " + longest + ")"
		}
		problems = append(problems, s)
	}
	unavailable := 0
	for _, l := range r.Glance.StorageLocations {
		if l.Phase != "Available" {
			unavailable++
		}
	}
	if unavailable > 0 {
		problems = append(problems, plural(unavailable, "backup storage location")+" not available")
	}
	if n := len(r.Glance.Restarts); n > 0 {
		reasons := map[string]bool{}
		var names []string
		for _, rs := range r.Glance.Restarts {
			if rs.Reason != "" && !reasons[rs.Reason] {
				reasons[rs.Reason] = true
				names = append(names, rs.Reason)
			}
		}
		s := plural(n, "container") + " restarted"
		if len(names) > 0 {
			s += " (" + strings.Join(names, ", ") + ")"
		}
		problems = append(problems, s)
	}
	if na := r.Glance.NodeAgents; na != nil && len(na.Without) > 0 {
		problems = append(problems, plural(len(na.Without), "node")+" without a node-agent")
	}
	if n := r.ConfigurationErrors(); n > 0 {
		problems = append(problems, plural(n, "configuration error"))
	}
	if len(problems) == 0 {
		return nil
	}
	lines := []string{"Velero: " + strings.Join(problems, "; ")}
	for i, f := range r.Failures {
		if i == maxDigestFailures {
			lines = append(lines, fmt.Sprintf("  and %d more", len(r.Failures)-i))
			break
		}
		lines = append(lines, "  "+cut(digestLine(f), 160))
	}
	return lines
}

// digestLine is one failure on one line: what, its phase, and why.
func digestLine(f Failure) string {
	s := fmt.Sprintf("%s %s/%s: %s", f.Kind, f.Namespace, f.Name, f.Phase)
	if f.Running != "" {
		s += " for " + f.Running
	}
	why := f.FailureReason
	switch {
	case why == "" && len(f.ValidationErrors) > 0:
		why = f.ValidationErrors[0]
	case why == "" && len(f.FirstErrors) > 0:
		why = f.FirstErrors[0]
	case why == "" && len(f.Volumes) > 0 && f.Running != "":
		v := f.Volumes[0]
		why = fmt.Sprintf("%s %s %s", v.Resource, v.Name, orUnknown(v.Phase))
		if v.Message != "" {
			why += ": " + v.Message
		}
	case why == "" && len(f.Volumes) > 0:
		why = fmt.Sprintf("%s failed", plural(len(f.Volumes), "volume operation"))
		if m := f.Volumes[0].Message; m != "" {
			why += ": " + m
		}
	case why == "" && f.QueuePosition > 0:
		why = fmt.Sprintf("queue position %d", f.QueuePosition)
	case why == "" && f.Errors > 0:
		why = plural(int(f.Errors), "error")
	}
	if why != "" {
		s += ": " + strings.Join(strings.Fields(why), " ")
	}
	return s
}

// plural says n things: "1 backup", "2 backups".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
