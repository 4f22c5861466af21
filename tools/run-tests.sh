#!/usr/bin/env bash
# Installs what is missing, builds everything with 2 jobs and runs the whole suite with CTest.
#   tools/run-tests.sh                       # the normal build
#   BEEOS_SANITIZE=address,undefined tools/run-tests.sh   # the same under ASan+UBSan (build-asan/)
#   BEEOS_SANITIZE=thread tools/run-tests.sh              # under ThreadSanitizer (build-tsan/)
set -euo pipefail
cd "$(dirname "$0")/.."

tools/install-deps.sh
sanitize=${BEEOS_SANITIZE:-}
case "$sanitize" in
    "") build=${BEEOS_BUILD_DIR:-build}; type=RelWithDebInfo ;;
    thread) build=${BEEOS_BUILD_DIR:-build-tsan}; type=RelWithDebInfo ;;
    *) build=${BEEOS_BUILD_DIR:-build-asan}; type=Debug ;;
esac
# The tests are switched on explicitly: a build tree configured earlier without them (by
# tools/demo.sh, say) must not turn this into a run of nothing. The benchmarks are not part of
# the suite (bench/compare builds them in Release).
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE="$type" -DBEEOS_SANITIZE="$sanitize" \
    -DBEEOS_BUILD_TESTS=ON -DBUILD_TESTING=ON -DBEEOS_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" -j2
export TSAN_OPTIONS="suppressions=$PWD/test/tsan.supp ${TSAN_OPTIONS:-}"
# An empty run is a failure, not a green one.
ctest --test-dir "$build" --output-on-failure --no-tests=error
