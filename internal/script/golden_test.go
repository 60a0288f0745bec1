package script

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/golden")

// TestGolden evaluates each testdata/golden/*.star, and the default plan,
// without a cluster, and compares the plan with the .json beside it.
func TestGolden(t *testing.T) {
	type goldenCase struct {
		name    string
		src     Source
		lookups Lookups
	}
	cases := []goldenCase{
		// The default plan asks the cluster nothing: the recent failures
		// are found while the collection lists the backups.
		{"default", Default(), nil},
	}
	files, err := filepath.Glob("testdata/golden/*.star")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		name := strings.TrimSuffix(filepath.Base(f), ".star")
		cases = append(cases, goldenCase{name, Source{Name: filepath.Base(f), Data: data}, newFakeLookups()})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := Eval(context.Background(), []Source{c.src}, testOptions(c.lookups))
			require.NoError(t, err)
			got, err := json.MarshalIndent(p, "", "  ")
			require.NoError(t, err)
			got = append(got, '\n')
			golden := filepath.Join("testdata", "golden", c.name+".json")
			if *update {
				require.NoError(t, os.WriteFile(golden, got, 0o600))
				return
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err, "run go test ./internal/script -run TestGolden -update to write it")
			if !bytes.Equal(got, want) {
				require.Equal(t, string(want), string(got), "plan differs from %s; if the change is right, run go test ./internal/script -run TestGolden -update", golden)
			}
		})
	}
}
