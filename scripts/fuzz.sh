#!/usr/bin/env bash
# make fuzz: each libFuzzer target in t/fuzz/ for FUZZ_SECONDS, from its
# committed seeds (t/fuzz/seeds/<target>/), then the line coverage of the
# core files it is responsible for, measured with llvm-cov over the
# committed seeds alone (deterministic) and over seeds + this run's corpus.
#
# A target names its files on a line of its own source:
#     * fuzz-covers: waav_multipart.c
# (paths under src/core/).  Each must reach FUZZ_MIN_COVERAGE percent of
# lines from the committed seeds, or the run fails.
#
#   fuzz.sh [TARGET...]      default: every t/fuzz/fuzz_*.c
#   FUZZ_SECONDS (30)  FUZZ_MIN_COVERAGE (80)  FUZZ_MAX_LEN (16384)
#   FUZZ_UPDATE_SEEDS=1  merge what the run found into t/fuzz/seeds/ (-merge=1
#                        keeps only inputs that add coverage)
#
# A crash leaves its input in build/fuzz/<target>-crash-* and fails the run.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

FUZZ_SECONDS=${FUZZ_SECONDS:-30}
FUZZ_MIN_COVERAGE=${FUZZ_MIN_COVERAGE:-80}
FUZZ_MAX_LEN=${FUZZ_MAX_LEN:-16384}
LLVM_COV=${LLVM_COV:-llvm-cov-14}
LLVM_PROFDATA=${LLVM_PROFDATA:-llvm-profdata-14}

if [[ $# -gt 0 ]]; then
    targets=("$@")
else
    targets=()
    for f in t/fuzz/fuzz_*.c; do
        targets+=("$(basename "$f" .c)")
    done
fi

# the files of src/core a target covers (its "fuzz-covers:" lines)
covers() {
    sed -n 's/^.*fuzz-covers:[[:space:]]*//p' "t/fuzz/$1.c" | tr ' ' '\n' |
        sed '/^$/d'
}

# line coverage (percent) of each covered file: "file percent" lines (llvm-cov
# names files by what follows their common prefix: compare by suffix)
coverage() {
    local bin=$1 dir=$2 prof=$3
    local files=()

    rm -f "$prof".*.profraw
    LLVM_PROFILE_FILE="$prof.%p.profraw" "$bin" -runs=0 "$dir" \
        >/dev/null 2>&1 || true
    "$LLVM_PROFDATA" merge -sparse "$prof".*.profraw -o "$prof.profdata"
    rm -f "$prof".*.profraw

    while read -r f; do files+=("src/core/$f"); done < <(covers "$target")
    [[ ${#files[@]} -gt 0 ]] || return 0

    "$LLVM_COV" report "$bin" -instr-profile="$prof.profdata" "${files[@]}" |
        awk '$1 ~ /\.c$/ { sub(/^.*src\/core\//, "", $1); print $1, $10 }'
}

# the percent llvm-cov gave FILE (src/core-relative) on stdin's lines
pct_of() {
    awk -v f="$1" '{ n = length($1) }
        $1 == f || (length(f) > n && substr(f, length(f) - n) == "/" $1) {
            print $2; exit }'
}

status=0
summary=()

for target in "${targets[@]}"; do
    bin=build/fuzz/$target
    cov=build/fuzz-cov/$target
    seeds=t/fuzz/seeds/$target
    corpus=build/fuzz/$target.corpus

    rm -rf "$corpus"
    mkdir -p "$corpus" "$seeds"
    cp "$seeds"/. "$corpus"/ -r 2>/dev/null || true

    echo "# $target: $FUZZ_SECONDS s from $(find "$seeds" -type f | wc -l) seeds"
    log=build/fuzz/$target.log
    if ! "$bin" -max_total_time="$FUZZ_SECONDS" -max_len="$FUZZ_MAX_LEN" \
            -print_final_stats=1 -artifact_prefix="build/fuzz/$target-" \
            "$corpus" >"$log" 2>&1; then
        tail -n 40 "$log" >&2
        echo "waav: $target crashed; the input is in build/fuzz/$target-*" >&2
        status=1
        continue
    fi

    execs=$(sed -n 's/^stat::number_of_executed_units:[[:space:]]*//p' "$log")
    found=$(find "$corpus" -type f | wc -l)

    if [[ ${FUZZ_UPDATE_SEEDS:-0} == 1 ]]; then
        "$bin" -merge=1 -max_len="$FUZZ_MAX_LEN" "$seeds" "$corpus" \
            >/dev/null 2>&1
    fi

    line="$target: ${execs:-?} executions, corpus $found inputs"
    run=$(coverage "$cov" "$corpus" "build/fuzz-cov/$target.run")
    seeded=$(coverage "$cov" "$seeds" "build/fuzz-cov/$target.seeds")
    while read -r file; do
        seed_pct=$(pct_of "$file" <<<"$seeded")
        run_pct=$(pct_of "$file" <<<"$run")
        line+=$'\n'"    $file: lines ${seed_pct:-0%} from the seeds, ${run_pct:-?} with this run"
        if awk -v p="${seed_pct%\%}" -v m="$FUZZ_MIN_COVERAGE" \
               'BEGIN { exit !(p + 0 < m + 0) }'; then
            line+="  << below ${FUZZ_MIN_COVERAGE}%"
            status=1
        fi
    done < <(covers "$target")
    summary+=("$line")
done

echo
echo "# fuzzing summary (line coverage from the committed seeds, then with this run's finds)"
printf '%s\n' "${summary[@]}"
exit $status
