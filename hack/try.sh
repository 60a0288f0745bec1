#!/usr/bin/env bash
# try.sh runs velero-debug on a machine with no cluster: it builds
# velero-debug and the project's local cluster (etcd, kube-apiserver, kwok)
# with a realistic Velero installation and a real Velero server v1.18.3 and
# S3 server beside it, has Velero back up and restore, runs velero-debug
# against it with the arguments given (the bundle goes to the current
# folder), prints its analysis, and stops everything. The first run builds
# the cluster's and Velero's binaries from the Go module proxy (about 40
# minutes on 2 cores); later runs start in seconds.
#
# Usage: hack/try.sh [velero-debug flags]     e.g. hack/try.sh --backup demo-hook-failed
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
here="$PWD"
cd "$VELERO_DEBUG_ROOT"
echo "try: building the test cluster, Velero and velero-debug (cached in $VELERO_DEBUG_CACHE)" >&2
bash hack/build-tools.sh cluster kwok velero veleroserver veleroaws s3 >/dev/null
mkdir -p "$VELERO_DEBUG_CACHE/bin"
go build -o "$VELERO_DEBUG_CACHE/bin/localcluster" ./test/localcluster
go build -o "$VELERO_DEBUG_CACHE/bin/velero-debug" ./cmd/velero-debug
cd "$here"
# The bundle goes where -o/--output says, else to the current folder under
# velero-debug's own name for it; try.sh inspects it afterwards.
out=""
for ((i = 1; i <= $#; i++)); do
  case "${!i}" in
    -o | --output) j=$((i + 1)); out="${!j:-}" ;;
    -o=* | --output=*) out="${!i#*=}" ;;
  esac
done
args=("$@")
if [[ -z "$out" ]]; then
  out="$here/bundle-$(date +%Y-%m-%d-%H-%M-%S).tar.gz"
  args+=(--output "$out")
fi
status=0
"$VELERO_DEBUG_CACHE/bin/localcluster" --velero-server --run "$VELERO_DEBUG_CACHE/bin/velero-debug" "${args[@]}" || status=$?
if [[ -f "$out" ]]; then
  echo >&2
  echo "try: the bundle is $out; velero-debug inspect says:" >&2
  "$VELERO_DEBUG_CACHE/bin/velero-debug" inspect "$out" || true
fi
exit "$status"
