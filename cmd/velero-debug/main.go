// Command velero-debug collects a diagnostic bundle of a Velero
// installation. See package github.com/velero-debug/velero-debug/pkg/debug.
package main

import (
	"os"

	"github.com/velero-debug/velero-debug/pkg/debug"
)

func main() {
	os.Exit(debug.Main())
}
