package debug

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/velero-debug/velero-debug/internal/bundle"
)

// TestOverBudget: what the end of a run says of a bundle's size.
func TestOverBudget(t *testing.T) {
	say := func(m bundle.Manifest, size int64) (string, bool) {
		var errOut bytes.Buffer
		o := &Options{IOStreams: genericiooptions.IOStreams{ErrOut: &errOut}}
		over := o.overBudget(m, size)
		return errOut.String(), over
	}
	out, over := say(bundle.Manifest{}, 24_000_000)
	require.Empty(t, out)
	require.False(t, over)

	out, over = say(bundle.Manifest{}, 312_000_000)
	require.False(t, over, "without a budget, a big bundle is not a failure")
	require.Equal(t, "velero-debug: the bundle is 297.5 MiB, over the 25 MB GitHub takes as an attachment: --max-size 25MB cuts the pods' logs to fit, keeping their warnings, errors and last lines\n", out)

	cut := bundle.Manifest{Budget: &bundle.Budget{MaxBytes: 2 << 20, LogsCut: 200, OriginalBytes: 200 << 20, KeptBytes: 56 << 20}}
	out, over = say(cut, 1_994_579)
	require.False(t, over)
	require.Equal(t, "velero-debug: 200 logs cut to fit --max-size 2.0 MiB: 56.0 MiB of 200.0 MiB kept (the lines naming the backups and restores looked at, every warning, error and panic, then the last lines; manifest.json lists the lines each keeps)\n", out)

	over1 := bundle.Manifest{Budget: &bundle.Budget{MaxBytes: 100 << 10, LogsCut: 3, OverBytes: 50 << 10}}
	out, over = say(over1, 160<<10)
	require.True(t, over)
	require.Contains(t, out, "velero-debug: the bundle is 160.0 KiB, 60.0 KiB over --max-size 100.0 KiB: what is never cut")

	miss := bundle.Manifest{Budget: &bundle.Budget{MaxBytes: 100 << 10, LogsCut: 3}}
	out, over = say(miss, 101<<10)
	require.True(t, over)
	require.Contains(t, out, "compressed worse than measured")
}
