package discover

import (
	"testing"

	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/discovery/fake"
	clienttesting "k8s.io/client-go/testing"
)

func TestGroupNotServed(t *testing.T) {
	t.Parallel()
	d := &fake.FakeDiscovery{Fake: &clienttesting.Fake{Resources: []*metav1.APIResourceList{
		{GroupVersion: "v1", APIResources: []metav1.APIResource{{Name: "pods", Kind: "Pod", Namespaced: true, Verbs: []string{"list"}}}},
	}}}
	_, err := New(d).GroupResources(t.Context(), "velero.io")
	var ns *NotServedError
	require.ErrorAs(t, err, &ns)
	require.EqualError(t, err, "the cluster serves no velero.io API group")
}
