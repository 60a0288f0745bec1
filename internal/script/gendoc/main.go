// Command gendoc writes docs/starlark.md, the reference of velero-debug's
// Starlark scripts: go run ./internal/script/gendoc from the module root.
package main

import (
	"log"
	"os"

	"github.com/velero-debug/velero-debug/internal/script"
)

func main() {
	if err := os.WriteFile("docs/starlark.md", script.Reference(), 0o644); err != nil { //nolint:gosec // documentation, readable by all
		log.Fatal(err)
	}
}
