package serve

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"sort"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Handler serves s as a read-only Kubernetes API: discovery, get and list
// of every object of the bundle (with label and field selectors, as Tables
// for kubectl), watches that send nothing, pods' logs; writes are refused.
func Handler(s *Store) http.Handler {
	return &api{s: s}
}

type api struct {
	s    *Store
	reqs requests
}

func (a *api) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, downloadPath):
		a.download(w, r)
	case r.Method != http.MethodGet && r.Method != http.MethodHead:
		a.write(w, r, parts)
	case r.URL.Path == "/version":
		a.version(w)
	case (r.URL.Path == "/api" || r.URL.Path == "/apis") && wantsAggregated(r):
		a.aggregated(w, r.URL.Path == "/api")
	case r.URL.Path == "/api":
		writeJSON(w, http.StatusOK, &metav1.APIVersions{TypeMeta: metav1.TypeMeta{Kind: "APIVersions"}, Versions: []string{"v1"},
			ServerAddressByClientCIDRs: []metav1.ServerAddressByClientCIDR{{ClientCIDR: "0.0.0.0/0", ServerAddress: r.Host}}})
	case r.URL.Path == "/apis":
		writeJSON(w, http.StatusOK, a.groups())
	case len(parts) >= 2 && parts[0] == "api" && parts[1] == "v1":
		a.group(w, r, schema.GroupVersion{Version: "v1"}, parts[2:])
	case len(parts) >= 3 && parts[0] == "apis":
		a.group(w, r, schema.GroupVersion{Group: parts[1], Version: parts[2]}, parts[3:])
	default:
		writeStatus(w, apierrors.NewNotFound(schema.GroupResource{}, r.URL.Path))
	}
}

// write answers a POST or DELETE: of the Velero requests (and access
// reviews) this server answers from the bundle; any other is refused.
func (a *api) write(w http.ResponseWriter, r *http.Request, parts []string) {
	var gv schema.GroupVersion
	var rest []string
	switch {
	case len(parts) >= 3 && parts[0] == "apis":
		gv, rest = schema.GroupVersion{Group: parts[1], Version: parts[2]}, parts[3:]
	case len(parts) >= 2 && parts[0] == "api" && parts[1] == "v1":
		gv, rest = schema.GroupVersion{Version: "v1"}, parts[2:]
	}
	if len(rest) == 0 {
		writeStatus(w, methodNotAllowed(r))
		return
	}
	q, err := parseRequest(gv, rest)
	switch {
	case err != nil:
		writeStatus(w, err)
	case !writable[q.gvr] || q.sub != "":
		writeStatus(w, methodNotAllowed(r))
	case r.Method == http.MethodPost && q.name == "":
		a.create(w, r, q)
	case r.Method == http.MethodDelete && q.name != "":
		a.deleteRequest(w, q)
	default:
		writeStatus(w, methodNotAllowed(r))
	}
}

func methodNotAllowed(r *http.Request) *apierrors.StatusError {
	err := apierrors.NewMethodNotSupported(schema.GroupResource{Resource: r.URL.Path}, strings.ToLower(r.Method))
	err.ErrStatus.Message = fmt.Sprintf("this API serves a velero-debug bundle, read-only: %s %s is refused", r.Method, r.URL.Path)
	return err
}

// version answers /version: the bundle's cluster version.
func (a *api) version(w http.ResponseWriter) {
	if len(a.s.version) > 0 && json.Valid(a.s.version) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(a.s.version)
		return
	}
	v := a.s.manifest.Cluster.KubernetesVersion
	writeJSON(w, http.StatusOK, map[string]string{"gitVersion": v, "platform": "velero-debug/bundle"})
}

// groups is the APIGroupList of the bundle's groups, core aside.
func (a *api) groups() *metav1.APIGroupList {
	versions := map[string][]string{"authorization.k8s.io": {"v1"}}
	for gvr := range a.s.resources {
		if gvr.Group != "" && !slices.Contains(versions[gvr.Group], gvr.Version) {
			versions[gvr.Group] = append(versions[gvr.Group], gvr.Version)
		}
	}
	out := &metav1.APIGroupList{TypeMeta: metav1.TypeMeta{Kind: "APIGroupList", APIVersion: "v1"}, Groups: []metav1.APIGroup{}}
	for _, g := range slices.Sorted(maps.Keys(versions)) {
		vs := versions[g]
		sort.Sort(sort.Reverse(sort.StringSlice(vs))) // v2alpha1 before v1: the newest first, as served
		grp := metav1.APIGroup{Name: g}
		for _, v := range vs {
			grp.Versions = append(grp.Versions, metav1.GroupVersionForDiscovery{GroupVersion: g + "/" + v, Version: v})
		}
		grp.PreferredVersion = preferred(g, grp.Versions)
		out.Groups = append(out.Groups, grp)
	}
	return out
}

// preferred is a group's preferred version: v1 for velero.io (its
// v2alpha1 holds other kinds), else the first.
func preferred(group string, vs []metav1.GroupVersionForDiscovery) metav1.GroupVersionForDiscovery {
	for _, v := range vs {
		if v.Version == "v1" {
			return v
		}
	}
	return vs[0]
}

// group answers a request under /api/v1 or /apis/<group>/<version>.
func (a *api) group(w http.ResponseWriter, r *http.Request, gv schema.GroupVersion, rest []string) {
	if len(rest) == 0 {
		list, ok := a.resourceList(gv)
		if !ok {
			writeStatus(w, apierrors.NewNotFound(schema.GroupResource{Group: gv.Group}, gv.String()))
			return
		}
		writeJSON(w, http.StatusOK, list)
		return
	}
	q, err := parseRequest(gv, rest)
	if err != nil {
		writeStatus(w, err)
		return
	}
	a.serve(w, r, q)
}

// request is a resource request: the resource, its namespace ("" for a
// cluster-scoped one or every namespace), a name and a subresource.
type request struct {
	gvr                  schema.GroupVersionResource
	namespace, name, sub string
	namespacedPath       bool
}

// parseRequest reads the path after a group version:
// <resource>[/<name>], namespaces/<ns>[/<resource>[/<name>[/<sub>]]].
func parseRequest(gv schema.GroupVersion, rest []string) (request, *apierrors.StatusError) {
	q := request{gvr: gv.WithResource(rest[0])}
	switch {
	case rest[0] == "namespaces" && len(rest) >= 3:
		q = request{gvr: gv.WithResource(rest[2]), namespace: rest[1], namespacedPath: true}
		rest = rest[2:]
	case rest[0] == "namespaces" && len(rest) == 2:
		q.name = rest[1]
		return q, nil
	}
	if len(rest) > 1 {
		q.name = rest[1]
	}
	if len(rest) > 2 {
		q.sub = strings.Join(rest[2:], "/")
	}
	if len(rest) > 3 {
		return q, apierrors.NewNotFound(q.gvr.GroupResource(), strings.Join(rest, "/"))
	}
	return q, nil
}

// serve answers a resource request.
func (a *api) serve(w http.ResponseWriter, r *http.Request, q request) {
	if q.gvr.Group == "" && q.gvr.Resource == "namespaces" {
		a.namespaces(w, r, q)
		return
	}
	if writable[q.gvr] && q.name != "" && q.sub == "" && a.getRequest(w, q) {
		return
	}
	res, ok := a.s.resources[q.gvr]
	if !ok {
		writeStatus(w, a.missing(q))
		return
	}
	switch {
	case q.sub == "log" && q.gvr.Resource == "pods":
		a.log(w, r, res, q)
	case q.sub != "":
		writeStatus(w, apierrors.NewNotFound(q.gvr.GroupResource(), q.name+"/"+q.sub))
	case q.name != "":
		a.get(w, r, res, q)
	default:
		a.list(w, r, res, q)
	}
}

// missing says why the bundle has no answer to q: what failed at
// collection answers with the error recorded (403 for a forbidden list),
// the rest is not in the bundle.
func (a *api) missing(q request) *apierrors.StatusError {
	for _, ns := range []string{q.namespace, "", "*"} {
		if msg, ok := a.s.failed[failedKey(q.gvr, ns)]; ok {
			if strings.Contains(msg, "forbidden") {
				err := apierrors.NewForbidden(q.gvr.GroupResource(), q.name, fmt.Errorf("the collection of this bundle was refused: %s", msg))
				return err
			}
			err := apierrors.NewServiceUnavailable(fmt.Sprintf("not in this bundle: its collection failed: %s (see manifest.json)", msg))
			return err
		}
	}
	err := apierrors.NewNotFound(q.gvr.GroupResource(), q.name)
	err.ErrStatus.Message = fmt.Sprintf("%s not in this bundle (see manifest.json)", describe(q))
	return err
}

func describe(q request) string {
	s := q.gvr.Resource
	if q.gvr.Group != "" {
		s += "." + q.gvr.Group
	}
	if q.name != "" {
		s += " " + q.name
	}
	if q.namespace != "" {
		s += " in namespace " + q.namespace
	}
	return s
}

// writeJSON writes v with status code.
func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// writeBody writes v with status 200 and the Content-Type set before.
func writeBody(w http.ResponseWriter, v any) {
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(v)
}

// writeStatus writes err as a Status, as the API server does.
func writeStatus(w http.ResponseWriter, err *apierrors.StatusError) {
	st := err.ErrStatus
	st.Kind, st.APIVersion = "Status", "v1"
	writeJSON(w, int(st.Code), &st)
}
