package veleroapi

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLogNames(t *testing.T) {
	t.Parallel()
	du := []byte("b1-x7k2p")
	for line, want := range map[string]bool{
		`msg="[Diagnose DU expose]Pod velero/b1-x7k2p, phase Pending"`: true,
		`Dataupload=b1-x7k2p logSource=x`:                              true,
		`dataupload=velero/b1-x7k2pq`:                                  false,
		`dataupload=velero/ab1-x7k2p`:                                  false,
		`b1-x7k2p`:                                                     true,
		`ab1-x7k2p b1-x7k2p.`:                                          true,
		``:                                                             false,
	} {
		require.Equal(t, want, LogNames([]byte(line), du), line)
	}
	require.False(t, LogNames([]byte("anything"), nil))
	require.True(t, LogNames([]byte(`dataupload=velero/my.backup-x7k2p.`), []byte("my.backup-x7k2p")), "a name with dots, at the end of a sentence")
	var words []string
	for w := range LogWords([]byte(`a=b/c-1, "d.e." ..`)) {
		words = append(words, string(w))
	}
	require.Equal(t, []string{"a", "b", "c-1", "d.e"}, words)
}
