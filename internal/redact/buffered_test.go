package redact

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
)

// countingBuffer records the sizes of the writes it gets.
type countingBuffer struct {
	bytes.Buffer
	writes []int
}

func (c *countingBuffer) Write(p []byte) (int, error) {
	c.writes = append(c.writes, len(p))
	return c.Buffer.Write(p)
}

func TestBufferedWriter(t *testing.T) {
	t.Parallel()
	rs := Default()
	for _, data := range [][]byte{veleroLog(300 << 10), podsJSON(300 << 10), []byte("password=x\nno newline at the end password=y")} {
		want, wantCounts := rs.Redact(data)
		var got countingBuffer
		w := rs.BufferedWriter(&got)
		for p := data; len(p) > 0; p = p[min(len(p), 1000):] {
			n, err := w.Write(p[:min(len(p), 1000)])
			require.NoError(t, err)
			require.Equal(t, min(len(p), 1000), n)
		}
		require.NoError(t, w.Close())
		require.Equal(t, string(want), got.String())
		require.Equal(t, wantCounts, w.Counts())
		for _, n := range got.writes[:len(got.writes)-1] {
			require.GreaterOrEqual(t, n, flushSize, "only the last write is short")
		}
	}
}

func TestBufferedWriterHoldsShortOutput(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	w := Default().BufferedWriter(&out)
	_, err := w.Write([]byte("token=tK9fz2Lq81xW\nplain\n"))
	require.NoError(t, err)
	require.Zero(t, out.Len(), "nothing is written through before 64 KiB or Close")
	require.NoError(t, w.Close())
	require.Equal(t, "token=[REDACTED:token-field]\nplain\n", out.String())
}
