package serve

import (
	"compress/gzip"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"strings"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/velero-debug/velero-debug/internal/veleroapi"
)

// What the Velero CLI asks of a Velero server, answered from the bundle:
// a DownloadRequest is Processed at once, its downloadURL pointing at
// this server, which serves the bundle's copy of the file gzipped as
// Velero's object store keeps it; a ServerStatusRequest is Processed with
// the version and plugins the bundle recorded. The requests live in
// memory, as created, until deleted or the server stops.

// downloadPath is where this server serves the files of DownloadRequests.
const downloadPath = "/velero-debug/download/"

// maxRequests bounds the requests kept.
const maxRequests = 10000

// requests are the Velero requests created on the server.
type requests struct {
	mu sync.Mutex
	// objs are the requests, by resource/namespace/name.
	objs map[string]createdRequest
	// downloads map a DownloadRequest's download name to its key in
	// objs.
	downloads map[string]string
	// bytes counts the requests' JSON, bounded by maxRequestBytes.
	bytes int
}

// createdRequest is a request created on the server: its JSON, and the
// bundle file of a DownloadRequest.
type createdRequest struct {
	raw      json.RawMessage
	file     string
	download string
}

// maxRequestBytes bounds the JSON of the requests kept.
const maxRequestBytes = 64 << 20

// writable are the resources a client may create (and delete).
var writable = map[schema.GroupVersionResource]bool{
	{Group: "velero.io", Version: "v1", Resource: "downloadrequests"}:                    true,
	{Group: "velero.io", Version: "v1", Resource: "serverstatusrequests"}:                true,
	{Group: "authorization.k8s.io", Version: "v1", Resource: "selfsubjectaccessreviews"}: true,
}

// create answers a POST of a Velero request, or a SelfSubjectAccessReview.
func (a *api) create(w http.ResponseWriter, r *http.Request, q request) {
	var o map[string]any
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&o); err != nil || o == nil {
		writeStatus(w, apierrors.NewBadRequest("the body is not a JSON object"))
		return
	}
	meta, _ := o["metadata"].(map[string]any)
	if meta == nil {
		meta = map[string]any{}
		o["metadata"] = meta
	}
	spec, _ := o["spec"].(map[string]any)
	if q.gvr.Resource == "selfsubjectaccessreviews" {
		a.review(w, o, spec)
		return
	}
	if q.namespace == "" {
		writeStatus(w, apierrors.NewBadRequest(q.gvr.Resource+" are namespaced: post them to /apis/velero.io/v1/namespaces/<namespace>/"+q.gvr.Resource))
		return
	}
	name, _ := meta["name"].(string)
	if name == "" {
		prefix, _ := meta["generateName"].(string)
		name = prefix + randomSuffix()
	}
	if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
		writeStatus(w, apierrors.NewBadRequest(fmt.Sprintf("name %q: %s", name, strings.Join(errs, "; "))))
		return
	}
	now := time.Now().UTC()
	meta["name"], meta["namespace"], meta["creationTimestamp"], meta["uid"], meta["resourceVersion"] =
		name, q.namespace, now.Format(time.RFC3339), randomSuffix()+randomSuffix(), "1"
	created := createdRequest{}
	switch q.gvr.Resource {
	case "downloadrequests":
		target, _ := spec["target"].(map[string]any)
		kind, _ := target["kind"].(string)
		owner, _ := target["name"].(string)
		t := veleroapi.Target(kind)
		created.file, created.download = path.Join(t.Owner(), owner, t.File()), q.namespace+"-"+name
		o["status"] = map[string]any{"phase": "Processed", "downloadURL": "http://" + r.Host + downloadPath + created.download,
			"expiration": now.Add(10 * time.Minute).Format(time.RFC3339)}
	case "serverstatusrequests":
		o["status"] = a.serverStatus(now)
	}
	raw, err := json.Marshal(o)
	if err != nil {
		writeStatus(w, apierrors.NewInternalError(err))
		return
	}
	created.raw = raw
	if err := a.reqs.put(q.gvr.Resource+"/"+q.namespace+"/"+name, created); err != nil {
		writeStatus(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_, _ = w.Write(raw)
}

// serverStatus is a processed ServerStatusRequest's status: the server's
// version and plugins the bundle recorded (velero/version.json).
func (a *api) serverStatus(now time.Time) map[string]any {
	var v struct {
		Server  map[string]string `json:"server"`
		Plugins []struct {
			Name string `json:"name"`
			Kind string `json:"kind"`
		} `json:"plugins"`
	}
	_ = json.Unmarshal(a.s.veleroVersion, &v)
	plugins := []any{}
	for _, p := range v.Plugins {
		plugins = append(plugins, map[string]any{"name": p.Name, "kind": p.Kind})
	}
	return map[string]any{"phase": "Processed", "processedTimestamp": now.Format(time.RFC3339),
		"serverVersion": v.Server["version"], "plugins": plugins}
}

// review answers a SelfSubjectAccessReview honestly: reads are allowed,
// writes are not, but the Velero requests this server answers.
func (a *api) review(w http.ResponseWriter, o, spec map[string]any) {
	attrs, _ := spec["resourceAttributes"].(map[string]any)
	verb, _ := attrs["verb"].(string)
	group, _ := attrs["group"].(string)
	res, _ := attrs["resource"].(string)
	allowed := verb == "get" || verb == "list" || verb == "watch"
	reason := "this API serves a velero-debug bundle, read-only"
	if gvr := (schema.GroupVersionResource{Group: group, Version: "v1", Resource: res}); writable[gvr] && (verb == "create" || verb == "delete") {
		allowed, reason = true, "velero-debug answers Velero's requests from the bundle"
	}
	o["status"] = map[string]any{"allowed": allowed, "reason": reason}
	writeJSON(w, http.StatusCreated, o)
}

// getRequest answers a GET of a created request.
func (a *api) getRequest(w http.ResponseWriter, q request) bool {
	raw, ok := a.reqs.get(q.gvr.Resource + "/" + q.namespace + "/" + q.name)
	if !ok {
		return false
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(raw)
	return true
}

// deleteRequest answers a DELETE of a created request.
func (a *api) deleteRequest(w http.ResponseWriter, q request) {
	if !a.reqs.delete(q.gvr.Resource + "/" + q.namespace + "/" + q.name) {
		writeStatus(w, apierrors.NewNotFound(q.gvr.GroupResource(), q.name))
		return
	}
	writeJSON(w, http.StatusOK, &metav1.Status{TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"}, Status: metav1.StatusSuccess})
}

// download serves the file of a DownloadRequest gzipped, as Velero's
// object store keeps it, without a Content-Encoding: the Velero CLI
// decompresses it itself. A file the bundle lacks is 404, which the CLI
// reports as not found.
func (a *api) download(w http.ResponseWriter, r *http.Request) {
	file, ok := a.reqs.file(strings.TrimPrefix(r.URL.Path, downloadPath))
	spooled, inBundle := a.s.files[file]
	if !ok || !inBundle {
		http.Error(w, fmt.Sprintf("%s is not in this bundle (see manifest.json)", file), http.StatusNotFound)
		return
	}
	f, err := os.Open(spooled) //nolint:gosec // G304: a file of the store's own
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	defer func() { _ = f.Close() }()
	w.Header().Set("Content-Type", "application/octet-stream")
	gz := gzip.NewWriter(w)
	if _, err := io.Copy(gz, f); err != nil {
		return // the client left
	}
	_ = gz.Close()
}

// put keeps a created request under key; an existing key, or past the
// bounds, is refused.
func (rs *requests) put(key string, c createdRequest) *apierrors.StatusError {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.objs == nil {
		rs.objs, rs.downloads = map[string]createdRequest{}, map[string]string{}
	}
	if _, ok := rs.objs[key]; ok {
		return apierrors.NewAlreadyExists(schema.GroupResource{Group: "velero.io", Resource: strings.Split(key, "/")[0]}, key)
	}
	if len(rs.objs) >= maxRequests || rs.bytes+len(c.raw) > maxRequestBytes {
		return apierrors.NewTooManyRequests(fmt.Sprintf("more than %d requests (or %d MiB of them) kept: delete some", maxRequests, maxRequestBytes>>20), 1)
	}
	rs.objs[key], rs.bytes = c, rs.bytes+len(c.raw)
	if c.download != "" {
		rs.downloads[c.download] = key
	}
	return nil
}

func (rs *requests) get(key string) (json.RawMessage, bool) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	c, ok := rs.objs[key]
	return c.raw, ok
}

// file is the bundle file of the DownloadRequest whose download name is
// download.
func (rs *requests) file(download string) (string, bool) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	key, ok := rs.downloads[download]
	if !ok {
		return "", false
	}
	return rs.objs[key].file, true
}

func (rs *requests) delete(key string) bool {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	c, ok := rs.objs[key]
	if ok {
		delete(rs.objs, key)
		delete(rs.downloads, c.download)
		rs.bytes -= len(c.raw)
	}
	return ok
}

// randomSuffix is five random letters and digits, as a generateName
// takes.
func randomSuffix() string {
	const alphabet = "bcdfghjklmnpqrstvwxz2456789"
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}
