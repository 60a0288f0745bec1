package e2e

import (
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"

	"github.com/velero-debug/velero-debug/internal/bundle"
	"github.com/velero-debug/velero-debug/test/cluster"
)

// TestForbiddenListIsRecorded runs as a user who may read everything
// velero-debug reads except ConfigMaps (and, as always, Secrets): the
// forbidden list is a failed item, the rest is collected, exit status 3;
// the API server's audit log shows no request for Secrets.
func TestForbiddenListIsRecorded(t *testing.T) {
	t.Parallel()
	kubeconfig, err := testCluster.UserKubeconfig("no-configmaps")
	require.NoError(t, err)
	grantAllBut(t, "no-configmaps", "configmaps")

	r := runTool(t, []string{"KUBECONFIG=" + kubeconfig})
	require.Equal(t, 3, r.code, r.stderr)
	a := readBundle(t, r.output)
	cm := a.onlyFailure(t, "resources/velero/core_v1/configmaps.json")
	require.Contains(t, cm.Error, "forbidden")

	// The API server's audit log: the tool asked for much, never for Secrets.
	events, err := testCluster.AuditEvents("no-configmaps")
	require.NoError(t, err)
	require.Greater(t, len(events), 20)
	forbidden := 0
	for _, e := range events {
		if e.ObjectRef != nil {
			require.NotEqual(t, "secrets", e.ObjectRef.Resource, "%s %s", e.Verb, e.RequestURI)
		}
		if e.ResponseStatus != nil && e.ResponseStatus.Code == 403 {
			forbidden++
		}
	}
	require.Equal(t, 1, forbidden, "only the ConfigMaps list was refused")
}

// TestDeployRunsInCluster: deploy/rbac.yaml is what `velero-debug rbac`
// prints (the least RBAC of the default plan); deploy/'s objects are
// accepted by the API server; and the binary, run as the Job's pod would
// (the Job's args, the account's token and the cluster's CA at
// /var/run/secrets/kubernetes.io/serviceaccount, KUBERNETES_SERVICE_HOST
// and _PORT, no kubeconfig), collects a complete bundle. Set
// VELERO_DEBUG_UPDATE_DEPLOY=1 to write deploy/rbac.yaml anew.
func TestDeployRunsInCluster(t *testing.T) {
	t.Parallel()
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Skip("no unshare to give the run a /var/run/secrets of its own")
	}
	deploy := filepath.Join(cluster.RepoRoot(), "deploy")
	r := execTool(t, "", []string{"KUBECONFIG=" + testCluster.Kubeconfig}, "rbac", "-n", velero.Namespace)
	require.Equal(t, 0, r.code, r.stderr)
	require.NotContains(t, r.stderr, "secrets", "Secrets are never among the needs")
	printed := r.stderr[strings.Index(r.stderr, "\n---\n"):]
	rbacFile := filepath.Join(deploy, "rbac.yaml")
	if os.Getenv("VELERO_DEBUG_UPDATE_DEPLOY") != "" {
		head := "# The least RBAC of velero-debug's default plan in namespace velero, for\n" +
			"# deploy/job.yaml: printed by `velero-debug rbac -n velero` (from the steps'\n" +
			"# own needs; TestDeployRunsInCluster checks it is what that prints).\n" +
			"# Print it for your cluster and namespace the same way.\n"
		require.NoError(t, os.WriteFile(rbacFile, []byte(head+printed[1:]), 0o644)) //nolint:gosec // G306: a file of the repository
	}
	kept, err := os.ReadFile(rbacFile) //nolint:gosec // G304: the repository's file
	require.NoError(t, err)
	if !strings.Contains(string(kept), printed) {
		t.Fatalf("deploy/rbac.yaml is not what `velero-debug rbac -n velero` prints:\n%s\nrun VELERO_DEBUG_UPDATE_DEPLOY=1 go test ./test/e2e -run TestDeployRunsInCluster", printed)
	}

	objs := readObjects(t, string(kept))
	kinds := map[string]int{}
	for _, o := range objs {
		kinds[o.GetKind()]++
	}
	require.Equal(t, map[string]int{"ServiceAccount": 1, "ClusterRole": 1, "ClusterRoleBinding": 1, "Role": 1, "RoleBinding": 1}, kinds)
	jobFile, err := os.ReadFile(filepath.Join(deploy, "job.yaml")) //nolint:gosec // G304: the repository's file
	require.NoError(t, err)
	jobs := readObjects(t, string(jobFile))
	require.Len(t, jobs, 1)
	job := jobs[0]
	require.Equal(t, velero.Namespace, job.GetNamespace())
	_, err = testCluster.Apply(t.Context(), append(objs, job)...)
	require.NoError(t, err, "the API server refused deploy/")

	waitForBundle(t, job)

	// The Job's own container, its account, its args: the output goes to a
	// folder of the test's instead of the Job's volume.
	containers, _, err := unstructured.NestedSlice(job.Object, "spec", "template", "spec", "containers")
	require.NoError(t, err)
	account, _, _ := unstructured.NestedString(job.Object, "spec", "template", "spec", "serviceAccountName")
	require.Equal(t, "velero-debug", account)
	var args []string
	for _, c := range containers {
		c := c.(map[string]any)
		if c["name"] == "velero-debug" {
			for _, a := range c["args"].([]any) {
				args = append(args, a.(string))
			}
		}
	}
	require.Contains(t, args, "--output=/bundle/bundle.tar.gz")
	out := filepath.Join(t.TempDir(), "bundle.tar.gz")
	for i, a := range args {
		if strings.HasPrefix(a, "--output=") {
			args[i] = "--output=" + out
		}
	}
	// No Velero server process answers in this cluster (its pods are
	// kwok's): it is not waited for.
	args = append(args, "--server-timeout=0")

	cs, err := kubernetes.NewForConfig(testCluster.Config)
	require.NoError(t, err)
	tok, err := cs.CoreV1().ServiceAccounts(velero.Namespace).CreateToken(t.Context(), account, &authenticationv1.TokenRequest{}, metav1.CreateOptions{})
	require.NoError(t, err)
	secrets := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(secrets, "token"), []byte(tok.Status.Token), 0o600))
	ca, err := os.ReadFile(filepath.Join(testCluster.Dir, "ca.crt"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(secrets, "ca.crt"), ca, 0o600))
	u, err := url.Parse(testCluster.Server)
	require.NoError(t, err)

	// A mount namespace of the run's own, where /var/run/secrets holds
	// the account's files: the machine's are untouched.
	script := `mount -t tmpfs tmpfs /var/run || exit 99; d=/var/run/secrets/kubernetes.io/serviceaccount; mkdir -p $d && cp "$1"/token "$1"/ca.crt $d && shift && exec "$@"`
	cmd := exec.CommandContext(t.Context(), unshare, append([]string{"--map-root-user", "--mount", "sh", "-c", script, "sh", secrets, binary}, args...)...)
	cmd.Env = append(os.Environ(), "KUBECONFIG=", "HOME="+t.TempDir(), "VELERO_NAMESPACE=",
		"KUBERNETES_SERVICE_HOST="+u.Hostname(), "KUBERNETES_SERVICE_PORT="+u.Port())
	stderr := started(t, cmd)
	code := exitCode(t, cmd.Wait())
	if code == 99 {
		t.Skipf("this machine does not let a user namespace mount a tmpfs: %s", stderr.String())
	}
	require.Equal(t, 0, code, stderr.String())
	a := readBundle(t, out)
	require.True(t, a.manifest.Complete)
	for _, it := range a.manifest.Items {
		require.NotEqual(t, bundle.StatusError, it.Status, "%s: %s", it.Path, it.Error)
	}
}

// readObjects decodes the YAML documents of a file of manifests.
func readObjects(t *testing.T, text string) []*unstructured.Unstructured {
	t.Helper()
	var objs []*unstructured.Unstructured
	for _, doc := range strings.Split(text, "\n---\n") {
		o := &unstructured.Unstructured{}
		require.NoError(t, yaml.Unmarshal([]byte(doc), &o.Object), doc)
		if len(o.Object) > 0 {
			objs = append(objs, o)
		}
	}
	return objs
}

// waitForBundle runs the wait command of deploy/job.yaml's comment, with
// the real kubectl, for a pod made from the Job's template as the Job
// controller would (this cluster runs none) on a kwok node, in a
// namespace of its own (not to be collected by the other tests): kwok
// turns its containers ready, and the wait ends.
func waitForBundle(t *testing.T, job *unstructured.Unstructured) {
	t.Helper()
	comment, err := os.ReadFile(filepath.Join(cluster.RepoRoot(), "deploy", "job.yaml"))
	require.NoError(t, err)
	var command string
	for line := range strings.Lines(string(comment)) {
		if strings.HasPrefix(line, "#   kubectl -n velero wait ") || command != "" && strings.HasSuffix(command, "\\\n") {
			command += strings.TrimPrefix(line, "#")
		}
	}
	require.Contains(t, command, "--for=jsonpath=", "deploy/job.yaml's comment has no wait command")
	ns := "vd-deploy-wait"
	command = strings.Replace(command, "kubectl -n velero ", "kubectl -n "+ns+" ", 1)

	tmpl, _, err := unstructured.NestedMap(job.Object, "spec", "template")
	require.NoError(t, err)
	pod := &unstructured.Unstructured{Object: tmpl}
	pod.SetAPIVersion("v1")
	pod.SetKind("Pod")
	pod.SetName("velero-debug-wait")
	pod.SetNamespace(ns)
	pod.SetLabels(map[string]string{"job-name": job.GetName()})
	require.NoError(t, unstructured.SetNestedField(pod.Object, "kwok-node-0", "spec", "nodeName"))
	nsObj := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": ns}}}
	sa := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "ServiceAccount", "metadata": map[string]any{"name": "velero-debug", "namespace": ns}}}
	_, err = testCluster.Apply(t.Context(), nsObj, sa, pod)
	require.NoError(t, err)

	kubectl := filepath.Dir(testCluster.Tools.Path("cluster", "kubectl"))
	// The repository's own command, not user input.
	cmd := exec.CommandContext(t.Context(), "sh", "-c", command) //nolint:gosec // G204: the repository's text
	cmd.Env = append(os.Environ(), "PATH="+kubectl+string(os.PathListSeparator)+os.Getenv("PATH"), "KUBECONFIG="+testCluster.Kubeconfig)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s: %s", command, out)
	require.Contains(t, string(out), "pod/velero-debug-wait condition met")
}
