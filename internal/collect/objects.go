package collect

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/velero-debug/velero-debug/internal/bundle"
	"github.com/velero-debug/velero-debug/internal/plan"
	"github.com/velero-debug/velero-debug/internal/veleroapi"
)

// pageSize is the number of objects asked for in one list request, as
// kubectl's --chunk-size: fewer requests list faster (the API server pays
// for each). With Clients.REST a page streams in an object at a time; the
// dynamic client holds a page as maps, about 16 times its JSON (at 30,000
// PodVolumeBackups of 1 KiB, pages of 100, 250 and 500 held whole peaked at
// about 80, 90 and 105 MiB RSS, the largest list taking about 14, 12 and
// 11 s; see docs/performance.md).
const pageSize = 500

// objectQuery lists one resource into one item of the bundle.
type objectQuery struct {
	gvr schema.GroupVersionResource
	// namespace is empty for cluster-scoped resources, or for all
	// namespaces.
	namespace string
	// labelSelector and fieldSelector select objects on the server.
	labelSelector, fieldSelector string
	// path is the item's path in the bundle.
	path string
	// optional resources may not be served: their absence is a skip.
	optional bool
	// keep, when set, selects the objects to write.
	keep func(*unstructured.Unstructured) bool
	// clean, when set, removes fields from each object before it is written.
	clean func(*unstructured.Unstructured)
	// visit, when set, sees each object written.
	visit func(*unstructured.Unstructured)
	// sparse lists leave nothing in the bundle when they have no object
	// (a failure is still recorded).
	sparse bool
	// ended, when set, hears whether the list read every object once it
	// ends: the summaries its visit fed may be used, or must be read anew.
	ended func(complete bool)
}

// resourcePath is where a namespaced list goes:
// resources/<namespace>/<group>_<version>/<resource>.json, with "core" for
// the core group and "_cluster" for cluster-scoped resources.
func resourcePath(namespace string, gvr schema.GroupVersionResource) string {
	return plan.ObjectsPath(namespace, gvr.Group, gvr.Version, gvr.Resource)
}

func (q objectQuery) source() string {
	s := q.gvr.Resource
	if q.gvr.Group != "" {
		s += "." + q.gvr.Group
	}
	s += "/" + q.gvr.Version
	if q.namespace != "" {
		s += " in namespace " + q.namespace
	}
	if q.labelSelector != "" {
		s += " with labels " + q.labelSelector
	}
	if q.fieldSelector != "" {
		s += " with fields " + q.fieldSelector
	}
	return "list " + s
}

// list writes every object of q, page by page, as one JSON List. Objects
// are streamed: a page at a time is held in memory. A failure after some
// pages keeps them, closes the JSON, and records the error.
func (r *run) list(ctx context.Context, q objectQuery) error {
	complete := false // every page read
	if q.ended != nil {
		defer func() { q.ended(complete) }()
	}
	if q.sparse {
		return r.sparseList(ctx, q)
	}
	item := bundle.Item{Path: q.path, Type: "object-list", Source: q.source()}
	e, err := r.open(item)
	if err != nil {
		return err
	}
	lw := listWriter{w: e}
	err = r.pages(ctx, q, &lw)
	if q.optional && apierrors.IsNotFound(err) && !lw.started {
		reason := fmt.Sprintf("%s is not served by this cluster", q.gvr.GroupResource())
		return e.Skip(reason)
	}
	if cerr := lw.close(); err == nil {
		err = cerr
	}
	if err != nil {
		err = describeAPIError(err, q.source())
		return e.Fail(err)
	}
	complete = true
	return e.Commit()
}

// ownRequest reports whether o is a request this run made the Velero
// server process: there only while the run asks, it is not evidence.
func (r *run) ownRequest(q objectQuery, o *unstructured.Unstructured) bool {
	return q.gvr.Group == VeleroGroup && r.cfg.RunID != "" && o.GetLabels()[veleroapi.RunLabel] == r.cfg.RunID
}

// pages lists q page by page into lw.
func (r *run) pages(ctx context.Context, q objectQuery, lw *listWriter) error {
	opts := metav1.ListOptions{Limit: pageSize, LabelSelector: q.labelSelector, FieldSelector: q.fieldSelector}
	downloadRequests := q.gvr.Group == VeleroGroup && q.gvr.Resource == "downloadrequests"
	each := func(o *unstructured.Unstructured) error {
		if q.keep != nil && !q.keep(o) || r.ownRequest(q, o) {
			return nil
		}
		cleanObject(o)
		if q.clean != nil {
			q.clean(o)
		}
		if downloadRequests {
			dropDownloadURL(o)
		}
		if err := lw.item(o.Object); err != nil {
			return err
		}
		if q.visit != nil {
			q.visit(o)
		}
		return nil
	}
	for {
		page, err := r.page(ctx, q, opts, lw, each)
		if err != nil {
			return err
		}
		if opts.Continue = page.cont; opts.Continue == "" {
			return nil
		}
	}
}

// page lists one page of q, calling each with its objects: as they stream
// in, one at a time, when the run has a REST client (see Clients.REST),
// else from the dynamic client's decoded page.
func (r *run) page(ctx context.Context, q objectQuery, opts metav1.ListOptions, lw *listWriter, each func(*unstructured.Unstructured) error) (listPage, error) {
	reqCtx, cancel := r.requestContext(ctx)
	defer cancel()
	if r.clients.REST != nil {
		page, err := r.streamPage(reqCtx, q, opts, each)
		if err == nil {
			err = lw.header(page.apiVersion, page.kind) // a custom resource List names its kind after its items
		}
		return page, err
	}
	list, err := r.clients.Dynamic.Resource(q.gvr).Namespace(q.namespace).List(reqCtx, opts)
	if err != nil {
		return listPage{}, err
	}
	if err := lw.header(list.GetAPIVersion(), list.GetKind()); err != nil {
		return listPage{}, err
	}
	for i := range list.Items {
		if err := each(&list.Items[i]); err != nil {
			return listPage{}, err
		}
	}
	return listPage{apiVersion: list.GetAPIVersion(), kind: list.GetKind(), cont: list.GetContinue()}, nil
}

// cleanObject drops what no reader of a bundle needs: the managed fields
// take more room than the object and say nothing of its state.
func cleanObject(o *unstructured.Unstructured) {
	o.SetManagedFields(nil)
}

// listWriter writes a JSON List one item at a time, with one item per line
// so that a bundle's lists diff and grep well. Nothing is written before
// the first item or close.
type listWriter struct {
	w io.Writer
	// started is set once a page arrived.
	started          bool
	apiVersion, kind string
	written          bool
	items            int
	// held are the items of the first page that came before the List's
	// kind (as the API server writes a custom resource List): written
	// once header knows it.
	held bytes.Buffer
}

// header records the List's apiVersion and kind, from the first page, and
// writes the items held until then.
func (l *listWriter) header(apiVersion, kind string) error {
	if l.started {
		return nil
	}
	l.started, l.apiVersion, l.kind = true, apiVersion, kind
	return l.release()
}

// release writes the held items, after the header.
func (l *listWriter) release() error {
	if l.held.Len() == 0 {
		return nil
	}
	if err := l.writeHeader(); err != nil {
		return err
	}
	_, err := l.w.Write(l.held.Bytes())
	l.held = bytes.Buffer{}
	return err
}

// writeHeader writes {"apiVersion":...,"kind":...,"items":[ once.
func (l *listWriter) writeHeader() error {
	if l.written {
		return nil
	}
	l.written = true
	if !l.started {
		l.apiVersion, l.kind = "v1", "List"
	}
	hdr, err := json.Marshal(map[string]string{"apiVersion": l.apiVersion, "kind": l.kind})
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(l.w, "%s,\"items\":[", hdr[:len(hdr)-1])
	return err
}

func (l *listWriter) item(obj map[string]any) error {
	data, err := json.Marshal(obj)
	if err != nil {
		return fmt.Errorf("encoding object: %w", err)
	}
	sep := ",\n"
	if l.items == 0 {
		sep = "\n"
	}
	l.items++
	if !l.started {
		l.held.WriteString(sep)
		l.held.Write(data)
		return nil
	}
	if err := l.writeHeader(); err != nil {
		return err
	}
	if _, err := io.WriteString(l.w, sep); err != nil {
		return err
	}
	_, err = l.w.Write(data)
	return err
}

// close ends the List; a list that never got a page is an empty List.
func (l *listWriter) close() error {
	if err := l.writeHeader(); err != nil {
		return err
	}
	if _, err := l.w.Write(l.held.Bytes()); err != nil { // the first page cut short
		return err
	}
	_, err := io.WriteString(l.w, "\n]}\n")
	return err
}
