package bundle

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLogHeader(t *testing.T) {
	t.Parallel()
	h := LogHeader("logs/velero/velero-1/velero.previous.log")
	require.Equal(t, "==> logs/velero/velero-1/velero.previous.log <==\n", h)
	p, ok := ParseLogHeader(strings.TrimSuffix(h, "\n"))
	require.True(t, ok)
	require.Equal(t, "logs/velero/velero-1/velero.previous.log", p)
	for _, line := range []string{"==>  <==", "==> x", "x <==", `time="..." level=info msg="==> a <=="`, "==> <=="} {
		_, ok := ParseLogHeader(line)
		require.False(t, ok, line)
	}
}
