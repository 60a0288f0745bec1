package idle

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// silentReader sends one chunk, then nothing until its context ends.
type silentReader struct {
	ctx  context.Context
	sent bool
}

func (s *silentReader) Read(p []byte) (int, error) {
	if !s.sent {
		s.sent = true
		return copy(p, "first chunk\n"), nil
	}
	<-s.ctx.Done()
	return 0, s.ctx.Err()
}

func TestTimerCutsSilentStream(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	timer := New(50*time.Millisecond, cancel)
	defer timer.Stop()
	var out bytes.Buffer
	start := time.Now()
	_, err := io.Copy(&out, timer.Reader(&silentReader{ctx: ctx}))
	require.ErrorIs(t, err, context.Canceled)
	require.True(t, timer.Fired())
	require.Equal(t, "first chunk\n", out.String(), "what arrived is kept")
	require.Less(t, time.Since(start), 5*time.Second)
}
