#!/usr/bin/env bash
# Runs every fuzz target one after another for $SECS seconds each (default 600), at the lowest
# CPU priority, with its own target dir (default fuzz/target). Logs: $LOGS/<target>$LOG_SUFFIX.log
# (default fuzz/logs).
# FUZZ_ARGS adds libFuzzer flags, e.g. FUZZ_ARGS="-fork=1 -ignore_crashes=1" to go on after a crash.
# Needs cargo-fuzz (`cargo install cargo-fuzz`); RUSTC_BOOTSTRAP=1 lets the stable toolchain
# build with the nightly-only sanitizer flags cargo-fuzz passes.
set -u
cd "$(dirname "$0")"
SECS=${SECS:-600}
LOGS=${LOGS:-$PWD/logs}
TARGETS=${*:-markdown claims front_matter fix}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target} RUSTC_BOOTSTRAP=1
mkdir -p "$LOGS"
for t in $TARGETS; do
  mkdir -p "corpus/$t"
  case $t in
    claims) dict=dict/claims.dict; seeds=() ;;
    *) dict=dict/markdown.dict; seeds=(../content ../fixtures/valid ../fixtures/formats) ;;
  esac
  echo "== $t: start $(date -u +%FT%TZ)" >> "$LOGS/summary.txt"
  nice -n 19 cargo fuzz run -O "$t" "corpus/$t" "${seeds[@]}" -- \
    -max_total_time="$SECS" -dict="$dict" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 ${FUZZ_ARGS:-} > "$LOGS/$t${LOG_SUFFIX:-}.log" 2>&1
  echo "== $t: exit $? end $(date -u +%FT%TZ)" >> "$LOGS/summary.txt"
  grep -E "^(stat::number_of_executed_units|stat::average_exec_per_sec|stat::new_units_added|stat::peak_rss_mb)|^#[0-9]+.*DONE|SUMMARY|panicked|artifact_prefix|Test unit written" "$LOGS/$t${LOG_SUFFIX:-}.log" >> "$LOGS/summary.txt"
done
