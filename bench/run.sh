#!/bin/sh
# qa-lint benchmark, one command: builds the release binary and examples/bare_parse, generates
# the corpora and prints the Markdown tables. Options are bench/run.py's (--scaling, --sizes,
# --runs, --work, --no-build, --json); see `bench/run.sh --help`.
set -e
cd "$(dirname "$0")/.."
exec python3 bench/run.py "$@"
