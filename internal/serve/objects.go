package serve

import (
	"bufio"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	utilnet "k8s.io/apimachinery/pkg/util/net"
)

// get answers the object q names.
func (a *api) get(w http.ResponseWriter, r *http.Request, res *resource, q request) {
	if q.namespacedPath && !res.namespaced {
		writeStatus(w, apierrors.NewNotFound(q.gvr.GroupResource(), q.name))
		return
	}
	for _, o := range res.objects {
		if o.name == q.name && (o.namespace == q.namespace || !res.namespaced) {
			if wantsTable(r) {
				a.table(w, r, res, []object{o})
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(o.raw)
			return
		}
	}
	writeStatus(w, a.missing(q))
}

// list answers the objects of res in q's namespace (or all of them),
// selected by the request's label and field selectors; a watch sends
// nothing and stays open: a bundle does not change.
func (a *api) list(w http.ResponseWriter, r *http.Request, res *resource, q request) {
	if q.namespacedPath && !res.namespaced {
		writeStatus(w, apierrors.NewNotFound(q.gvr.GroupResource(), ""))
		return
	}
	// What the collection could not read, or read in part, says so: an
	// error when the bundle has none of it, a warning kubectl prints
	// when it has some.
	for _, key := range slices.Sorted(maps.Keys(a.s.failed)) {
		msg := a.s.failed[key]
		gvrPrefix := failedKey(q.gvr, "")
		if !strings.HasPrefix(key, gvrPrefix) {
			continue
		}
		ns := strings.TrimPrefix(key, gvrPrefix)
		switch {
		case q.namespace != "" && ns == q.namespace && !res.listed[ns]:
			writeStatus(w, a.missing(q))
			return
		case q.namespace == "" || ns == q.namespace || ns == "" || ns == "*":
			where := ""
			if ns != "" && ns != "*" {
				where = " in namespace " + ns
			}
			if h, err := utilnet.NewWarningHeader(299, "-", fmt.Sprintf("this bundle's list of %s%s is incomplete: %s", q.gvr.Resource, where, msg)); err == nil {
				w.Header().Add("Warning", h)
			}
		}
	}
	if q.namespace != "" && !res.listed[q.namespace] && !res.listed["*"] && !a.s.namespaces[q.namespace] && len(res.objects) == 0 {
		writeStatus(w, a.missing(q))
		return
	}
	if watch := r.URL.Query().Get("watch"); watch == "true" || watch == "1" {
		a.watch(w, r)
		return
	}
	sel, err := selectors(r)
	if err != nil {
		writeStatus(w, err)
		return
	}
	var objs []object
	for _, o := range res.objects {
		if q.namespace != "" && o.namespace != q.namespace {
			continue
		}
		if sel.matches(o) {
			objs = append(objs, o)
		}
	}
	if wantsTable(r) {
		a.table(w, r, res, objs)
		return
	}
	writeList(w, res, objs)
}

// writeList writes objs as a List of res's kind, each as the bundle holds
// it, an object at a time.
func writeList(w http.ResponseWriter, res *resource, objs []object) {
	w.Header().Set("Content-Type", "application/json")
	bw := bufio.NewWriterSize(w, 64<<10)
	fmt.Fprintf(bw, `{"apiVersion":%q,"kind":%q,"metadata":{"resourceVersion":"1"},"items":[`, res.gvr.GroupVersion().String(), res.kind+"List")
	for i, o := range objs {
		if i > 0 {
			_ = bw.WriteByte(',')
		}
		if _, err := bw.Write(o.raw); err != nil {
			return // the client left
		}
	}
	_, _ = bw.WriteString("]}\n")
	_ = bw.Flush()
}

// watch answers a watch: nothing ever changes, so nothing is sent; the
// stream stays open until the client leaves.
func (a *api) watch(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	if r.Method == http.MethodHead {
		return
	}
	var timeout <-chan time.Time
	if secs, err := strconv.Atoi(r.URL.Query().Get("timeoutSeconds")); err == nil && secs > 0 {
		timeout = time.After(time.Duration(secs) * time.Second)
	}
	select {
	case <-r.Context().Done():
	case <-timeout:
	}
}

// selector is a request's label and field selectors.
type selector struct {
	labels labels.Selector
	fields fields.Selector
}

func selectors(r *http.Request) (selector, *apierrors.StatusError) {
	sel := selector{labels: labels.Everything(), fields: fields.Everything()}
	var err error
	if l := r.URL.Query().Get("labelSelector"); l != "" {
		if sel.labels, err = labels.Parse(l); err != nil {
			return sel, apierrors.NewBadRequest(fmt.Sprintf("labelSelector %q: %v", l, err))
		}
	}
	if f := r.URL.Query().Get("fieldSelector"); f != "" {
		if sel.fields, err = fields.ParseSelector(f); err != nil {
			return sel, apierrors.NewBadRequest(fmt.Sprintf("fieldSelector %q: %v", f, err))
		}
	}
	return sel, nil
}

// matches reports whether o is selected: its labels by the label
// selector, the fields the field selector names (metadata.name,
// involvedObject.kind, spec.nodeName, status.phase...) read from o.
func (s selector) matches(o object) bool {
	if !s.labels.Matches(labels.Set(o.labels)) {
		return false
	}
	if s.fields.Empty() {
		return true
	}
	var m map[string]any
	if json.Unmarshal(o.raw, &m) != nil {
		return false
	}
	set := fields.Set{}
	for _, req := range s.fields.Requirements() {
		set[req.Field] = fieldValue(m, req.Field)
		if req.Field == "involvedObject.uid" && set[req.Field] == "" {
			// An event that does not name its object's uid (one
			// recorded by hand) is about any object of its name, as
			// kubectl describe asks.
			set[req.Field] = req.Value
		}
	}
	return s.fields.Matches(set)
}

// fieldValue is the value at a dotted field path of m, as a field
// selector reads it; "" when it is missing.
func fieldValue(m map[string]any, path string) string {
	var v any = m
	for _, k := range strings.Split(path, ".") {
		mm, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		v = mm[k]
	}
	switch v := v.(type) {
	case string:
		return v
	case nil:
		return ""
	default:
		data, _ := json.Marshal(v)
		return string(data)
	}
}

// namespaces answers namespaces: those the bundle's objects live in.
func (a *api) namespaces(w http.ResponseWriter, r *http.Request, q request) {
	res := &resource{gvr: q.gvr, kind: "Namespace"}
	for _, ns := range slices.Sorted(maps.Keys(a.s.namespaces)) {
		raw, _ := json.Marshal(map[string]any{"apiVersion": "v1", "kind": "Namespace",
			"metadata": map[string]any{"name": ns, "labels": map[string]string{"kubernetes.io/metadata.name": ns}},
			"status":   map[string]any{"phase": "Active"}})
		res.objects = append(res.objects, object{name: ns, labels: map[string]string{"kubernetes.io/metadata.name": ns}, raw: raw})
	}
	if q.name != "" {
		a.get(w, r, res, q)
		return
	}
	a.list(w, r, res, q)
}

// rawObject is an object of the bundle in a Table's row.
func rawObject(o object, include string) runtime.RawExtension {
	switch include {
	case string(metav1.IncludeNone):
		return runtime.RawExtension{}
	case string(metav1.IncludeObject):
		return runtime.RawExtension{Raw: o.raw}
	}
	var m struct {
		APIVersion string          `json:"apiVersion"`
		Kind       string          `json:"kind"`
		Metadata   json.RawMessage `json:"metadata"`
	}
	_ = json.Unmarshal(o.raw, &m)
	raw, _ := json.Marshal(map[string]any{"apiVersion": "meta.k8s.io/v1", "kind": "PartialObjectMetadata", "metadata": m.Metadata})
	return runtime.RawExtension{Raw: raw}
}
