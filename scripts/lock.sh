#!/usr/bin/env bash
# Regenerate the locks from pyproject.toml at the newest versions it allows, with hashes:
#
#   requirements/dev.txt      runtime + [dev] extras (make test, CI)
#   requirements/runtime.txt  runtime only (make run), the same versions as dev.txt
#
#   scripts/lock.sh PATH_TO_UV      # what `make lock` runs
#
# uv resolves for CPython 3.11 on Linux x86_64 (Debian 12's glibc 2.36) whatever Python runs
# it, reads only PyPI (not pip's configuration), and records the hash of every file PyPI has
# for each pinned version. pip installs the result (--require-hashes).
set -euo pipefail

UV=${1:?usage: scripts/lock.sh PATH_TO_UV}
cd "$(dirname "${BASH_SOURCE[0]}")/.."
mkdir -p requirements

TARGET=(--python-version 3.11 --python-platform x86_64-manylinux_2_36)
COMPILE=(pip compile --generate-hashes --upgrade --no-header "${TARGET[@]}")

header() {
    cat <<EOF
# $1
# Generated from pyproject.toml by \`make lock\` (uv pip compile --generate-hashes
# ${TARGET[*]}): do not edit by hand.
# Only for CPython 3.11 on Linux x86_64 (Debian 12); \`make\` installs it with
# pip install --require-hashes -r $2, then pip install --no-deps -e .
EOF
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The dev lock is resolved first; the runtime lock is constrained by it, so `make run` and
# `make test` use the same version of every package they share.
{
    header "Minka's runtime and [dev] dependencies, pinned with hashes (make test, CI)." \
        requirements/dev.txt
    "$UV" "${COMPILE[@]}" pyproject.toml --extra dev
} >"$tmp/dev.txt"
{
    header "Minka's runtime dependencies, pinned with hashes (make run)." \
        requirements/runtime.txt
    "$UV" "${COMPILE[@]}" pyproject.toml -c "$tmp/dev.txt"
} >"$tmp/runtime.txt"

# The constraint's temporary path would otherwise appear in the "# via" notes.
sed -i "s|-c $tmp/dev.txt|-c requirements/dev.txt|" "$tmp/runtime.txt"
mv "$tmp/dev.txt" requirements/dev.txt
mv "$tmp/runtime.txt" requirements/runtime.txt
for lock in requirements/dev.txt requirements/runtime.txt; do
    echo "$lock: $(grep -c '^[A-Za-z0-9].*==' "$lock") packages"
done
