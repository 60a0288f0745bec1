package collect

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1api "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	fakediscovery "k8s.io/client-go/discovery/fake"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	kubefake "k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/velero-debug/velero-debug/internal/bundle"
	"github.com/velero-debug/velero-debug/internal/plan"
)

// countingObserver checks that every item that started finished exactly
// once, and that nothing finished without having started.
type countingObserver struct {
	mu       sync.Mutex
	started  map[string]int
	finished map[string]int
	// early are the paths that finished more often than they started, at
	// the moment they finished.
	early []string
}

func newCountingObserver() *countingObserver {
	return &countingObserver{started: map[string]int{}, finished: map[string]int{}}
}

func (o *countingObserver) Started(path string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.started[path]++
}

func (o *countingObserver) Finished(path string, _ bundle.Status, _ int64, _ string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.finished[path]++
	if o.finished[path] > o.started[path] {
		o.early = append(o.early, path)
	}
}

// check fails t unless each Started got exactly one Finished.
func (o *countingObserver) check(t *testing.T) {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	require.Empty(t, o.early, "finished before (or without) starting")
	require.Equal(t, o.started, o.finished, "each Started gets exactly one Finished")
	require.NotEmpty(t, o.started)
}

// fakeCluster is a cluster of fakes: a Velero namespace with a server pod,
// a backup, and the API groups the steps discover.
type fakeCluster struct {
	clients Clients
	kube    *kubefake.Clientset
	dyn     *dynamicfake.FakeDynamicClient
}

func newFakeCluster() *fakeCluster {
	list := metav1.Verbs{"get", "list"}
	kube := kubefake.NewClientset(
		&corev1api.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "velero"}},
		&corev1api.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "other"}},
	)
	disc := kube.Discovery().(*fakediscovery.FakeDiscovery)
	disc.Resources = []*metav1.APIResourceList{
		{GroupVersion: "v1", APIResources: []metav1.APIResource{
			{Name: "pods", Kind: "Pod", Namespaced: true, Verbs: list},
			{Name: "pods/log", Kind: "Pod", Namespaced: true, Verbs: metav1.Verbs{"get"}},
			{Name: "nodes", Kind: "Node", Verbs: list},
			{Name: "secrets", Kind: "Secret", Namespaced: true, Verbs: list},
		}},
		{GroupVersion: "velero.io/v1", APIResources: []metav1.APIResource{
			{Name: "backups", Kind: "Backup", Namespaced: true, Verbs: list},
			{Name: "backupstoragelocations", Kind: "BackupStorageLocation", Namespaced: true, Verbs: list},
			{Name: "podvolumebackups", Kind: "PodVolumeBackup", Namespaced: true, Verbs: list},
			{Name: "podvolumerestores", Kind: "PodVolumeRestore", Namespaced: true, Verbs: list},
		}},
		{GroupVersion: "velero.io/v2alpha1", APIResources: []metav1.APIResource{
			{Name: "datauploads", Kind: "DataUpload", Namespaced: true, Verbs: list},
			{Name: "datadownloads", Kind: "DataDownload", Namespaced: true, Verbs: list},
		}},
	}
	listKinds := map[schema.GroupVersionResource]string{
		gvr("", "v1", "pods"):                            "PodList",
		gvr("", "v1", "nodes"):                           "NodeList",
		gvr("", "v1", "secrets"):                         "SecretList",
		gvr("apps", "v1", "deployments"):                 "DeploymentList",
		gvr("apps", "v1", "daemonsets"):                  "DaemonSetList",
		gvr(VeleroGroup, "v1", "backups"):                "BackupList",
		gvr(VeleroGroup, "v1", "restores"):               "RestoreList",
		gvr(VeleroGroup, "v1", "backupstoragelocations"): "BackupStorageLocationList",
		gvr(VeleroGroup, "v1", "podvolumebackups"):       "PodVolumeBackupList",
		gvr(VeleroGroup, "v1", "podvolumerestores"):      "PodVolumeRestoreList",
		gvr(VeleroGroup, "v2alpha1", "datauploads"):      "DataUploadList",
		gvr(VeleroGroup, "v2alpha1", "datadownloads"):    "DataDownloadList",
	}
	// Groups of their own, for api_group steps that each find theirs.
	for _, g := range exampleGroups {
		disc.Resources = append(disc.Resources, &metav1.APIResourceList{GroupVersion: g + "/v1", APIResources: []metav1.APIResource{
			{Name: "widgets", Kind: "Widget", Namespaced: true, Verbs: list},
		}})
		listKinds[gvr(g, "v1", "widgets")] = "WidgetList"
	}
	pod := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Pod",
		"metadata": map[string]any{"name": "velero-1", "namespace": "velero"},
		"spec":     map[string]any{"containers": []any{map[string]any{"name": "velero"}, map[string]any{"name": "sidecar"}}},
	}}
	node := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Node", "metadata": map[string]any{"name": "node-1"},
	}}
	backup := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "velero.io/v1", "kind": "Backup",
		"metadata": map[string]any{"name": "b1", "namespace": "velero"},
		"status":   map[string]any{"phase": "Failed"},
	}}
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), listKinds, pod, node, backup)
	return &fakeCluster{clients: Clients{Kube: kube, Dynamic: dyn, Discovery: disc}, kube: kube, dyn: dyn}
}

var exampleGroups = []string{"a.example.com", "b.example.com", "c.example.com", "d.example.com"}

// runPlan executes p against c into a new bundle, within a minute, and
// returns its manifest items by path.
func runPlan(t *testing.T, c *fakeCluster, cfg Config, p *plan.Plan, obs bundle.Observer) map[string]bundle.ManifestItem {
	t.Helper()
	return runPlanInto(t, filepath.Join(t.TempDir(), "b.tar.gz"), c, cfg, p, obs)
}

// runPlanInto is runPlan into the bundle at out.
func runPlanInto(t *testing.T, out string, c *fakeCluster, cfg Config, p *plan.Plan, obs bundle.Observer) map[string]bundle.ManifestItem {
	t.Helper()
	w, err := bundle.Create(out, bundle.Options{Observer: obs})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	done := make(chan error, 1)
	go func() { _, err := Run(ctx, cfg, p, c.clients, w); done <- err }()
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the run did not end: a bounded group waits on itself")
	}
	require.NoError(t, err)
	require.NoError(t, w.Close(bundle.Meta{}))
	items := map[string]bundle.ManifestItem{}
	for _, it := range w.Manifest().Items {
		items[it.Path] = it
	}
	return items
}

func testConfig() Config {
	return Config{RequestTimeout: 10 * time.Second, ObjectParallelism: 2, Logs: LogOptions{Tail: -1},
		Commands: CommandOptions{Timeout: 10 * time.Second},
		Now:      func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }}
}

// TestRunAccounting runs a plan with a step of every kind, most of them
// twice, and checks what the run collects and what the observer hears.
func TestRunAccounting(t *testing.T) {
	t.Parallel()
	c := newFakeCluster()
	var steps []plan.Step
	// More api_group steps than the objects group has room for: they must
	// not queue their lists into it (they would wait on themselves).
	for range 5 {
		steps = append(steps, plan.Step{APIGroup: &plan.APIGroup{Group: VeleroGroup, Namespace: "velero"}})
	}
	steps = append(steps,
		// The same group in another namespace: its discovery item is left
		// out, its lists are not.
		plan.Step{APIGroup: &plan.APIGroup{Group: VeleroGroup, Namespace: "other"}},
		// Two Logs steps for one namespace: one of them loses pods.json,
		// not its logs.
		plan.Step{Logs: &plan.Logs{Namespace: "velero", Containers: []string{"velero"}}},
		plan.Step{Logs: &plan.Logs{Namespace: "velero", Containers: []string{"sidecar"}}},
		plan.Step{ClusterVersion: &plan.ClusterVersion{}},
		plan.Step{ClusterVersion: &plan.ClusterVersion{}},
		// Two server_version steps: the second version.json is left out,
		// the details are still collected.
		plan.Step{ServerVersion: &plan.ServerVersion{Namespace: "velero"}},
		plan.Step{ServerVersion: &plan.ServerVersion{Namespace: "velero"}},
		plan.Step{Detail: &plan.Detail{Kind: plan.Backup, Namespace: "velero", Name: "b1"}},
		plan.Step{Detail: &plan.Detail{Kind: plan.Backup, Namespace: "velero", Name: "missing"}},
		plan.Step{VolumeFailures: &plan.VolumeFailures{Namespace: "velero"}},
		plan.Step{File: &plan.File{Path: "notes.txt", Content: "one"}},
		plan.Step{File: &plan.File{Path: "notes.txt", Content: "two"}},
		plan.Step{Objects: &plan.Objects{Version: "v1", Resource: "nodes"}},
		plan.Step{Objects: &plan.Objects{Version: "v1", Resource: "nodes"}},
		plan.Step{Objects: &plan.Objects{Resource: "NoSuchKind"}},
		plan.Step{Search: &plan.Search{Kinds: []string{"pods", "nodes", "secrets"}, Logs: true, Dir: "crashd/kubecapture"}},
		plan.Step{Search: &plan.Search{Kinds: []string{"secrets"}, Dir: "crashd/kubecapture"}},
		commandStep("crashd/out.txt", []string{"echo", "hello"}),
	)
	p := &plan.Plan{Steps: steps, Failures: []plan.Failure{
		{Path: "resources/refused.json", Source: "list refused", Error: "refused by the plan"},
		{Path: "resources/refused.json", Source: "list refused", Error: "refused by the plan"},
	}}
	obs := newCountingObserver()
	items := runPlan(t, c, testConfig(), p, obs)
	obs.check(t)

	ok := func(p string) {
		t.Helper()
		it, found := items[p]
		require.True(t, found, "%s is in the bundle", p)
		require.Equal(t, bundle.StatusOK, it.Status, "%s: %s", p, it.Error)
	}
	// 3: no deadlock, and the lists of the group are there.
	ok("resources/velero.io-discovery.json")
	ok("resources/velero/velero.io_v1/backups.json")
	ok("resources/velero/velero.io_v2alpha1/datauploads.json")
	// 4: the second namespace's lists despite the discovery item taken.
	ok("resources/other/velero.io_v1/backups.json")
	ok("resources/other/velero.io_v2alpha1/datadownloads.json")
	// 5: the details despite a second version.json.
	ok("velero/version.json")
	ok("backups/b1/backup.json")
	ok("backups/b1/describe.txt")
	require.Equal(t, bundle.StatusSkipped, items["backups/b1/log.txt"].Status, "not downloaded: the server was not asked")
	require.Equal(t, bundle.StatusError, items["backups/missing/backup.json"].Status)
	// 6: both steps' logs, whichever lost pods.json.
	ok("resources/velero/core_v1/pods.json")
	ok("logs/velero/velero-1/velero.log")
	ok("logs/velero/velero-1/sidecar.log")
	// The rest of the kinds.
	ok("cluster/version.json")
	ok("velero/volume-failures.md")
	ok("notes.txt")
	ok("resources/_cluster/core_v1/nodes.json")
	ok("crashd/out.txt")
	ok("crashd/kubecapture/core_v1/velero/pods-2026-01-02T03-04-05Z.0000.json")
	ok("crashd/kubecapture/core_v1/nodes-2026-01-02T03-04-05Z.0000.json")
	ok("crashd/kubecapture/core_v1/velero/velero-1/sidecar/sidecar.log")
	require.Equal(t, bundle.StatusError, items["crashd/kubecapture/core_v1/secrets.refused"].Status)
	require.Equal(t, bundle.StatusError, items["resources/refused.json"].Status)
	require.Equal(t, bundle.StatusError, items["resources/_cluster/core_unresolved/nosuchkind.json"].Status)
}

// TestSearchNamespacesFail: when the namespaces cannot be listed, the
// failure is recorded and the cluster-scoped resources still listed.
func TestSearchNamespacesFail(t *testing.T) {
	t.Parallel()
	c := newFakeCluster()
	c.kube.PrependReactor("list", "namespaces", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, errors.New("namespaces are forbidden")
	})
	p := &plan.Plan{Steps: []plan.Step{
		{Search: &plan.Search{Kinds: []string{"pods", "nodes"}, Dir: "crashd/kubecapture"}},
		{Search: &plan.Search{Kinds: []string{"pods", "nodes"}, Namespaces: []string{"velero"}, Dir: "crashd/named"}},
	}}
	obs := newCountingObserver()
	items := runPlan(t, c, testConfig(), p, obs)
	obs.check(t)
	ns := items["crashd/kubecapture/namespaces.json"]
	require.Equal(t, bundle.StatusError, ns.Status)
	require.Contains(t, ns.Error, "namespaces are forbidden")
	require.Equal(t, bundle.StatusOK, items["crashd/kubecapture/core_v1/nodes-2026-01-02T03-04-05Z.0000.json"].Status,
		"cluster-scoped resources are listed without the namespaces")
	require.Equal(t, bundle.StatusOK, items["crashd/named/core_v1/velero/pods-2026-01-02T03-04-05Z.0000.json"].Status,
		"a search that names its namespaces needs no list of them")
}

// TestCommandDescFails: a command item whose desc cannot be written
// finishes once, failed.
func TestCommandDescFails(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	obs := newCountingObserver()
	w, err := bundle.Create(filepath.Join(tmp, "b.tar.gz"), bundle.Options{TempDir: tmp, Observer: obs})
	require.NoError(t, err)
	// Without its spool folder, no item can be streamed: the desc is the
	// first write.
	spools, err := filepath.Glob(filepath.Join(tmp, ".velero-debug-spool-*"))
	require.NoError(t, err)
	require.Len(t, spools, 1)
	require.NoError(t, os.RemoveAll(spools[0]))
	_, err = Run(context.Background(), testConfig(), &plan.Plan{Steps: []plan.Step{commandStep("out.txt", []string{"echo", "x"})}}, Clients{}, w)
	require.NoError(t, err)
	obs.check(t)
	require.NoError(t, w.Close(bundle.Meta{}))
	require.Equal(t, bundle.StatusError, w.Manifest().Items[0].Status)
}

// TestAPIGroupsDoNotWaitOnThemselves: more api_group steps than the objects
// group has room for end (each queues its lists into another group).
func TestAPIGroupsDoNotWaitOnThemselves(t *testing.T) {
	t.Parallel()
	c := newFakeCluster()
	var steps []plan.Step
	for _, g := range append([]string{VeleroGroup}, exampleGroups...) {
		steps = append(steps, plan.Step{APIGroup: &plan.APIGroup{Group: g, Namespace: "velero"}})
	}
	cfg := testConfig()
	cfg.ObjectParallelism = 4
	items := runPlan(t, c, cfg, &plan.Plan{Steps: steps}, nopObserver{})
	require.Equal(t, bundle.StatusOK, items["resources/velero/velero.io_v1/backups.json"].Status)
	for _, g := range exampleGroups {
		require.Equal(t, bundle.StatusOK, items["resources/"+g+"-discovery.json"].Status, g)
		require.Equal(t, bundle.StatusOK, items["resources/velero/"+g+"_v1/widgets.json"].Status, g)
	}
}

// TestAPIGroupSecondNamespace: a second api_group step of the same group
// lists its resources although the discovery item is taken.
func TestAPIGroupSecondNamespace(t *testing.T) {
	t.Parallel()
	c := newFakeCluster()
	items := runPlan(t, c, testConfig(), &plan.Plan{Steps: []plan.Step{
		{APIGroup: &plan.APIGroup{Group: VeleroGroup, Namespace: "velero"}},
		{APIGroup: &plan.APIGroup{Group: VeleroGroup, Namespace: "other"}},
	}}, nopObserver{})
	require.Equal(t, bundle.StatusOK, items["resources/velero.io-discovery.json"].Status)
	for _, ns := range []string{"velero", "other"} {
		require.Equal(t, bundle.StatusOK, items["resources/"+ns+"/velero.io_v1/backups.json"].Status, ns)
		require.Equal(t, bundle.StatusOK, items["resources/"+ns+"/velero.io_v2alpha1/datauploads.json"].Status, ns)
	}
}

// TestServerVersionTwice: a second server_version step does not cost the
// details.
func TestServerVersionTwice(t *testing.T) {
	t.Parallel()
	c := newFakeCluster()
	items := runPlan(t, c, testConfig(), &plan.Plan{Steps: []plan.Step{
		{ServerVersion: &plan.ServerVersion{Namespace: "velero"}},
		{ServerVersion: &plan.ServerVersion{Namespace: "velero"}},
		{Detail: &plan.Detail{Kind: plan.Backup, Namespace: "velero", Name: "b1"}},
	}}, nopObserver{})
	require.Equal(t, bundle.StatusOK, items["velero/version.json"].Status)
	require.Equal(t, bundle.StatusOK, items["backups/b1/backup.json"].Status)
	require.Equal(t, bundle.StatusOK, items["backups/b1/describe.txt"].Status)
	require.Equal(t, bundle.StatusSkipped, items["backups/b1/log.txt"].Status)
	require.Contains(t, items["backups/b1/log.txt"].Error, errNotAsked.Error())
}

// TestLogsTwice: two Logs steps for one namespace each get their logs,
// whichever of them lost pods.json.
func TestLogsTwice(t *testing.T) {
	t.Parallel()
	c := newFakeCluster()
	items := runPlan(t, c, testConfig(), &plan.Plan{Steps: []plan.Step{
		{Logs: &plan.Logs{Namespace: "velero", Containers: []string{"velero"}}},
		{Logs: &plan.Logs{Namespace: "velero", Containers: []string{"sidecar"}}},
		{Logs: &plan.Logs{Namespace: "velero"}},
	}}, nopObserver{})
	require.Equal(t, bundle.StatusOK, items["resources/velero/core_v1/pods.json"].Status)
	require.Equal(t, bundle.StatusOK, items["logs/velero/velero-1/velero.log"].Status)
	require.Equal(t, bundle.StatusOK, items["logs/velero/velero-1/sidecar.log"].Status)
}

// addRestore adds a failed restore of backup to c, the storage location
// the backup names, and a backup in progress named running.
func (c *fakeCluster) addRestore(t *testing.T, name, backup string) {
	t.Helper()
	restore := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "velero.io/v1", "kind": "Restore",
		"metadata": map[string]any{"name": name, "namespace": "velero"},
		"spec":     map[string]any{"backupName": backup},
		"status":   map[string]any{"phase": "Failed"},
	}}
	_, err := c.dyn.Resource(gvr(VeleroGroup, "v1", "restores")).Namespace("velero").Create(t.Context(), restore, metav1.CreateOptions{})
	require.NoError(t, err)
	running := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "velero.io/v1", "kind": "Backup",
		"metadata": map[string]any{"name": "running", "namespace": "velero"},
		"status":   map[string]any{"phase": "InProgress"},
	}}
	_, err = c.dyn.Resource(gvr(VeleroGroup, "v1", "backups")).Namespace("velero").Create(t.Context(), running, metav1.CreateOptions{})
	require.NoError(t, err)
	b, err := c.dyn.Resource(gvr(VeleroGroup, "v1", "backups")).Namespace("velero").Get(t.Context(), backup, metav1.GetOptions{})
	require.NoError(t, err)
	require.NoError(t, unstructured.SetNestedField(b.Object, "default", "spec", "storageLocation"))
	_, err = c.dyn.Resource(gvr(VeleroGroup, "v1", "backups")).Namespace("velero").Update(t.Context(), b, metav1.UpdateOptions{})
	require.NoError(t, err)
	c.dyn.ClearActions()
}

// addServerPods adds the Velero server's pod and a node-agent's to the
// typed client of c, through which the engine finds them.
func (c *fakeCluster) addServerPods(t *testing.T) {
	t.Helper()
	for _, p := range []*corev1api.Pod{
		{ObjectMeta: metav1.ObjectMeta{Name: "velero-1", Namespace: "velero", Labels: map[string]string{"deploy": "velero"}},
			Spec: corev1api.PodSpec{Containers: []corev1api.Container{{Name: "velero"}}}},
		{ObjectMeta: metav1.ObjectMeta{Name: "node-agent-1", Namespace: "velero", Labels: map[string]string{"name": "node-agent"}},
			Spec: corev1api.PodSpec{NodeName: "node-1", Containers: []corev1api.Container{{Name: "node-agent"}}}},
	} {
		_, err := c.kube.CoreV1().Pods("velero").Create(t.Context(), p, metav1.CreateOptions{})
		require.NoError(t, err)
	}
	c.kube.ClearActions()
}

// TestSearchLogsAfterObjects: crashd's kube_capture of the pods' objects,
// then of their logs, in the same second (one stamp, one path for their
// pods list): the logs are still fetched (TestCrashdExample failed so in
// CI when the two captures fell in one second).
func TestSearchLogsAfterObjects(t *testing.T) {
	t.Parallel()
	dir := "crashd/kubecapture"
	p := &plan.Plan{Steps: []plan.Step{
		{Search: &plan.Search{Kinds: []string{"pods"}, Namespaces: []string{"velero"}, Dir: dir}},
		{Search: &plan.Search{Groups: []string{"core"}, Kinds: []string{"pods"}, Versions: []string{"v1"}, Namespaces: []string{"velero"}, Dir: dir, Logs: true}},
	}}
	// Which search takes the list's path first varies from run to run
	// (before the fix, about one run in ten lost the logs).
	for range 40 {
		items := runPlan(t, newFakeCluster(), testConfig(), p, nil)
		require.Equal(t, bundle.StatusOK, items[dir+"/core_v1/velero/pods-2026-01-02T03-04-05Z.0000.json"].Status)
		require.Equal(t, bundle.StatusOK, items[dir+"/core_v1/velero/velero-1/velero/velero.log"].Status)
		require.Equal(t, bundle.StatusOK, items[dir+"/core_v1/velero/velero-1/sidecar/sidecar.log"].Status)
	}
}
