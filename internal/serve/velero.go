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
	objs map[string]json.RawMessage
	// downloads are the bundle files of DownloadRequests, by request
	// name.
	downloads map[string]string
}

// writable are the resources a client may create (and delete).
var writable = map[schema.GroupVersionResource]bool{
	{Group: "velero.io", Version: "v1", Resource: "downloadrequests"}:                    true,
	{Group: "velero.io", Version: "v1", Resource: "serverstatusrequests"}:                true,
	{Group: "authorization.k8s.io", Version: "v1", Resource: "selfsubjectaccessreviews"}: true,
}

// create answers a POST of a Velero request, or a SelfSubjectAccessReview.
func (a *api) create(w http.ResponseWriter, r *http.Request, q request) {
	var o map[string]any
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&o); err != nil {
		writeStatus(w, apierrors.NewBadRequest(fmt.Sprintf("the body is not a JSON object: %v", err)))
		return
	}
	meta, _ := o["metadata"].(map[string]any)
	if meta == nil {
		meta = map[string]any{}
		o["metadata"] = meta
	}
	name, _ := meta["name"].(string)
	if name == "" {
		prefix, _ := meta["generateName"].(string)
		name = prefix + randomSuffix()
	}
	now := time.Now().UTC()
	meta["name"], meta["creationTimestamp"], meta["uid"], meta["resourceVersion"] = name, now.Format(time.RFC3339), randomSuffix()+randomSuffix(), "1"
	if q.namespace != "" {
		meta["namespace"] = q.namespace
	}
	switch q.gvr.Resource {
	case "selfsubjectaccessreviews":
		a.review(w, o)
		return
	case "downloadrequests":
		target, _ := o["spec"].(map[string]any)["target"].(map[string]any)
		kind, _ := target["kind"].(string)
		owner, _ := target["name"].(string)
		t := veleroapi.Target(kind)
		a.reqs.setDownload(name, path.Join(t.Owner(), owner, t.File()))
		o["status"] = map[string]any{"phase": "Processed", "downloadURL": "http://" + r.Host + downloadPath + name,
			"expiration": now.Add(10 * time.Minute).Format(time.RFC3339)}
	case "serverstatusrequests":
		o["status"] = a.serverStatus(now)
	}
	raw, err := json.Marshal(o)
	if err != nil {
		writeStatus(w, apierrors.NewInternalError(err))
		return
	}
	if !a.reqs.put(q.gvr.Resource+"/"+q.namespace+"/"+name, raw) {
		writeStatus(w, apierrors.NewTooManyRequests(fmt.Sprintf("more than %d requests kept: delete some", maxRequests), 1))
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
func (a *api) review(w http.ResponseWriter, o map[string]any) {
	attrs, _ := o["spec"].(map[string]any)["resourceAttributes"].(map[string]any)
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
	name := strings.TrimPrefix(r.URL.Path, downloadPath)
	a.reqs.mu.Lock()
	file, ok := a.reqs.downloads[name]
	a.reqs.mu.Unlock()
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

func (rs *requests) setDownload(name, file string) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.downloads == nil {
		rs.downloads = map[string]string{}
	}
	rs.downloads[name] = file
}

func (rs *requests) put(key string, raw json.RawMessage) bool {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.objs == nil {
		rs.objs = map[string]json.RawMessage{}
	}
	if len(rs.objs) >= maxRequests {
		return false
	}
	rs.objs[key] = raw
	return true
}

func (rs *requests) get(key string) (json.RawMessage, bool) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	raw, ok := rs.objs[key]
	return raw, ok
}

func (rs *requests) delete(key string) bool {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	_, ok := rs.objs[key]
	delete(rs.objs, key)
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
