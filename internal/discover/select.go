package discover

import (
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/velero-debug/velero-debug/internal/plan"
)

// GroupSelected reports whether a Search selects group ("core" is the
// legacy group, "").
func GroupSelected(s *plan.Search, group string) bool {
	if len(s.Groups) == 0 {
		return true
	}
	return slices.ContainsFunc(s.Groups, func(g string) bool { return g == group || (g == "core" && group == "") })
}

// Selected is a resource a Search selected.
type Selected struct {
	GVR        schema.GroupVersionResource
	Namespaced bool
}

// Select picks the listable resources of lists that s selects,
// sorted by group, version and resource. Unless s names versions, a
// resource served in several versions is picked once: in its group's
// preferred version when that serves it, else in the first version
// discovery lists.
func Select(s *plan.Search, groups []*metav1.APIGroup, lists []*metav1.APIResourceList) []Selected {
	byGV := map[string]*metav1.APIResourceList{}
	for _, l := range lists {
		byGV[l.GroupVersion] = l
	}
	var out []Selected
	for _, g := range groups {
		if !GroupSelected(s, g.Name) {
			continue
		}
		seen := map[string]bool{}
		for _, v := range groupVersions(g) {
			if len(s.Versions) > 0 && !slices.Contains(s.Versions, v.Version) {
				continue
			}
			l := byGV[v.GroupVersion]
			if l == nil {
				continue
			}
			for _, res := range l.APIResources {
				if !Listable(res) || !kindSelected(s, res) || !categorySelected(s, res) {
					continue
				}
				if len(s.Versions) == 0 && seen[res.Name] {
					continue
				}
				seen[res.Name] = true
				out = append(out, Selected{GVR: schema.GroupVersionResource{Group: g.Name, Version: v.Version, Resource: res.Name}, Namespaced: res.Namespaced})
			}
		}
	}
	slices.SortFunc(out, func(a, b Selected) int {
		return strings.Compare(a.GVR.String(), b.GVR.String())
	})
	return out
}

// groupVersions are the versions of g, its preferred one first.
func groupVersions(g *metav1.APIGroup) []metav1.GroupVersionForDiscovery {
	vs := []metav1.GroupVersionForDiscovery{g.PreferredVersion}
	for _, v := range g.Versions {
		if v.Version != g.PreferredVersion.Version {
			vs = append(vs, v)
		}
	}
	return vs
}

func kindSelected(s *plan.Search, res metav1.APIResource) bool {
	if len(s.Kinds) == 0 {
		return true
	}
	return slices.ContainsFunc(s.Kinds, func(k string) bool {
		return strings.EqualFold(k, res.Kind) || strings.EqualFold(k, res.Name) || (res.SingularName != "" && strings.EqualFold(k, res.SingularName))
	})
}

func categorySelected(s *plan.Search, res metav1.APIResource) bool {
	if len(s.Categories) == 0 {
		return true
	}
	return slices.ContainsFunc(s.Categories, func(c string) bool { return slices.Contains(res.Categories, c) })
}
