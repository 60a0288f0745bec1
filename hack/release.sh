#!/usr/bin/env bash
# release.sh cuts velero-debug's releases with GoReleaser (.goreleaser.yaml),
# at the versions pinned in hack/tools/release (GoReleaser, cyclonedx-gomod
# for the SBOMs) and hack/tools/krew (krew, its manifest validator).
#
#   hack/release.sh --check   what CI runs: `goreleaser check`; a snapshot of
#                             the release into dist/ (every binary, archive,
#                             checksum, SBOM and the krew manifest; no image,
#                             nothing published); the checksums verified; the
#                             krew manifest validated by krew's validator and
#                             installed by krew from the snapshot's archive;
#                             `kubectl velero-debug version` then names the
#                             snapshot's version.
#   hack/release.sh           the release of the tag at HEAD (a clean tree):
#                             GITHUB_TOKEN for the draft GitHub release, a
#                             `docker login ghcr.io` (or ko's KO_DOCKER_REPO
#                             credentials) for the image; the release's krew
#                             manifest is copied to deploy/krew/ to commit and
#                             to propose to krew-index.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$VELERO_DEBUG_ROOT"

declare -A dir
while read -r group folder; do dir[$group]=$folder; done < <(bash hack/build-tools.sh release krew cluster)
# GoReleaser runs the SBOM tool from PATH; krew is kubectl's plugin.
export PATH="${dir[release]}:${dir[krew]}:${dir[cluster]}:$PATH"

if [[ "${1:-}" != "--check" ]]; then
  goreleaser release --clean
  mkdir -p deploy/krew
  cp dist/krew/velero-debug.yaml deploy/krew/velero-debug.yaml
  echo "release: deploy/krew/velero-debug.yaml is the release's krew manifest: commit it" >&2
  exit 0
fi

step() { printf '\n==> release: %s\n' "$*" >&2; }

step "goreleaser check"
goreleaser check

# The snapshot builds the host's target only (a cold build of all six
# costs 15 minutes on 2 cores); VELERO_DEBUG_RELEASE_ALL=1 builds them all.
config=.goreleaser.yaml
host="$(go env GOOS)_$(go env GOARCH)"
targets=(linux_amd64 linux_arm64 darwin_amd64 darwin_arm64 windows_amd64 windows_arm64)
if [[ -z "${VELERO_DEBUG_RELEASE_ALL:-}" ]]; then
  config=$(mktemp --suffix=.yaml)
  trap 'rm -f "$config"' EXIT
  sed -e "s/^    goos: \[linux, darwin, windows\]\$/    goos: [$(go env GOOS)]/" \
    -e "s/^    goarch: \[amd64, arm64\]\$/    goarch: [$(go env GOARCH)]/" .goreleaser.yaml >"$config"
  grep -q "^    goos: \[$(go env GOOS)\]\$" "$config" && grep -q "^    goarch: \[$(go env GOARCH)\]\$" "$config" ||
    { echo "release: .goreleaser.yaml's goos and goarch lines changed: change this script's sed too" >&2; exit 1; }
  targets=("$host")
fi

step "snapshot of ${targets[*]} (goreleaser release --snapshot, no image)"
goreleaser release --config "$config" --snapshot --clean --skip=ko,publish
version="v$(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' dist/metadata.json)"
[[ "$version" == v*-snapshot.* ]] || { echo "release: no snapshot version in dist/metadata.json" >&2; exit 1; }

step "checksums and SBOMs of $version"
(cd dist && sha256sum --check --strict "velero-debug_${version}_checksums.txt")
for target in "${targets[@]}"; do
  ext=tar.gz; [[ $target == windows_* ]] && ext=zip
  [[ -f "dist/velero-debug_${version}_${target}.${ext}" ]] || { echo "release: no archive for $target" >&2; exit 1; }
  sbom="dist/velero-debug_${version}_${target}.cdx.json"
  grep -q '"bomFormat": "CycloneDX"' "$sbom" && grep -q 'pkg:golang/k8s.io/client-go@' "$sbom" ||
    { echo "release: $sbom is not a CycloneDX SBOM of velero-debug's modules" >&2; exit 1; }
done

step "krew manifest: krew's validator, then kubectl krew install from the snapshot's archive"
manifest=dist/krew/velero-debug.yaml
validate-krew-manifest -manifest "$manifest" -skip-install
krew_root=$(mktemp -d)
trap 'rm -rf "$krew_root"; [[ $config == .goreleaser.yaml ]] || rm -f "$config"' EXIT
KREW_ROOT="$krew_root" kubectl krew install --manifest="$manifest" \
  --archive="dist/velero-debug_${version}_${host}.tar.gz" </dev/null
got=$(PATH="$krew_root/bin:$PATH" kubectl velero-debug version)
echo "$got"
[[ "$got" == *"$version"* ]] || { echo "release: krew's plugin says $got, not $version" >&2; exit 1; }
help=$(PATH="$krew_root/bin:$PATH" kubectl velero-debug --help)
[[ "$help" == *"Usage:"*"kubectl velero-debug [flags]"* ]] ||
  { echo "release: the plugin's help does not say kubectl velero-debug" >&2; exit 1; }
echo "release: $version checked" >&2
