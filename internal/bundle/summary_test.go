package bundle

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestSummary(t *testing.T) {
	t.Parallel()
	started := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	m := Manifest{
		Tool:     Tool{Name: "velero-debug", Version: "v0.1.0"},
		Started:  started,
		Finished: started.Add(75 * time.Second),
		Cluster:  Cluster{Context: "kind", Server: "https://127.0.0.1:6443", KubernetesVersion: "v1.31.2"},
		Options:  map[string]any{"since": "1h", "namespace": "velero", "limitBytes": 1024},
		Items: []ManifestItem{
			{Path: "a.log", Status: StatusOK, Bytes: 2048, Truncated: true, Redactions: map[string]int{"url": 2, "env": 1}},
			{Path: "b.log", Status: StatusError, Bytes: 10, Error: "stream reset | by peer\nretry"},
			{Path: "c.log", Status: StatusCancelled, Error: cutMessage},
			{Path: "d.log", Status: StatusSkipped, Error: "disabled by --no-logs"},
			{Path: "e.json", Status: StatusOK, Bytes: 1},
		},
	}
	got := string(renderSummary(m, nil, nil))
	for _, want := range []string{
		"# Velero debug bundle\n",
		"| Tool | velero-debug v0.1.0 |\n",
		"| Started | 2025-01-02T03:04:05Z |\n",
		"| Finished | 2025-01-02T03:05:20Z (took 1m15s) |\n",
		"| Cluster context | kind |\n",
		"| Kubernetes version | v1.31.2 |\n",
		"| Complete | no: ",
		"| ok | 2 |\n| error | 1 |\n| skipped | 1 |\n| cancelled | 1 |\n| total | 5 |\n",
		"Stored 2059 bytes (2.0 KiB). Items truncated on purpose: 1. Values redacted: 3.\n",
		"| b.log | error | 10 | stream reset \\| by peer retry |\n",
		"| c.log | cancelled | 0 | " + cutMessage + " |\n",
		"## Skipped items\n\n| Path | Reason |\n|---|---|\n| d.log | disabled by --no-logs |\n",
		"| limitBytes | 1024 |\n| namespace | \"velero\" |\n| since | \"1h\" |\n",
	} {
		require.Contains(t, got, want)
	}
	require.NotContains(t, got, "| a.log |", "ok items are not listed")
}

func TestSummaryOfCleanRun(t *testing.T) {
	t.Parallel()
	got := string(renderSummary(Manifest{Complete: true, Items: []ManifestItem{{Path: "a", Status: StatusOK}}}, nil, nil))
	require.Contains(t, got, "| Complete | yes |\n")
	require.Contains(t, got, "## Failed and cancelled items\n\nNone.\n")
	require.NotContains(t, got, "Skipped items")
	require.Contains(t, got, "## Options\n\nNone recorded.\n")
}

// TestSummaryInBundle checks that summary.md is written from the manifest.
func TestSummaryInBundle(t *testing.T) {
	t.Parallel()
	w, out, _ := create(t, Options{})
	require.NoError(t, w.AddError(Item{Path: "logs/x.log"}, errInjected))
	require.NoError(t, w.Close(Meta{Complete: true}))
	b := readBundle(t, out)
	require.Equal(t, string(renderSummary(b.manifest, nil, nil)), b.files[SummaryFile])
	written := w.Manifest().Items
	i := slices.IndexFunc(written, func(it ManifestItem) bool { return it.Path == SummaryFile })
	require.GreaterOrEqual(t, i, 0, "summary.md is listed in the manifest")
	require.Equal(t, ManifestItem{Path: SummaryFile, Type: "summary", Source: "this bundle: its manifest and the analysis of its items",
		Bytes: int64(len(b.files[SummaryFile])), SHA256: sha256Hex(b.files[SummaryFile]), Redactions: map[string]int{}, Status: StatusOK}, written[i])
	require.Contains(t, b.files[SummaryFile], "| logs/x.log | error | 0 | injected |")
}

func TestFormatBytes(t *testing.T) {
	t.Parallel()
	for n, want := range map[int64]string{
		0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 1536: "1.5 KiB", 5 << 20: "5.0 MiB", 3 << 30: "3.0 GiB",
	} {
		require.Equal(t, want, formatBytes(n), n)
	}
}

// TestSummaryCauses: the items that failed or were skipped for one cause
// are one line, with what names each item left out.
func TestSummaryCauses(t *testing.T) {
	t.Parallel()
	skip := "not downloaded: the Velero server did not answer: ServerStatusRequest velero-debug-x was not processed within 15s"
	var items []ManifestItem
	for _, b := range []string{"b1", "b2", "b3"} {
		for _, f := range []string{"log.txt", "results.json"} {
			items = append(items, ManifestItem{Path: "backups/" + b + "/" + f, Type: "download", Status: StatusSkipped, Error: skip})
		}
	}
	items = append(items,
		ManifestItem{Path: "logs/velero/node-agent-abc/node-agent.log", Type: "log", Status: StatusError,
			Error: "log of container node-agent in pod velero/node-agent-abc: no data for 30s: context deadline exceeded"},
		ManifestItem{Path: "logs/velero/node-agent-def/node-agent.log", Type: "log", Status: StatusError,
			Error: "log of container node-agent in pod velero/node-agent-def: no data for 30s: context deadline exceeded"},
		ManifestItem{Path: "velero/version.json", Type: "version", Status: StatusError, Error: "server version: no answer"},
		ManifestItem{Path: "logs/velero/velero-1/velero.log", Type: "log", Status: StatusSkipped, Error: "velero-debug skipped velero-1 for velero"},
		ManifestItem{Path: "a.json", Status: StatusOK},
	)
	got := string(renderSummary(Manifest{Items: items}, nil, nil))
	require.Contains(t, got, "## What could not be collected\n\n"+
		"- 2 container logs failed: log of container node-agent in pod …/…: no data for 30s: context deadline exceeded\n"+
		"- 1 version answer failed: server version: no answer\n"+
		"- 6 object-store files skipped: "+skip+"\n"+
		"- 1 container log skipped: velero-debug skipped … for …\n")
}
