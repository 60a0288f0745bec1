package e2e

import (
	"bytes"
	"cmp"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"

	"github.com/velero-debug/velero-debug/internal/bundle"
	"github.com/velero-debug/velero-debug/test/fixture"
	"github.com/velero-debug/velero-debug/test/veleroserver"
)

// TestLiveVelero runs velero-debug beside a real Velero server with a real
// S3 server: real backups, their logs and results through DownloadRequests
// compared with what the Velero CLI itself prints; then with the S3 server
// stopped, and with the Velero server stopped.
func TestLiveVelero(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	begin := time.Now()
	tools, err := veleroserver.Tools(ctx)
	require.NoError(t, err)
	s3, err := veleroserver.StartS3(ctx, testCluster, tools, "s3-live")
	require.NoError(t, err)
	t.Cleanup(func() { _ = s3.Stop() })
	ns := "velero-live"
	v, err := fixture.Install(ctx, testCluster, fixture.Options{Namespace: ns, Nodes: 2,
		Storage: &fixture.Storage{URL: s3.URL, Bucket: veleroserver.Bucket, Region: veleroserver.Region}})
	require.NoError(t, err)
	srv, err := veleroserver.Start(ctx, testCluster, tools, ns)
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Stop() })
	dyn, err := dynamic.NewForConfig(testCluster.Config)
	require.NoError(t, err)
	waitPhase(t, srv, dyn, "backupstoragelocations", "default", "Available")
	t.Logf("server and storage ready after %s", time.Since(begin))

	// One backup of plain objects completes. The other has pre hooks in a
	// pod that kwok cannot exec into, so it fails partly; their commands
	// hold a URL password and a MYSQL_PWD, which Velero writes into the
	// backup's log. (The fixture's app pods ask for pod volume backups,
	// which need a node-agent that kwok cannot run: neither backup includes
	// them.)
	completed, partial := "live-completed", "live-partial"
	hookPassword, mysqlPassword := "vdbgHook"+rand.Text(), "vdbg4Mysql"+rand.Text()
	hooked := ns + "-hooks"
	_, err = testCluster.Apply(ctx,
		&unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": hooked}}},
		&unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Pod",
			"metadata": map[string]any{"name": "db-0", "namespace": hooked},
			"spec":     map[string]any{"nodeName": v.Nodes[0], "containers": []any{map[string]any{"name": "db", "image": "postgres:17"}}},
		}})
	require.NoError(t, err)
	createBackup(t, dyn, ns, completed, map[string]any{
		"includedNamespaces": []any{v.AppNamespace}, "includedResources": []any{"configmaps", "persistentvolumeclaims"},
		"storageLocation": "default", "snapshotVolumes": false,
	})
	createBackup(t, dyn, ns, partial, map[string]any{
		"includedNamespaces": []any{hooked}, "storageLocation": "default", "snapshotVolumes": false,
		"hooks": map[string]any{"resources": []any{map[string]any{
			"name": "checkpoint", "includedNamespaces": []any{hooked},
			"pre": []any{
				map[string]any{"exec": map[string]any{"container": "db", "onError": "Continue", "timeout": "5s",
					"command": []any{"/bin/sh", "-c", "MYSQL_PWD=" + mysqlPassword + " mysqldump -u root app > /backup/app.sql"}}},
				map[string]any{"exec": map[string]any{"container": "db", "onError": "Fail", "timeout": "5s",
					"command": []any{"psql", "postgresql://admin:" + hookPassword + "@localhost:5432/app", "-c", "CHECKPOINT"}}},
			},
		}}},
	})
	waitPhase(t, srv, dyn, "backups", completed, "Completed")
	partialPhase := waitPhase(t, srv, dyn, "backups", partial, "PartiallyFailed", "Failed")
	t.Logf("backups done after %s", time.Since(begin))

	// A restore of the completed backup into another namespace.
	restore := "live-restore"
	_, err = dyn.Resource(veleroserver.GVR("restores")).Namespace(ns).Create(ctx, &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "velero.io/v1", "kind": "Restore",
		"metadata": map[string]any{"name": restore, "namespace": ns},
		"spec":     map[string]any{"backupName": completed, "namespaceMapping": map[string]any{v.AppNamespace: v.AppNamespace + "-restored"}},
	}}, metav1.CreateOptions{})
	require.NoError(t, err)
	waitPhase(t, srv, dyn, "restores", restore, "Completed", "PartiallyFailed")

	args := []string{"-n", ns, "--backup", completed, "--backup", partial, "--restore", restore, "--recent-failed", "0", "--server-timeout", "20s"}
	start := time.Now()
	r := runTool(t, nil, args...)
	normal := time.Since(start)
	t.Logf("a run beside a live server took %s", normal)
	a := readBundle(t, r.output)
	for _, it := range a.manifest.Items {
		if it.Path == "velero/version.json" || bytesHasPrefix(it.Path, "backups/live-") || bytesHasPrefix(it.Path, "restores/live-") {
			require.NotEqual(t, bundle.StatusError, it.Status, "%s: %s", it.Path, it.Error)
		}
	}

	var version struct {
		Server  map[string]string `json:"server"`
		Plugins []struct{ Name, Kind string }
	}
	require.NoError(t, json.Unmarshal(a.files["velero/version.json"], &version))
	require.Equal(t, "v1.18.3", version.Server["version"])
	require.Contains(t, fmt.Sprint(version.Plugins), "velero.io/aws")
	require.True(t, slices.IsSortedFunc(version.Plugins, func(a, b struct{ Name, Kind string }) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Name, b.Name))
	}), "the plugins by kind and name, whatever order the server gives: %v", version.Plugins)

	for _, name := range []string{completed, partial} {
		// The log is the one the Velero CLI prints, but for the passwords.
		want := veleroCLI(t, srv, "backup", "logs", name, "-n", ns)
		want = strings.ReplaceAll(want, hookPassword, "[REDACTED:url-password]")
		want = strings.ReplaceAll(want, mysqlPassword, "[REDACTED:password-field]")
		require.Equal(t, want, string(a.files["backups/"+name+"/log.txt"]), "the log is the one the Velero CLI prints")
		require.NotEmpty(t, a.files["backups/"+name+"/resource-list.json"])
		require.Contains(t, a.files, "backups/"+name+"/results.json")
		require.Contains(t, a.files, "backups/"+name+"/volume-info.json")
	}
	require.Equal(t, veleroCLI(t, srv, "restore", "logs", restore, "-n", ns), string(a.files["restores/"+restore+"/log.txt"]))
	require.Contains(t, a.files, "restores/"+restore+"/results.json")
	require.Contains(t, string(a.files["restores/"+restore+"/describe.txt"]), "Backup:                        "+completed)
	var results struct {
		Errors map[string]any `json:"errors"`
	}
	require.NoError(t, json.Unmarshal(a.files["backups/"+partial+"/results.json"], &results))
	require.NotEmpty(t, results.Errors, "the %s backup's errors", partialPhase)
	desc := string(a.files["backups/"+partial+"/describe.txt"])
	require.Contains(t, desc, "Errors (results.json):")
	// Each error the Velero CLI's describe lists is in ours.
	cliDesc := veleroCLI(t, srv, "backup", "describe", partial, "--details", "-n", ns)
	errs := allStrings(results.Errors)
	require.NotEmpty(t, errs)
	for _, e := range errs {
		require.Contains(t, cliDesc, e)
		require.Contains(t, desc, e)
	}
	require.Contains(t, desc, "Phase:                         "+partialPhase)
	require.Contains(t, string(a.files["backups/"+completed+"/describe.txt"]), "v1/PersistentVolumeClaim:", "the resource list")
	partialLog := string(a.files["backups/"+partial+"/log.txt"])
	require.Contains(t, partialLog, "postgresql://admin:[REDACTED:url-password]@localhost:5432/app",
		"the downloaded log had the hook's command")
	require.Contains(t, partialLog, "MYSQL_PWD=[REDACTED:password-field] mysqldump -u root app",
		"the downloaded log had the other hook's command")
	for path, data := range a.files {
		require.NotContains(t, string(data), "X-Amz-Signature=", path)
		require.NotContains(t, string(data), hookPassword, path)
		require.NotContains(t, string(data), mysqlPassword, path)
	}
	// The objects, results and resource lists from the server and object
	// storage are JSON still; the fixture's planted secrets are gone here
	// too.
	assertJSONFiles(t, a)
	for path, data := range a.files {
		for _, s := range v.PlantedCredentials {
			assert.False(t, bytes.Contains(data, []byte(s)), "%s holds the planted credential %q", path, s)
		}
	}
	requireNoRequestsLeft(t, dyn, ns)

	// The Velero CLI pointed at the bundle (velero-debug serve) says what
	// it says of the live server: the same logs, byte for byte, the same
	// errors, the server's version and plugins.
	bundleSrv := startServe(t, r.output)
	inBundle := func(args ...string) string {
		t.Helper()
		return veleroCLIWith(t, srv, bundleSrv.kubeconfig, args...)
	}
	require.Equal(t, string(a.files["backups/"+completed+"/log.txt"]), inBundle("backup", "logs", completed, "-n", ns))
	require.Equal(t, string(a.files["restores/"+restore+"/log.txt"]), inBundle("restore", "logs", restore, "-n", ns))
	bundleDesc := inBundle("backup", "describe", partial, "--details", "-n", ns)
	for _, e := range errs {
		require.Contains(t, bundleDesc, e)
	}
	require.Contains(t, inBundle("restore", "describe", restore, "--details", "-n", ns), completed)
	require.Contains(t, inBundle("version", "-n", ns), "Version: v1.18.3")
	require.Contains(t, inBundle("plugin", "get", "-n", ns), "velero.io/aws")
	backupList := inBundle("backup", "get", "-n", ns)
	require.Contains(t, backupList, completed)
	require.Contains(t, backupList, partial)
	bundleSrv.stop(t)

	// The object store refuses some downloads: the storage location's
	// publicUrl, the address Velero signs download URLs for, is a proxy
	// in front of the S3 server that breaks the signature of backup logs
	// (the S3 server answers 403 SignatureDoesNotMatch itself) and
	// answers 500 for results. Each file fails with the store's code and
	// message, never the URL or the signature; the other files come.
	bsl := dyn.Resource(veleroserver.GVR("backupstoragelocations")).Namespace(ns)
	proxy := storeProxy(t, s3.URL)
	_, err = bsl.Patch(ctx, "default", types.MergePatchType, []byte(`{"spec":{"config":{"publicUrl":"`+proxy+`"}}}`), metav1.PatchOptions{})
	require.NoError(t, err)
	r = runTool(t, nil, args...)
	require.Equal(t, 3, r.code, r.stderr)
	a = readBundle(t, r.output)
	for _, name := range []string{completed, partial} {
		log := a.item(t, "backups/"+name+"/log.txt")
		require.Equal(t, bundle.StatusError, log.Status)
		require.Contains(t, log.Error, "object store answered 403 Forbidden: SignatureDoesNotMatch")
		res := a.item(t, "backups/"+name+"/results.json")
		require.Equal(t, bundle.StatusError, res.Status)
		require.Contains(t, res.Error, "object store answered 500 Internal Server Error: InternalError: We encountered an internal error")
		require.Equal(t, bundle.StatusOK, a.item(t, "backups/"+name+"/resource-list.json").Status)
		for _, e := range []string{log.Error, res.Error} {
			require.NotContains(t, e, "X-Amz")
			require.NotContains(t, e, proxy)
		}
	}
	require.Equal(t, bundle.StatusOK, a.item(t, "restores/"+restore+"/resource-list.json").Status)
	_, err = bsl.Patch(ctx, "default", types.MergePatchType, []byte(`{"spec":{"config":{"publicUrl":null}}}`), metav1.PatchOptions{})
	require.NoError(t, err)

	// A part stops: the run still ends within its deadlines, exits 3, and
	// its bundle says why.
	afterStop := func(stop func() error) archive {
		t.Helper()
		require.NoError(t, stop())
		start := time.Now()
		r := runTool(t, nil, args...)
		require.Less(t, time.Since(start), normal+30*time.Second)
		require.Equal(t, 3, r.code, r.stderr)
		return readBundle(t, r.output)
	}
	log := afterStop(s3.Stop).item(t, "backups/"+completed+"/log.txt")
	require.Equal(t, bundle.StatusError, log.Status)
	require.Contains(t, log.Error, "connection refused")
	require.NotContains(t, log.Error, "X-Amz")

	a = afterStop(srv.Stop)
	require.Contains(t, a.item(t, "velero/version.json").Error, "did not answer")
	requireNoRequestsLeft(t, dyn, ns)
}

// storeProxy serves as a storage location's publicUrl in front of the S3
// server at s3URL: it passes requests on with their Host, so that the
// signature Velero made for the proxy's address holds, but for backup and
// restore logs, whose Host it sets to the S3 server's (the signature no
// longer matches: the S3 server answers 403), and results, for which it
// answers 500 with an S3 error of its own.
func storeProxy(t *testing.T, s3URL string) string {
	t.Helper()
	target, err := url.Parse(s3URL)
	require.NoError(t, err)
	upstream := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, "-logs.gz"):
			r.Host = target.Host
		case strings.HasSuffix(r.URL.Path, "-results.gz"):
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message><RequestId>4442587FB7D0A2F9</RequestId></Error>`)
			return
		}
		upstream.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func bytesHasPrefix(s, prefix string) bool { return bytes.HasPrefix([]byte(s), []byte(prefix)) }

func createBackup(t *testing.T, dyn dynamic.Interface, ns, name string, spec map[string]any) {
	t.Helper()
	require.NoError(t, veleroserver.Create(t.Context(), dyn, ns, "Backup", name, spec))
}

// waitPhase waits until the object's status.phase is one of phases; when
// the Velero server exits meanwhile, it fails at once with its log's end.
func waitPhase(t *testing.T, srv *veleroserver.Server, dyn dynamic.Interface, res, name string, phases ...string) string {
	t.Helper()
	phase, err := srv.WaitPhase(t.Context(), dyn, res, name, 2*time.Minute, phases...)
	require.NoError(t, err)
	return phase
}

func requireNoRequestsLeft(t *testing.T, dyn dynamic.Interface, ns string) {
	t.Helper()
	for _, res := range []string{"serverstatusrequests", "downloadrequests"} {
		l, err := dyn.Resource(veleroserver.GVR(res)).Namespace(ns).List(t.Context(), metav1.ListOptions{LabelSelector: "app.kubernetes.io/managed-by=velero-debug"})
		require.NoError(t, err)
		require.Empty(t, l.Items, "%s left behind", res)
	}
}

// veleroCLI runs the Velero CLI against the test cluster.
func veleroCLI(t *testing.T, srv *veleroserver.Server, args ...string) string {
	t.Helper()
	return veleroCLIWith(t, srv, testCluster.Kubeconfig, args...)
}

// veleroCLIWith runs the Velero CLI against the API server of kubeconfig.
func veleroCLIWith(t *testing.T, srv *veleroserver.Server, kubeconfig string, args ...string) string {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), srv.Velero, append(args, "--kubeconfig", kubeconfig)...)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, stderr.String())
	return string(out)
}

// allStrings gathers the strings of a decoded JSON value.
func allStrings(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, e := range v {
			out = append(out, allStrings(e)...)
		}
		return out
	case map[string]any:
		var out []string
		for _, e := range v {
			out = append(out, allStrings(e)...)
		}
		return out
	}
	return nil
}
