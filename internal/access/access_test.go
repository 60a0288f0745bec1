package access

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

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
			"delete serverstatusrequests.velero.io in namespace v", "list deployments.apps in namespace v", "list daemonsets.apps in namespace v",
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
	require.Equal(t, Need{Verb: "get", Group: "velero.io", Resource: "restores", Namespace: "v"}, needs[0])
}
