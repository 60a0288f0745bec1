package script

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.starlark.net/starlark"
	"go.starlark.net/starlarktest"
)

// TestStar runs testdata/*_test.star with the assert module of
// go.starlark.net/starlarktest, besides velero and args. They also see
// steps(), the steps recorded so far as JSON, to check what a call
// recorded.
func TestStar(t *testing.T) {
	files, err := filepath.Glob("testdata/*_test.star")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	assert, err := starlarktest.LoadAssertModule()
	require.NoError(t, err)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			require.NoError(t, err)
			lookups := newFakeLookups()
			e := newEvaluator(context.Background(), testOptions(lookups))
			predeclared := e.predeclared()
			env := starlark.StringDict{}
			for k, v := range predeclared {
				env[k] = v
			}
			for k, v := range assert {
				env[k] = v
			}
			env["steps"] = starlark.NewBuiltin("steps", func(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
				if err := starlark.UnpackArgs(b.Name(), args, kwargs); err != nil {
					return nil, err
				}
				out, err := json.Marshal(e.plan.Steps)
				return starlark.String(out), err
			})
			env["lookup_calls"] = starlark.NewBuiltin("lookup_calls", func(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
				var key string
				if err := starlark.UnpackArgs(b.Name(), args, kwargs, "key", &key); err != nil {
					return nil, err
				}
				return starlark.MakeInt(lookups.callCounts()[key]), nil
			})
			err = e.run(Source{Name: filepath.Base(f), Data: data}, env, func(thread *starlark.Thread) {
				starlarktest.SetReporter(thread, t)
			})
			require.NoError(t, err)
		})
	}
}
