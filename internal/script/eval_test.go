package script

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.starlark.net/starlark"

	"github.com/velero-debug/velero-debug/internal/plan"
)

func src(name, data string) Source { return Source{Name: name, Data: []byte(data)} }

func TestErrorHasBacktrace(t *testing.T) {
	_, err := Eval(context.Background(), []Source{src("bad.star", `
def collect(resource):
    velero.objects(resource, namespace = "velero")

collect("")
`)}, testOptions(newFakeLookups()))
	require.Error(t, err)
	msg := err.Error()
	for _, want := range []string{
		"script bad.star failed",
		"Traceback (most recent call last):",
		"bad.star:5:8: in <toplevel>",
		"bad.star:3:19: in collect",
		"Error in velero.objects: velero.objects: resource: must not be empty",
	} {
		assert.Contains(t, msg, want)
	}
	var evalErr *starlark.EvalError
	assert.ErrorAs(t, err, &evalErr)
}

func TestSyntaxErrorNamesLine(t *testing.T) {
	_, err := Eval(context.Background(), []Source{src("syntax.star", "velero.cluster_version()\nif True\n")}, testOptions(nil))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "script syntax.star failed")
	assert.Contains(t, err.Error(), "syntax.star:3:1: got newline, want ':'")
}

func TestFailInScript(t *testing.T) {
	_, err := Eval(context.Background(), []Source{src("fail.star", `fail("give --args app=<name>")`)}, testOptions(nil))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "give --args app=<name>")
	assert.Contains(t, err.Error(), "fail.star:1:5: in <toplevel>")
}

func TestMaxStepsStopsLoop(t *testing.T) {
	opts := testOptions(nil)
	opts.MaxSteps = 10_000
	_, err := Eval(context.Background(), []Source{src("loop.star", "while True:\n    pass\n")}, opts)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "too many steps")
	assert.Contains(t, err.Error(), "loop.star:")
}

func TestDefaultMaxSteps(t *testing.T) {
	e := newEvaluator(context.Background(), Options{})
	assert.Equal(t, uint64(10_000_000), e.opts.MaxSteps)
}

func TestCancelStopsScript(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	opts := testOptions(nil)
	opts.MaxSteps = 1 << 62
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	_, err := Eval(ctx, []Source{src("forever.star", "while True:\n    pass\n")}, opts)
	elapsed := time.Since(start)
	require.Error(t, err)
	assert.Less(t, elapsed, time.Second)
	require.ErrorIs(t, err, context.Canceled)
	assert.Contains(t, err.Error(), "cancelled")
	assert.Contains(t, err.Error(), "forever.star:")
}

func TestCancelledBeforeRun(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Eval(ctx, []Source{Default()}, testOptions(newFakeLookups()))
	require.ErrorIs(t, err, context.Canceled)
}

func TestLoadIsAnError(t *testing.T) {
	_, err := Eval(context.Background(), []Source{src("load.star", `load("other.star", "x")`)}, testOptions(nil))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "load() is not supported")
	assert.Contains(t, err.Error(), "load.star:1:")
}

func TestScriptsHaveTheirOwnGlobals(t *testing.T) {
	p, err := Eval(context.Background(), []Source{
		src("a.star", "x = 1\nvelero.cluster_version()\n"),
		src("b.star", "velero.server_version()\n"),
	}, testOptions(nil))
	require.NoError(t, err)
	assert.Equal(t, []string{"a.star", "b.star"}, p.Scripts)
	require.Len(t, p.Steps, 2)
	assert.Equal(t, "a.star", p.Steps[0].Script)
	assert.Equal(t, 2, p.Steps[0].Line)
	assert.Equal(t, "b.star", p.Steps[1].Script)
	assert.Equal(t, 1, p.Steps[1].Line)

	_, err = Eval(context.Background(), []Source{
		src("a.star", "x = 1\n"),
		src("b.star", "print(x)\n"),
	}, testOptions(nil))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "b.star:1:7: undefined: x")
}

func TestEmptyPlan(t *testing.T) {
	p, err := Eval(context.Background(), nil, Options{})
	require.NoError(t, err)
	assert.Empty(t, p.Steps)
	assert.NotNil(t, p.Steps, "steps encode as [], not null")
	assert.Empty(t, p.Failures)
}

func TestDetailsKeptOnce(t *testing.T) {
	// --backup names a backup twice; the recent failures are found while
	// the collection lists the backups (RecentFailed), and the plan asks
	// the cluster nothing.
	opts := testOptions(nil)
	opts.Settings.Backups = []string{"b-partial-1", "nightly", "nightly"}
	p, err := Eval(context.Background(), []Source{Default()}, opts)
	require.NoError(t, err)
	var backups []string
	var recent []plan.RecentFailed
	for _, s := range p.Steps {
		if s.Detail != nil && s.Detail.Kind == plan.Backup {
			backups = append(backups, s.Detail.Name)
		}
		if s.RecentFailed != nil {
			recent = append(recent, *s.RecentFailed)
		}
	}
	assert.Equal(t, []string{"b-partial-1", "nightly"}, backups)
	assert.Equal(t, []plan.RecentFailed{{Kind: plan.Backup, Namespace: "velero", N: 3}, {Kind: plan.Restore, Namespace: "velero", N: 3}}, recent)

	// First wins: the step keeps the line of the first call. A restore
	// of the same name, or a backup in another namespace, is another
	// detail.
	p, err = Eval(context.Background(), []Source{src("d.star", `
velero.backup("a")
velero.backup("a", namespace = "velero")
velero.backup(name = "a")
velero.restore("a")
velero.backup("a", namespace = "other")
`)}, testOptions(nil))
	require.NoError(t, err)
	require.Len(t, p.Steps, 3)
	assert.Equal(t, plan.Detail{Kind: plan.Backup, Namespace: "velero", Name: "a"}, *p.Steps[0].Detail)
	assert.Equal(t, 2, p.Steps[0].Line)
	assert.Equal(t, plan.Detail{Kind: plan.Restore, Namespace: "velero", Name: "a"}, *p.Steps[1].Detail)
	assert.Equal(t, plan.Detail{Kind: plan.Backup, Namespace: "other", Name: "a"}, *p.Steps[2].Detail)
}

func TestDetailsKeptOnceAcrossScripts(t *testing.T) {
	p, err := Eval(context.Background(), []Source{
		src("a.star", `velero.backup("a")`),
		src("b.star", `velero.backup("a")`),
	}, testOptions(nil))
	require.NoError(t, err)
	require.Len(t, p.Steps, 1)
	assert.Equal(t, "a.star", p.Steps[0].Script)
}

func TestLookupsCalledOncePerResource(t *testing.T) {
	lookups := newFakeLookups()
	_, err := Eval(context.Background(), []Source{
		src("more.star", `
for i in range(10):
    velero.recent_failures("backups", 3)
    velero.recent_failures("restores", 3)
velero.recent_failures("backups", 1)
velero.recent_failures("backups", 0)
`),
	}, testOptions(lookups))
	require.NoError(t, err)
	assert.Equal(t, map[string]int{"backups/100": 1, "restores/100": 1}, lookups.callCounts())
}

func TestLookupFailureRecordedOnce(t *testing.T) {
	lookups := failingLookups()
	p, err := Eval(context.Background(), []Source{
		src("more.star", `
names = velero.recent_failures("backups", 3) + velero.recent_failures("backups", 3) + velero.recent_failures("backups", 7)
if names != []:
    fail("want no names, got %r" % names)
velero.recent_failures("restores", 1)
`),
	}, testOptions(lookups))
	require.NoError(t, err)
	assert.Equal(t, []plan.Failure{{
		Path:   "backups/recent-failures.json",
		Source: "list backups",
		Error:  lookups.errs["backups"].Error(),
	}}, p.Failures)
	assert.Equal(t, map[string]int{"backups/100": 1, "restores/100": 1}, lookups.callCounts())
}

func TestNoLookups(t *testing.T) {
	// Without lookups, asking is an error in the script...
	_, err := Eval(context.Background(), []Source{src("ask.star", `velero.recent_failures("backups", 3)`)}, testOptions(nil))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "velero.recent_failures: this run has no cluster to ask")
	assert.Contains(t, err.Error(), "ask.star:")

	// ...but not asking for nothing; and the default plan asks nothing.
	_, err = Eval(context.Background(), []Source{src("ask.star", `velero.recent_failures("backups", 0)`)}, testOptions(nil))
	require.NoError(t, err)
	p, err := Eval(context.Background(), []Source{Default()}, testOptions(nil))
	require.NoError(t, err)
	assert.NotEmpty(t, p.Steps)
}

func TestRecentFailedSteps(t *testing.T) {
	p, err := Eval(context.Background(), []Source{src("r.star", `
velero.recent_failed_backups(5)
velero.recent_failed_restores(2, namespace = "other")
velero.recent_failed_backups(0)
`)}, testOptions(nil))
	require.NoError(t, err)
	require.Len(t, p.Steps, 2, "n <= 0 collects none")
	assert.Equal(t, plan.RecentFailed{Kind: plan.Backup, Namespace: "velero", N: 5}, *p.Steps[0].RecentFailed)
	assert.Equal(t, plan.RecentFailed{Kind: plan.Restore, Namespace: "other", N: 2}, *p.Steps[1].RecentFailed)
	for _, bad := range []string{`velero.recent_failed_backups(101)`, `velero.recent_failed_restores(1, namespace = "Bad")`} {
		_, err := Eval(context.Background(), []Source{src("r.star", bad)}, testOptions(nil))
		require.Error(t, err, bad)
	}
}

// tooMany answers more names than asked for.
type tooMany struct{}

func (tooMany) RecentFailures(context.Context, string, int) ([]string, error) {
	return []string{"a", "b", "c", "d"}, nil
}

func TestLookupAnswersAtMostN(t *testing.T) {
	p, err := Eval(context.Background(), []Source{src("n.star", `
for name in velero.recent_failures("backups", 2):
    velero.backup(name)
`)}, testOptions(tooMany{}))
	require.NoError(t, err)
	assert.Len(t, p.Steps, 2)
}

func TestDefaultIsACopy(t *testing.T) {
	d := Default()
	assert.Equal(t, "default.star", d.Name)
	d.Data[0] = 'X'
	assert.NotEqual(t, byte('X'), Default().Data[0])
	onDisk, err := os.ReadFile("default.star")
	require.NoError(t, err)
	assert.Equal(t, onDisk, Default().Data)
}

func TestArgsAreStrings(t *testing.T) {
	opts := testOptions(nil)
	opts.Args = map[string]string{"my-key": "v", "n": "3"}
	p, err := Eval(context.Background(), []Source{src("args.star", `
velero.file("args.txt", getattr(args, "my-key") + "," + args.n)
`)}, opts)
	require.NoError(t, err)
	assert.Equal(t, "v,3", p.Steps[0].File.Content)
}

func TestErrorMessageStartsWithScript(t *testing.T) {
	_, err := Eval(context.Background(), []Source{src("x.star", `velero.objects("pods", namespace = "velero", all_namespaces = True)`)}, testOptions(nil))
	require.Error(t, err)
	assert.True(t, strings.HasPrefix(err.Error(), "script x.star failed:\nTraceback (most recent call last):\n  x.star:1:15: in <toplevel>\n"), err.Error())
	assert.Contains(t, err.Error(), "namespace and all_namespaces are exclusive")
}

func TestOtherScriptNamedDefault(t *testing.T) {
	// The compiled default plan is reused only for its own text.
	p, err := Eval(context.Background(), []Source{src("default.star", "velero.cluster_version()\n")}, testOptions(nil))
	require.NoError(t, err)
	require.Len(t, p.Steps, 1)
	assert.NotNil(t, p.Steps[0].ClusterVersion)
}

func TestStepLineThroughABuiltin(t *testing.T) {
	// max calls velero.backup as its key function: the step's line is
	// the script's, not the builtin max's.
	p, err := Eval(context.Background(), []Source{src("key.star", "x = 1\nmax([\"a\"], key = velero.backup)\n")}, testOptions(nil))
	require.NoError(t, err)
	require.Len(t, p.Steps, 1)
	assert.Equal(t, "key.star", p.Steps[0].Script)
	assert.Equal(t, 2, p.Steps[0].Line)
}
