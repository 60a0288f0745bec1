// Package crashd runs crashd (Crash Diagnostics, vmware-tanzu/crash-
// diagnostics) scripts, such as Velero's velero.cshd, into a collection
// plan (package plan) that the collector executes like any other: crashd's
// builtins record steps, they do not collect. The only builtins that act
// while a script runs are those whose answer the script reads: run_local
// (a command's output), os.getenv and os.home, and args.
//
// The script's workdir is the bundle: crashd_config(workdir=...) creates
// nothing on the host, and what crashd would write under the workdir goes
// to the same place in the bundle. docs/crashd.md describes the builtins,
// the layout and where velero-debug differs from crashd, and why.
package crashd
