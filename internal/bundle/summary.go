package bundle

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// statusOrder is the order of statuses in the summary.
var statusOrder = []Status{StatusOK, StatusError, StatusSkipped, StatusCancelled}

// cellEscaper keeps a value inside one cell of a Markdown table.
var cellEscaper = strings.NewReplacer("|", `\|`, "\r\n", " ", "\n", " ", "\r", " ")

// renderSummary returns summary.md: the run, the summarizer's sections
// (or why it failed, serr), then the manifest's items, for people.
func renderSummary(m Manifest, sections []byte, serr error) []byte {
	var b strings.Builder
	writeRun(&b, m)
	switch {
	case serr != nil:
		fmt.Fprintf(&b, "\n## Analysis\n\nThe analysis of this bundle failed; the items below are all there is to read. Please report this, with the error:\n\n```\n%s\n```\n",
			strings.ReplaceAll(serr.Error(), "```", "'''"))
	case len(sections) > 0:
		b.WriteString("\n")
		b.Write(sections)
	}
	writeCounts(&b, m.Items)
	writeBudget(&b, m.Budget)
	writeCauses(&b, m.Items)
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

// writeBudget says, in one line, what --max-size did.
func writeBudget(b *strings.Builder, bu *Budget) {
	switch {
	case bu == nil:
	case bu.OverBytes > 0:
		fmt.Fprintf(b, "\n**--max-size %s:** what is never cut (Velero's and the cluster's objects, what Velero's object storage holds) was about %s over it alone: the %d pods' logs cut hold a marker line only (their lines and bytes are in manifest.json).\n",
			formatBytes(bu.MaxBytes), formatBytes(bu.OverBytes), bu.LogsCut)
	case bu.LogsCut > 0:
		fmt.Fprintf(b, "\n**--max-size %s:** %d pods' logs were cut to fit, %s of their %s kept: the lines that name the backups, restores and volume operations looked at, every warning, error and panic line with a few lines around it, then their last lines. A marker line stands for each run of lines left out; manifest.json lists the lines each keeps (keptLines).\n",
			formatBytes(bu.MaxBytes), bu.LogsCut, formatBytes(bu.KeptBytes), formatBytes(bu.OriginalBytes))
	default:
		fmt.Fprintf(b, "\n**--max-size %s:** everything fit; nothing was cut.\n", formatBytes(bu.MaxBytes))
	}
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

// maxCauses bounds the lines of "What could not be collected".
const maxCauses = 20

// typeNouns name the items of each type in the plural, for people.
var typeNouns = map[string]string{
	"download": "object-store files", "log": "container logs", "object-list": "lists", "object": "objects",
	"describe": "descriptions", "version": "version answers", "discovery": "discovery answers",
	"command": "command outputs", "summary": "summaries", "file": "files",
}

// writeCauses writes one line per cause of the items that failed, were
// cut short or skipped: the same reason of many items (23 downloads that
// all wait on one server) is read once.
func writeCauses(b *strings.Builder, items []ManifestItem) {
	type key struct {
		status    Status
		noun, why string
	}
	counts := map[key]int{}
	var order []key
	for _, it := range items {
		if it.Status == StatusOK {
			continue
		}
		noun := typeNouns[it.Type]
		if noun == "" {
			noun = "items"
			if it.Type != "" {
				noun = it.Type + " items"
			}
		}
		k := key{it.Status, noun, cause(it)}
		if counts[k] == 0 {
			order = append(order, k)
		}
		counts[k]++
	}
	if len(order) == 0 {
		return
	}
	rank := map[Status]int{StatusError: 0, StatusCancelled: 1, StatusSkipped: 2}
	sort.SliceStable(order, func(i, j int) bool {
		if rank[order[i].status] != rank[order[j].status] {
			return rank[order[i].status] < rank[order[j].status]
		}
		return counts[order[i]] > counts[order[j]]
	})
	b.WriteString("\n## What could not be collected\n\n")
	verbs := map[Status]string{StatusError: "failed", StatusCancelled: "cut short", StatusSkipped: "skipped"}
	for i, k := range order {
		if i == maxCauses {
			fmt.Fprintf(b, "- and %d more causes: see the tables below\n", len(order)-maxCauses)
			break
		}
		noun := k.noun
		if counts[k] == 1 {
			noun = strings.TrimSuffix(strings.Replace(noun, "files", "file", 1), "s")
		}
		fmt.Fprintf(b, "- %d %s %s: %s\n", counts[k], noun, verbs[k.status], cellEscaper.Replace(k.why))
	}
}

// cause is the reason of an item that is not ok, with what names the item
// itself (the folders and file of its path) replaced by "…", so that the
// same cause of many items reads as one.
func cause(it ManifestItem) string {
	why := it.Error
	if why == "" {
		return "no reason recorded"
	}
	parts := strings.Split(it.Path, "/")
	if len(parts) > 1 {
		parts = parts[1:] // the first folder names a kind of item, not this one
	}
	slices.SortFunc(parts, func(a, b string) int { return len(b) - len(a) })
	for _, p := range parts {
		if len(p) >= 3 {
			why = replaceName(why, p)
		}
	}
	return why
}

// replaceName replaces each occurrence of name in s that is a name of its
// own (not part of a longer name: velero in velero-debug) with "…".
func replaceName(s, name string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, name)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		end := i + len(name)
		if (i > 0 && nameByte(s[i-1])) || (end < len(s) && nameByte(s[end])) {
			b.WriteString(s[:end])
		} else {
			b.WriteString(s[:i] + "…")
		}
		s = s[end:]
	}
}

// nameByte reports whether c may be part of a Kubernetes name.
func nameByte(c byte) bool {
	return c == '-' || c == '.' || c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
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
