package cluster

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// Tools are the folders that hack/build-tools.sh fills, one per group of
// hack/tools: binaries at the pinned versions, and data files (CRDs, kwok
// stages) taken from the same pinned modules.
type Tools map[string]string

// Path is the file name in group's folder.
func (t Tools) Path(group, name string) string {
	return filepath.Join(t[group], name)
}

// RepoRoot is the root of the velero-debug source tree this package was
// compiled from.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// BuildTools runs hack/build-tools.sh for groups and returns their folders.
// With a warm cache it only hashes the pinned versions; a cold cache builds
// the binaries, which takes minutes (the README's test command builds them
// before the tests run).
func BuildTools(ctx context.Context, groups ...string) (Tools, error) {
	script := filepath.Join(RepoRoot(), "hack", "build-tools.sh")
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "bash", append([]string{script}, groups...)...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("hack/build-tools.sh %s: %w\n%s", strings.Join(groups, " "), err, stderr.String())
	}
	tools := Tools{}
	sc := bufio.NewScanner(&stdout)
	for sc.Scan() {
		group, dir, ok := strings.Cut(sc.Text(), " ")
		if ok {
			tools[group] = dir
		}
	}
	for _, g := range groups {
		if tools[g] == "" {
			return nil, fmt.Errorf("hack/build-tools.sh printed no folder for %s", g)
		}
	}
	return tools, nil
}
