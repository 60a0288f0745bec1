#!/usr/bin/env bash
# build-tools.sh builds, at the versions pinned in hack/tools/<group>/go.mod,
# the binaries the tests need, and copies data files (CRDs, kwok stages) from
# the same pinned modules, into a cache folder outside the clone:
#   $VELERO_DEBUG_CACHE/<group>-<key>/
# where <key> hashes the group's go.mod, go.sum, lists and the Go toolchain.
# A warm cache costs nothing. It prints "<group> <folder>" for each group.
#
# Each group folder hack/tools/<group> may hold:
#   build.list  lines "<binary> <package> [ldflags...]": go build -o <binary>
#   files.list  lines "<subfolder> <module> <glob>": copies <glob> from the
#               module's source (as pinned in the group's go.mod) to <subfolder>
#   post.sh     run last, in the group's folder, with the output folder as $1
#
# Usage: hack/build-tools.sh [group ...]   (default: cluster kwok velero)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

# build_group GROUP: the folder of GROUP's files, built if missing.
build_group() {
  local group="$1" mod="$VELERO_DEBUG_ROOT/hack/tools/$1"
  [[ -f "$mod/go.mod" ]] || { echo "build-tools: unknown group $group" >&2; return 1; }
  local key files
  files=("$mod"/go.mod "$mod"/go.sum "$mod"/*.list)
  [[ -f "$mod/post.sh" ]] && files+=("$mod/post.sh")
  key=$(cat "${files[@]}" <(echo "$GOTOOLCHAIN") | sha256sum | cut -c1-16)
  local dir="$VELERO_DEBUG_CACHE/$group-$key"
  if [[ ! -f "$dir/.complete" ]]; then
    # One build at a time: parallel test packages may all ask on a cold
    # cache. The lock is taken only to build, so a warm group never waits.
    (
      flock 9
      [[ -f "$dir/.complete" ]] || build_into "$group" "$mod" "$dir"
    ) 9>"$VELERO_DEBUG_CACHE/.lock"
  fi
  echo "$group $dir"
}

# build_into GROUP MOD DIR: builds GROUP's files into DIR.
build_into() {
  local group="$1" mod="$2" dir="$3" tmp start
  tmp=$(mktemp -d "$VELERO_DEBUG_CACHE/.$group-XXXXXX")
  start=$SECONDS
  [[ -f "$mod/build.list" ]] && build_binaries "$mod" "$tmp"
  [[ -f "$mod/files.list" ]] && copy_files "$mod" "$tmp"
  [[ -f "$mod/post.sh" ]] && (cd "$mod" && bash post.sh "$tmp")
  echo "build-tools: $group ready in $((SECONDS - start))s" >&2
  touch "$tmp/.complete"
  rm -rf "$dir"
  mv "$tmp" "$dir"
}

build_binaries() {
  local mod="$1" out="$2" name pkg ldflags start
  while read -r name pkg ldflags; do
    [[ -z "$name" || "$name" == \#* ]] && continue
    start=$SECONDS
    echo "build-tools: building $name ($pkg)" >&2
    # shellcheck disable=SC2086 # ldflags is a list of -X=... words
    (cd "$mod" && go build -trimpath -ldflags="-s -w $ldflags" -o "$out/$name" "$pkg")
    echo "build-tools: built $name in $((SECONDS - start))s" >&2
  done < "$mod/build.list"
}

copy_files() {
  local mod="$1" out="$2" sub module glob src
  while read -r sub module glob; do
    [[ -z "$sub" || "$sub" == \#* ]] && continue
    src=$(cd "$mod" && go mod download -json "$module" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
    [[ -n "$src" ]] || { echo "build-tools: cannot find the source of $module" >&2; return 1; }
    mkdir -p "$out/$sub"
    # The glob is the project's own, never user input.
    # shellcheck disable=SC2086
    cp $src/$glob "$out/$sub/"
    chmod u+w "$out/$sub"/*
  done < "$mod/files.list"
}

mkdir -p "$VELERO_DEBUG_CACHE"

groups=("$@")
[[ ${#groups[@]} -gt 0 ]] || groups=(cluster kwok velero)
for g in "${groups[@]}"; do
  build_group "$g"
done
