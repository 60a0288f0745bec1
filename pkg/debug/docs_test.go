package debug

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/velero-debug/velero-debug/internal/clidoc"
)

// TestCLIDocsUpToDate fails when docs/cli or docs/man is not what the
// commands generate: run hack/gendocs.sh.
func TestCLIDocsUpToDate(t *testing.T) {
	t.Setenv("VELERO_NAMESPACE", "")
	t.Setenv("HOME", "/nonexistent") // no Velero CLI client config
	md, man := t.TempDir(), t.TempDir()
	require.NoError(t, clidoc.Write(NewCommand(nil, genericiooptions.NewTestIOStreamsDiscard()), md, man))
	for generated, checkedIn := range map[string]string{md: "../../docs/cli", man: "../../docs/man"} {
		want, err := clidoc.Files(generated)
		require.NoError(t, err)
		got, err := clidoc.Files(checkedIn)
		require.NoError(t, err, "run hack/gendocs.sh")
		require.Len(t, got, len(want), "%s is out of date: run hack/gendocs.sh", filepath.Base(checkedIn))
		for name, data := range want {
			require.Equal(t, string(data), string(got[name]), "%s/%s is out of date: run hack/gendocs.sh", checkedIn, name)
		}
	}
}
