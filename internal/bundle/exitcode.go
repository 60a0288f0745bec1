package bundle

// Exit codes of velero-debug, as documented in its help.
const (
	// ExitComplete means the bundle is complete.
	ExitComplete = 0
	// ExitNothing means nothing useful could be collected: the cluster was
	// unreachable, the flags were bad, or the bundle could not be written.
	ExitNothing = 1
	// ExitPartial means the bundle was written but some items failed; they
	// are listed in the manifest and the summary.
	ExitPartial = 3
	// ExitInterrupted means the run was interrupted and a partial bundle was
	// written.
	ExitInterrupted = 130
)

// ExitCode maps the outcome of a run whose bundle was written to the
// program's exit code. In order:
//
//   - interrupted: ExitInterrupted;
//   - no item with status ok: ExitNothing;
//   - complete is false, or an item failed or was cancelled: ExitPartial;
//   - otherwise ExitComplete. Skipped items are not failures.
//
// complete is usually Manifest.Complete. When Create or Close fails, no
// bundle exists and the exit code is ExitNothing, whatever the items.
func ExitCode(complete, interrupted bool, items []ManifestItem) int {
	if interrupted {
		return ExitInterrupted
	}
	ok, failed := 0, 0
	for _, it := range items {
		switch it.Status {
		case StatusOK:
			if it.Path != SummaryFile { // a bundle of nothing still has its summary
				ok++
			}
		case StatusError, StatusCancelled:
			failed++
		}
	}
	switch {
	case ok == 0:
		return ExitNothing
	case !complete || failed > 0:
		return ExitPartial
	default:
		return ExitComplete
	}
}
