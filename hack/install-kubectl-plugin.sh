#!/usr/bin/env bash
# install-kubectl-plugin.sh installs velero-debug as kubectl's plugin:
# the binary, built from this clone, as kubectl-velero_debug in
# $(go env GOBIN) (else $(go env GOPATH)/bin), which must be on PATH. Then
# `kubectl velero-debug ...` runs it, with kubectl's name in its help.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$VELERO_DEBUG_ROOT"
bin=$(go env GOBIN)
[[ -n "$bin" ]] || bin="$(go env GOPATH)/bin"
mkdir -p "$bin"
go build -buildvcs=auto -o "$bin/kubectl-velero_debug" ./cmd/velero-debug
echo "installed $bin/kubectl-velero_debug: run kubectl velero-debug --help"
case ":$PATH:" in *":$bin:"*) ;; *) echo "note: $bin is not on PATH; kubectl finds plugins on PATH" >&2 ;; esac
