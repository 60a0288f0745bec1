#!/usr/bin/env bash
# gendocs.sh regenerates every generated file of the repository: the
# command line's reference (docs/cli, docs/man) and the Starlark builtins'
# (docs/starlark.md). Tests fail when a checked-in copy is out of date.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$VELERO_DEBUG_ROOT"
go run ./internal/clidoc/gen
go run ./internal/script/gendoc
