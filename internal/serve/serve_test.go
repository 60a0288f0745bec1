package serve

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	apidiscoveryv2 "k8s.io/api/apidiscovery/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/velero-debug/velero-debug/internal/bundle"
	"github.com/velero-debug/velero-debug/internal/bundleread"
)

func objList(items ...string) string {
	return `{"apiVersion":"v1","kind":"List","items":[` + strings.Join(items, ",\n") + "]}\n"
}

var started = time.Date(2026, 1, 3, 12, 0, 0, 0, time.UTC)

// testServer serves a small bundle.
func testServer(t *testing.T) *httptest.Server {
	t.Helper()
	out := filepath.Join(t.TempDir(), "b.tar.gz")
	w, err := bundle.Create(out, bundle.Options{})
	require.NoError(t, err)
	add := func(p, content string) {
		require.NoError(t, w.AddBytes(bundle.Item{Path: p, Type: "test"}, []byte(content)))
	}
	add("cluster/version.json", `{"major":"1","minor":"35","gitVersion":"v1.35.4"}`)
	add("resources/velero/core_v1/pods.json", objList(
		`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"velero-1","namespace":"velero","labels":{"deploy":"velero"},"creationTimestamp":"2026-01-03T10:00:00Z"},`+
			`"spec":{"nodeName":"n1","containers":[{"name":"velero"}]},"status":{"phase":"Running","containerStatuses":[{"name":"velero","ready":true,"restartCount":2,"state":{"running":{}}}]}}`,
		`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"two","namespace":"velero","creationTimestamp":"2026-01-03T11:00:00Z"},`+
			`"spec":{"containers":[{"name":"a"},{"name":"b"}]},"status":{"phase":"Pending","containerStatuses":[{"name":"a","ready":false,"state":{"waiting":{"reason":"ImagePullBackOff"}}}]}}`))
	add("resources/velero/core_v1/events.json", objList(
		`{"apiVersion":"v1","kind":"Event","metadata":{"name":"e1","namespace":"velero"},"type":"Warning","reason":"BackOff","message":"back-off","lastTimestamp":"2026-01-03T11:59:00Z","involvedObject":{"kind":"Pod","name":"velero-1","namespace":"velero"}}`,
		`{"apiVersion":"v1","kind":"Event","metadata":{"name":"e2","namespace":"velero"},"type":"Normal","reason":"Pulled","message":"pulled","lastTimestamp":"2026-01-03T11:00:00Z","involvedObject":{"kind":"Pod","name":"two","namespace":"velero"}}`))
	add("resources/velero/velero.io_v1/backups.json", objList(
		`{"apiVersion":"velero.io/v1","kind":"Backup","metadata":{"name":"b1","namespace":"velero","labels":{"velero.io/schedule-name":"daily"},"creationTimestamp":"2026-01-02T12:00:00Z"},"status":{"phase":"Failed"}}`,
		`{"apiVersion":"velero.io/v1","kind":"Backup","metadata":{"name":"b2","namespace":"velero","creationTimestamp":"2026-01-03T11:00:00Z"},"status":{"phase":"Completed"}}`))
	add("backups/b1/backup.json", `{"apiVersion":"velero.io/v1","kind":"Backup","metadata":{"name":"b1","namespace":"velero"},"status":{"phase":"Failed"}}`)
	add("cluster/crds.json", objList(
		`{"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition","metadata":{"name":"backups.velero.io"},"spec":{"group":"velero.io","scope":"Namespaced",`+
			`"names":{"plural":"backups","singular":"backup","kind":"Backup","shortNames":["bk"]},`+
			`"versions":[{"name":"v1","additionalPrinterColumns":[{"name":"Phase","type":"string","jsonPath":".status.phase"},{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}]}]}}`))
	add("logs/velero/velero-1/velero.log", "time=\"2026-01-03T11:00:00Z\" level=info msg=one\ntime=\"2026-01-03T11:30:00Z\" level=info msg=two\nno time here\ntime=\"2026-01-03T11:59:00Z\" level=error msg=three\n")
	add("logs/velero/velero-1/velero.previous.log", "before the restart\n")
	add("backups/b1/log.txt", "the log of b1\n")
	add("velero/version.json", `{"server":{"version":"v1.18.3"},"plugins":[{"name":"velero.io/aws","kind":"ObjectStore"}]}`)
	require.NoError(t, w.AddError(bundle.Item{Path: "resources/velero/core_v1/configmaps.json", Type: "object-list"},
		errors.New(`list configmaps/v1: configmaps is forbidden: User "u" cannot list resource "configmaps"`)))
	srv := httptest.NewServer(Handler(closeAndLoad(t, w, out)))
	t.Cleanup(srv.Close)
	return srv
}

// closeAndLoad closes the bundle w writes at out and loads it.
func closeAndLoad(t *testing.T, w *bundle.Writer, out string) *Store {
	t.Helper()
	require.NoError(t, w.Close(bundle.Meta{Complete: true, Started: started, Options: map[string]any{"namespace": "velero"}}))
	b, err := bundleread.Open(context.Background(), out, bundleread.Limits{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	s, err := Load(context.Background(), b, t.TempDir())
	require.NoError(t, err)
	return s
}

// get asks srv for path with Accept accept; it returns the status and
// the body.
func get(t *testing.T, srv *httptest.Server, method, path, accept string) (int, string) {
	t.Helper()
	return send(t, srv, method, path, accept, "")
}

// send sends body to path.
func send(t *testing.T, srv *httptest.Server, method, path, accept, body string) (int, string) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, srv.URL+path, r)
	require.NoError(t, err)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	got, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(got)
}

func TestDiscovery(t *testing.T) {
	t.Parallel()
	srv := testServer(t)
	code, body := get(t, srv, "GET", "/version", "")
	require.Equal(t, 200, code)
	require.Contains(t, body, "v1.35.4")
	_, body = get(t, srv, "GET", "/api/v1", "")
	var core metav1.APIResourceList
	require.NoError(t, json.Unmarshal([]byte(body), &core))
	var names []string
	for _, r := range core.APIResources {
		names = append(names, r.Name)
	}
	require.Equal(t, []string{"events", "namespaces", "pods", "pods/log"}, names, "what the bundle holds, with the log of pods; not the configmaps it could not read")
	_, body = get(t, srv, "GET", "/apis", "")
	require.Contains(t, body, `"name":"velero.io"`)
	_, body = get(t, srv, "GET", "/apis/velero.io/v1", "")
	require.Contains(t, body, `"shortNames":["bk"]`, "names from the bundle's CRDs")
	code, _ = get(t, srv, "GET", "/apis/nothing.io/v1", "")
	require.Equal(t, 404, code)

	// Aggregated discovery, which kubectl asks for first.
	const aggregated = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json"
	_, body = get(t, srv, "GET", "/api", aggregated)
	var groups apidiscoveryv2.APIGroupDiscoveryList
	require.NoError(t, json.Unmarshal([]byte(body), &groups))
	require.Len(t, groups.Items, 1)
	var pods *apidiscoveryv2.APIResourceDiscovery
	for i, r := range groups.Items[0].Versions[0].Resources {
		if r.Resource == "pods" {
			pods = &groups.Items[0].Versions[0].Resources[i]
		}
	}
	require.NotNil(t, pods)
	require.Equal(t, "log", pods.Subresources[0].Subresource)
	_, body = get(t, srv, "GET", "/apis", aggregated)
	require.NoError(t, json.Unmarshal([]byte(body), &groups))
	var names2 []string
	for _, g := range groups.Items {
		names2 = append(names2, g.Name)
	}
	require.Contains(t, names2, "velero.io")
	require.Contains(t, body, `"shortNames":["bk"]`)
}

func TestGetAndList(t *testing.T) {
	t.Parallel()
	srv := testServer(t)
	code, body := get(t, srv, "GET", "/apis/velero.io/v1/namespaces/velero/backups?labelSelector=velero.io/schedule-name%3Ddaily", "")
	require.Equal(t, 200, code)
	var l struct {
		Kind  string
		Items []struct{ Metadata struct{ Name string } }
	}
	require.NoError(t, json.Unmarshal([]byte(body), &l))
	require.Equal(t, "BackupList", l.Kind)
	require.Len(t, l.Items, 1, "the label selector")
	require.Equal(t, "b1", l.Items[0].Metadata.Name)
	_, body = get(t, srv, "GET", "/apis/velero.io/v1/backups", "")
	require.NoError(t, json.Unmarshal([]byte(body), &l))
	require.Len(t, l.Items, 2, "every namespace; the detail's copy of b1 once")

	code, body = get(t, srv, "GET", "/apis/velero.io/v1/namespaces/velero/backups/b2", "")
	require.Equal(t, 200, code)
	require.Contains(t, body, `"phase":"Completed"`)
	code, body = get(t, srv, "GET", "/apis/velero.io/v1/namespaces/velero/backups/nope", "")
	require.Equal(t, 404, code)
	require.Contains(t, body, "not in this bundle (see manifest.json)")

	_, body = get(t, srv, "GET", "/api/v1/namespaces/velero/events?fieldSelector=involvedObject.name%3Dvelero-1,involvedObject.kind%3DPod,involvedObject.uid%3Dabc", "")
	require.NoError(t, json.Unmarshal([]byte(body), &l))
	require.Len(t, l.Items, 1, "events of one object, as kubectl describe asks")

	code, body = get(t, srv, "GET", "/api/v1/namespaces/velero/configmaps", "")
	require.Equal(t, 403, code, "what the collection could not read answers with its error")
	require.Contains(t, body, "forbidden")
	code, body = get(t, srv, "DELETE", "/apis/velero.io/v1/namespaces/velero/backups/b1", "")
	require.Equal(t, 405, code)
	require.Contains(t, body, "read-only")
	_, body = get(t, srv, "GET", "/api/v1/namespaces", "")
	require.Contains(t, body, `"name":"velero"`)
}

func TestTables(t *testing.T) {
	t.Parallel()
	srv := testServer(t)
	const asTable = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
	_, body := get(t, srv, "GET", "/api/v1/namespaces/velero/pods?includeObject=Object", asTable)
	var tbl metav1.Table
	require.NoError(t, json.Unmarshal([]byte(body), &tbl))
	var cols []string
	for _, c := range tbl.ColumnDefinitions {
		cols = append(cols, c.Name)
	}
	require.Equal(t, []string{"Name", "Ready", "Status", "Restarts", "Age", "IP", "Node"}, cols)
	require.Equal(t, []any{"two", "0/2", "ImagePullBackOff", "0", "60m", "<none>", "<none>"}, tbl.Rows[0].Cells, "ages as of the bundle's collection")
	require.Equal(t, []any{"velero-1", "1/1", "Running", "2", "120m", "<none>", "n1"}, tbl.Rows[1].Cells)
	require.Contains(t, string(tbl.Rows[0].Object.Raw), `"kind":"Pod"`)

	_, body = get(t, srv, "GET", "/apis/velero.io/v1/namespaces/velero/backups", asTable)
	require.NoError(t, json.Unmarshal([]byte(body), &tbl))
	require.Equal(t, []any{"b1", "Failed", "24h"}, tbl.Rows[0].Cells, "the CRD's printer columns, dates as ages")
	require.Contains(t, string(tbl.Rows[0].Object.Raw), "PartialObjectMetadata")
}

func TestLogs(t *testing.T) {
	t.Parallel()
	srv := testServer(t)
	base := "/api/v1/namespaces/velero/pods/velero-1/log"
	_, body := get(t, srv, "GET", base, "")
	require.Equal(t, 4, strings.Count(body, "\n"))
	_, body = get(t, srv, "GET", base+"?tailLines=1", "")
	require.Equal(t, "time=\"2026-01-03T11:59:00Z\" level=error msg=three\n", body)
	_, body = get(t, srv, "GET", base+"?previous=true", "")
	require.Equal(t, "before the restart\n", body)
	_, body = get(t, srv, "GET", base+"?limitBytes=5", "")
	require.Equal(t, "time=", body)
	_, body = get(t, srv, "GET", base+"?sinceSeconds=1800", "")
	require.Equal(t, "time=\"2026-01-03T11:30:00Z\" level=info msg=two\nno time here\ntime=\"2026-01-03T11:59:00Z\" level=error msg=three\n", body,
		"half an hour before the collection, by the lines' own times; a line without one goes with the line before")
	_, body = get(t, srv, "GET", base+"?tailLines=2&timestamps=true", "")
	require.Equal(t, "2026-01-03T11:30:00Z no time here\n2026-01-03T11:59:00Z time=\"2026-01-03T11:59:00Z\" level=error msg=three\n", body)
	code, body := get(t, srv, "GET", "/api/v1/namespaces/velero/pods/two/log", "")
	require.Equal(t, 400, code)
	require.Contains(t, body, "a container name must be specified for pod two, choose one of: [a b]")
	code, body = get(t, srv, "GET", "/api/v1/namespaces/velero/pods/two/log?container=a", "")
	require.Equal(t, 404, code)
	require.Contains(t, body, "the log of container a of pod velero/two is not in this bundle")
}

// A watch sends nothing and stays open until the client leaves.
func TestWatch(t *testing.T) {
	t.Parallel()
	srv := testServer(t)
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/apis/velero.io/v1/namespaces/velero/backups?watch=true", nil)
	require.NoError(t, err)
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	require.Equal(t, 200, resp.StatusCode)
	_, err = io.ReadAll(resp.Body)
	require.ErrorIs(t, err, context.DeadlineExceeded, "open until the client leaves")
}

// TestVeleroRequests: what the Velero CLI asks of a Velero server is
// answered from the bundle.
func TestVeleroRequests(t *testing.T) {
	t.Parallel()
	srv := testServer(t)
	const drs = "/apis/velero.io/v1/namespaces/velero/downloadrequests"
	code, body := send(t, srv, "POST", drs, "", `{"apiVersion":"velero.io/v1","kind":"DownloadRequest","metadata":{"name":"b1-log"},"spec":{"target":{"kind":"BackupLog","name":"b1"}}}`)
	require.Equal(t, 201, code, body)
	code, body = get(t, srv, "GET", drs+"/b1-log", "")
	require.Equal(t, 200, code)
	var dr struct {
		Status struct{ Phase, DownloadURL string }
	}
	require.NoError(t, json.Unmarshal([]byte(body), &dr))
	require.Equal(t, "Processed", dr.Status.Phase)
	resp, err := srv.Client().Get(dr.Status.DownloadURL) //nolint:noctx // a test's server
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	require.Empty(t, resp.Header.Get("Content-Encoding"), "gzipped as object storage keeps it, not encoded for transport")
	gz, err := gzip.NewReader(resp.Body)
	require.NoError(t, err)
	data, err := io.ReadAll(gz)
	require.NoError(t, err)
	require.Equal(t, "the log of b1\n", string(data))
	code, _ = get(t, srv, "DELETE", drs+"/b1-log", "")
	require.Equal(t, 200, code)
	code, _ = get(t, srv, "GET", drs+"/b1-log", "")
	require.Equal(t, 404, code)

	_, body = send(t, srv, "POST", drs, "", `{"metadata":{"name":"b2-log"},"spec":{"target":{"kind":"BackupResults","name":"b2"}}}`)
	require.NoError(t, json.Unmarshal([]byte(body), &dr))
	resp2, err := srv.Client().Get(dr.Status.DownloadURL) //nolint:noctx // a test's server
	require.NoError(t, err)
	_ = resp2.Body.Close()
	require.Equal(t, 404, resp2.StatusCode, "a file the bundle lacks: the CLI says it is not found")

	code, body = send(t, srv, "POST", "/apis/velero.io/v1/namespaces/velero/serverstatusrequests", "", `{"metadata":{"generateName":"velero-cli-"}}`)
	require.Equal(t, 201, code)
	require.Contains(t, body, `"serverVersion":"v1.18.3"`)
	require.Contains(t, body, `"name":"velero.io/aws"`)
	require.Contains(t, body, `"name":"velero-cli-`)

	_, body = send(t, srv, "POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", "", `{"spec":{"resourceAttributes":{"verb":"delete","group":"velero.io","resource":"backups"}}}`)
	require.Contains(t, body, `"allowed":false`)
	_, body = send(t, srv, "POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", "", `{"spec":{"resourceAttributes":{"verb":"list","group":"velero.io","resource":"backups"}}}`)
	require.Contains(t, body, `"allowed":true`)
	code, _ = send(t, srv, "POST", "/apis/velero.io/v1/namespaces/velero/backups", "", `{"metadata":{"name":"x"}}`)
	require.Equal(t, 405, code)
}
