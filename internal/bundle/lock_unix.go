//go:build unix

package bundle

import (
	"errors"
	"os"
	"syscall"
)

// tryLock takes an exclusive advisory lock on f without waiting: a run
// holds one on its partial file and its spool folder for as long as it
// lives, so that the leftovers of a killed run can be told from a run in
// progress. It reports errLocked when another holds it.
func tryLock(f *os.File) error {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return errLocked
	}
	return err
}
