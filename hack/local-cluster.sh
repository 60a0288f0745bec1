#!/usr/bin/env bash
# local-cluster.sh starts the project's local test cluster with a Velero
# installation, for trying velero-debug without a cluster of your own.
# It builds the cluster's binaries on first use (minutes), then starts in
# seconds. Flags go to test/localcluster (--namespace, --nodes, --backups,
# --pvbs-per-backup, --log-bytes, --velero-server for a real Velero server
# and S3 server that back up and restore). Ctrl-C stops it and removes its
# files.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$VELERO_DEBUG_ROOT"
groups=(cluster kwok velero)
[[ " $* " == *" --velero-server "* || " $* " == *" --velero "* ]] && groups+=(veleroserver veleroaws s3)
bash hack/build-tools.sh "${groups[@]}" >/dev/null
mkdir -p "$VELERO_DEBUG_CACHE/bin"
go build -o "$VELERO_DEBUG_CACHE/bin/localcluster" ./test/localcluster
exec "$VELERO_DEBUG_CACHE/bin/localcluster" "$@"
