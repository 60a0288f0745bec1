#!/usr/bin/env bash
# bench.sh prints the speed and memory figures of whole velero-debug runs
# against the local test cluster, each beside a plain client-go baseline
# doing the same reads in the same run (see test/e2e/bench_test.go). It
# takes minutes.
#
#   hack/bench.sh          200 node-agent pods with 1 MiB logs, then 10 MiB
#   hack/bench.sh scale    6,000 backups with 30,000 PodVolumeBackups beside
#                          200 node-agent pods with 1 MiB logs
#
# Each round also times Velero's own `velero debug` (the Velero CLI v1.18.3
# the project builds) on the same namespace, reported as velero-cli-debug-*;
# BENCH_VELERO_DEBUG=0 leaves it out. BENCH_COMPARE_BINARY names another
# velero-debug build to time in the same rounds.
#
# BENCH_MAX_SIZE (e.g. 2MiB) also times each round with --max-size, as
# max-size-s/op, max-size-ratio (against the run without) and
# max-size-peak-rss-MiB.
#
# BENCH_NODES, BENCH_LOG_MIB, BENCH_BACKUPS, BENCH_PVBS, BENCH_DUS and
# BENCH_TIME (rounds, default 2x) change the sizes.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$VELERO_DEBUG_ROOT"
bash hack/build-tools.sh cluster kwok velero >/dev/null
case "${1:-logs}" in
logs)
  for mib in 1 10; do
    BENCH_NODES="${BENCH_NODES:-200}" BENCH_LOG_MIB=$mib \
      go test ./test/e2e -run '^$' -bench BenchmarkCollect -benchtime "${BENCH_TIME:-2x}" -timeout 60m
  done
  ;;
scale)
  go test ./test/e2e -run '^$' -bench BenchmarkScale -benchtime "${BENCH_TIME:-2x}" -timeout 90m
  ;;
*)
  echo "usage: hack/bench.sh [logs|scale]" >&2
  exit 2
  ;;
esac
