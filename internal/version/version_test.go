package version

import (
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestOf(t *testing.T) {
	t.Parallel()
	vcs := []debug.BuildSetting{{Key: "vcs.revision", Value: "1a2b3c4d5e6f7a8b9c0d"}, {Key: "vcs.modified", Value: "true"}}
	for name, tc := range map[string]struct {
		stamped string
		bi      debug.BuildInfo
		want    string
	}{
		"a release stamps its tag":     {stamped: "v1.2.3", bi: debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-x"}}, want: "v1.2.3"},
		"go install ...@v1.2.3":        {stamped: "dev", bi: debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}}, want: "v1.2.3"},
		"a clone: Go's pseudo-version": {bi: debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261207183000-1a2b3c4d5e6f+dirty"}, Settings: vcs}, want: "v0.0.0-20261207183000-1a2b3c4d5e6f+dirty"},
		"a clone, no version recorded": {bi: debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs}, want: "dev-1a2b3c4d5e6f-dirty"},
		"inside the Velero CLI": {bi: debug.BuildInfo{Main: debug.Module{Path: "github.com/vmware-tanzu/velero", Version: "v1.18.3"},
			Deps: []*debug.Module{{Path: Module, Version: "v0.4.0"}}}, want: "v0.4.0"},
		"inside the Velero CLI, replaced by a clone": {bi: debug.BuildInfo{Main: debug.Module{Path: "example.com/velero-cli"},
			Deps: []*debug.Module{{Path: Module, Version: "v0.0.0", Replace: &debug.Module{Path: "../..", Version: ""}}}}, want: "dev"},
		"nothing recorded (a test)": {bi: debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, want: "dev"},
	} {
		require.Equal(t, tc.want, of(tc.stamped, &tc.bi).Version, name)
	}
	info := of("", &debug.BuildInfo{GoVersion: "go1.26.11", Main: debug.Module{Version: "v1.2.3"}, Settings: vcs})
	require.Equal(t, "1a2b3c4d5e6f7a8b9c0d", info.Commit)
	require.True(t, info.Modified)
	require.Contains(t, info.String(), "velero-debug v1.2.3\n  commit:   1a2b3c4d5e6f7a8b9c0d (modified)\n  go:       go1.26.11\n  platform: ")
}
