package collect

import (
	"context"
	"errors"
	"fmt"
)

// describeAPIError turns err from a request for what into a message that
// says what happened in plain words, for the manifest and the summary. API
// errors (forbidden, not found) already read well and are kept as they are.
func describeAPIError(err error, what string) error {
	switch {
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("%s: cancelled: %w", what, err)
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%s: no answer in time (see --request-timeout and --timeout): %w", what, err)
	default:
		return fmt.Errorf("%s: %w", what, err)
	}
}
