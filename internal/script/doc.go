// Package script evaluates the Starlark scripts that say what velero-debug
// collects. Scripts describe, Go executes: the velero.* builtins do no I/O,
// they record steps into a plan.Plan, which the collector runs once every
// script has ended. The one exception is velero.recent_failures, a cached,
// read-only lookup through the Lookups the caller provides.
//
// Scripts see these predeclared names besides Starlark's own builtins:
//
//   - velero.namespace, velero.backups, velero.restores and
//     velero.recent_failed: the command line's Settings;
//   - velero.objects: list one resource into one item;
//   - velero.api_group: list every resource of an API group;
//   - velero.logs: the pods of a namespace and their logs;
//   - velero.cluster_version: the Kubernetes version;
//   - velero.server_version: the Velero server's version and plugins;
//   - velero.backup and velero.restore: one backup or restore in detail;
//   - velero.recent_failed_backups and velero.recent_failed_restores: the
//     most recent failed ones in detail, found in the collection's list;
//   - velero.volume_failures: failed volume operations and their nodes;
//   - velero.file: a text file of the script's own;
//   - velero.recent_failures: names of the recent failed backups or
//     restores (a lookup);
//   - args: the --args key=value pairs, as a struct of strings;
//   - json and struct, from go.starlark.net.
//
// Each member's signature and documentation live in one table (members),
// from which both the module and docs/starlark.md are made (Reference;
// go run ./internal/script/gendoc). The default plan is default.star.
package script
