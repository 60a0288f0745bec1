package flagvalue

import (
	"testing"
	"time"

	"github.com/spf13/pflag"
	"github.com/stretchr/testify/require"
)

func TestParseDuration(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]time.Duration{
		"90s": 90 * time.Second, "2h30m": 150 * time.Minute, "7d": 7 * 24 * time.Hour,
		"1d12h": 36 * time.Hour, "1.5d": 36 * time.Hour, "0": 0, "0d": 0, "-1h": -time.Hour,
		"0.3d": 7*time.Hour + 12*time.Minute,
	} {
		got, err := ParseDuration(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	for _, in := range []string{"", "1w", "abc", "d", "-1d", "1d-1h", "99999999999999d", "106751d24h"} {
		_, err := ParseDuration(in)
		require.EqualError(t, err, "not a duration: use a number and a unit, such as 90s, 30m, 2h, 1h30m or 7d", in)
	}
}

func TestParseBytes(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]int64{
		"0": 0, "1048576": 1 << 20, "10MiB": 10 << 20, "10Mi": 10 << 20, "25MB": 25e6, "25mb": 25e6,
		"1.5GiB": 3 << 29, "500KiB": 500 << 10, "2G": 2e9, "7 B": 7,
	} {
		got, err := ParseBytes(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	for _, in := range []string{"", "abc", "10XB", "-1", "1e3", "99999999999GiB", "0.5", "1.5B"} {
		_, err := ParseBytes(in)
		require.ErrorContains(t, err, "not a size", in)
	}
}

// TestExplain: the errors of parsing flags, as the user reads them.
func TestExplain(t *testing.T) {
	t.Parallel()
	parse := func(args ...string) error {
		fs := pflag.NewFlagSet("velero-debug", pflag.ContinueOnError)
		var d time.Duration
		var n, tail int64
		fs.StringP("namespace", "n", "", "")
		fs.String("kubecontext", "", "")
		fs.String("context", "", "")
		fs.Int64Var(&tail, "tail", -1, "")
		fs.Var(NewDuration(&d), "since", "")
		fs.Var(NewBytes(&n), "limit-bytes", "")
		fs.Bool("hidden-one", false, "")
		fs.Bool("dry-run", false, "")
		_ = fs.MarkHidden("hidden-one")
		fs.SetOutput(nopWriter{})
		return Explain(fs, fs.Parse(args))
	}
	for args, want := range map[string]string{
		"--namspace":                  "unknown flag --namspace: did you mean --namespace?",
		"--contxt":                    "unknown flag --contxt: did you mean --context?",
		"--kube-context":              "unknown flag --kube-context: did you mean --kubecontext?",
		"--hidden-on":                 "unknown flag --hidden-on (--help lists them)",
		"--tail=abc":                  `invalid value "abc" for --tail: not a whole number`,
		"--tail=99999999999999999999": `invalid value "99999999999999999999" for --tail: out of range`,
		"--since=1y":                  `invalid value "1y" for --since: not a duration: use a number and a unit, such as 90s, 30m, 2h, 1h30m or 7d`,
		"-x":                          "unknown flag -x (--help lists them)",
		"--dry-run=yes":               `invalid value "yes" for --dry-run: not true or false`,
		"--limit-bytes=10XB":          `invalid value "10XB" for --limit-bytes: not a size: use a number of bytes, or one with a unit, such as 500KiB, 10MiB, 25MB or 1GiB`,
	} {
		require.EqualError(t, parse(args), want, args)
	}
	require.NoError(t, parse("--since=7d", "--limit-bytes=10MiB", "-n", "velero"))
}

type nopWriter struct{}

func (nopWriter) Write(p []byte) (int, error) { return len(p), nil }
