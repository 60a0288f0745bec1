package analysis

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/velero-debug/velero-debug/internal/bundle"
)

// Render writes r as Markdown, which reads as plain text on a terminal
// too: each failure with its reason, its first errors, its failed volume
// operations with the node-agent log lines that name them, and the files
// to read next. Text quoted from the bundle is in code spans or blocks, so
// that nothing in it is read as Markdown.
func Render(w io.Writer, r Report) error {
	var b strings.Builder
	renderGlance(&b, r.Glance)
	b.WriteString("## Failures\n\n")
	if len(r.Failures) == 0 {
		b.WriteString("No backup or restore collected in detail failed, and none had run for long without an end.\n\n")
	}
	for _, f := range r.Failures {
		renderFailure(&b, f)
	}
	if r.VolumesLeftOut > 0 {
		fmt.Fprintf(&b, "%d more failed volume operations are not related to their backups and restores above (velero/volume-failures.md lists them all).\n\n", r.VolumesLeftOut)
	}
	renderConfiguration(&b, r.Configuration)
	if r.NotCollected > 0 {
		fmt.Fprintf(&b, "%d items of the bundle could not be collected: what they hold is missing above (see the items that failed in summary.md).\n", r.NotCollected)
	}
	_, err := io.WriteString(w, strings.TrimRight(b.String(), "\n")+"\n")
	return err
}

// Summary is the analysis as summary.md shows it: Report, then Render.
// It makes an Analyzer a bundle.Summarizer.
func (a *Analyzer) Summary(m bundle.Manifest, again func([]string, func(bundle.ManifestItem, io.Reader) error) error) ([]byte, error) {
	r, err := a.Report(m, again)
	if err != nil {
		return nil, err
	}
	a.last = &r
	var b bytes.Buffer
	if err := Render(&b, r); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Last returns the report Summary made, if it made one.
func (a *Analyzer) Last() (Report, bool) {
	if a.last == nil {
		return Report{}, false
	}
	return *a.last, true
}

func renderFailure(b *strings.Builder, f Failure) {
	if f.Running != "" {
		fmt.Fprintf(b, "### %s %s/%s: %s, not ended after %s\n\n", f.Kind, f.Namespace, f.Name, f.Phase, f.Running)
	} else {
		fmt.Fprintf(b, "### %s %s/%s: %s\n\n", f.Kind, f.Namespace, f.Name, f.Phase)
	}
	if f.FailureReason != "" {
		fmt.Fprintf(b, "- Reason: %s\n", code(f.FailureReason))
	}
	for _, e := range f.ValidationErrors {
		fmt.Fprintf(b, "- Validation error: %s\n", code(e))
	}
	if f.Started != "" {
		fmt.Fprintf(b, "- Started: %s\n", f.Started)
	}
	if f.Created != "" {
		fmt.Fprintf(b, "- Created: %s, not started\n", f.Created)
	}
	if f.QueuePosition > 0 {
		fmt.Fprintf(b, "- Queue position: %d\n", f.QueuePosition)
	}
	if f.Running == "" || f.Errors+f.Warnings > 0 {
		fmt.Fprintf(b, "- Errors: %d, warnings: %d\n", f.Errors, f.Warnings)
	}
	switch {
	case len(f.FirstErrors) > 0 || len(f.FirstWarnings) > 0:
		for _, m := range f.FirstErrors {
			fmt.Fprintf(b, "  - error: %s\n", code(m))
		}
		for _, m := range f.FirstWarnings {
			fmt.Fprintf(b, "  - warning: %s\n", code(m))
		}
	case f.Results != "":
		fmt.Fprintf(b, "  - results.json not in the bundle (%s)\n", f.Results)
	}
	if len(f.ServerLines) > 0 {
		what := "the first errors and warnings"
		if !isProblem(f.ServerLines[0].Text) {
			what = "its last lines"
		}
		fmt.Fprintf(b, "- The Velero server's log on it, %s:\n\n", what)
		quoteLines(b, "  ", f.ServerLines)
	}
	if len(f.Volumes) > 0 && f.Running != "" {
		b.WriteString("- Volume operations that failed or had not ended:\n")
	} else if len(f.Volumes) > 0 {
		b.WriteString("- Failed volume operations:\n")
	}
	for _, v := range f.Volumes {
		renderVolume(b, v)
	}
	if len(f.Files) > 0 {
		fmt.Fprintf(b, "- Read next: %s\n", strings.Join(f.Files, ", "))
	} else if f.Running != "" {
		fmt.Fprintf(b, "- Not collected in detail: `velero-debug --%s %s` adds the server's and node-agents' lines about it and its description\n", f.Kind, f.Name)
	}
	b.WriteString("\n")
}

func renderVolume(b *strings.Builder, v VolumeFailure) {
	fmt.Fprintf(b, "  - %s `%s`: %s on node %s\n", v.Resource, v.Name, orUnknown(v.Phase), orUnknown(v.Node))
	if v.Message != "" {
		fmt.Fprintf(b, "    - message: %s\n", code(v.Message))
	}
	switch {
	case v.NodeAgentPod == "" && len(v.Lines)+len(v.Diagnose) == 0:
		b.WriteString("    - no node-agent pod of the bundle runs on that node\n")
	case len(v.Lines)+len(v.Diagnose) == 0:
		fmt.Fprintf(b, "    - node-agent pod %s: no line of its log in the bundle names it\n", v.NodeAgentPod)
	default:
		if v.NodeAgentPod != "" {
			fmt.Fprintf(b, "    - node-agent pod %s, the lines that name it:\n\n", v.NodeAgentPod)
		} else {
			b.WriteString("    - the node-agents' lines that name it:\n\n")
		}
		quoteLines(b, "      ", v.Lines)
		if len(v.Diagnose) > 0 {
			b.WriteString("    - Velero's diagnosis of its data path, the last it logged:\n\n")
			quoteLines(b, "      ", v.Diagnose)
		}
	}
	if dp := v.DataPath; dp != nil {
		if p := dp.Pod; p != nil {
			if p.Node == "" {
				fmt.Fprintf(b, "    - pod %s: %s, on no node\n", p.Name, orUnknown(p.Phase))
			} else {
				fmt.Fprintf(b, "    - pod %s: %s on node %s\n", p.Name, orUnknown(p.Phase), p.Node)
			}
			for _, pr := range p.Problems {
				fmt.Fprintf(b, "      - %s\n", code(pr))
			}
		}
		if sn := dp.Snapshot; sn != nil {
			state := "ready to use"
			switch {
			case sn.ReadyToUse == nil:
				state = "no status yet"
			case !*sn.ReadyToUse:
				state = "not ready to use"
			}
			fmt.Fprintf(b, "    - VolumeSnapshot %s/%s: %s", sn.Namespace, sn.Name, state)
			if sn.Error != "" {
				fmt.Fprintf(b, ", error %s", code(sn.Error))
			}
			b.WriteString("\n")
		}
		for _, e := range dp.Events {
			fmt.Fprintf(b, "    - event %s %s on %s (%d, last %s): %s\n", e.Type, e.Reason, e.Object, e.Count, orUnknown(e.Last), code(e.Message))
		}
	}
}

// quoteLines quotes log lines in a code block indented by indent, each
// with its number, under the name of its file (and of the log it was
// read from) whenever that changes.
func quoteLines(b *strings.Builder, indent string, lines []LogLine) {
	if len(lines) == 0 {
		return
	}
	var file, from string
	for i, l := range lines {
		if i == 0 || l.File != file || l.From != from {
			if i > 0 {
				fmt.Fprintf(b, "%s```\n\n", indent)
			}
			file, from = l.File, l.From
			if from != "" {
				fmt.Fprintf(b, "%s%s, from %s:\n\n", indent, file, from)
			} else {
				fmt.Fprintf(b, "%s%s:\n\n", indent, file)
			}
			fmt.Fprintf(b, "%s```\n", indent)
		}
		fmt.Fprintf(b, "%s%d: %s\n", indent, l.Line, strings.ReplaceAll(l.Text, "```", "'''"))
		if l.Repeats > 0 {
			fmt.Fprintf(b, "%s   (and %d more lines like it)\n", indent, l.Repeats)
		}
	}
	fmt.Fprintf(b, "%s```\n\n", indent)
}

// code quotes s as a Markdown code span, on one line.
func code(s string) string {
	s = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	pad := ""
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		pad = " "
	}
	return fence + pad + s + pad + fence
}

func orUnknown(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}

func renderGlance(b *strings.Builder, g Glance) {
	b.WriteString("## Velero at a glance\n\n")
	switch {
	case g.Server != "":
		fmt.Fprintf(b, "- Server: %s\n", g.Server)
	case g.ServerError != "":
		fmt.Fprintf(b, "- Server: did not answer (%s)\n", g.ServerError)
	}
	if len(g.Plugins) > 0 {
		fmt.Fprintf(b, "- Plugins: %s\n", strings.Join(g.Plugins, ", "))
	}
	for _, img := range g.Images {
		fmt.Fprintf(b, "- Image: %s\n", img)
	}
	for _, n := range g.Notes {
		fmt.Fprintf(b, "- **Skew**: %s\n", n)
	}
	if a := g.NodeAgents; a != nil {
		if a.Desired > 0 {
			fmt.Fprintf(b, "- Node-agents: %d of %d ready, %d pods", a.Ready, a.Desired, a.Pods)
		} else {
			fmt.Fprintf(b, "- Node-agents: %d pods; the DaemonSet reports none desired (no status yet?)", a.Pods)
		}
		if len(a.Without) > 0 {
			fmt.Fprintf(b, "; nodes without one: %s", strings.Join(a.Without, ", "))
		}
		b.WriteString("\n")
	}
	if !strings.HasSuffix(b.String(), "\n\n") {
		b.WriteString("\n")
	}
	locations(b, "Backup storage locations", g.StorageLocations)
	locations(b, "Volume snapshot locations", g.SnapshotLocations)
	if len(g.Repositories) > 0 {
		b.WriteString("Backup repositories:\n\n")
		for _, r := range g.Repositories {
			fmt.Fprintf(b, "- %s (%s, namespace %s): %s", r.Name, orUnknown(r.Type), orUnknown(r.VolumeNamespace), orUnknown(r.Phase))
			if r.Message != "" {
				fmt.Fprintf(b, ": %s", code(r.Message))
			}
			if r.LastMaintenance != "" {
				fmt.Fprintf(b, "; last maintenance %s", r.LastMaintenance)
			}
			b.WriteString("\n")
			for _, m := range r.Maintenance {
				fmt.Fprintf(b, "  - maintenance %s, %s to %s", m.Result, orUnknown(m.Started), orUnknown(m.Complete))
				if m.Message != "" {
					fmt.Fprintf(b, ": %s", code(m.Message))
				}
				b.WriteString("\n")
			}
		}
		if g.RepositoriesLeftOut > 0 {
			fmt.Fprintf(b, "- and %d more, Ready and maintained (resources/*/velero.io_v1/backuprepositories.json)\n", g.RepositoriesLeftOut)
		}
		b.WriteString("\n")
	}
	if len(g.Restarts) > 0 {
		b.WriteString("Containers that restarted:\n\n")
		for _, r := range g.Restarts {
			fmt.Fprintf(b, "- %s/%s: restarts %d", r.Pod, r.Container, r.Restarts)
			if r.Reason != "" {
				fmt.Fprintf(b, ", last ended %s (exit code %d) at %s", r.Reason, r.ExitCode, orUnknown(r.FinishedAt))
			}
			if r.PreviousLog != "" {
				fmt.Fprintf(b, "; previous log %s", r.PreviousLog)
			}
			b.WriteString("\n")
		}
		b.WriteString("\n")
	}
	if len(g.Warnings) > 0 {
		b.WriteString("Warning events:\n\n| Reason | Object | Count | Last | Message |\n|---|---|---:|---|---|\n")
		for _, w := range g.Warnings {
			fmt.Fprintf(b, "| %s | %s | %d | %s | %s |\n", cell(w.Reason), cell(w.Object), w.Count, cell(w.Last), cell(w.Message))
		}
		if g.WarningsLeftOut > 0 {
			fmt.Fprintf(b, "\nAnd %d more Warning events of other reasons or objects (resources/*/core_v1/events.json).\n", g.WarningsLeftOut)
		}
		b.WriteString("\n")
	}
}

func locations(b *strings.Builder, title string, ls []Location) {
	if len(ls) == 0 {
		return
	}
	fmt.Fprintf(b, "%s:\n\n| Name | Provider | Phase | Last validation | Message |\n|---|---|---|---|---|\n", title)
	for _, l := range ls {
		name := l.Name
		if l.Default {
			name += " (default)"
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s |\n", cell(name), cell(l.Provider), cell(orUnknown(l.Phase)), cell(l.LastValidation), cell(l.Message))
	}
	b.WriteString("\n")
}

// cell keeps s inside one cell of a Markdown table.
func cell(s string) string {
	return strings.NewReplacer("|", `\|`, "\r\n", " ", "\n", " ", "\r", " ").Replace(s)
}

// renderConfiguration lists the ConfigMaps Velero is started with, each
// with what Velero refuses or ignores in it.
func renderConfiguration(b *strings.Builder, cs []ConfigCheck) {
	if len(cs) == 0 {
		return
	}
	b.WriteString("## Configuration checks\n\n")
	for _, c := range cs {
		fmt.Fprintf(b, "- %s ConfigMap `%s/%s` (--%s-configmap of %s)", c.Kind, c.Namespace, c.ConfigMap, c.Kind, strings.Join(c.NamedBy, ", "))
		switch {
		case c.Unchecked != "":
			fmt.Fprintf(b, ": not checked, %s\n", c.Unchecked)
			continue
		case len(c.Problems) == 0:
			b.WriteString(": read as Velero reads it, no problem found\n")
			continue
		}
		b.WriteString(":\n")
		for _, p := range c.Problems {
			where := ""
			if p.Key != "" {
				where += " key " + code(p.Key)
			}
			if p.Field != "" {
				where += " field " + code(p.Field)
			}
			fmt.Fprintf(b, "  - **%s**%s: %s\n", p.Severity, where, p.Message)
		}
	}
	b.WriteString("\n")
}
