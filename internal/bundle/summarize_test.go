package bundle

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// fakeSummarizer wants the .json items, keeps the .log items, and writes
// one line per item it read, then per kept item it read again.
type fakeSummarizer struct {
	mu        sync.Mutex
	read      []string
	again     []string
	itemErr   error
	panicIn   string
	spoolSeen []string // spool files left while Summary runs
	spoolDir  string
}

func (f *fakeSummarizer) Wants(p string) bool { return strings.HasSuffix(p, ".json") }
func (f *fakeSummarizer) Keep(p string) bool  { return strings.HasSuffix(p, ".log") }

func (f *fakeSummarizer) Item(it ManifestItem, r io.Reader) error {
	if f.panicIn == "Item" {
		panic("analysis bug")
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.read = append(f.read, it.Path+"="+string(data))
	return f.itemErr
}

func (f *fakeSummarizer) Summary(m Manifest, again func([]string, func(ManifestItem, io.Reader) error) error) ([]byte, error) {
	if f.panicIn == "Summary" {
		panic("analysis bug")
	}
	if f.spoolDir != "" {
		entries, _ := os.ReadDir(f.spoolDir)
		for _, e := range entries {
			f.spoolSeen = append(f.spoolSeen, e.Name())
		}
	}
	var paths []string
	for _, it := range m.Items {
		paths = append(paths, it.Path)
	}
	err := again(paths, func(it ManifestItem, r io.Reader) error {
		data, err := io.ReadAll(r)
		f.again = append(f.again, it.Path+"="+string(data))
		return err
	})
	return fmt.Appendf(nil, "## Analysis\n\nread %s; again %s\n", strings.Join(f.read, ","), strings.Join(f.again, ",")), err
}

func TestSummarizerReadsStoredItems(t *testing.T) {
	t.Parallel()
	f := &fakeSummarizer{}
	w, out, tmp := create(t, Options{Summarizer: f})
	f.spoolDir = w.spoolDir
	ctx := context.Background()
	require.NoError(t, w.AddBytes(Item{Path: "a.json"}, []byte(`{"a":1}`)))
	_, err := w.Add(ctx, Item{Path: "b.json"}, strings.NewReader(`{"b":2}`))
	require.NoError(t, err)
	_, err = w.Add(ctx, Item{Path: "logs/x/node-agent.log"}, strings.NewReader("line 1\n"))
	require.NoError(t, err)
	_, err = w.Add(ctx, Item{Path: "logs/y.txt"}, strings.NewReader("not wanted\n"))
	require.NoError(t, err)
	require.NoError(t, w.AddError(Item{Path: "c.json"}, errInjected)) // no content: not handed over
	require.NoError(t, w.Close(Meta{Complete: true}))
	requireClean(t, out, tmp)

	slices.Sort(f.read)
	require.Equal(t, []string{`a.json={"a":1}`, `b.json={"b":2}`}, f.read)
	require.Equal(t, []string{"logs/x/node-agent.log=line 1\n"}, f.again)
	require.Len(t, f.spoolSeen, 1, "only the kept item's spool file is left when Summary runs")

	b := readBundle(t, out)
	checkItems(t, b)
	summary := b.files[SummaryFile]
	run, rest, ok := strings.Cut(summary, "\n## Analysis\n")
	require.True(t, ok, summary)
	require.Contains(t, run, "# Velero debug bundle")
	require.Contains(t, rest, "again logs/x/node-agent.log=line 1\n")
	require.Less(t, strings.Index(rest, "again"), strings.Index(rest, "## Items"), "the analysis comes before the inventory")
}

func TestSummarizerFailureKeepsTheBundle(t *testing.T) {
	t.Parallel()
	for name, f := range map[string]*fakeSummarizer{
		"item error":    {itemErr: errors.New("cannot read a.json")},
		"item panic":    {panicIn: "Item"},
		"summary panic": {panicIn: "Summary"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			w, out, tmp := create(t, Options{Summarizer: f})
			require.NoError(t, w.AddBytes(Item{Path: "a.json"}, []byte(`{}`)))
			_, err := w.Add(context.Background(), Item{Path: "z.log"}, strings.NewReader("kept\n"))
			require.NoError(t, err)
			require.NoError(t, w.AddBytes(Item{Path: "b.json"}, []byte(`{}`)))
			require.NoError(t, w.Close(Meta{Complete: true}))
			requireClean(t, out, tmp)

			b := readBundle(t, out)
			checkItems(t, b)
			require.Contains(t, b.files[SummaryFile], "The analysis of this bundle failed")
			require.Contains(t, b.files[SummaryFile], "## Items", "the inventory is still there")
			m := w.Manifest()
			sum := itemByPath(t, m, SummaryFile)
			require.Equal(t, StatusError, sum.Status)
			require.Contains(t, sum.Error, "the analysis of the bundle failed: ")
			require.NotContains(t, sum.Error, "\n", "the manifest's error is one line")
			require.Equal(t, ExitPartial, ExitCode(m.Complete, false, m.Items))
		})
	}
}

func TestSummarizerDiscard(t *testing.T) {
	t.Parallel()
	f := &fakeSummarizer{}
	w, out, tmp := create(t, Options{Summarizer: f})
	_, err := w.Add(context.Background(), Item{Path: "a.log"}, strings.NewReader("kept\n"))
	require.NoError(t, err)
	require.NoError(t, w.Discard())
	requireClean(t, out, tmp)
	_, err = os.Stat(out)
	require.ErrorIs(t, err, os.ErrNotExist)
}

func TestExitCodeIgnoresTheSummary(t *testing.T) {
	t.Parallel()
	items := []ManifestItem{{Path: "a.log", Status: StatusError}, {Path: SummaryFile, Status: StatusOK}}
	require.Equal(t, ExitNothing, ExitCode(true, false, items), "a bundle of nothing but its summary holds nothing")
}

// panicWants panics where the Writer asks what it wants.
type panicWants struct{ fakeSummarizer }

func (*panicWants) Wants(string) bool { panic("Wants bug") }

func TestSummarizerPanicInWants(t *testing.T) {
	t.Parallel()
	w, out, tmp := create(t, Options{Summarizer: &panicWants{}})
	require.NoError(t, w.AddBytes(Item{Path: "a.json"}, []byte(`{}`)))
	require.NoError(t, w.Close(Meta{Complete: true}))
	requireClean(t, out, tmp)
	require.Equal(t, StatusError, itemByPath(t, w.Manifest(), SummaryFile).Status)
}
