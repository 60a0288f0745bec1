package access

import (
	"cmp"
	"maps"
	"slices"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Roles are the least RBAC that grants a plan's needs: a ClusterRole for
// the cluster-scoped resources, the lists across every namespace and the
// non-resource URLs, and a Role for each namespace the plan reads in.
// Either may be empty.
type Roles struct {
	Cluster    *rbacv1.ClusterRole
	Namespaced []*rbacv1.Role
}

// RolesFor returns the Roles that grant needs, each resource with the
// verbs it needs, in a stable order: the Roles named name, the ClusterRole
// clusterName.
func RolesFor(name, clusterName string, needs []Need) Roles {
	type key struct{ group, resource string }
	scopes := map[string]map[key]map[string]bool{} // namespace ("" cluster) -> resource -> verbs
	paths := map[string]map[string]bool{}
	for _, n := range needs {
		if n.Path != "" {
			if paths[n.Path] == nil {
				paths[n.Path] = map[string]bool{}
			}
			paths[n.Path][n.Verb] = true
			continue
		}
		res := n.Resource
		if n.Subresource != "" {
			res += "/" + n.Subresource
		}
		k := key{n.Group, res}
		if scopes[n.Namespace] == nil {
			scopes[n.Namespace] = map[key]map[string]bool{}
		}
		if scopes[n.Namespace][k] == nil {
			scopes[n.Namespace][k] = map[string]bool{}
		}
		scopes[n.Namespace][k][n.Verb] = true
	}
	rules := func(scope map[key]map[string]bool) []rbacv1.PolicyRule {
		keys := slices.SortedFunc(maps.Keys(scope), func(a, b key) int {
			return cmp.Or(cmp.Compare(a.group, b.group), cmp.Compare(a.resource, b.resource))
		})
		var out []rbacv1.PolicyRule
		for _, k := range keys {
			out = append(out, rbacv1.PolicyRule{APIGroups: []string{k.group}, Resources: []string{k.resource}, Verbs: slices.Sorted(maps.Keys(scope[k]))})
		}
		return out
	}
	var r Roles
	if len(scopes[""]) > 0 || len(paths) > 0 {
		r.Cluster = &rbacv1.ClusterRole{
			TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole"},
			ObjectMeta: metav1.ObjectMeta{Name: clusterName},
			Rules:      rules(scopes[""]),
		}
		for _, p := range slices.Sorted(maps.Keys(paths)) {
			r.Cluster.Rules = append(r.Cluster.Rules, rbacv1.PolicyRule{NonResourceURLs: []string{p}, Verbs: slices.Sorted(maps.Keys(paths[p]))})
		}
	}
	for _, ns := range slices.Sorted(maps.Keys(scopes)) {
		if ns == "" {
			continue
		}
		r.Namespaced = append(r.Namespaced, &rbacv1.Role{
			TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "Role"},
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
			Rules:      rules(scopes[ns]),
		})
	}
	return r
}
