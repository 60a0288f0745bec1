package debug

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/velero-debug/velero-debug/internal/collect"
	"github.com/velero-debug/velero-debug/internal/plan"
	"github.com/velero-debug/velero-debug/internal/script"
)

// maxScriptBytes bounds a --script file.
const maxScriptBytes = 1 << 20

// makePlan runs the default plan (unless --only-scripts) and the --script
// files into one plan. A script's error carries its Starlark backtrace.
func (o *Options) makePlan(ctx context.Context, t *target) (*plan.Plan, error) {
	var sources []script.Source
	if !o.OnlyScripts {
		sources = append(sources, script.Default())
	}
	for _, name := range o.Scripts {
		data, err := readScript(name)
		if err != nil {
			return nil, err
		}
		sources = append(sources, script.Source{Name: name, Data: data})
	}
	p, err := script.Eval(ctx, sources, script.Options{
		Settings: script.Settings{Namespace: o.Namespace, Backups: o.Backups, Restores: o.Restores, RecentFailed: o.RecentFailed},
		Args:     o.Args,
		Lookups:  collect.Lookups{Dynamic: t.clients.Dynamic, Namespace: o.Namespace, RequestTimeout: o.RequestTimeout},
	})
	if err != nil {
		return nil, fmt.Errorf("making the collection plan: %w", err)
	}
	return p, nil
}

func readScript(name string) ([]byte, error) {
	f, err := os.Open(name) //nolint:gosec // G304: the script is the user's choice
	if err != nil {
		return nil, fmt.Errorf("--script %q cannot be read: %w", name, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxScriptBytes+1))
	switch {
	case err != nil:
		return nil, fmt.Errorf("--script %q cannot be read: %w", name, err)
	case len(data) > maxScriptBytes:
		return nil, fmt.Errorf("--script %q is larger than %d bytes", name, maxScriptBytes)
	}
	return data, nil
}

// argNames are the keys of --args, for the manifest: values may be
// secrets.
func (o *Options) argNames() []string {
	var names []string
	for k := range o.Args {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}
