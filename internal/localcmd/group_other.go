//go:build !unix

package localcmd

import "os/exec"

// ownGroup leaves cmd as it is: only the command itself is killed.
func ownGroup(*exec.Cmd) {}

// killGroup does nothing where process groups are not known.
func killGroup(*exec.Cmd) {}
