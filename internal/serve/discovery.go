package serve

import (
	"encoding/json"
	"slices"
	"sort"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// crdInfo is what the bundle's CustomResourceDefinitions say of one
// served version of a custom resource: its names and printer columns.
type crdInfo struct {
	singular   string
	shortNames []string
	categories []string
	columns    []printerColumn
}

// printerColumn is a column of a CRD's additionalPrinterColumns.
type printerColumn struct {
	Name        string `json:"name"`
	Type        string `json:"type"`
	Format      string `json:"format"`
	Description string `json:"description"`
	Priority    int32  `json:"priority"`
	JSONPath    string `json:"jsonPath"`
}

// crd is what serve reads of a CustomResourceDefinition.
type crd struct {
	Spec struct {
		Group string `json:"group"`
		Scope string `json:"scope"`
		Names struct {
			Plural     string   `json:"plural"`
			Singular   string   `json:"singular"`
			Kind       string   `json:"kind"`
			ShortNames []string `json:"shortNames"`
			Categories []string `json:"categories"`
		} `json:"names"`
		Versions []struct {
			Name                     string          `json:"name"`
			AdditionalPrinterColumns []printerColumn `json:"additionalPrinterColumns"`
		} `json:"versions"`
	} `json:"spec"`
}

// readCRDs indexes the CustomResourceDefinitions of the bundle.
func (s *Store) readCRDs() {
	s.crds = map[schema.GroupVersionResource]crdInfo{}
	res := s.resources[schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}]
	if res == nil {
		return
	}
	for _, o := range res.objects {
		var crd crd
		if json.Unmarshal(o.raw, &crd) != nil {
			continue
		}
		n := crd.Spec.Names
		for _, v := range crd.Spec.Versions {
			gvr := schema.GroupVersionResource{Group: crd.Spec.Group, Version: v.Name, Resource: n.Plural}
			s.crds[gvr] = crdInfo{singular: n.Singular, shortNames: n.ShortNames, categories: n.Categories, columns: v.AdditionalPrinterColumns}
			if r := s.resources[gvr]; r != nil {
				r.namespaced = crd.Spec.Scope == "Namespaced"
				if r.kind == "" || len(r.objects) == 0 {
					r.kind = n.Kind
				}
			}
		}
	}
}

// resourceList is the APIResourceList of a group version the bundle
// holds: every resource it has objects or a list of, with get, list and
// watch; pods with their log.
func (a *api) resourceList(gv schema.GroupVersion) (*metav1.APIResourceList, bool) {
	out := &metav1.APIResourceList{TypeMeta: metav1.TypeMeta{Kind: "APIResourceList", APIVersion: "v1"}, GroupVersion: gv.String()}
	found := false
	for gvr, res := range a.s.resources {
		if gvr.GroupVersion() != gv {
			continue
		}
		found = true
		ar := metav1.APIResource{Name: gvr.Resource, Kind: res.kind, Namespaced: res.namespaced, Verbs: readVerbs,
			SingularName: strings.ToLower(res.kind)}
		if writable[gvr] {
			ar.Verbs = append(slices.Clone(readVerbs), "create", "delete")
		}
		if info, ok := a.s.crds[gvr]; ok {
			ar.SingularName, ar.ShortNames, ar.Categories = info.singular, info.shortNames, info.categories
		}
		out.APIResources = append(out.APIResources, ar)
		if gvr.Resource == "pods" && gv.Group == "" {
			out.APIResources = append(out.APIResources, metav1.APIResource{Name: "pods/log", Kind: "Pod", Namespaced: true, Verbs: metav1.Verbs{"get"}})
		}
	}
	// The Velero requests the server answers, whether the bundle holds
	// some or not.
	for gvr := range writable {
		if gvr.GroupVersion() != gv || a.s.resources[gvr] != nil {
			continue
		}
		found = true
		kind := kindOf(gvr.Resource)
		if gvr.Resource == "selfsubjectaccessreviews" {
			kind = "SelfSubjectAccessReview"
		}
		out.APIResources = append(out.APIResources, metav1.APIResource{Name: gvr.Resource, SingularName: strings.ToLower(kind), Kind: kind,
			Namespaced: gvr.Group == "velero.io", Verbs: metav1.Verbs{"create", "get", "delete"}})
	}
	if gv.Group == "" && gv.Version == "v1" {
		found = true
		out.APIResources = append(out.APIResources, metav1.APIResource{Name: "namespaces", SingularName: "namespace", Kind: "Namespace", Verbs: readVerbs, ShortNames: []string{"ns"}})
	}
	sort.Slice(out.APIResources, func(i, j int) bool { return out.APIResources[i].Name < out.APIResources[j].Name })
	return out, found
}

// readVerbs are the verbs of every resource served.
var readVerbs = metav1.Verbs{"get", "list", "watch"}
