#!/usr/bin/env bash
# Copies pre-commit-mirror/ into the qa-lint/qa-lint-pre-commit repository with VERSION pinned,
# commits and tags it vVERSION (called by .github/workflows/release.yml after the PyPI upload).
# Needs MIRROR_TOKEN (contents: write on that repository). `--dry-run DIR` prepares the copy in
# DIR and stops before any network access (docs/releasing.md).
set -euo pipefail
dry=""
if [ "${1:-}" = "--dry-run" ]; then dry="$2"; shift 2; fi
version="${1:?usage: update-pre-commit-mirror.sh [--dry-run DIR] VERSION}"
case "$version" in
  *[!0-9A-Za-z.+-]*) echo "error: not a version: $version" >&2; exit 2 ;;
esac
src="$(cd "$(dirname "$0")/.." && pwd)/pre-commit-mirror"
work="${dry:-$(mktemp -d)}"
if [ -z "$dry" ]; then
  git clone --quiet "https://x-access-token:${MIRROR_TOKEN:?}@github.com/qa-lint/qa-lint-pre-commit.git" "$work"
fi
mkdir -p "$work"
cp -R "$src"/. "$work"/
python3 - "$work/pyproject.toml" "$version" <<'PY'
import re, sys
path, version = sys.argv[1], sys.argv[2]
text = open(path).read()
text, n1 = re.subn(r'(?m)^version = "[^"]*"', 'version = "%s"' % version, text)
text, n2 = re.subn(r'qa-lint==[^"\s]*', "qa-lint==%s" % version, text)
if n1 != 1 or n2 != 1:
    sys.exit("error: %s: expected one version and one qa-lint== pin (found %d and %d)" % (path, n1, n2))
open(path, "w").write(text)
PY
if [ -n "$dry" ]; then
  echo "prepared $work for v$version (dry run: not committed)"
  exit 0
fi
cd "$work"
git config user.name "qa-lint release"
git config user.email "release@qa-lint.invalid"
git add -A
git commit --quiet -m "qa-lint $version"
git tag "v$version"
git push --quiet origin HEAD "v$version"
