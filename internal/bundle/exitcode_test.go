package bundle

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

var errInjected = errors.New("injected")

func TestExitCode(t *testing.T) {
	t.Parallel()
	items := func(statuses ...Status) []ManifestItem {
		out := make([]ManifestItem, len(statuses))
		for i, st := range statuses {
			out[i] = ManifestItem{Path: string(rune('a' + i)), Status: st}
		}
		return out
	}
	tests := []struct {
		name        string
		complete    bool
		interrupted bool
		items       []ManifestItem
		want        int
	}{
		{"all ok", true, false, items(StatusOK, StatusOK), ExitComplete},
		{"skipped items are not failures", true, false, items(StatusOK, StatusSkipped), ExitComplete},
		{"a failed item", true, false, items(StatusOK, StatusError), ExitPartial},
		{"a cancelled item", true, false, items(StatusOK, StatusCancelled), ExitPartial},
		{"incomplete run", false, false, items(StatusOK), ExitPartial},
		{"interrupted", false, true, items(StatusOK, StatusCancelled), ExitInterrupted},
		{"interrupted before anything", false, true, nil, ExitInterrupted},
		{"nothing at all", true, false, nil, ExitNothing},
		{"nothing ok", true, false, items(StatusError, StatusSkipped), ExitNothing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, ExitCode(tt.complete, tt.interrupted, tt.items))
		})
	}
}
