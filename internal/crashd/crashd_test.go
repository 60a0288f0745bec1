package crashd

import (
	"context"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSplitCommand(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		cmd  string
		want []string
		err  string
	}{
		{cmd: "velero version -n velero", want: []string{"velero", "version", "-n", "velero"}},
		{cmd: "  a\tb\n c  ", want: []string{"a", "b", "c"}},
		{cmd: `sh -c 'echo $HOME; rm -rf /'`, want: []string{"sh", "-c", "echo $HOME; rm -rf /"}},
		{cmd: `a "b c" "d \"e\" \\ \n" f`, want: []string{"a", "b c", `d "e" \ \n`, "f"}},
		{cmd: `a\ b c\'d`, want: []string{"a b", "c'd"}},
		{cmd: `a "" ''`, want: []string{"a", "", ""}},
		{cmd: `x"y z"'w'`, want: []string{"xy zw"}},
		{cmd: "velero $VELERO_NAMESPACE | grep x > out", want: []string{"velero", "$VELERO_NAMESPACE", "|", "grep", "x", ">", "out"}},
		{cmd: "", err: "empty"},
		{cmd: "   ", err: "empty"},
		{cmd: `a 'b`, err: "quote is not closed"},
		{cmd: `a "b`, err: "quote is not closed"},
		{cmd: `a b\`, err: "ends with a backslash"},
	} {
		got, err := SplitCommand(tc.cmd)
		if tc.err != "" {
			require.ErrorContains(t, err, tc.err, tc.cmd)
			continue
		}
		require.NoError(t, err, tc.cmd)
		require.Equal(t, tc.want, got, tc.cmd)
	}
}

func TestDefaultFileName(t *testing.T) {
	t.Parallel()
	require.Equal(t, "velero_version__n_velero.txt", defaultFileName("velero version -n velero"))
}

// eval runs src with args and returns its result or error.
func eval(t *testing.T, src string, args map[string]string, restricted bool) (*Result, error) {
	t.Helper()
	return Eval(context.Background(), "test.cshd", []byte(src), Options{Args: args, Env: testEnv(), Restricted: restricted})
}

func TestRestricted(t *testing.T) {
	t.Parallel()
	for _, src := range []string{`capture_local(cmd="velero version")`, `run_local("id")`} {
		_, err := eval(t, src, nil, true)
		require.ErrorContains(t, err, "is not allowed with --restricted: it runs a command on this host", src)
		_, err = eval(t, src, nil, false)
		if err != nil {
			// run_local of id may fail on an odd host, never by restriction.
			require.NotContains(t, err.Error(), "--restricted")
		}
	}
	res, err := eval(t, `kube_capture(what="logs", namespaces=["velero"])`, nil, true)
	require.NoError(t, err, "kube_capture runs no command")
	require.Len(t, res.Plan.Steps, 1)
}

func TestArgs(t *testing.T) {
	t.Parallel()
	res, err := eval(t, `capture_local(cmd="velero backup logs " + args.backup, file_name = args.backup + ".log")`, map[string]string{"backup": "b1"}, false)
	require.NoError(t, err)
	require.Equal(t, []string{"velero", "backup", "logs", "b1"}, res.Plan.Steps[0].Command.Runs[0].Argv)

	_, err = eval(t, `x = args.backup`, map[string]string{"restore": "r"}, false)
	require.ErrorContains(t, err, `"args" struct has no .backup attribute`)
	require.ErrorContains(t, err, "test.cshd:1", "the error names the script line")
}

func TestDialect(t *testing.T) {
	t.Parallel()
	_, err := eval(t, "for ns in [\"a\"]:\n    log(ns)\n", nil, false)
	require.ErrorContains(t, err, "for loop not within a function", "crashd's dialect has no top-level for")
	_, err = eval(t, "ssh_config(username=\"u\")", nil, false)
	require.ErrorContains(t, err, "ssh_config is not supported by velero-debug run")
	_, err = eval(t, "load(\"x.star\", \"y\")", nil, false)
	require.ErrorContains(t, err, "load() is not supported")
}

func TestKubeCaptureValidation(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ src, err string }{
		{`kube_capture(what="pods")`, "don't know how to get: pods"},
		{`kube_capture(what="objects")`, "needs at least one of groups, kinds or categories"},
		{`kube_capture(what="objects", versions=["v1"])`, "needs at least one of groups, kinds or categories"},
		{`kube_capture(what="objects", groups="velero.io")`, "for parameter \"groups\": got string, want a list of strings"},
		{`kube_capture(what="logs", namespaces="velero")`, "for parameter \"namespaces\": got string, want a list of strings"},
		{`kube_capture(what="objects", kinds=["backups", 3])`, "element 1 is int, want string"},
		{`kube_capture(what="objects", kinds=["backups"], namespaces=["Velero"])`, `namespaces: "Velero"`},
		{`kube_capture(what="objects", kinds=["backups"], labels=["app in (("])`, `labels: "app in ((" is not a label selector`},
		{`kube_capture(what="objects", kinds=["backups"], output_format="yaml")`, `output_format "yaml" is not supported`},
		{`kube_capture(what="objects", kinds=["backups"], output_mode="multiple_files")`, `output_mode "multiple_files" is not supported`},
		{`kube_capture(what="objects", kinds=["backups"], kube_config="x")`, "want the result of kube_config()"},
		{`kube_capture(what="objects", kinds=["x"], kube_config=kube_config(path="/a"))` + "\n" + `kube_config(path="/b")`, "velero-debug run collects from one cluster"},
	} {
		_, err := eval(t, tc.src, nil, false)
		require.ErrorContains(t, err, tc.err, tc.src)
	}
	res, err := eval(t, `kube_capture(what="objects", groups=("velero.io",), labels=["a=b", "c"])`, nil, false)
	require.NoError(t, err, "a tuple is a list")
	require.Equal(t, "a=b,c", res.Plan.Steps[0].Search.LabelSelector)
	require.Equal(t, "crashd/kubecapture", res.Plan.Steps[0].Search.Dir, "the default workdir /tmp/crashd")
}

func TestPaths(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ src, err string }{
		{`crashd_config(workdir="/")`, "must name a folder"},
		{`crashd_config(workdir="./w")` + "\n" + `capture_local(cmd="x", workdir="/etc")`, "is outside the workdir"},
		{`crashd_config(workdir="./w")` + "\n" + `capture_local(cmd="x", file_name="../x")`, "leaves the workdir"},
		{`crashd_config(workdir="./velero-bundle")` + "\n" + `capture_local(cmd="x", file_name="manifest.json")`, "the bundle's own manifest.json"},
		{`crashd_config(workdir="/tmp/manifest.json")`, `workdir "/tmp/manifest.json": its folder in the bundle would be velero-bundle/manifest.json, which is the bundle's own manifest.json`},
		{`crashd_config(workdir="~/summary.md/")`, "which is the bundle's own summary.md: choose another workdir"},
		{`capture_local(cmd="x", file_name="a")` + "\n" + `capture_local(cmd="y", file_name="a")`, "already captured by the call at line 1"},
		{`crashd_config(workdir="./w")` + "\n" + `archive(output_file="o.tar.gz", source_paths=["/home"])`, "is outside the workdir"},
		{`archive(output_file="a.tar.gz", source_paths=["/tmp/crashd"])` + "\n" + `archive(output_file="b.tar.gz", source_paths=["/tmp/crashd"])`, "writes one bundle"},
		{`capture_local(cmd="a 'b")`, "quote is not closed"},
	} {
		_, err := eval(t, tc.src, nil, false)
		require.ErrorContains(t, err, tc.err, tc.src)
	}
	res, err := eval(t, `crashd_config(workdir="~/diag/velero-bundle")`+"\n"+`capture_local(cmd="x", file_name="sub/x.txt")`, nil, false)
	require.NoError(t, err)
	require.Equal(t, "/home/tester/diag/velero-bundle", res.Workdir)
	require.Equal(t, "sub/x.txt", res.Plan.Steps[0].Command.Path, "a workdir named velero-bundle is the bundle's folder")
}

func TestRunLocal(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("echo"); err != nil {
		t.Skip("no echo")
	}
	res, err := eval(t, `out = run_local("echo '  hello $HOME  '")`+"\n"+`capture_local(cmd="echo", file_name=out + ".txt")`, nil, false)
	require.NoError(t, err)
	require.Equal(t, "crashd/hello $HOME.txt", res.Plan.Steps[0].Command.Path, "trimmed, and no $VAR expansion")
	_, err = eval(t, `run_local("false")`, nil, false)
	require.ErrorContains(t, err, `run_local: "false" failed: exit status 1`)
	_, err = eval(t, `run_local("no-such-command-velero-debug")`, nil, false)
	var ee *exec.Error
	require.ErrorAs(t, err, &ee)
}

func TestRecordedBounded(t *testing.T) {
	t.Parallel()
	script := "def f():\n    for i in range(20000):\n        capture_local(cmd=\"echo %d\" % i, file_name=\"same.txt\", append=True)\nf()\n"
	_, err := Eval(context.Background(), "many.cshd", []byte(script), Options{})
	require.ErrorContains(t, err, "more than 10000 captures and commands")
}
