package nosecrets

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

func TestIsSecretsPath(t *testing.T) {
	t.Parallel()
	for p, want := range map[string]bool{
		"/api/v1/secrets":                                        true,
		"/api/v1/namespaces/velero/secrets":                      true,
		"/api/v1/namespaces/velero/secrets/cloud":                true,
		"/api/v1/watch/namespaces/velero/secrets":                true,
		"/api/v1/watch/secrets":                                  true,
		"//api/v1//namespaces/velero/SECRETS":                    true,
		"/api/v1/namespaces/secrets/configmaps":                  false, // a namespace named secrets
		"/api/v1/namespaces/secrets":                             false,
		"/api/v1/configmaps":                                     false,
		"/apis/velero.io/v1/namespaces/v/secrets":                false, // not the core group
		"/apis/example.io/v1/secrets":                            false,
		"/api/v1/namespaces/velero/pods/x/log":                   false,
		"/api":                                                   false,
		"/k8s/clusters/c-m-abc/api/v1/namespaces/velero/secrets": true, // a server URL with a path
		"/k8s/clusters/c-m-abc/api/v1/configmaps":                false,
		"/prefix/api/v1/watch/secrets":                           true,
		"/version":                                               false,
	} {
		require.Equal(t, want, IsSecretsPath(p), p)
	}
}

func TestWrapRefusesBeforeTheServer(t *testing.T) {
	t.Parallel()
	var asked []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked = append(asked, r.URL.Path)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"kind":"ConfigMapList","apiVersion":"v1","items":[]}`))
	}))
	defer srv.Close()
	for _, prefix := range []string{"", "/k8s/clusters/c-m-abc"} {
		asked = nil
		cfg := &rest.Config{Host: srv.URL + prefix}
		Wrap(cfg)
		cs, err := kubernetes.NewForConfig(cfg)
		require.NoError(t, err)
		ctx := context.Background()
		_, err = cs.CoreV1().Secrets("velero").List(ctx, metav1.ListOptions{})
		require.ErrorIs(t, err, ErrRefused, prefix)
		_, err = cs.CoreV1().Secrets("").Get(ctx, "x", metav1.GetOptions{})
		require.ErrorIs(t, err, ErrRefused, prefix)
		dyn, err := dynamic.NewForConfig(cfg)
		require.NoError(t, err)
		_, err = dyn.Resource(schema.GroupVersionResource{Version: "V1", Resource: "SECRETS"}).Namespace("velero").List(ctx, metav1.ListOptions{})
		require.ErrorIs(t, err, ErrRefused, prefix)
		_, err = cs.CoreV1().ConfigMaps("velero").List(ctx, metav1.ListOptions{})
		require.NoError(t, err)
		require.Equal(t, []string{prefix + "/api/v1/namespaces/velero/configmaps"}, asked, "only the ConfigMaps request reached the server")
	}
}
