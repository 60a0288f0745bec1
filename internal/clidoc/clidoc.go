// Package clidoc writes the reference of velero-debug's command line from
// the cobra commands themselves: one Markdown page per command (docs/cli)
// and one man page per command (docs/man), the same on every machine.
package clidoc

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// manDate is the date man pages carry: fixed, so that the pages depend on
// the commands only.
var manDate = time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)

// Write replaces the Markdown pages in mdDir and the man pages in manDir
// with those of root and its commands.
func Write(root *cobra.Command, mdDir, manDir string) error {
	// What Execute adds, documented too.
	root.InitDefaultCompletionCmd()
	root.InitDefaultVersionFlag()
	var visit func(*cobra.Command)
	visit = func(c *cobra.Command) {
		c.DisableAutoGenTag = true
		for _, sub := range c.Commands() {
			visit(sub)
		}
	}
	visit(root)
	for _, dir := range []string{mdDir, manDir} {
		if err := os.RemoveAll(dir); err != nil {
			return err
		}
		if err := os.MkdirAll(dir, 0o755); err != nil { //nolint:gosec // documentation, readable by all
			return err
		}
	}
	if err := doc.GenMarkdownTree(root, mdDir); err != nil {
		return fmt.Errorf("writing the Markdown pages: %w", err)
	}
	header := &doc.GenManHeader{Title: "VELERO-DEBUG", Section: "1", Source: "velero-debug", Manual: "velero-debug manual", Date: &manDate}
	if err := doc.GenManTree(root, header, manDir); err != nil {
		return fmt.Errorf("writing the man pages: %w", err)
	}
	return nil
}

// Files returns the files Write writes under dir, by name.
func Files(dir string) (map[string][]byte, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name())) //nolint:gosec // G304: the files of the docs folder
		if err != nil {
			return nil, err
		}
		out[e.Name()] = data
	}
	return out, nil
}
