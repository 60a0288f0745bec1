// Command velero-debug collects a diagnostic bundle of a Velero
// installation. See package github.com/velero-debug/velero-debug/pkg/debug.
package main

import (
	"fmt"
	"os"
	"runtime/pprof"

	"github.com/velero-debug/velero-debug/pkg/debug"
)

func main() {
	os.Exit(profiled(debug.Main))
}

// profiled runs main, writing a CPU profile of it to the file
// VELERO_DEBUG_CPUPROFILE names, when it is set: how docs/performance.md
// finds where a run's time goes.
func profiled(main func() int) int {
	path := os.Getenv("VELERO_DEBUG_CPUPROFILE")
	if path == "" {
		return main()
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600) //nolint:gosec // G304: the developer names the file
	if err != nil {
		fmt.Fprintf(os.Stderr, "velero-debug: VELERO_DEBUG_CPUPROFILE: %v\n", err)
		return 1
	}
	defer func() { _ = f.Close() }()
	if err := pprof.StartCPUProfile(f); err != nil {
		fmt.Fprintf(os.Stderr, "velero-debug: VELERO_DEBUG_CPUPROFILE: %v\n", err)
		return 1
	}
	defer pprof.StopCPUProfile()
	return main()
}
