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
}
