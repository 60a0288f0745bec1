package crashd

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

// testArgs are the 8 --args that Velero's `velero debug` passes to
// velero.cshd.
func testArgs() map[string]string {
	return map[string]string{
		"cmd": "/usr/local/bin/velero", "output": "/tmp/out/bundle.tar.gz", "namespace": "backup-system",
		"basedir": "", "backup": "nightly-1", "restore": "nightly-1-restore",
		"kubeconfig": "/home/tester/.kube/config", "kubecontext": "kind-test",
	}
}

func testEnv() Env {
	env := map[string]string{"SHELL": "/bin/zsh"}
	return Env{Getenv: func(k string) string { return env[k] }, Home: "/home/tester", Username: "tester"}
}

// golden is what a golden file holds: the result and what log() printed.
type golden struct {
	Result *Result  `json:"result"`
	Log    []string `json:"log"`
}

// TestGolden evaluates each testdata/golden/*.cshd, without a cluster, with
// testArgs, and compares the result with the .json beside it.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/golden/*.cshd")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".cshd")
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(f)
			require.NoError(t, err)
			var logs bytes.Buffer
			res, err := Eval(context.Background(), filepath.Base(f), src, Options{Args: testArgs(), Env: testEnv(), Log: &logs})
			require.NoError(t, err)
			g := golden{Result: res, Log: strings.Split(strings.TrimSuffix(logs.String(), "\n"), "\n")}
			got, err := json.MarshalIndent(g, "", "  ")
			require.NoError(t, err)
			got = append(got, '\n')
			path := filepath.Join("testdata", "golden", name+".json")
			if *update {
				require.NoError(t, os.WriteFile(path, got, 0o600))
				return
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "run go test ./internal/crashd -run TestGolden -update to write it")
			require.Equal(t, string(want), string(got), "the result differs from %s; if the change is right, run go test ./internal/crashd -run TestGolden -update", path)
		})
	}
}
