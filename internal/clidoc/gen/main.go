// Command gen writes docs/cli (Markdown) and docs/man (man pages), the
// reference of velero-debug's command line, from its cobra commands:
// go run ./internal/clidoc/gen from the module root (hack/gendocs.sh runs
// every generator).
package main

import (
	"log"
	"os"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/velero-debug/velero-debug/internal/clidoc"
	"github.com/velero-debug/velero-debug/pkg/debug"
)

func main() {
	// Defaults that come from the environment are documented as such, not
	// as this machine's values.
	_ = os.Unsetenv("VELERO_NAMESPACE")
	_ = os.Setenv("HOME", "/nonexistent") // no Velero CLI client config
	streams := genericiooptions.NewTestIOStreamsDiscard()
	if err := clidoc.Write(debug.NewCommand(nil, streams), "docs/cli", "docs/man"); err != nil {
		log.Fatal(err)
	}
}
