package e2e

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/velero-debug/velero-debug/internal/bundle"
	"github.com/velero-debug/velero-debug/test/cluster"
	"github.com/velero-debug/velero-debug/test/fixture"
)

// writeScript writes a Starlark script into a temporary folder.
func writeScript(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "script.star")
	require.NoError(t, os.WriteFile(p, []byte(text), 0o600))
	return p
}

// listNames are the names (namespace/name for namespaced objects) of a
// bundle's JSON List.
func listNames(t *testing.T, a archive, path string) []string {
	t.Helper()
	data, ok := a.files[path]
	require.True(t, ok, "%s is in the bundle", path)
	var l struct{ Items []unstructured.Unstructured }
	require.NoError(t, json.Unmarshal(data, &l), path)
	var out []string
	for _, o := range l.Items {
		out = append(out, strings.TrimPrefix(o.GetNamespace()+"/"+o.GetName(), "/"))
	}
	slices.Sort(out)
	return out
}

// TestUserScriptAddsToTheDefaultPlan runs a user's script, with --args,
// beside the default plan: its objects and file are added, the rest of the
// bundle is still there.
func TestUserScriptAddsToTheDefaultPlan(t *testing.T) {
	t.Parallel()
	script := writeScript(t, `
node = args.node
velero.objects("nodes", version = "v1", names = [node], path = "extra/node.json", drop = ["status"])
velero.objects("Deployment", group = "apps", namespace = velero.namespace, labels = "component=velero", path = "extra/deployments.json")
velero.file("extra/ticket.txt", "ticket %s, node %s\n" % (args.ticket, node))
`)
	r := runTool(t, nil, "--script", script, "--args", "node="+velero.Nodes[1]+",ticket=4242")
	require.Equal(t, 0, r.code, r.stderr)
	a := readBundle(t, r.output)
	require.Equal(t, []string{velero.Nodes[1]}, listNames(t, a, "extra/node.json"))
	require.NotContains(t, string(a.files["extra/node.json"]), `"status"`)
	require.Equal(t, []string{"velero/velero"}, listNames(t, a, "extra/deployments.json"), "a kind, resolved by discovery")
	require.Equal(t, "ticket 4242, node "+velero.Nodes[1]+"\n", string(a.files["extra/ticket.txt"]))
	require.Equal(t, "file", a.item(t, "extra/ticket.txt").Type)
	require.Contains(t, a.files, "logs/velero/"+velero.ServerPod+"/velero.log", "the default plan ran too")
	require.ElementsMatch(t, []any{"node", "ticket"}, a.manifest.Options["args"], "the manifest names the args, not their values")

	// Alone, the script collects only what it says.
	r = runTool(t, nil, "--only-scripts", "--script", script, "--args", "node="+velero.Nodes[0]+",ticket=1")
	require.Equal(t, 0, r.code, r.stderr)
	a = readBundle(t, r.output)
	var paths []string
	for _, it := range a.manifest.Items {
		paths = append(paths, it.Path)
	}
	require.ElementsMatch(t, []string{"extra/node.json", "extra/deployments.json", "extra/ticket.txt", "summary.md"}, paths)
}

// TestScriptErrors: a script's error stops the run before anything is
// collected, with its Starlark backtrace, and exit status 1.
func TestScriptErrors(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct{ script, want string }{
		"missing arg":    {"velero.logs(args.app)\n", `script.star:1:`},
		"bad selector":   {"def f():\n    velero.logs(\"velero\", labels = \"a in (\")\nf()\n", `script.star:3:`},
		"endless":        {"while True:\n    pass\n", "too many steps"},
		"path traversal": {`velero.file("../../etc/x", "y")` + "\n", `"../../etc/x"`},
		"secrets":        {`velero.objects("Secret", all_namespaces = True)` + "\n", "velero-debug never reads Secrets"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := runTool(t, nil, "--script", writeScript(t, tc.script))
			require.Equal(t, 1, r.code, r.stderr)
			require.Contains(t, r.stderr, tc.want)
			requireNoOutput(t, r)
		})
	}
	r := runTool(t, nil, "--script", writeScript(t, "velero.logs(args.app)\n"))
	require.Contains(t, r.stderr, "Traceback")
}

// TestDryRun prints the plan and collects nothing: no bundle, no log read,
// no request made to the Velero server; a user who may not list ConfigMaps
// sees that in the report.
func TestDryRun(t *testing.T) {
	t.Parallel()
	kubeconfig, err := testCluster.UserKubeconfig("dry-run")
	require.NoError(t, err)
	grantAllBut(t, "dry-run", "configmaps")
	r := runTool(t, []string{"KUBECONFIG=" + kubeconfig}, "--dry-run", "--server-timeout", "15s", "--backup", velero.Backups["Completed"])
	require.Equal(t, 0, r.code, r.stderr)
	requireNoOutput(t, r)
	for _, want := range []string{
		"Kubernetes version → cluster/version.json",
		"list nodes/v1 → cluster/nodes.json",
		"list configmaps/v1 in namespace velero → resources/velero/core_v1/configmaps.json",
		"forbidden: you may not list configmaps in namespace velero",
		"backup velero/" + velero.Backups["Completed"] + ", its files in object storage and a description → backups/" + velero.Backups["Completed"] + "/",
		"(default.star:",
	} {
		require.Contains(t, r.stderr, want)
	}
	require.Equal(t, 1, strings.Count(r.stderr, "forbidden:"), r.stderr)

	events, err := testCluster.AuditEvents("dry-run")
	require.NoError(t, err)
	for _, e := range events {
		if e.ObjectRef == nil {
			continue
		}
		res := e.ObjectRef.Resource
		require.False(t, e.ObjectRef.Subresource == "log" || res == "downloadrequests" || res == "serverstatusrequests" || res == "configmaps",
			"a dry run read or asked nothing: %s %s", e.Verb, e.RequestURI)
	}
}

// grantAllBut lets user read what velero-debug reads, but resource, ask
// the Velero server (create and delete its request objects) and ask
// SelfSubjectAccessReviews.
func grantAllBut(t *testing.T, user, resource string) {
	t.Helper()
	core := []any{"pods", "pods/log", "events", "services", "persistentvolumeclaims", "persistentvolumes", "serviceaccounts", "nodes", "namespaces", "configmaps"}
	core = slices.DeleteFunc(core, func(r any) bool { return r == resource })
	rule := func(groups []any, resources []any, verbs ...any) map[string]any {
		return map[string]any{"apiGroups": groups, "resources": resources, "verbs": verbs}
	}
	name := "velero-debug-" + user
	role := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": map[string]any{"name": name},
		"rules": []any{
			rule([]any{""}, core, "get", "list"),
			rule([]any{"apps", "batch", "storage.k8s.io", "scheduling.k8s.io", "apiextensions.k8s.io", "velero.io", "snapshot.storage.k8s.io"}, []any{"*"}, "get", "list"),
			rule([]any{"velero.io"}, []any{"downloadrequests", "serverstatusrequests"}, "create", "delete"),
			rule([]any{"authorization.k8s.io"}, []any{"selfsubjectaccessreviews"}, "create"),
		},
	}}
	binding := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": map[string]any{"name": name},
		"roleRef":  map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": name},
		"subjects": []any{map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": user}},
	}}
	_, err := testCluster.Apply(t.Context(), role, binding)
	require.NoError(t, err)
}

// TestVSphereExample runs examples/vsphere.star on an installation with the
// Velero Plugin for vSphere: alone it collects the plugin's components,
// logs and objects (cluster-wide where they are cluster-scoped, in every
// namespace where they live beside the applications); with the default
// plan, the logs both ask for are fetched once.
func TestVSphereExample(t *testing.T) {
	t.Parallel()
	v, err := fixture.Install(t.Context(), testCluster, fixture.Options{Namespace: "velero-vsphere", Nodes: 2, VSphere: true})
	require.NoError(t, err)
	script := filepath.Join(cluster.RepoRoot(), "examples", "vsphere.star")

	check := func(a archive) {
		t.Helper()
		for key, names := range v.VSphere.Objects {
			resource := key[strings.Index(key, "/")+1:]
			want := slices.Clone(names)
			for i := range want {
				want[i] = strings.TrimPrefix(want[i], "/")
			}
			slices.Sort(want)
			require.Equal(t, want, listNames(t, a, "vsphere/"+resource+".json"), key)
		}
		require.Equal(t, []string{v.Namespace + "/backup-driver"}, listNames(t, a, "vsphere/backup-driver.json"))
		require.Equal(t, []string{v.Namespace + "/datamgr-for-vsphere-plugin"}, listNames(t, a, "vsphere/datamgr-for-vsphere-plugin.json"))
		require.Len(t, listNames(t, a, "vsphere/datamgr-pods.json"), len(v.Nodes))
		for _, l := range v.Logs {
			if l.Pod != v.VSphere.BackupDriverPod && !slices.Contains(mapValues(v.VSphere.DatamgrPods), l.Pod) {
				continue
			}
			want, err := l.Redacted()
			require.NoError(t, err)
			require.Equal(t, string(want), string(a.files[logPath(l)]), logPath(l))
		}
	}

	r := runTool(t, nil, "-n", v.Namespace, "--only-scripts", "--script", script)
	require.Equal(t, 0, r.code, r.stderr)
	a := readBundle(t, r.output)
	check(a)
	require.NotContains(t, a.files, "logs/"+v.Namespace+"/"+v.ServerPod+"/velero.log", "alone, the script collects only the plugin's part")
	require.Equal(t, bundle.StatusOK, a.item(t, "vsphere/backuprepositories.json").Status)

	r = runTool(t, nil, "-n", v.Namespace, "--script", script)
	require.Equal(t, 0, r.code, r.stderr)
	a = readBundle(t, r.output)
	check(a)
	require.Contains(t, a.files, "logs/"+v.Namespace+"/"+v.ServerPod+"/velero.log")
	seen := map[string]bool{}
	for _, it := range a.manifest.Items {
		require.False(t, seen[it.Path], "%s is in the manifest once", it.Path)
		seen[it.Path] = true
	}
}

func mapValues(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// TestInterruptScript: Ctrl-C while a script runs stops it at once, exit
// status 130, and nothing is written (no item was collected yet).
func TestInterruptScript(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "bundle.tar.gz")
	script := writeScript(t, "print(\"spinning\")\nwhile True:\n    pass\n")
	cmd := exec.CommandContext(t.Context(), binary, "--script", script, "--output", out, "--server-timeout", "0")
	cmd.Env = append(os.Environ(), "KUBECONFIG="+testCluster.Kubeconfig, "VELERO_NAMESPACE=")
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	sc := bufio.NewScanner(stderr)
	var all strings.Builder
	for sc.Scan() {
		all.WriteString(sc.Text() + "\n")
		if strings.Contains(sc.Text(), "spinning") {
			break
		}
	}
	sent := time.Now()
	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	for sc.Scan() {
		all.WriteString(sc.Text() + "\n")
	}
	err = cmd.Wait()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee, all.String())
	require.Equal(t, 130, ee.ExitCode(), all.String())
	require.Less(t, time.Since(sent), 2*time.Second, "the script stopped at once")
	require.NoFileExists(t, out)
	require.NoFileExists(t, out+".partial")
}
