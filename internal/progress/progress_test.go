package progress

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/velero-debug/velero-debug/internal/bundle"
)

func TestHumanBytes(t *testing.T) {
	t.Parallel()
	for n, want := range map[int64]string{
		0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 1536: "1.5 KiB",
		5 << 20: "5.0 MiB", 3 << 30: "3.0 GiB", 2048 << 30: "2048.0 GiB",
	} {
		require.Equal(t, want, HumanBytes(n), n)
	}
}

// plainBoth feeds a plain reporter, quiet and verbose, and returns what
// each printed (a buffer is not a terminal: plain lines).
func plainBoth(feed func(Reporter)) (quiet, verbose *bytes.Buffer) {
	quiet, verbose = &bytes.Buffer{}, &bytes.Buffer{}
	feed(New(quiet, false))
	feed(New(verbose, true))
	return quiet, verbose
}

func TestPlainReportsFailuresAndVerboseItems(t *testing.T) {
	t.Parallel()
	quiet, verbose := plainBoth(func(r Reporter) {
		r.Started("a.log")
		r.Finished("a.log", bundle.StatusOK, 2048, "")
		r.Started("b.log")
		r.Finished("b.log", bundle.StatusError, 0, "no logs found")
		r.Note("velero-debug: the API server stopped answering")
		r.Finished("c.json", bundle.StatusSkipped, 0, "not served")
		r.Close()
	})
	note := "velero-debug: the API server stopped answering\n"
	require.Equal(t, "  error    b.log: no logs found\n"+note+"  skipped  c.json: not served\n", quiet.String(), "a skip is told at the end")
	require.Equal(t, "  ok       a.log (2.0 KiB)\n  error    b.log: no logs found\n"+note+"  skipped  c.json: not served\n", verbose.String())
}

// TestSkipsGrouped: items skipped for one reason are one line at the end,
// unless --verbose tells each.
func TestSkipsGrouped(t *testing.T) {
	t.Parallel()
	quiet, verbose := plainBoth(func(r Reporter) {
		for _, b := range []string{"a", "b", "c", "d", "e"} {
			r.Finished("backups/"+b+"/log.txt", bundle.StatusSkipped, 0, "the Velero server was not asked")
		}
		r.Finished("restores/r/log.txt", bundle.StatusSkipped, 0, "its backup is gone")
		r.Finished("x.json", bundle.StatusError, 0, "forbidden")
		r.Close()
		r.Close() // once is enough
	})
	require.Equal(t, "  error    x.json: forbidden\n"+
		"  skipped  5 items (backups/a/log.txt, backups/b/log.txt, backups/c/log.txt and 2 more): the Velero server was not asked\n"+
		"  skipped  restores/r/log.txt: its backup is gone\n", quiet.String())
	require.Equal(t, 7, strings.Count(verbose.String(), "\n"), verbose.String())
}

// TestLiveNotesAboveTheLine: a note on a terminal clears the live line and
// is printed whole on a line of its own.
func TestLiveNotesAboveTheLine(t *testing.T) {
	t.Parallel()
	var w bytes.Buffer
	l := newLive(&w, false)
	l.Started("a.log")
	l.Note("velero-debug: the API server answers again, after 4s")
	l.Finished("a.log", bundle.StatusOK, 10, "")
	l.Close()
	require.Regexp(t, `(^|[\r\n])velero-debug: the API server answers again, after 4s\n`, w.String())
}

func TestCountsRunningItems(t *testing.T) {
	t.Parallel()
	var c counts
	c.started("a")
	c.started("b")
	require.Contains(t, c.finished("a", bundle.StatusOK, 10), "1 running")
	require.Contains(t, c.finished("skipped-outright", bundle.StatusSkipped, 0), "1 running", "never started")
	require.Contains(t, c.finished("b", bundle.StatusError, 0), "0 running, 1 failed")
}

// TestLiveLineNamesTheWait: the live line names the item that has run
// longest once it has run for two seconds.
func TestLiveLineNamesTheWait(t *testing.T) {
	t.Parallel()
	var c counts
	c.started("velero/version.json")
	c.started("logs/velero/velero-1/velero.log")
	start := c.running["velero/version.json"]
	c.running["logs/velero/velero-1/velero.log"] = start.Add(time.Second)
	require.Equal(t, "collecting: 0 done, 2 running, 0 failed, 0 B", c.describe(start.Add(time.Second)))
	require.Equal(t, "collecting: 0 done, 2 running, 0 failed, 0 B; waiting 4s for velero/version.json", c.describe(start.Add(4*time.Second)))
	c.finished("velero/version.json", bundle.StatusOK, 10)
	require.Equal(t, "collecting: 1 done, 1 running, 0 failed, 10 B; waiting 3s for logs/velero/velero-1/velero.log", c.describe(start.Add(4*time.Second)))
}
