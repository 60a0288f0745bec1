//go:build unix

package localcmd

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// alive reports whether the process whose pid is in file still runs. A
// zombie (killed, not yet reaped by whichever process adopted it: where
// PID 1 reaps late, it stays one for a while) does not run.
func alive(t *testing.T, file string) bool {
	t.Helper()
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	require.NoError(t, err)
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		_, noProc := os.Stat("/proc/self")
		return noProc != nil || !os.IsNotExist(err) // without /proc, kill's answer stands
	}
	// The state follows the command name, which is in parentheses.
	if i := bytes.LastIndexByte(stat, ')'); i >= 0 && i+2 < len(stat) {
		return stat[i+2] != 'Z'
	}
	return true
}

func TestBackgroundProcessDoesNotOutliveItsCommand(t *testing.T) {
	t.Parallel()
	pidFile := filepath.Join(t.TempDir(), "pid")
	var out bytes.Buffer
	err := Run(context.Background(), []string{"sh", "-c", "sleep 30 & echo $! > " + pidFile + "; echo started"}, &out)
	require.NoError(t, err, "a command that succeeded succeeds, though its background child held the output")
	require.Contains(t, out.String(), "started")
	require.Eventually(t, func() bool { return !alive(t, pidFile) }, 2*time.Second, 20*time.Millisecond, "the background child was killed")
}

func TestTimeoutKillsTheWholeGroup(t *testing.T) {
	t.Parallel()
	pidFile := filepath.Join(t.TempDir(), "pid")
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := Run(ctx, []string{"sh", "-c", "sleep 30 & echo $! > " + pidFile + "; wait"}, &bytes.Buffer{})
	require.Error(t, err)
	require.Less(t, time.Since(start), 5*time.Second)
	require.Eventually(t, func() bool { return !alive(t, pidFile) }, 2*time.Second, 20*time.Millisecond, "the grandchild was killed with its parent")
}

func TestFailureAndEmpty(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	err := Run(context.Background(), []string{"sh", "-c", "echo oops >&2; exit 3"}, &out)
	require.ErrorContains(t, err, "exit status 3")
	require.Equal(t, "oops\n", out.String())
	require.Error(t, Run(context.Background(), nil, &out))
}
