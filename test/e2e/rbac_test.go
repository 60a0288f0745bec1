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

// TestInClusterWithItsOwnRBAC: `velero-debug rbac` prints the least RBAC
// of the default plan; applied, bound to a service account, and the
// binary run as a pod would (the account's token and the cluster's CA at
// /var/run/secrets/kubernetes.io/serviceaccount, KUBERNETES_SERVICE_HOST
// and _PORT, no kubeconfig), the run collects a complete bundle.
func TestInClusterWithItsOwnRBAC(t *testing.T) {
	t.Parallel()
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Skip("no unshare to give the run a /var/run/secrets of its own")
	}
	account := "vd-incluster"
	r := execTool(t, "", []string{"KUBECONFIG=" + testCluster.Kubeconfig}, "rbac", "-n", velero.Namespace, "--service-account", account)
	require.Equal(t, 0, r.code, r.stderr)
	require.NotContains(t, r.stderr, "secrets", "Secrets are never among the needs")
	var objs []*unstructured.Unstructured
	for _, doc := range strings.Split(r.stderr, "\n---\n")[1:] {
		o := &unstructured.Unstructured{}
		require.NoError(t, yaml.Unmarshal([]byte(doc), &o.Object), doc)
		objs = append(objs, o)
	}
	kinds := map[string]int{}
	for _, o := range objs {
		kinds[o.GetKind()]++
	}
	require.Equal(t, map[string]int{"ServiceAccount": 1, "ClusterRole": 1, "ClusterRoleBinding": 1, "Role": 1, "RoleBinding": 1}, kinds)
	_, err = testCluster.Apply(t.Context(), objs...)
	require.NoError(t, err)

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
	out := filepath.Join(t.TempDir(), "bundle.tar.gz")
	script := `mount -t tmpfs tmpfs /var/run || exit 99; d=/var/run/secrets/kubernetes.io/serviceaccount; mkdir -p $d && cp "$1"/token "$1"/ca.crt $d && shift && exec "$@"`
	cmd := exec.CommandContext(t.Context(), unshare, "--map-root-user", "--mount", "sh", "-c", script, "sh", secrets,
		binary, "-n", velero.Namespace, "--server-timeout", "0", "--output", out)
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
