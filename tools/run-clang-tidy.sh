#!/usr/bin/env bash
# Static analysis: clang-tidy (the checks in .clang-tidy) over every source of the library, with
# the flags of a real build (compile_commands.json), two files at a time. Fails on any finding.
#   tools/run-clang-tidy.sh            # configures build-tidy/ if needed
set -euo pipefail
cd "$(dirname "$0")/.."

tools/install-deps.sh
tidy=$(command -v clang-tidy-14 || command -v clang-tidy || true)
if [ -z "$tidy" ]; then
    as_root=(); [ "$(id -u)" -ne 0 ] && as_root=(sudo)
    "${as_root[@]}" apt-get install -y -qq --no-install-recommends clang-tidy-14 >/dev/null
    tidy=$(command -v clang-tidy-14)
fi
build=${BEEOS_BUILD_DIR:-build-tidy}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_EXPORT_COMPILE_COMMANDS=ON \
    -DBEEOS_BUILD_TESTS=OFF -DBEEOS_BUILD_BENCH=OFF -DBEEOS_BUILD_EXAMPLES=OFF -DBEEOS_BUILD_TOOLS=OFF >/dev/null
# The generated sources the library needs (none today) would be built here first.
start=$(date +%s)
status=0
ls src/*.cpp | xargs -P2 -I{} sh -c "\"$tidy\" -p \"$build\" --quiet {} 2>/dev/null || echo \"clang-tidy: findings in {}\" >&2" 2>"$build/tidy-failures.txt" \
    | tee "$build/tidy.log" | grep -E "(warning|error):" || true
if [ -s "$build/tidy-failures.txt" ]; then
    cat "$build/tidy-failures.txt" >&2
    status=1
fi
echo "clang-tidy: $(ls src/*.cpp | wc -l) files in $(( $(date +%s) - start )) s, $([ $status -eq 0 ] && echo clean || echo FINDINGS)"
exit $status
