#!/usr/bin/env bash
# tools/run-fuzz.sh [seconds-per-target]: builds the libFuzzer targets of test/fuzz and runs each
# for the given time (default 20 s), one after the other, on a copy of its seed corpus.
#
#   - Configures BEEOS_FUZZ_BUILD (default: build-fuzz beside this script's repository) with
#     CC=clang-14 CXX=clang++-14 and -DBEEOS_BUILD_FUZZERS=ON if it has no CMake cache yet, then
#     builds the targets with -j2.
#   - Runs each target with -max_total_time=S -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
#     (and the JSON dictionary for the JSON targets), in BUILD/fuzz-runs/<date>/<target>/: the
#     grown corpus, the log and any crashing input (artifacts/) stay there.
#   - Prints one line per target with the executions done (libFuzzer's
#     stat::number_of_executed_units) and the total. Exits 1 on any crash, leak, timeout,
#     out-of-memory or sanitizer report, naming the kept input; 2 for bad usage or a failed build.
# BEEOS_FUZZ_TARGETS="decode-instance timestamp" runs a subset.
set -uo pipefail

seconds=${1:-20}
case "$seconds" in
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    ''|*[!0-9]*) echo "run-fuzz: seconds-per-target must be a whole number, not '$seconds'" >&2; exit 2 ;;
esac

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BEEOS_FUZZ_BUILD:-$repo/build-fuzz}
fuzz_dir=$repo/test/fuzz
targets=(${BEEOS_FUZZ_TARGETS:-decode-instance decode-page error-envelope timestamp retry-after base-url response-reader gzip})
die() { echo "run-fuzz: $*" >&2; exit 2; }

# What the fuzz build needs beyond the library's own dependencies: clang 14 and its runtimes.
"$repo/tools/install-deps.sh" >/dev/null
if ! command -v clang++-14 >/dev/null || ! dpkg-query -W -f='${Status}' libclang-rt-14-dev 2>/dev/null | grep -q "install ok installed"; then
    as_root=(); [ "$(id -u)" -ne 0 ] && as_root=(sudo)
    echo "run-fuzz: installing clang-14 libclang-rt-14-dev" >&2
    DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq --no-install-recommends clang-14 libclang-rt-14-dev >/dev/null ||
        die "could not install clang-14 and libclang-rt-14-dev"
fi

mkdir -p "$build"
if [ ! -f "$build/CMakeCache.txt" ]; then
    generator=()
    command -v ninja >/dev/null && generator=(-G Ninja)
    CC=clang-14 CXX=clang++-14 cmake -S "$repo" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DBEEOS_BUILD_FUZZERS=ON -DBEEOS_BUILD_TESTS=OFF -DBEEOS_BUILD_TOOLS=OFF -DBEEOS_BUILD_EXAMPLES=OFF \
        -DBEEOS_BUILD_BENCH=OFF -DBEEOS_INSTALL=OFF > "$build/fuzz-configure.log" 2>&1 ||
        { tail -n 20 "$build/fuzz-configure.log" >&2; die "configuring $build failed (log: $build/fuzz-configure.log)"; }
elif ! grep -q '^BEEOS_BUILD_FUZZERS:BOOL=ON' "$build/CMakeCache.txt"; then
    cmake -S "$repo" -B "$build" -DBEEOS_BUILD_FUZZERS=ON > "$build/fuzz-configure.log" 2>&1 ||
        { tail -n 20 "$build/fuzz-configure.log" >&2; die "$build is not a Clang build; remove it or set BEEOS_FUZZ_BUILD"; }
fi

build_targets=()
for t in "${targets[@]}"; do build_targets+=("beeos-fuzz-$t"); done
cmake --build "$build" -j2 --target "${build_targets[@]}" > "$build/fuzz-build.log" 2>&1 ||
    { tail -n 30 "$build/fuzz-build.log" >&2; die "the build failed (log: $build/fuzz-build.log)"; }

runs=$build/fuzz-runs/$(date +%Y%m%d-%H%M%S)
mkdir -p "$runs"
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
total=0
failed=0
for t in "${targets[@]}"; do
    bin=$build/test/fuzz/beeos-fuzz-$t
    work=$runs/$t
    mkdir -p "$work/corpus" "$work/artifacts"
    [ -d "$fuzz_dir/corpus/$t" ] && cp -R "$fuzz_dir/corpus/$t/." "$work/corpus/"
    options=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$work/artifacts/")
    case "$t" in
        decode-instance|decode-page|error-envelope) options+=(-dict="$fuzz_dir/json.dict") ;;
        response-reader) options+=(-dict="$fuzz_dir/http.dict") ;;
    esac
    "$bin" "${options[@]}" "$work/corpus" > "$work/log" 2>&1
    rc=$?
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/log" | tail -n 1 | grep -o '[0-9]*$')
    execs=${execs:-0}
    total=$((total + execs))
    problem=
    if [ "$rc" -ne 0 ]; then problem="exit status $rc"; fi
    if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|libFuzzer)|runtime error:|invariant broken' "$work/log"; then
        problem=${problem:-"a sanitizer report"}
    fi
    kept=$(find "$work/artifacts" -type f | head -n 1)
    [ -n "$kept" ] && problem=${problem:-"a crashing input"}
    if [ -n "$problem" ]; then
        failed=1
        printf '%-18s %12d executions  FAILED (%s): input %s, log %s\n' "$t" "$execs" "$problem" "${kept:-none kept}" "$work/log"
        grep -m 3 -E 'ERROR:|runtime error:|invariant broken|SUMMARY:' "$work/log" | sed 's/^/    /'
    else
        printf '%-18s %12d executions  ok\n' "$t" "$execs"
    fi
done
printf '%-18s %12d executions in %d targets (%s s each); runs in %s\n' total "$total" "${#targets[@]}" "$seconds" "$runs"
exit "$failed"
