#!/usr/bin/env bash
# Runs the cargo-fuzz targets one after another (all four, or those named in the second
# argument), each for SECONDS (default 600),
# seeded from the built-in decks and labs and the malformed fixtures under tests/.
# Needs the nightly toolchain and cargo-fuzz:
#   rustup toolchain install nightly && cargo install cargo-fuzz --locked
# Not part of `cargo test`: a run takes SECONDS x 3. Results: fuzz/logs/<target>.log.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH="${1:-600}"
mkdir -p fuzz/corpus/deck_parse fuzz/corpus/lab_parse fuzz/corpus/drill_parse fuzz/corpus/answer_normalize fuzz/logs

# deck_parse: the first byte picks the file's role (0 topics, 1 misconceptions, 2 deck).
for f in decks/*.yaml tests/fixtures/bad-decks/*.yaml tests/fixtures/decks/*.yaml; do
  [ -f "$f" ] || continue
  case "$(basename "$f")" in
    topics.yaml) role='\x00' ;;
    misconceptions.yaml) role='\x01' ;;
    *) role='\x02' ;;
  esac
  { printf '%b' "$role"; cat "$f"; } > "fuzz/corpus/deck_parse/seed-$(basename "$f")"
done
cp sandbox/labs/*.yaml tests/fixtures/bad-labs/*.yaml fuzz/corpus/lab_parse/
cp sandbox/drills/*.yaml tests/fixtures/bad-drills/*.yaml fuzz/corpus/drill_parse/
i=0
for pair in 'awsvpc\0AWSVPC' 'awsvpc\0the awsvpc' '137\0$137.00' '50 %\050' \
  'ECS_CONTAINER_STOP_TIMEOUT\0ecs container stop timeout' 'execution role\0exectuion role' \
  'CannotPullContainerError\0CannotPullContainerError: ref not found' \
  'arn:aws:ecs:us-east-1:123456789012:task-definition/web:2\0web:2' '1\0a,c' '3 1 2 4\03124' \
  'good\0 Good ' 'ResourceInitializationError\0resource initialisation error'; do
  printf '%b' "$pair" > "fuzz/corpus/answer_normalize/seed-$i"; i=$((i + 1))
done

TARGETS="${2:-deck_parse answer_normalize lab_parse drill_parse}"
for target in $TARGETS; do
  echo "== $target for ${SECONDS_EACH}s"
  (cd fuzz && cargo +nightly fuzz run -O "$target" -- \
      -max_total_time="$SECONDS_EACH" -max_len=65536 -print_final_stats=1) \
    > "fuzz/logs/$target.log" 2>&1 || { echo "$target FAILED: see fuzz/logs/$target.log"; exit 1; }
  grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|stat::new_units_added)|^Done' \
    "fuzz/logs/$target.log" || true
  tail -n 3 "fuzz/logs/$target.log" | grep -E 'cov:|Done' || true
done
