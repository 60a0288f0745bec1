package collect

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/velero-debug/velero-debug/internal/bundle"
	"github.com/velero-debug/velero-debug/internal/plan"
	"github.com/velero-debug/velero-debug/internal/redact"
)

func TestSelectResources(t *testing.T) {
	t.Parallel()
	groups := []*metav1.APIGroup{
		{Name: "", PreferredVersion: metav1.GroupVersionForDiscovery{GroupVersion: "v1", Version: "v1"},
			Versions: []metav1.GroupVersionForDiscovery{{GroupVersion: "v1", Version: "v1"}}},
		{Name: "velero.io", PreferredVersion: metav1.GroupVersionForDiscovery{GroupVersion: "velero.io/v1", Version: "v1"},
			Versions: []metav1.GroupVersionForDiscovery{{GroupVersion: "velero.io/v2alpha1", Version: "v2alpha1"}, {GroupVersion: "velero.io/v1", Version: "v1"}}},
	}
	list := []string{"list"}
	lists := []*metav1.APIResourceList{
		{GroupVersion: "v1", APIResources: []metav1.APIResource{
			{Name: "pods", Kind: "Pod", SingularName: "pod", Namespaced: true, Verbs: list},
			{Name: "pods/log", Kind: "Pod", Namespaced: true, Verbs: []string{"get"}},
			{Name: "secrets", Kind: "Secret", Namespaced: true, Verbs: list},
			{Name: "nodes", Kind: "Node", Verbs: list},
		}},
		{GroupVersion: "velero.io/v1", APIResources: []metav1.APIResource{
			{Name: "backups", Kind: "Backup", Namespaced: true, Verbs: list, Categories: []string{"velero"}},
			{Name: "podvolumebackups", Kind: "PodVolumeBackup", Namespaced: true, Verbs: list, Categories: []string{"velero"}},
		}},
		{GroupVersion: "velero.io/v2alpha1", APIResources: []metav1.APIResource{
			{Name: "datauploads", Kind: "DataUpload", Namespaced: true, Verbs: list, Categories: []string{"velero"}},
			{Name: "podvolumebackups", Kind: "PodVolumeBackup", Namespaced: true, Verbs: list},
		}},
	}
	names := func(s *plan.Search) []string {
		var out []string
		for _, r := range selectResources(s, groups, lists) {
			out = append(out, r.gvr.String())
		}
		return out
	}
	require.Equal(t, []string{"velero.io/v1, Resource=backups", "velero.io/v1, Resource=podvolumebackups", "velero.io/v2alpha1, Resource=datauploads"},
		names(&plan.Search{Groups: []string{"velero.io"}}), "each resource once, in the preferred version when it serves it")
	require.Equal(t, []string{"velero.io/v1, Resource=podvolumebackups", "velero.io/v2alpha1, Resource=podvolumebackups"},
		names(&plan.Search{Kinds: []string{"PodVolumeBackup"}, Versions: []string{"v1", "v2alpha1"}}), "named versions are each listed")
	require.Equal(t, []string{"/v1, Resource=nodes", "/v1, Resource=pods", "/v1, Resource=secrets"},
		names(&plan.Search{Groups: []string{"core"}}), "core is the legacy group; subresources are not listed")
	require.Equal(t, []string{"/v1, Resource=pods"}, names(&plan.Search{Kinds: []string{"POD"}}), "a singular name, ignoring case")
	require.Equal(t, []string{"velero.io/v1, Resource=backups", "velero.io/v1, Resource=podvolumebackups", "velero.io/v2alpha1, Resource=datauploads"},
		names(&plan.Search{Categories: []string{"velero"}}))
}

type nopObserver struct{}

func (nopObserver) Started(string)                                {}
func (nopObserver) Finished(string, bundle.Status, int64, string) {}

// runCommands executes steps into a bundle and returns its manifest.
func runCommands(t *testing.T, cfg Config, steps ...plan.Step) bundle.Manifest {
	t.Helper()
	w, err := bundle.Create(filepath.Join(t.TempDir(), "b.tar.gz"), bundle.Options{})
	require.NoError(t, err)
	require.NoError(t, Run(context.Background(), cfg, &plan.Plan{Steps: steps}, Clients{}, w, nopObserver{}))
	require.NoError(t, w.Close(bundle.Meta{}))
	return w.Manifest()
}

func commandStep(p string, cmds ...[]string) plan.Step {
	c := &plan.Command{Path: p}
	for _, argv := range cmds {
		c.Runs = append(c.Runs, plan.Run{Cmd: argv[0], Argv: argv, Desc: "desc of " + argv[0]})
	}
	return plan.Step{Command: c}
}

func TestCommand(t *testing.T) {
	t.Parallel()
	rules, err := redact.Compile(nil, nil, true)
	require.NoError(t, err)
	cfg := Config{RequestTimeout: time.Minute, Redact: rules, Commands: CommandOptions{Timeout: 500 * time.Millisecond, LimitBytes: 100}}
	m := runCommands(t, cfg,
		commandStep("ok.txt", []string{"sh", "-c", "echo out; echo err >&2; echo password=hunter2secret"}),
		commandStep("fails.txt", []string{"sh", "-c", "echo partial; exit 3"}, []string{"echo", "next"}),
		commandStep("missing.txt", []string{"no-such-command-velero-debug"}),
		commandStep("slow.txt", []string{"sleep", "10"}),
		commandStep("big.txt", []string{"sh", "-c", "yes | head -c 1000"}),
	)
	items := map[string]bundle.ManifestItem{}
	for _, it := range m.Items {
		items[it.Path] = it
	}
	ok := items["ok.txt"]
	require.Equal(t, bundle.StatusOK, ok.Status, ok.Error)
	require.Positive(t, ok.Redactions["password-field"], "command output is redacted: %v", ok.Redactions)
	require.Equal(t, bundle.StatusError, items["fails.txt"].Status)
	require.Contains(t, items["fails.txt"].Error, `command "sh": exit status 3`)
	require.Positive(t, items["fails.txt"].Bytes, "what it wrote is kept")
	require.Contains(t, items["missing.txt"].Error, "executable file not found")
	require.Contains(t, items["slow.txt"].Error, "did not end within 500ms, killed (see --command-timeout)")
	require.Equal(t, bundle.StatusOK, items["big.txt"].Status)
	require.True(t, items["big.txt"].Truncated)
	require.Equal(t, int64(100), items["big.txt"].Bytes)
}

func TestCommandLimitShared(t *testing.T) {
	t.Parallel()
	cfg := Config{RequestTimeout: time.Minute, Commands: CommandOptions{Timeout: 10 * time.Second, LimitBytes: 30}}
	m := runCommands(t, cfg, commandStep("shared.txt", []string{"echo", "0123456789"}, []string{"echo", "abcdefghij"}))
	require.Len(t, m.Items, 1)
	it := m.Items[0]
	require.Equal(t, bundle.StatusOK, it.Status, it.Error)
	require.True(t, it.Truncated)
	require.Equal(t, int64(30), it.Bytes, "the commands of one file and their desc lines share --limit-bytes")
}
