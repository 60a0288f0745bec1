#!/usr/bin/env bash
# bench.sh prints the speed and memory figures of a whole velero-debug run
# against the local test cluster: 200 node-agent pods with 1 MiB logs, then
# with logs ten times larger, each against a plain client-go parallel fetch
# of the same logs (see BenchmarkCollect in test/e2e). It takes minutes.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$VELERO_DEBUG_ROOT"
bash hack/build-tools.sh cluster kwok velero >/dev/null
for mib in 1 10; do
  BENCH_NODES="${BENCH_NODES:-200}" BENCH_LOG_MIB=$mib \
    go test ./test/e2e -run '^$' -bench BenchmarkCollect -benchtime "${BENCH_TIME:-2x}" -timeout 60m
done
