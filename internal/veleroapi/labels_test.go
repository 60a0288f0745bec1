package veleroapi

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestOwnerLabel(t *testing.T) {
	t.Parallel()
	require.Equal(t, "nightly", OwnerLabel("nightly"))
	long := "a-backup-with-a-name-much-longer-than-sixty-three-characters-allowed-in-labels"
	sum := sha256.Sum256([]byte(long))
	require.Equal(t, long[:57]+hex.EncodeToString(sum[:])[:6], OwnerLabel(long), "Velero's label.GetValidName")
	require.Len(t, OwnerLabel(long), 63)
}
