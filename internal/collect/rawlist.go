package collect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utiljson "k8s.io/apimachinery/pkg/util/json"
)

// listPage is what a page of a list says of itself.
type listPage struct {
	apiVersion, kind string
	cont             string // the continue token of the next page
}

// streamPage lists one page of q as the API server sends it, and calls f
// with each object as it is decoded: one object is held at a time, not the
// page's maps (about 16 times the page's JSON). The objects are decoded as
// client-go's dynamic client decodes them, so the bundle is the same.
func (r *run) streamPage(ctx context.Context, q objectQuery, opts metav1.ListOptions, f func(*unstructured.Unstructured) error) (listPage, error) {
	segments := []string{"/apis", q.gvr.Group, q.gvr.Version}
	if q.gvr.Group == "" {
		segments = []string{"/api", q.gvr.Version}
	}
	if q.namespace != "" {
		segments = append(segments, "namespaces", q.namespace)
	}
	segments = append(segments, q.gvr.Resource)
	stream, err := r.clients.REST.Get().AbsPath(path.Join(segments...)).
		VersionedParams(&opts, metav1.ParameterCodec).
		SetHeader("Accept", "application/json").
		Stream(ctx)
	if err != nil {
		return listPage{}, err
	}
	defer func() { _ = stream.Close() }()
	return decodePage(stream, f)
}

// decodePage reads a List from rd, calling f with each of its items.
func decodePage(rd io.Reader, f func(*unstructured.Unstructured) error) (listPage, error) {
	var page listPage
	dec := json.NewDecoder(rd)
	if err := expectDelim(dec, '{'); err != nil {
		return page, err
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return page, err
		}
		key, _ := tok.(string)
		switch key {
		case "apiVersion":
			err = dec.Decode(&page.apiVersion)
		case "kind":
			err = dec.Decode(&page.kind)
		case "metadata":
			var m struct {
				Continue string `json:"continue"`
			}
			if err = dec.Decode(&m); err == nil {
				page.cont = m.Continue
			}
		case "items":
			err = decodeItems(dec, &page, f)
		default:
			var skip json.RawMessage
			err = dec.Decode(&skip)
		}
		if err != nil {
			return page, fmt.Errorf("decoding the list's %s: %w", key, err)
		}
	}
	return page, expectDelim(dec, '}')
}

// decodeItems reads the items array of a List. The API server does not set
// the kind and apiVersion of the items of a typed list (a PodList): they
// are the list's, as client-go sets them. The list's own kind and
// apiVersion come first in what the API server writes.
func decodeItems(dec *json.Decoder, page *listPage, f func(*unstructured.Unstructured) error) error {
	if err := expectDelim(dec, '['); err != nil {
		return err
	}
	for dec.More() {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return err
		}
		o := &unstructured.Unstructured{}
		if err := utiljson.Unmarshal(raw, &o.Object); err != nil {
			return err
		}
		if o.GetKind() == "" && o.GetAPIVersion() == "" {
			if page.kind == "" {
				return errors.New("an item without a kind before the list's kind")
			}
			o.SetKind(strings.TrimSuffix(page.kind, "List"))
			o.SetAPIVersion(page.apiVersion)
		}
		if err := f(o); err != nil {
			return err
		}
	}
	return expectDelim(dec, ']')
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return errors.New("the API server's answer is not a List")
	}
	return nil
}
