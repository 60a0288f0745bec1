package veleroserver

import (
	"context"
	"net"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestTakenPortIsNamed: the check the harness makes before it starts the
// Velero server (on port 8080, FixedPort; here on a port of the test's
// own, not to disturb a server another test runs) says that the port is
// taken and how to find what holds it, at once.
func TestTakenPortIsNamed(t *testing.T) {
	t.Parallel()
	var lc net.ListenConfig
	l, err := lc.Listen(context.Background(), "tcp", ":0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	err = checkPort(port)
	require.ErrorContains(t, err, "is taken")
	require.ErrorContains(t, err, "the Velero server cannot start, its controller-runtime metrics server listens there whatever it is told")
	require.ErrorContains(t, err, "ss -ltnp 'sport = :")
	require.NoError(t, l.Close())
	require.NoError(t, checkPort(port), "free again")
}
