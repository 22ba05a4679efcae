#!/usr/bin/env bash
# make fuzz: each libFuzzer target in t/fuzz/ for FUZZ_SECONDS, from its
# committed seeds (t/fuzz/seeds/<target>/), then the line coverage of the
# core files the targets are responsible for, measured with llvm-cov over
# the committed seeds alone (deterministic) and over seeds + this run's
# corpus.
#
# A target names its files on a line of its own source:
#     * fuzz-covers: waav_multipart.c stt/waav_stt_deepgram.c
# (paths under src/core/; there may be several such lines).  A file named
# by several targets is measured over all of their corpora.  Each must
# reach FUZZ_MIN_COVERAGE percent of lines from the committed seeds, or the
# run fails.
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

# runs a coverage build over a corpus directory: PROF.profdata
profile() {
    local bin=$1 dir=$2 prof=$3

    rm -f "$prof".*.profraw
    LLVM_PROFILE_FILE="$prof.%p.profraw" "$bin" -runs=0 "$dir" \
        >/dev/null 2>&1 || true
    "$LLVM_PROFDATA" merge -sparse "$prof".*.profraw -o "$prof.profdata"
    rm -f "$prof".*.profraw
}

# the line coverage of FILE (src/core-relative) over the named profiles
# (each "target.kind"), their binaries as llvm-cov's objects
percent() {
    local file=$1 kind=$2
    shift 2
    local objs=() profs=() t

    for t in "$@"; do
        # the first binary is llvm-cov's argument, the others -object
        objs+=(${objs[0]+-object} "build/fuzz-cov/$t")
        profs+=("build/fuzz-cov/$t.$kind.profdata")
    done

    "$LLVM_PROFDATA" merge -sparse "${profs[@]}" \
        -o "build/fuzz-cov/merged.profdata"
    "$LLVM_COV" report "${objs[@]}" \
        -instr-profile="build/fuzz-cov/merged.profdata" "src/core/$file" |
        awk '$1 ~ /\.c$/ { print $10; exit }'
}

status=0
summary=()
declare -A owners=()

for target in "${targets[@]}"; do
    bin=build/fuzz/$target
    seeds=t/fuzz/seeds/$target
    corpus=build/fuzz/$target.corpus

    rm -rf "$corpus"
    mkdir -p "$corpus" "$seeds"
    cp -r "$seeds"/. "$corpus"/ 2>/dev/null || true

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

    if [[ ${FUZZ_UPDATE_SEEDS:-0} == 1 ]]; then
        "$bin" -merge=1 -max_len="$FUZZ_MAX_LEN" "$seeds" "$corpus" \
            >/dev/null 2>&1
    fi

    execs=$(sed -n 's/^stat::number_of_executed_units:[[:space:]]*//p' "$log")
    summary+=("$target: ${execs:-?} executions, corpus $(find "$corpus" -type f | wc -l) inputs")

    profile "build/fuzz-cov/$target" "$seeds" "build/fuzz-cov/$target.seeds"
    profile "build/fuzz-cov/$target" "$corpus" "build/fuzz-cov/$target.run"

    while read -r file; do
        owners[$file]="${owners[$file]:-} $target"
    done < <(covers "$target")
done

echo
echo "# fuzzing summary"
printf '%s\n' "${summary[@]}"
echo
echo "# line coverage of each file from its targets' committed seeds, then with this run's finds"

for file in $(printf '%s\n' "${!owners[@]}" | sort); do
    # shellcheck disable=SC2086
    seed_pct=$(percent "$file" seeds ${owners[$file]})
    # shellcheck disable=SC2086
    run_pct=$(percent "$file" run ${owners[$file]})
    line="$file: ${seed_pct:-0%}, ${run_pct:-?} (${owners[$file]# })"

    if awk -v p="${seed_pct%\%}" -v m="$FUZZ_MIN_COVERAGE" \
           'BEGIN { exit !(p + 0 < m + 0) }'; then
        line+="  << below ${FUZZ_MIN_COVERAGE}%"
        status=1
    fi

    echo "    $line"
done

exit $status
