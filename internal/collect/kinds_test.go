package collect

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	k8stesting "k8s.io/client-go/testing"

	"github.com/velero-debug/velero-debug/internal/access"
	"github.com/velero-debug/velero-debug/internal/discover"
	"github.com/velero-debug/velero-debug/internal/plan"
)

// fakeResources answers from fixed data.
type fakeResources struct{}

func (fakeResources) Mapping(_ context.Context, o *plan.Objects) (*meta.RESTMapping, error) {
	if o.Resource != "Deployment" {
		return nil, errors.New("no kind " + o.Resource)
	}
	return &meta.RESTMapping{Resource: schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}, Scope: meta.RESTScopeNamespace}, nil
}

func (fakeResources) GroupResources(context.Context, string) ([]*metav1.APIResourceList, error) {
	return []*metav1.APIResourceList{
		{GroupVersion: "velero.io/v1", APIResources: []metav1.APIResource{
			{Name: "backups", Namespaced: true, Verbs: []string{"list", "get"}},
			{Name: "backups/status", Namespaced: true, Verbs: []string{"get"}},
			{Name: "serverstatusrequests", Namespaced: true, Verbs: []string{"create"}},
		}},
		{GroupVersion: "velero.io/v2alpha1", APIResources: []metav1.APIResource{
			{Name: "datauploads", Namespaced: true, Verbs: []string{"list"}},
			{Name: "backups", Namespaced: true, Verbs: []string{"list"}},
		}},
	}, nil
}

func (f fakeResources) All(ctx context.Context) ([]*metav1.APIGroup, []*metav1.APIResourceList, error) {
	lists, _ := f.GroupResources(ctx, "velero.io")
	lists = append(lists, &metav1.APIResourceList{GroupVersion: "v1", APIResources: []metav1.APIResource{
		{Name: "pods", Kind: "Pod", Namespaced: true, Verbs: []string{"list"}},
		{Name: "secrets", Kind: "Secret", Namespaced: true, Verbs: []string{"list"}},
		{Name: "nodes", Kind: "Node", Verbs: []string{"list"}},
	}})
	gv := func(g, v string) metav1.GroupVersionForDiscovery {
		return metav1.GroupVersionForDiscovery{GroupVersion: strings.TrimPrefix(g+"/"+v, "/"), Version: v}
	}
	return []*metav1.APIGroup{
		{Name: "", PreferredVersion: gv("", "v1"), Versions: []metav1.GroupVersionForDiscovery{gv("", "v1")}},
		{Name: "velero.io", PreferredVersion: gv("velero.io", "v1"), Versions: []metav1.GroupVersionForDiscovery{gv("velero.io", "v1"), gv("velero.io", "v2alpha1")}},
	}, lists, nil
}

func TestNeeds(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		step plan.Step
		want []string
	}{
		{plan.Step{Objects: &plan.Objects{Resource: "nodes", Version: "v1"}}, []string{"list nodes"}},
		{plan.Step{Objects: &plan.Objects{Resource: "configmaps", Version: "v1", Namespace: "velero"}}, []string{"list configmaps in namespace velero"}},
		{plan.Step{Objects: &plan.Objects{Resource: "snapshots", Group: "x.io", Version: "v1", AllNamespaces: true}}, []string{"list snapshots.x.io"}},
		{plan.Step{Objects: &plan.Objects{Resource: "Deployment", Group: "apps", Namespace: "velero"}}, []string{"list deployments.apps in namespace velero"}},
		{plan.Step{APIGroup: &plan.APIGroup{Group: "velero.io", Namespace: "velero"}}, []string{
			"list backups.velero.io in namespace velero", "list datauploads.velero.io in namespace velero",
		}},
		{plan.Step{Logs: &plan.Logs{Namespace: "velero"}}, []string{"list pods in namespace velero", "get pods/log in namespace velero"}},
		{plan.Step{ClusterVersion: &plan.ClusterVersion{}}, []string{"get /version"}},
		{plan.Step{ServerVersion: &plan.ServerVersion{Namespace: "v"}}, []string{
			"create serverstatusrequests.velero.io in namespace v", "get serverstatusrequests.velero.io in namespace v",
			"delete serverstatusrequests.velero.io in namespace v", "list pods in namespace v", "list deployments.apps in namespace v", "list daemonsets.apps in namespace v",
		}},
		{plan.Step{File: &plan.File{Path: "a.txt"}}, nil},
		{plan.Step{Command: &plan.Command{Path: "v.txt"}}, nil},
		{plan.Step{Search: &plan.Search{Groups: []string{"core"}, Logs: true}}, []string{
			"list nodes", "list namespaces", "list pods", "get pods/log",
		}},
		{plan.Step{Search: &plan.Search{Groups: []string{"velero.io"}, Namespaces: []string{"a", "b"}}}, []string{
			"list backups.velero.io in namespace a", "list backups.velero.io in namespace b",
			"list datauploads.velero.io in namespace a", "list datauploads.velero.io in namespace b",
		}},
	} {
		needs, err := Needs(context.Background(), tc.step, fakeResources{})
		require.NoError(t, err, tc.step.Kind())
		var got []string
		for _, n := range needs {
			got = append(got, n.String())
		}
		require.Equal(t, tc.want, got, tc.step.Kind())
	}
	_, err := Needs(context.Background(), plan.Step{Objects: &plan.Objects{Resource: "Widget"}}, fakeResources{})
	require.ErrorContains(t, err, "no kind Widget")

	needs, err := Needs(context.Background(), plan.Step{Detail: &plan.Detail{Kind: plan.Restore, Namespace: "v", Name: "r"}}, fakeResources{})
	require.NoError(t, err)
	require.Equal(t, access.Need{Verb: "get", Group: "velero.io", Resource: "restores", Namespace: "v"}, needs[0])
}

// TestNeedsCoverRequests runs a step of every kind against recording fakes
// and checks that each request it made is among its needs: the dry run
// checks the user's rights against the same needs.
func TestNeedsCoverRequests(t *testing.T) {
	t.Parallel()
	steps := []plan.Step{
		{Objects: &plan.Objects{Version: "v1", Resource: "nodes"}},
		{Objects: &plan.Objects{Resource: "Pod", Namespace: "velero"}},
		{APIGroup: &plan.APIGroup{Group: VeleroGroup, Namespace: "velero"}},
		{Logs: &plan.Logs{Namespace: "velero", Previous: true}},
		{ClusterVersion: &plan.ClusterVersion{}},
		{ServerVersion: &plan.ServerVersion{Namespace: "velero"}},
		{Detail: &plan.Detail{Kind: plan.Backup, Namespace: "velero", Name: "b1"}},
		{Detail: &plan.Detail{Kind: plan.Restore, Namespace: "velero", Name: "r1"}},
		{Detail: &plan.Detail{Kind: plan.Backup, Namespace: "velero", Name: "running"}}, // server-log.txt
		{RecentFailed: &plan.RecentFailed{Kind: plan.Restore, Namespace: "velero", N: 2}},
		{VolumeFailures: &plan.VolumeFailures{Namespace: "velero"}},
		{File: &plan.File{Path: "notes.txt", Content: "one"}},
		{Search: &plan.Search{Kinds: []string{"pods", "nodes"}, Logs: true, Dir: "crashd/kubecapture"}},
		commandStep("crashd/out.txt", []string{"echo", "hello"}),
	}
	covered := map[string]bool{}
	for _, s := range steps {
		covered[fmt.Sprintf("%T", kindOf(s))] = true
	}
	// Every kind of step the plan has is run here.
	st := reflect.TypeOf(plan.Step{})
	for i := range st.NumField() {
		f := st.Field(i)
		if f.Type.Kind() != reflect.Pointer {
			continue
		}
		var s plan.Step
		reflect.ValueOf(&s).Elem().Field(i).Set(reflect.New(f.Type.Elem()))
		require.True(t, covered[fmt.Sprintf("%T", kindOf(s))], "no step of kind %s is run by this test", f.Name)
	}

	for i, s := range steps {
		t.Run(fmt.Sprintf("%d-%s", i, s.Kind()), func(t *testing.T) {
			t.Parallel()
			c := newFakeCluster()
			c.addRestore(t, "r1", "b1")
			c.addServerPods(t)
			cfg := testConfig()
			cfg.Velero.Wait = 200 * time.Millisecond
			runPlan(t, c, cfg, &plan.Plan{Steps: []plan.Step{s}}, newCountingObserver())
			needs, err := Needs(t.Context(), s, discover.New(c.clients.Discovery))
			require.NoError(t, err)
			made := 0
			for _, a := range append(c.kube.Actions(), c.dyn.Actions()...) {
				n, ok := needOf(a)
				if !ok {
					continue // discovery, which every user may read
				}
				made++
				require.True(t, coveredBy(n, needs), "%s made a request it does not list among its needs: %s\nits needs: %v", s.Kind(), n, needs)
			}
			require.Equal(t, len(needs) > 0, made > 0, "%s made %d requests and needs %v", s.Kind(), made, needs)
		})
	}
}

// needOf is the request an action of a fake client stands for; false for
// discovery.
func needOf(a k8stesting.Action) (access.Need, bool) {
	r := a.GetResource()
	if r.Group == "" && r.Version == "" {
		switch r.Resource {
		case "version":
			return access.Need{Verb: "get", Path: "/version"}, true
		case "resource", "group":
			return access.Need{}, false
		}
	}
	return access.Need{Verb: a.GetVerb(), Group: r.Group, Resource: r.Resource, Subresource: a.GetSubresource(), Namespace: a.GetNamespace()}, true
}

// coveredBy reports whether one of needs allows n: the same request, in
// n's namespace or in every namespace.
func coveredBy(n access.Need, needs []access.Need) bool {
	for _, m := range needs {
		ns := m.Namespace
		m.Namespace = n.Namespace
		if m == n && (ns == "" || ns == n.Namespace) {
			return true
		}
	}
	return false
}
