package bundle

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// statusOrder is the order of statuses in the summary.
var statusOrder = []Status{StatusOK, StatusError, StatusSkipped, StatusCancelled}

// cellEscaper keeps a value inside one cell of a Markdown table.
var cellEscaper = strings.NewReplacer("|", `\|`, "\r\n", " ", "\n", " ", "\r", " ")

// renderSummary returns summary.md: the manifest, for people.
func renderSummary(m Manifest) []byte {
	var b strings.Builder
	writeRun(&b, m)
	writeCounts(&b, m.Items)
	writeProblems(&b, m.Items)
	writeSkipped(&b, m.Items)
	writeOptions(&b, m.Options)
	return []byte(b.String())
}

func writeRun(b *strings.Builder, m Manifest) {
	complete := "yes"
	if !m.Complete {
		complete = "no: the run was interrupted or stopped before every item finished"
	}
	b.WriteString("# Velero debug bundle\n\n| | |\n|---|---|\n")
	row(b, "Tool", strings.TrimSpace(m.Tool.Name+" "+m.Tool.Version))
	row(b, "Started", m.Started.Format(time.RFC3339))
	row(b, "Finished", fmt.Sprintf("%s (took %s)", m.Finished.Format(time.RFC3339), m.Finished.Sub(m.Started)))
	row(b, "Cluster context", m.Cluster.Context)
	row(b, "API server", m.Cluster.Server)
	row(b, "Kubernetes version", m.Cluster.KubernetesVersion)
	row(b, "Complete", complete)
}

func writeCounts(b *strings.Builder, items []ManifestItem) {
	counts := map[Status]int{}
	var bytes int64
	truncated, redacted := 0, 0
	for _, it := range items {
		counts[it.Status]++
		bytes += it.Bytes
		if it.Truncated {
			truncated++
		}
		for _, n := range it.Redactions {
			redacted += n
		}
	}
	b.WriteString("\n## Items\n\n| Status | Items |\n|---|---:|\n")
	for _, st := range statusOrder {
		row(b, string(st), strconv.Itoa(counts[st]))
	}
	row(b, "total", strconv.Itoa(len(items)))
	fmt.Fprintf(b, "\nStored %d bytes (%s). Items truncated on purpose: %d. Values redacted: %d.\n",
		bytes, formatBytes(bytes), truncated, redacted)
}

func writeProblems(b *strings.Builder, items []ManifestItem) {
	b.WriteString("\n## Failed and cancelled items\n\n")
	problems := slices.DeleteFunc(slices.Clone(items), func(it ManifestItem) bool {
		return it.Status != StatusError && it.Status != StatusCancelled
	})
	if len(problems) == 0 {
		b.WriteString("None.\n")
		return
	}
	b.WriteString("| Path | Status | Bytes kept | Error |\n|---|---|---:|---|\n")
	for _, it := range problems {
		row(b, it.Path, string(it.Status), strconv.FormatInt(it.Bytes, 10), it.Error)
	}
}

func writeSkipped(b *strings.Builder, items []ManifestItem) {
	skipped := slices.DeleteFunc(slices.Clone(items), func(it ManifestItem) bool {
		return it.Status != StatusSkipped
	})
	if len(skipped) == 0 {
		return
	}
	b.WriteString("\n## Skipped items\n\n| Path | Reason |\n|---|---|\n")
	for _, it := range skipped {
		row(b, it.Path, it.Error)
	}
}

func writeOptions(b *strings.Builder, options map[string]any) {
	b.WriteString("\n## Options\n\n")
	if len(options) == 0 {
		b.WriteString("None recorded.\n")
		return
	}
	b.WriteString("| Option | Value |\n|---|---|\n")
	for _, name := range slices.Sorted(maps.Keys(options)) {
		row(b, name, formatValue(options[name]))
	}
}

// row writes one Markdown table row.
func row(b *strings.Builder, cells ...string) {
	b.WriteString("|")
	for _, c := range cells {
		b.WriteString(" " + cellEscaper.Replace(c) + " |")
	}
	b.WriteString("\n")
}

// formatValue shows an option value as JSON, like the manifest does.
func formatValue(v any) string {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(data)
}

// formatBytes shows n in binary units, for example "1.5 MiB".
func formatBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
