package bundle

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// errLocked is tryLock's answer when another process holds the lock.
var errLocked = errors.New("locked by another process")

// spoolPrefix names the spool folders of runs.
const spoolPrefix = ".velero-debug-spool-"

// createPartial creates and locks the partial file of path. A partial
// file already there is either a run in progress (locked: refused) or
// the leftover of a killed run (unlocked: refused, or replaced with
// force).
func createPartial(partial string, force bool) (*os.File, error) {
	for range 2 {
		f, err := os.OpenFile(partial, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fileMode) //nolint:gosec // G304: the output path is the user's choice
		if err == nil {
			if lerr := tryLock(f); lerr != nil {
				return nil, errors.Join(fmt.Errorf("locking %q: %w", partial, lerr), f.Close(), os.Remove(partial))
			}
			return f, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("creating %q: %w", partial, err)
		}
		if inUse(partial) {
			return nil, fmt.Errorf("another velero-debug run is writing %q now: wait for it to end, or choose another --output (%w)", partial, fs.ErrExist)
		}
		if !force {
			return nil, fmt.Errorf("%q is left by a velero-debug run that was killed before it ended (SIGKILL, a crash, the machine stopped): remove it, or run again with --force to replace it (%w)", partial, fs.ErrExist)
		}
		if err := os.Remove(partial); err != nil {
			return nil, fmt.Errorf("removing the leftover %q: %w", partial, err)
		}
	}
	return nil, fmt.Errorf("creating %q: another process makes it as fast as it is removed", partial)
}

// inUse reports whether a process holds the lock of the file at p; a
// file that cannot be opened is taken for in use.
func inUse(p string) bool {
	f, err := os.OpenFile(p, os.O_RDONLY, 0) //nolint:gosec // G304: a leftover of the user's output path
	if err != nil {
		return true
	}
	defer func() { _ = f.Close() }()
	return tryLock(f) != nil
}

// removeDeadSpools removes, from dir, the spool folders of runs that no
// longer live (their lock is free): a killed run leaves its folder, and
// its items, behind.
func removeDeadSpools(dir string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), spoolPrefix) || e.Type()&fs.ModeType != fs.ModeDir {
			continue // a symlink or a file of that name is not ours
		}
		p := filepath.Join(dir, e.Name())
		f, err := os.Open(p) //nolint:gosec // G304: a spool folder of ours
		if err != nil {
			continue
		}
		if tryLock(f) == nil {
			_ = os.RemoveAll(p)
		}
		_ = f.Close()
	}
}

// makeSpoolDir creates the private spool folder, mode 0700, and locks
// it for the life of the run; the spool folders of dead runs beside it
// are removed first.
func makeSpoolDir(output, tempDir string) (string, *os.File, error) {
	if tempDir == "" {
		tempDir = filepath.Dir(output)
	}
	removeDeadSpools(tempDir)
	dir, err := os.MkdirTemp(tempDir, spoolPrefix+"*")
	if err != nil {
		return "", nil, fmt.Errorf("creating spool folder: %w", err)
	}
	lock, err := os.Open(dir) //nolint:gosec // G304: the folder just made
	if err == nil {
		err = tryLock(lock)
	}
	if err != nil {
		return "", nil, errors.Join(fmt.Errorf("locking spool folder: %w", err), os.RemoveAll(dir))
	}
	return dir, lock, nil
}
