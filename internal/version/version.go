// Package version says which velero-debug a binary is: the version a
// release stamped into it, else what Go recorded when it was built (the
// module's version for `go install ...@v1.2.3`, the pseudo-version, commit
// and modified flag of a build from a clone), and the Go that built it.
package version

import (
	"cmp"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// Info describes a build.
type Info struct {
	// Version is the release's version, or the module's as Go recorded it
	// ("v0.0.0-20261207183000-1a2b3c4d5e6f+dirty" from a clone), or "dev"
	// when Go recorded none (a test binary).
	Version string `json:"version"`
	// Commit is the VCS revision the binary was built from, if known.
	Commit string `json:"commit,omitempty"`
	// Modified reports that the working tree had changes.
	Modified bool `json:"modified,omitempty"`
	// Go is the Go version that built the binary.
	Go string `json:"go"`
	// Platform is GOOS/GOARCH.
	Platform string `json:"platform"`
}

// Get returns the build's Info. stamped is the version a release stamped
// with -ldflags -X; empty or "dev" means none.
func Get(stamped string) Info {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		bi = &debug.BuildInfo{}
	}
	return of(stamped, bi)
}

// Module is velero-debug's module path.
const Module = "github.com/velero-debug/velero-debug"

func of(stamped string, bi *debug.BuildInfo) Info {
	info := Info{Go: cmp.Or(bi.GoVersion, runtime.Version()), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	mod := bi.Main
	if bi.Main.Path != "" && bi.Main.Path != Module {
		// Built into another program (the Velero CLI): velero-debug's
		// version is that of the dependency; the commit is the host's.
		mod = debug.Module{}
		for _, d := range bi.Deps {
			if d.Path == Module {
				mod = *cmp.Or(d.Replace, d)
			}
		}
	} else {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				info.Commit = s.Value
			case "vcs.modified":
				info.Modified = s.Value == "true"
			}
		}
	}
	switch {
	case stamped != "" && stamped != "dev":
		info.Version = stamped
	case mod.Version != "" && mod.Version != "(devel)":
		info.Version = mod.Version
	case info.Commit != "":
		info.Version = "dev-" + short(info.Commit)
		if info.Modified {
			info.Version += "-dirty"
		}
	default:
		info.Version = "dev"
	}
	return info
}

func short(rev string) string {
	if len(rev) > 12 {
		return rev[:12]
	}
	return rev
}

// String is what `velero-debug version` prints.
func (i Info) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "velero-debug %s\n", i.Version)
	if i.Commit != "" {
		modified := ""
		if i.Modified {
			modified = " (modified)"
		}
		fmt.Fprintf(&b, "  commit:   %s%s\n", i.Commit, modified)
	}
	fmt.Fprintf(&b, "  go:       %s\n", i.Go)
	fmt.Fprintf(&b, "  platform: %s\n", i.Platform)
	return b.String()
}
