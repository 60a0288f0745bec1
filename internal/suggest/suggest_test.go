package suggest

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDistance(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"abc", "", 3}, {"", "abc", 3}, {"namespace", "namspace", 1},
		{"loadAfinity", "loadAffinity", 1}, {"kitten", "sitting", 3}, {"context", "contxt", 1},
	} {
		require.Equal(t, tc.want, Distance(tc.a, tc.b), "%q %q", tc.a, tc.b)
		require.Equal(t, tc.want, Distance(tc.b, tc.a), "%q %q", tc.b, tc.a)
	}
}

func TestNames(t *testing.T) {
	t.Parallel()
	flags := []string{"namespace", "kubecontext", "context", "since", "server-timeout", "timeout"}
	require.Equal(t, []string{"namespace"}, Names("namspace", flags))
	require.Equal(t, []string{"kubecontext"}, Names("kube-context", flags))
	require.Equal(t, []string{"server-timeout"}, Names("server", flags), "a prefix")
	require.Empty(t, Names("xyz", flags))
	require.Empty(t, Names("namespace", flags), "not itself")
}
