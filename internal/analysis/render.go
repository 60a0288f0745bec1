package analysis

import (
	"fmt"
	"io"
	"strings"
)

// Render writes r as Markdown, which reads as plain text on a terminal
// too: each failure with its reason, its first errors, its failed volume
// operations with the node-agent log lines that name them, and the files
// to read next. Text quoted from the bundle is in code spans or blocks, so
// that nothing in it is read as Markdown.
func Render(w io.Writer, r Report) error {
	var b strings.Builder
	b.WriteString("## Failures\n\n")
	if len(r.Failures) == 0 {
		b.WriteString("No backup or restore collected in detail failed.\n\n")
	}
	for _, f := range r.Failures {
		renderFailure(&b, f)
	}
	if r.NotCollected > 0 {
		fmt.Fprintf(&b, "%d items of the bundle could not be collected: what they hold is missing above (see the items that failed in summary.md).\n", r.NotCollected)
	}
	_, err := io.WriteString(w, strings.TrimRight(b.String(), "\n")+"\n")
	return err
}

func renderFailure(b *strings.Builder, f Failure) {
	fmt.Fprintf(b, "### %s %s/%s: %s\n\n", f.Kind, f.Namespace, f.Name, f.Phase)
	if f.FailureReason != "" {
		fmt.Fprintf(b, "- Reason: %s\n", code(f.FailureReason))
	}
	for _, e := range f.ValidationErrors {
		fmt.Fprintf(b, "- Validation error: %s\n", code(e))
	}
	if f.Started != "" {
		fmt.Fprintf(b, "- Started: %s\n", f.Started)
	}
	fmt.Fprintf(b, "- Errors: %d, warnings: %d\n", f.Errors, f.Warnings)
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
	if len(f.Volumes) > 0 {
		b.WriteString("- Failed volume operations:\n")
	}
	for _, v := range f.Volumes {
		fmt.Fprintf(b, "  - %s `%s`: %s on node %s\n", v.Resource, v.Name, v.Phase, orUnknown(v.Node))
		if v.Message != "" {
			fmt.Fprintf(b, "    - message: %s\n", code(v.Message))
		}
		switch {
		case v.NodeAgentPod == "":
			b.WriteString("    - no node-agent pod of the bundle runs on that node\n")
		case len(v.Lines) == 0:
			fmt.Fprintf(b, "    - node-agent pod %s: no line of %s names it\n", v.NodeAgentPod, v.Log)
		default:
			fmt.Fprintf(b, "    - node-agent pod %s, %s:\n\n", v.NodeAgentPod, v.Log)
			b.WriteString("      ```\n")
			for _, l := range v.Lines {
				fmt.Fprintf(b, "      %d: %s\n", l.Line, strings.ReplaceAll(l.Text, "```", "'''"))
			}
			b.WriteString("      ```\n\n")
		}
	}
	if len(f.Files) > 0 {
		fmt.Fprintf(b, "- Read next: %s\n", strings.Join(f.Files, ", "))
	}
	b.WriteString("\n")
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
