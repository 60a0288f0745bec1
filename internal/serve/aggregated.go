package serve

import (
	"maps"
	"net/http"
	"slices"
	"strings"

	apidiscoveryv2 "k8s.io/api/apidiscovery/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// aggregatedType is the media type of aggregated discovery, which kubectl
// asks for first: every group, version and resource in one answer.
const aggregatedType = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"

// wantsAggregated reports whether the client asks /api or /apis for
// aggregated discovery.
func wantsAggregated(r *http.Request) bool {
	accept := r.Header.Get("Accept")
	return strings.Contains(accept, "g=apidiscovery.k8s.io") && strings.Contains(accept, "v=v2") && strings.Contains(accept, "as=APIGroupDiscoveryList")
}

// aggregated answers /api (core) or /apis (the other groups) as an
// APIGroupDiscoveryList, from the same resources as per-group discovery.
func (a *api) aggregated(w http.ResponseWriter, core bool) {
	out := apidiscoveryv2.APIGroupDiscoveryList{TypeMeta: metav1.TypeMeta{Kind: "APIGroupDiscoveryList", APIVersion: "apidiscovery.k8s.io/v2"},
		Items: []apidiscoveryv2.APIGroupDiscovery{}}
	var groups []metav1.APIGroup
	if core {
		groups = []metav1.APIGroup{{Versions: []metav1.GroupVersionForDiscovery{{GroupVersion: "v1", Version: "v1"}}}}
	} else {
		groups = a.groups().Groups
	}
	for _, g := range groups {
		gd := apidiscoveryv2.APIGroupDiscovery{ObjectMeta: metav1.ObjectMeta{Name: g.Name}}
		for _, v := range g.Versions {
			list, ok := a.resourceList(schema.GroupVersion{Group: g.Name, Version: v.Version})
			if !ok {
				continue
			}
			gd.Versions = append(gd.Versions, apidiscoveryv2.APIVersionDiscovery{Version: v.Version,
				Resources: discoveryResources(g.Name, v.Version, list.APIResources), Freshness: apidiscoveryv2.DiscoveryFreshnessCurrent})
		}
		out.Items = append(out.Items, gd)
	}
	w.Header().Set("Content-Type", aggregatedType)
	writeBody(w, &out)
}

// discoveryResources turns per-group discovery's resources into
// aggregated discovery's: subresources (pods/log) under their resource.
func discoveryResources(group, version string, rs []metav1.APIResource) []apidiscoveryv2.APIResourceDiscovery {
	byName := map[string]*apidiscoveryv2.APIResourceDiscovery{}
	for _, r := range rs {
		if strings.Contains(r.Name, "/") {
			continue
		}
		scope := apidiscoveryv2.ScopeCluster
		if r.Namespaced {
			scope = apidiscoveryv2.ScopeNamespace
		}
		byName[r.Name] = &apidiscoveryv2.APIResourceDiscovery{Resource: r.Name, Scope: scope, SingularResource: r.SingularName,
			ResponseKind: &metav1.GroupVersionKind{Group: group, Version: version, Kind: r.Kind},
			Verbs:        r.Verbs, ShortNames: r.ShortNames, Categories: r.Categories}
	}
	for _, r := range rs {
		parent, sub, ok := strings.Cut(r.Name, "/")
		if p := byName[parent]; ok && p != nil {
			p.Subresources = append(p.Subresources, apidiscoveryv2.APISubresourceDiscovery{Subresource: sub, Verbs: r.Verbs,
				ResponseKind: &metav1.GroupVersionKind{Group: group, Version: version, Kind: r.Kind}})
		}
	}
	var out []apidiscoveryv2.APIResourceDiscovery
	for _, name := range slices.Sorted(maps.Keys(byName)) {
		out = append(out, *byName[name])
	}
	return out
}
