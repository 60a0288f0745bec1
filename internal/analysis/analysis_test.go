package analysis

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/velero-debug/velero-debug/internal/bundle"
	"github.com/velero-debug/velero-debug/internal/bundleread"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata")

// item is one item of a test bundle: content, or a skip or an error.
type item struct {
	path, content, skip, fail string
}

// writeBundle writes items into a bundle and opens it with the hardened
// reader, as inspect does.
func writeBundle(t *testing.T, items []item) *bundleread.Bundle {
	t.Helper()
	out := filepath.Join(t.TempDir(), "b.tar.gz")
	w, err := bundle.Create(out, bundle.Options{})
	require.NoError(t, err)
	for _, it := range items {
		bi := bundle.Item{Path: it.path, Type: "test", Source: "test"}
		switch {
		case it.skip != "":
			require.NoError(t, w.AddSkipped(bi, it.skip))
		case it.fail != "":
			require.NoError(t, w.AddError(bi, errors.New(it.fail)))
		default:
			require.NoError(t, w.AddBytes(bi, []byte(it.content)))
		}
	}
	require.NoError(t, w.Close(bundle.Meta{Complete: true, Started: bundleStarted}))
	b, err := bundleread.Open(context.Background(), out, bundleread.Limits{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// bundleStarted is when the test bundles were made: what has not ended
// has run since then.
var bundleStarted = time.Date(2026, 1, 3, 12, 0, 0, 0, time.UTC)

func list(items ...string) string {
	return `{"apiVersion":"v1","kind":"List","items":[` + "\n" + strings.Join(items, ",\n") + "\n]}\n"
}

// failuresBundle plants one failure of each kind.
var failuresBundle = []item{
	{path: "backups/b-failed/backup.json", content: `{"metadata":{"name":"b-failed","namespace":"velero"},"status":{"phase":"Failed","failureReason":"rpc error: code = Unknown desc = AccessDenied: Access Denied status code: 403","startTimestamp":"2026-01-03T10:00:00Z"}}`},
	{path: "backups/b-failed/results.json", skip: "the backup failed: Velero wrote no results for it"},
	{path: "backups/b-failed/describe.txt", content: "Name: b-failed\n"},
	{path: "backups/b-partial/backup.json", content: `{"metadata":{"name":"b-partial","namespace":"velero"},"status":{"phase":"PartiallyFailed","startTimestamp":"2026-01-02T10:00:00Z","errors":2,"warnings":1}}`},
	{path: "backups/b-partial/results.json", content: `{"errors":{"velero":["pod volume backup failed: data path backup failed"],"namespaces":{"shop":["error executing hook: command terminated with exit code 1"]}},"warnings":{"cluster":["CRD snapshots not found"]}}`},
	{path: "backups/b-partial/describe.txt", content: "Name: b-partial\n"},
	{path: "backups/b-partial/log.txt", content: "log of b-partial\n"},
	{path: "backups/b-ok/backup.json", content: `{"metadata":{"name":"b-ok","namespace":"velero"},"status":{"phase":"Completed"}}`},
	{path: "restores/r-invalid/restore.json", content: `{"metadata":{"name":"r-invalid","namespace":"velero"},"status":{"phase":"FailedValidation","validationErrors":["backup b-gone not found"],"startTimestamp":"2026-01-01T10:00:00Z"}}`},
	{path: "resources/velero/velero.io_v1/podvolumebackups.json", content: list(
		`{"metadata":{"name":"b-partial-x7k2p","namespace":"velero","labels":{"velero.io/backup-name":"b-partial"}},"spec":{"node":"node-1"},"status":{"phase":"Failed","message":"data path backup failed: Failed to run kopia backup: unable to get local block device entry"}}`,
		`{"metadata":{"name":"b-partial-ok","namespace":"velero","labels":{"velero.io/backup-name":"b-partial"}},"spec":{"node":"node-1"},"status":{"phase":"Completed"}}`,
		`{"metadata":{"name":"other-failed","namespace":"velero","labels":{"velero.io/backup-name":"not-in-detail"}},"spec":{"node":"node-2"},"status":{"phase":"Failed"}}`,
	)},
	{path: "resources/velero/velero.io_v2alpha1/datauploads.json", content: list(
		`{"metadata":{"name":"b-partial-du","namespace":"velero","labels":{"velero.io/backup-name":"b-partial"}},"spec":{"sourceNamespace":"shop","csiSnapshot":{"volumeSnapshot":"velero-data-shop-0-abcde"}},"status":{"phase":"Failed","node":"node-2","message":"error to expose snapshot: context deadline exceeded"}}`,
		`{"metadata":{"name":"b-waiting-du","namespace":"velero","labels":{"velero.io/backup-name":"b-waiting"}},"spec":{"sourceNamespace":"shop"},"status":{"phase":"Accepted","acceptedByNode":"node-1"}}`,
		`{"metadata":{"name":"b-waiting-done","namespace":"velero","labels":{"velero.io/backup-name":"b-waiting"}},"spec":{},"status":{"phase":"Completed","node":"node-1"}}`,
	)},
	// The server's lines of a detail, from its previous log and its
	// current one.
	{path: "backups/b-partial/server-log.txt", content: strings.Join([]string{
		"==> logs/velero/velero-7d9c/velero.previous.log <==",
		`time="2026-01-02T10:00:00Z" level=info msg="Setting up backup log" backup=velero/b-partial`,
		"==> logs/velero/velero-7d9c/velero.log <==",
		`time="2026-01-02T10:05:00Z" level=error msg="Error backing up item" backup=velero/b-partial error="pod volume backup failed"`,
	}, "\n") + "\n"},
	// A backup that waits for its plugin operations past their timeout,
	// with a DataUpload its node-agent cannot prepare.
	{path: "backups/b-waiting/backup.json", content: `{"metadata":{"name":"b-waiting","namespace":"velero","creationTimestamp":"2026-01-03T05:59:00Z"},"spec":{"itemOperationTimeout":"4h0m0s"},"status":{"phase":"WaitingForPluginOperations","startTimestamp":"2026-01-03T06:00:00Z"}}`},
	{path: "backups/b-waiting/log.txt", content: "log of b-waiting\n"},
	{path: "backups/b-waiting/server-log.txt", content: "==> logs/velero/velero-7d9c/velero.log <==\n" +
		`time="2026-01-03T06:10:00Z" level=info msg="Backup is waiting for async plugin operations" backup=velero/b-waiting` + "\n"},
	{path: "backups/b-waiting/node-agent-log.txt", content: strings.Join([]string{
		"==> logs/velero/node-agent-abcde/node-agent.log <==",
		`time="2026-01-03T06:01:00Z" level=info msg="Data upload is accepted" controller=dataupload dataupload=velero/b-waiting-du`,
		`time="2026-01-03T06:31:00Z" level=warning msg="[Diagnose DU expose]begin diagnose CSI exposer" Dataupload=b-waiting-du`,
		`time="2026-01-03T06:31:00Z" level=warning msg="[Diagnose DU expose]Pod velero/b-waiting-du, phase Pending, node name " Dataupload=b-waiting-du`,
		`time="2026-01-03T06:31:00Z" level=warning msg="[Diagnose DU expose]Pod condition PodScheduled, status False, reason Unschedulable, message 0/2 nodes are available" Dataupload=b-waiting-du`,
		`time="2026-01-03T06:31:00Z" level=warning msg="[Diagnose DU expose]end diagnose CSI exposer" Dataupload=b-waiting-du`,
		`time="2026-01-03T06:31:01Z" level=error msg="Timeout to prepare data upload" dataupload=velero/b-waiting-du`,
	}, "\n") + "\n"},
	// Backups that had not ended, in the list: one far too long, one
	// queued for long, one young.
	{path: "resources/velero/velero.io_v1/backups.json", content: list(
		`{"metadata":{"name":"b-stuck","namespace":"velero","creationTimestamp":"2026-01-03T06:59:00Z"},"status":{"phase":"InProgress","startTimestamp":"2026-01-03T07:00:00Z"}}`,
		`{"metadata":{"name":"b-queued","namespace":"velero","creationTimestamp":"2026-01-03T10:00:00Z"},"status":{"phase":"Queued","queuePosition":3}}`,
		`{"metadata":{"name":"b-young","namespace":"velero","creationTimestamp":"2026-01-03T11:30:00Z"},"status":{"phase":"InProgress","startTimestamp":"2026-01-03T11:30:00Z"}}`,
		`{"metadata":{"name":"b-waiting","namespace":"velero","creationTimestamp":"2026-01-03T05:59:00Z"},"status":{"phase":"InProgress","startTimestamp":"2026-01-03T06:00:00Z"}}`,
		`{"metadata":{"name":"b-ok","namespace":"velero"},"status":{"phase":"Completed"}}`,
	)},
	{path: "resources/_all/snapshot.storage.k8s.io_v1/volumesnapshots.json", content: list(
		`{"metadata":{"name":"velero-data-shop-0-abcde","namespace":"shop","labels":{"velero.io/backup-name":"b-partial"}},"status":{"readyToUse":false,"error":{"message":"Failed to check and update snapshot content: rpc error: code = ResourceExhausted desc = snapshot quota exceeded"}}}`,
	)},
	{path: "resources/velero/core_v1/pods.json", content: list(
		`{"metadata":{"name":"node-agent-abcde","namespace":"velero","labels":{"name":"node-agent"}},"spec":{"nodeName":"node-1"}}`,
		`{"metadata":{"name":"b-waiting-du","namespace":"velero","labels":{"velero.io/data-upload":"b-waiting-du","velero.io/exposer-pod-group":"snapshot-exposer"}},"spec":{},`+
			`"status":{"phase":"Pending","conditions":[{"type":"PodScheduled","status":"False","reason":"Unschedulable","message":"0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector."}]}}`,
		`{"metadata":{"name":"velero-7d9c","namespace":"velero","labels":{"deploy":"velero"}},"spec":{"nodeName":"node-1"},`+
			`"status":{"containerStatuses":[{"name":"velero","restartCount":4,"lastState":{"terminated":{"reason":"OOMKilled","exitCode":137,"finishedAt":"2026-01-03T10:00:30Z"}}}]}}`,
	)},
	{path: "logs/velero/node-agent-abcde/node-agent.log", content: strings.Join([]string{
		`time="2026-01-02T10:00:01Z" level=info msg="PodVolumeBackup starting" podvolumebackup=velero/b-partial-x7k2p`,
		`time="2026-01-02T10:00:02Z" level=info msg="unrelated"`,
		`time="2026-01-02T10:00:03Z" level=error msg="Failed to run kopia backup" error="unable to get local block device entry" podvolumebackup=velero/b-partial-x7k2p`,
	}, "\n") + "\n"},
	{path: "velero/version.json", content: `{"client":{"name":"velero-debug"},"server":{"version":"v1.17.0"},"plugins":[{"name":"velero.io/aws","kind":"ObjectStore"},{"name":"velero.io/aws","kind":"VolumeSnapshotter"}],` +
		`"images":[{"workload":"deployment/velero","container":"velero","image":"velero/velero:v1.18.3"}],"notes":["deployment/velero container velero runs image velero/velero:v1.18.3, but the server reports v1.17.0"]}`},
	{path: "cluster/nodes.json", content: list(`{"metadata":{"name":"node-1"}}`, `{"metadata":{"name":"node-2"}}`)},
	{path: "resources/velero/velero.io_v1/backupstoragelocations.json", content: list(
		`{"metadata":{"name":"default"},"spec":{"provider":"aws","default":true},"status":{"phase":"Unavailable","lastValidationTime":"2026-01-03T09:59:00Z","message":"BackupStorageLocation \"default\" is unavailable: rpc error: NoSuchBucket | bucket gone"}}`)},
	{path: "resources/velero/velero.io_v1/backuprepositories.json", content: list(
		`{"metadata":{"name":"shop-default-kopia-x"},"spec":{"volumeNamespace":"shop","repositoryType":"kopia"},"status":{"phase":"Ready","lastMaintenanceTime":"2026-01-03T08:00:00Z",` +
			`"recentMaintenance":[{"result":"Succeeded","startTimestamp":"2026-01-02T08:00:00Z","completeTimestamp":"2026-01-02T08:01:00Z"},{"result":"Failed","startTimestamp":"2026-01-03T08:00:00Z","completeTimestamp":"2026-01-03T08:00:30Z","message":"error to connect to repo: OOMKilled"}]}}`)},
	{path: "resources/velero/apps_v1/daemonsets.json", content: list(`{"metadata":{"name":"node-agent"},"spec":{"template":{"spec":{"containers":[{"name":"node-agent","args":["node-agent","server","--node-agent-configmap=node-agent-config"]}]}}},"status":{"desiredNumberScheduled":2,"numberReady":1}}`)},
	{path: "resources/velero/apps_v1/deployments.json", content: list(`{"metadata":{"name":"velero"},"spec":{"template":{"spec":{"containers":[{"name":"velero","image":"velero/velero:v1.18.3","args":["server","--repo-maintenance-job-configmap","repo-maintenance","--backup-repository-configmap=repo-config"]}]}}}}`)},
	{path: "resources/velero/core_v1/configmaps.json", content: list(
		`{"metadata":{"name":"node-agent-config"},"data":{"config.json":"{\"loadAffinity\":[{\"nodeSelector\":{\"matchLabels\":{\"pool\":\"backup\"}}}],\"cachePVC\":{\"storageClass\":\"fast\"},\"loadConcurency\":{}}"}}`,
		`{"metadata":{"name":"repo-config"},"data":{"kopia":"{\"cacheLimitMB\":2048}"}}`)},
	{path: "cluster/storageclasses.json", content: list(`{"metadata":{"name":"standard"}}`)},
	{path: "resources/velero/core_v1/events.json", content: list(
		`{"type":"Warning","reason":"BackOff","message":"Back-off restarting failed container","count":3,"lastTimestamp":"2026-01-03T10:01:00Z","involvedObject":{"kind":"Pod","name":"velero-7d9c"}}`,
		`{"type":"Warning","reason":"BackOff","message":"Back-off restarting failed container velero","count":2,"lastTimestamp":"2026-01-03T10:02:00Z","involvedObject":{"kind":"Pod","name":"velero-7d9c"}}`,
		`{"type":"Normal","reason":"Pulled","message":"pulled","count":1,"involvedObject":{"kind":"Pod","name":"velero-7d9c"}}`,
		`{"type":"Warning","reason":"FailedScheduling","message":"0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector.","count":12,"lastTimestamp":"2026-01-03T06:30:00Z","involvedObject":{"kind":"Pod","name":"b-waiting-du"}}`)},
	{path: "logs/velero/velero-7d9c/velero.previous.log", content: "the log before the OOM kill\n"},
	{path: "velero/volume-failures.md", fail: "the summary could not be written"},
}

func TestAnalyzeGolden(t *testing.T) {
	t.Parallel()
	r, err := Analyze(context.Background(), writeBundle(t, failuresBundle))
	require.NoError(t, err)
	var md bytes.Buffer
	require.NoError(t, Render(&md, r))
	golden := filepath.Join("testdata", "failures.md")
	if *update {
		require.NoError(t, os.WriteFile(golden, md.Bytes(), 0o600))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	require.Equal(t, string(want), md.String(), "run go test ./internal/analysis -update if the change is right")

	var names []string
	for _, f := range r.Failures {
		names = append(names, f.Name+" "+f.Running)
	}
	require.Equal(t, []string{"b-failed ", "b-partial ", "r-invalid ", "b-waiting 6h", "b-stuck 5h", "b-queued 2h"}, names,
		"those that ended, newest first, then those that had not ended, oldest first; b-young not yet, b-ok ended well")
	partial := r.Failures[1]
	require.Equal(t, "b-partial", partial.Name)
	require.Len(t, partial.Volumes, 2)
	require.Equal(t, []int{1, 3}, []int{partial.Volumes[0].Lines[0].Line, partial.Volumes[0].Lines[1].Line})
	require.Empty(t, partial.Volumes[1].NodeAgentPod, "no node-agent pod on node-2")
	require.Equal(t, "snapshot quota exceeded", partial.Volumes[1].DataPath.Snapshot.Error[len(partial.Volumes[1].DataPath.Snapshot.Error)-23:])
	require.Equal(t, "logs/velero/velero-7d9c/velero.log", partial.ServerLines[0].From)
	waiting := r.Failures[3]
	require.Len(t, waiting.Volumes, 1, "its DataUpload that had not ended, not the one that completed")
	du := waiting.Volumes[0]
	require.Len(t, du.Diagnose, 4, "the diagnosis whole, apart from the other lines")
	require.Len(t, du.Lines, 2)
	require.Equal(t, "backups/b-waiting/node-agent-log.txt", du.Lines[0].File)
	require.Equal(t, "Pending", du.DataPath.Pod.Phase)
	require.Equal(t, "FailedScheduling", du.DataPath.Events[0].Reason)
	require.Equal(t, int64(3), r.Failures[5].QueuePosition)
	require.Equal(t, 1, r.NotCollected)
	g := r.Glance
	require.Equal(t, "v1.17.0", g.Server)
	require.Equal(t, []string{"velero.io/aws"}, g.Plugins)
	require.Equal(t, &NodeAgents{Desired: 2, Ready: 1, Pods: 1, Without: []string{"node-2"}}, g.NodeAgents)
	require.Equal(t, []Restart{{Pod: "velero-7d9c", Container: "velero", Restarts: 4, Reason: "OOMKilled", ExitCode: 137,
		FinishedAt: "2026-01-03T10:00:30Z", PreviousLog: "logs/velero/velero-7d9c/velero.previous.log"}}, g.Restarts)
	require.Equal(t, Event{Type: "Warning", Reason: "BackOff", Object: "Pod/velero-7d9c", Count: 5, Last: "2026-01-03T10:02:00Z", Message: "Back-off restarting failed container velero"}, g.Warnings[1],
		"grouped by reason and object, the most frequent first")
	require.Len(t, g.Repositories[0].Maintenance, 2)
	data, err := json.Marshal(r)
	require.NoError(t, err)
	require.Contains(t, string(data), `"firstErrors":["velero: pod volume backup failed: data path backup failed","namespace shop: error executing hook: command terminated with exit code 1"]`)
}

// TestAnalyzeGoldenKinds: a small bundle for each kind of trouble, each
// with its golden report: what the analysis says of it alone.
func TestAnalyzeGoldenKinds(t *testing.T) {
	t.Parallel()
	under := func(prefixes ...string) func(string) bool {
		return func(p string) bool {
			return slices.ContainsFunc(prefixes, func(prefix string) bool { return strings.HasPrefix(p, prefix) })
		}
	}
	const (
		pods, events = "resources/velero/core_v1/pods.json", "resources/velero/core_v1/events.json"
		dataUploads  = "resources/velero/velero.io_v2alpha1/datauploads.json"
	)
	for name, keep := range map[string]func(string) bool{
		"failed-backup":            under("backups/b-failed/"),
		"failed-validation":        under("restores/r-invalid/"),
		"partially-failed-volumes": under("backups/b-partial/", "resources/velero/velero.io_v1/podvolumebackups.json", dataUploads, pods, "logs/velero/node-agent-abcde/", "resources/_all/"),
		"not-ended":                under("backups/b-waiting/", "resources/velero/velero.io_v1/backups.json", dataUploads, pods, events),
		"glance":                   under("velero/version.json", "cluster/nodes.json", "resources/velero/velero.io_v1/backupstoragelocations.json", "resources/velero/velero.io_v1/backuprepositories.json", pods, events, "logs/velero/velero-7d9c/"),
		"configuration":            under("resources/velero/apps_v1/", "resources/velero/core_v1/configmaps.json", "cluster/"),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var items []item
			for _, it := range failuresBundle {
				if keep(it.path) {
					items = append(items, it)
				}
			}
			r, err := Analyze(context.Background(), writeBundle(t, items))
			require.NoError(t, err)
			var md bytes.Buffer
			require.NoError(t, Render(&md, r))
			golden := filepath.Join("testdata", "kinds", name+".md")
			if *update {
				require.NoError(t, os.MkdirAll(filepath.Dir(golden), 0o700))
				require.NoError(t, os.WriteFile(golden, md.Bytes(), 0o600))
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err)
			require.Equal(t, string(want), md.String(), "run go test ./internal/analysis -update if the change is right")
		})
	}
}

func TestAnalyzeHealthy(t *testing.T) {
	t.Parallel()
	r, err := Analyze(context.Background(), writeBundle(t, []item{
		{path: "backups/b-ok/backup.json", content: `{"metadata":{"name":"b-ok","namespace":"velero"},"status":{"phase":"Completed"}}`},
	}))
	require.NoError(t, err)
	require.Empty(t, r.Failures)
	var md bytes.Buffer
	require.NoError(t, Render(&md, r))
	require.Contains(t, md.String(), "No backup or restore collected in detail failed, and none had run for long without an end.")
}

// Damaged items say nothing, and the rest is still read.
func TestAnalyzeDamagedItems(t *testing.T) {
	t.Parallel()
	r, err := Analyze(context.Background(), writeBundle(t, []item{
		{path: "backups/b1/backup.json", content: `{"metadata":`},
		{path: "backups/b2/backup.json", content: `{"metadata":{"name":"b2","namespace":"velero"},"status":{"phase":"Failed"}}`},
		{path: "backups/b2/results.json", content: `[1,2`},
		{path: "resources/velero/velero.io_v1/podvolumebackups.json", content: `{"items":[{"metadata":{"name":"p","labels":{"velero.io/backup-name":"b2"}},"status":{"phase":"Failed"}}, {"metadata":`},
		{path: "resources/velero/core_v1/pods.json", content: `not json`},
	}))
	require.NoError(t, err)
	require.Len(t, r.Failures, 1)
	require.Equal(t, "b2", r.Failures[0].Name)
	require.Len(t, r.Failures[0].Volumes, 1, "the objects before the damage are kept")
}

func TestKeepLine(t *testing.T) {
	t.Parallel()
	var lines []LogLine
	for n := 1; n <= 20; n++ {
		text := fmt.Sprintf("level=info msg=progress done=%d", n)
		if n == 15 || n == 18 {
			text = fmt.Sprintf("level=error msg=failed try=%d", n)
		}
		lines = keepLine(lines, LogLine{Line: n, Text: text})
	}
	var got []int
	for _, l := range lines {
		got = append(got, l.Line)
	}
	require.Equal(t, []int{1, 2, 3, 4, 5, 6, 15, 18}, got, "the errors replace the latest routine lines, in file order")

	// A line that says the same but for its time is counted on the first.
	lines = nil
	for n := 1; n <= 5; n++ {
		lines = keepLine(lines, LogLine{Line: n, Text: fmt.Sprintf(`time="2026-01-0%dT00:00:00Z" level=error msg=boom`, n)})
	}
	lines = keepLine(lines, LogLine{Line: 6, Text: `{"level":"error","msg":"json","time":"2026-01-01T00:00:00Z"}`})
	lines = keepLine(lines, LogLine{Line: 7, Text: `{"level":"error","msg":"json","time":"2026-01-02T00:00:00Z"}`})
	require.Equal(t, []LogLine{{Line: 1, Text: `time="2026-01-01T00:00:00Z" level=error msg=boom`, Repeats: 4},
		{Line: 6, Text: `{"level":"error","msg":"json","time":"2026-01-01T00:00:00Z"}`, Repeats: 1}}, lines)
}

func TestCode(t *testing.T) {
	t.Parallel()
	require.Equal(t, "`a b`", code("a\nb"))
	require.Equal(t, "`` `a ``", code("`a"))
	require.Equal(t, "``x`y``", code("x`y"))
}

// A namespace of many repositories keeps the troubled ones in the glance.
func TestGlanceKeepsTroubledRepositories(t *testing.T) {
	t.Parallel()
	var repos []string
	for i := range maxRepositories + 10 {
		repos = append(repos, `{"metadata":{"name":"ready-`+strings.Repeat("x", i%3)+string(rune('a'+i%26))+`"},"status":{"phase":"Ready"}}`)
	}
	repos = append(repos, `{"metadata":{"name":"not-ready"},"status":{"phase":"NotReady","message":"repo not initialized"}}`,
		`{"metadata":{"name":"failed-maintenance"},"status":{"phase":"Ready","recentMaintenance":[{"result":"Failed","message":"OOMKilled"}]}}`)
	r, err := Analyze(context.Background(), writeBundle(t, []item{
		{path: "resources/velero/velero.io_v1/backuprepositories.json", content: list(repos...)},
	}))
	require.NoError(t, err)
	g := r.Glance
	require.Len(t, g.Repositories, maxRepositories)
	require.Equal(t, 12, g.RepositoriesLeftOut)
	names := map[string]bool{}
	for _, rep := range g.Repositories {
		names[rep.Name] = true
	}
	require.True(t, names["not-ready"] && names["failed-maintenance"], "the troubled repositories are kept")
}

// TestEachLine: lines longer than the buffer are read whole, lines longer
// than the limit are counted, not read, and the numbering holds after them.
func TestEachLine(t *testing.T) {
	t.Parallel()
	mid := strings.Repeat("m", 100<<10)  // past the 64 KiB buffer, under the limit
	huge := strings.Repeat("h", 300<<10) // past the limit
	in := "one\r\n" + mid + "\n" + huge + "\nfour\n\nsix"
	var got []string
	require.NoError(t, eachLine(strings.NewReader(in), 200<<10, func(l []byte) {
		switch {
		case l == nil:
			got = append(got, "<too long>")
		case len(l) > 20:
			got = append(got, "<long>")
		default:
			got = append(got, string(l))
		}
	}))
	require.Equal(t, []string{"one", "<long>", "<too long>", "four", "", "six"}, got)
}
