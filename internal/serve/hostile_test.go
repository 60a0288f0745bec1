package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/velero-debug/velero-debug/internal/bundle"
)

// regressionHandler serves a bundle made by build, called directly: a
// panic in a handler fails the test instead of being swallowed by
// net/http.
func regressionHandler(t *testing.T, build func(w *bundle.Writer)) http.Handler {
	t.Helper()
	out := filepath.Join(t.TempDir(), "b.tar.gz")
	w, err := bundle.Create(out, bundle.Options{})
	require.NoError(t, err)
	build(w)
	return Handler(closeAndLoad(t, w, out))
}

func serveDirect(h http.Handler, method, path, body string) (int, string) {
	req := httptest.NewRequestWithContext(context.Background(), method, path, strings.NewReader(body))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

// A client's body is input too: JSON null, an object without spec, or a
// spec that is not an object must be answered (400 or 201), not panic
// (velero.go create: `o["metadata"] = meta` on a nil map;
// `o["spec"].(map[string]any)` unchecked; the same in review).
func TestHostileBodies(t *testing.T) {
	h := regressionHandler(t, func(w *bundle.Writer) {
		require.NoError(t, w.AddBytes(bundle.Item{Path: "backups/b1/log.txt", Type: "test"}, []byte("log\n")))
	})
	paths := []string{
		"/apis/velero.io/v1/namespaces/velero/downloadrequests",
		"/apis/velero.io/v1/namespaces/velero/serverstatusrequests",
		"/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
	}
	for _, p := range paths {
		for _, body := range []string{`null`, `{}`, `{"spec":1}`, `{"spec":{"target":"x","resourceAttributes":[]}}`} {
			t.Run(p+" "+body, func(t *testing.T) {
				var code int
				require.NotPanics(t, func() { code, _ = serveDirect(h, "POST", p, body) })
				require.Contains(t, []int{http.StatusBadRequest, http.StatusCreated}, code)
			})
		}
	}
}

// docs/serve.md: "a list the collection could not read answers with the
// error it recorded (403 for a forbidden list)". A list refused in one
// namespace is served as an empty list as soon as the resource exists in
// another namespace (objects.go list: the failed lists are consulted only
// when the resource has no objects at all).
func TestHostileForbiddenListInOneNamespace(t *testing.T) {
	h := regressionHandler(t, func(w *bundle.Writer) {
		require.NoError(t, w.AddBytes(bundle.Item{Path: "resources/velero/core_v1/pods.json", Type: "test"},
			[]byte(objList(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"velero"}}`))))
		require.NoError(t, w.AddBytes(bundle.Item{Path: "resources/default/core_v1/configmaps.json", Type: "test"},
			[]byte(objList(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","namespace":"default"}}`))))
		require.NoError(t, w.AddError(bundle.Item{Path: "resources/velero/core_v1/configmaps.json", Type: "object-list"},
			errors.New(`configmaps is forbidden: User "u" cannot list resource "configmaps" in the namespace "velero"`)))
	})
	code, body := serveDirect(h, "GET", "/api/v1/namespaces/velero/configmaps", "")
	require.Equal(t, http.StatusForbidden, code, "an empty list says the namespace has no config maps; the bundle only could not read them: %s", body)
}

// A deleted DownloadRequest's file stays downloadable and its entry is
// kept forever (deleteRequest leaves requests.downloads alone), and a
// request refused for the bound is still registered (setDownload runs
// before put): the downloads map grows without bound.
func TestHostileDownloadForgottenOnDelete(t *testing.T) {
	h := regressionHandler(t, func(w *bundle.Writer) {
		require.NoError(t, w.AddBytes(bundle.Item{Path: "backups/b1/log.txt", Type: "test"}, []byte("log\n")))
	})
	const drs = "/apis/velero.io/v1/namespaces/velero/downloadrequests"
	code, body := serveDirect(h, "POST", drs, `{"metadata":{"name":"d"},"spec":{"target":{"kind":"BackupLog","name":"b1"}}}`)
	require.Equal(t, http.StatusCreated, code)
	var dr struct{ Status struct{ DownloadURL string } }
	require.NoError(t, json.Unmarshal([]byte(body), &dr))
	download := dr.Status.DownloadURL[strings.Index(dr.Status.DownloadURL, downloadPath):]
	code, _ = serveDirect(h, "GET", download, "")
	require.Equal(t, http.StatusOK, code)
	code, _ = serveDirect(h, "POST", drs, `{"metadata":{"name":"d"},"spec":{"target":{"kind":"BackupLog","name":"b1"}}}`)
	require.Equal(t, http.StatusConflict, code, "a name taken")
	code, _ = serveDirect(h, "DELETE", drs+"/d", "")
	require.Equal(t, http.StatusOK, code)
	code, _ = serveDirect(h, "GET", download, "")
	require.Equal(t, http.StatusNotFound, code, "the request was deleted: its file is no longer served")
	require.Empty(t, h.(*api).reqs.downloads, "a deleted request leaves nothing behind")
}

// A CRD of a hostile bundle may give a printer column a jsonPath whose
// cost is polynomial in the object's depth (`..a..a..a`: depth^3): a
// 1.2 KB object costs seconds of CPU and gigabytes of allocation per row
// per `kubectl get`, and the handler cannot be stopped. A Table must be
// cheap whatever the CRD says (e.g. accept only simple field paths, as
// kubectl's own columns use).
func TestHostilePrinterColumnRecursiveDescent(t *testing.T) {
	const depth = 100
	doc := strings.Repeat(`{"a":`, depth) + `1` + strings.Repeat(`}`, depth)
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(doc), &m))
	a := &api{s: &Store{}}
	c := a.printerColumn(printerColumn{Name: "c", Type: "string", JSONPath: "..a..a..a"})
	start := time.Now()
	c.cell(m)
	require.Less(t, time.Since(start), 250*time.Millisecond, "one cell of a %d-byte object", len(doc))
}

// kubectl logs --limit-bytes=100 on a log of one long line reads the
// whole line into memory (bufio ReadString), twice over: a 1 MB bundle
// can hold a 1 GB line, and each request then allocates about 2 GB.
func TestHostileLogLongLineLimitBytes(t *testing.T) {
	line := strings.Repeat("a", 64<<20) + "\n"
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var out bytes.Buffer
	err := writeLog(&out, strings.NewReader(line), logOptions{tail: -1, limitBytes: 100})
	runtime.ReadMemStats(&after)
	require.ErrorIs(t, err, errLimit)
	require.Equal(t, 100, out.Len())
	allocated := after.TotalAlloc - before.TotalAlloc
	require.Less(t, allocated, uint64(16<<20), "100 bytes of a 64 MB line allocated %d MB", allocated>>20)
}
