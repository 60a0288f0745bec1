# shellcheck shell=bash
# env.sh is sourced by every script in hack/: one place for the Go toolchain
# and the cache folder that holds the binaries the tests need.

# The machine's Go may carry known vulnerabilities; every build and test uses
# this patched toolchain, fetched from the Go module proxy on first use.
export GOTOOLCHAIN="${VELERO_DEBUG_GO:-go1.26.11}"

# Binaries built by hack/build-tools.sh live outside the clone, keyed by the
# versions pinned in hack/tools/*/go.mod, so only a fresh machine pays for them.
export VELERO_DEBUG_CACHE="${VELERO_DEBUG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/velero-debug}"

VELERO_DEBUG_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export VELERO_DEBUG_ROOT
