package e2e

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestLogLimits checks --limit-bytes, --tail and --since, each on its own,
// against the fixture's logs.
func TestLogLimits(t *testing.T) {
	t.Parallel()
	t.Run("limit-bytes", func(t *testing.T) {
		t.Parallel()
		// Without redaction: the planted secrets at the start of the server's
		// log would change the bytes kept.
		r := runTool(t, nil, "--limit-bytes", "1000", "--no-default-redaction")
		require.Equal(t, 0, r.code, r.stderr)
		a := readBundle(t, r.output)
		for _, l := range velero.Logs {
			want, err := l.Text()
			require.NoError(t, err)
			got, it := a.files[logPath(l)], a.item(t, logPath(l))
			if len(want) > 1000 {
				require.Equal(t, want[:1000], got, logPath(l))
				require.True(t, it.Truncated, "%s is marked truncated", logPath(l))
			} else {
				require.Equal(t, want, got, logPath(l))
				require.False(t, it.Truncated, logPath(l))
			}
		}
	})
	t.Run("tail", func(t *testing.T) {
		t.Parallel()
		r := runTool(t, nil, "--tail", "3")
		require.Equal(t, 0, r.code, r.stderr)
		a := readBundle(t, r.output)
		for _, l := range velero.Logs {
			want, err := l.Text()
			require.NoError(t, err)
			all := lines(want)
			last := strings.Join(all[max(0, len(all)-3):], "")
			require.Equal(t, last, string(a.files[logPath(l)]), logPath(l))
		}
	})
	t.Run("since", func(t *testing.T) {
		t.Parallel()
		before := time.Now()
		r := runTool(t, nil, "--since", "20m")
		after := time.Now()
		require.Equal(t, 0, r.code, r.stderr)
		a := readBundle(t, r.output)
		// The server's log lines carry their time: all kept lines are newer
		// than 20 minutes before the run, the dropped ones older than 20
		// minutes before its end.
		l := velero.Logs[0]
		for _, cand := range velero.Logs {
			if cand.Pod == velero.ServerPod && cand.Container == "velero" && !cand.Previous {
				l = cand
			}
		}
		want, err := l.Text()
		require.NoError(t, err)
		got := string(a.files[logPath(l)])
		require.NotEmpty(t, got)
		require.Less(t, len(got), len(want), "older lines are dropped")
		require.True(t, strings.HasSuffix(string(want), got), "the newest lines are kept whole")
		for _, line := range lines([]byte(got)) {
			require.False(t, stamp(t, line).Before(before.Add(-20*time.Minute-time.Second)), line)
		}
		dropped := lines([]byte(strings.TrimSuffix(string(want), got)))
		require.True(t, stamp(t, dropped[len(dropped)-1]).Before(after.Add(-20*time.Minute+time.Second)))
	})
}

var timeField = regexp.MustCompile(`time="([^"]+)"`)

func stamp(t *testing.T, line string) time.Time {
	t.Helper()
	m := timeField.FindStringSubmatch(line)
	require.NotNil(t, m, line)
	ts, err := time.Parse(time.RFC3339, m[1])
	require.NoError(t, err)
	return ts
}
