#!/usr/bin/env bash
# post.sh builds govulncheck's offline database into $1/vulndb from the
# advisories of the golang.org/x/vulndb version pinned in go.mod. Bump that
# version on purpose to learn of new advisories.
set -euo pipefail
out="$1"
osv=$(go mod download -json golang.org/x/vulndb | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
[[ -d "$osv/data/osv" ]] || { echo "post.sh: no advisories in golang.org/x/vulndb" >&2; exit 1; }
"$out/indexdb" -vulns "$osv/data/osv" -out "$out/vulndb"
