#!/usr/bin/env bash
# test.sh runs every check and test of velero-debug, on a fresh machine too:
# it builds what is missing (the test cluster's binaries, the linters, the
# offline vulnerability database) into $VELERO_DEBUG_CACHE, then runs gofmt,
# go vet, golangci-lint, govulncheck and `go test` over the whole module. The
# end-to-end tests start their own local clusters (etcd, kube-apiserver,
# kwok) on 127.0.0.1 and stop them when done.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$VELERO_DEBUG_ROOT"

step() { printf '\n==> %s\n' "$*" >&2; }

step "building test tools (cached in $VELERO_DEBUG_CACHE)"
built=$(bash hack/build-tools.sh cluster kwok velero veleroserver veleroaws s3 lint) # fails the run if a build fails
declare -A dir
while read -r group folder; do dir[$group]=$folder; done <<<"$built"

step "gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [[ -n "$unformatted" ]]; then
  echo "gofmt would change:" >&2; echo "$unformatted" >&2; exit 1
fi

step "go vet"
go vet ./...
# The Velero CLI with velero-debug as its debug command, a module of its own
# (Velero's dependencies): test/e2e TestVeleroCLIDebug builds and runs it.
(cd examples/velero-cli && go vet ./...)

step "golangci-lint"
"${dir[lint]}/golangci-lint" run ./...

step "govulncheck (offline database from golang.org/x/vulndb)"
"${dir[lint]}/govulncheck" -db "file://${dir[lint]}/vulndb" ./...

step "releases: goreleaser check, a snapshot release, its krew manifest validated by krew and installed with it"
bash hack/release.sh --check

step "go test"
go test -race -count=1 -timeout 30m ./... "$@"

step "fuzz the redactor briefly (no secret out, JSON and YAML stay valid, redacting twice changes nothing)"
# FuzzInvariants' YAML checks still find edge cases in longer runs (YAML
# single-quoted scalars that hold JSON fragments; docs/redaction.md lists
# the limits): CI gives it a fixed number of inputs besides its seeds, which
# every `go test` runs; VELERO_DEBUG_INVARIANTS_FUZZTIME fuzzes it longer.
go test -run '^$' -fuzz '^FuzzRedactor$' -fuzztime "${VELERO_DEBUG_FUZZTIME:-20s}" ./internal/redact
go test -run '^$' -fuzz '^FuzzEmbedded$' -fuzztime "${VELERO_DEBUG_FUZZTIME:-20s}" ./internal/redact
go test -run '^$' -fuzz '^FuzzInvariants$' -fuzztime "${VELERO_DEBUG_INVARIANTS_FUZZTIME:-300x}" ./internal/redact

step "fuzz the bundle reader and the analysis (malformed archives; items the analysis reads holding anything: no panic, summary.md and inspect agree)"
go test -run '^$' -fuzz '^FuzzOpen$' -fuzztime "${VELERO_DEBUG_FUZZTIME:-20s}" ./internal/bundleread
# -parallel 1: with two workers the fuzzing engine stalls on this target
# (a few executions in 20s, 160/s with one).
go test -run '^$' -fuzz '^FuzzAnalyze$' -fuzztime "${VELERO_DEBUG_ANALYSIS_FUZZTIME:-2000x}" -parallel 1 ./internal/analysis
