#!/usr/bin/env bash
# The main job on a fresh machine: install what is missing, build, start the bundled gateway
# simulator on 127.0.0.1, look up a few hundred instances concurrently through the client, then
# install the library and the beeos tool into build/install and drive the simulator with it.
#   tools/demo.sh [extra beeos-poll-example options, e.g. --count 1000 --connections 16]
set -euo pipefail
cd "$(dirname "$0")/.."

tools/install-deps.sh
build=${BEEOS_BUILD_DIR:-build}
# Only the demo's targets are built; the tests stay configured as they were, so that
# tools/run-tests.sh on the same tree afterwards builds and runs them.
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DBEEOS_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" -j2 --target beeos beeos-cli beeos-gateway-sim beeos-poll-example beeos-discover-and-fetch
# What a newcomer gets from `cmake --install`: headers, library, CMake package, beeos.pc, beeos.
case $build in /*) prefix=$build/install ;; *) prefix=$PWD/$build/install ;; esac
cmake --install "$build" --prefix "$prefix" >/dev/null

workdir=$(mktemp -d)
sim_pid=""
cleanup() {
    if [ -n "$sim_pid" ]; then kill "$sim_pid" 2>/dev/null || true; wait "$sim_pid" 2>/dev/null || true; fi
    rm -rf "$workdir"
}
trap cleanup EXIT

"$build/tools/gateway-sim/beeos-gateway-sim" --ca-out "$workdir/ca.pem" >"$workdir/sim.out" 2>"$workdir/sim.err" &
sim_pid=$!
for _ in $(seq 1 100); do
    grep -q '^BEEOS_SIM_TOKEN=' "$workdir/sim.out" 2>/dev/null && break
    kill -0 "$sim_pid" 2>/dev/null || { cat "$workdir/sim.err" >&2; exit 1; }
    sleep 0.1
done
url=$(sed -n 's/^BEEOS_SIM_URL=//p' "$workdir/sim.out")
ca=$(sed -n 's/^BEEOS_SIM_CA=//p' "$workdir/sim.out")
token=$(sed -n 's/^BEEOS_SIM_TOKEN=//p' "$workdir/sim.out")
[ -n "$url" ] || { echo "demo: the gateway simulator did not start" >&2; cat "$workdir/sim.err" >&2; exit 1; }

echo "gateway simulator at $url"
BEEOS_API_KEY="$token" "$build/examples/beeos-poll-example" --url "$url" --ca "$ca" --count 300 "$@"
echo
echo "discover with the pager, then a batch and a rate-limited stream:"
BEEOS_API_KEY="$token" "$build/examples/beeos-discover-and-fetch" --url "$url" --ca "$ca"

echo
echo "the installed beeos tool ($prefix/bin/beeos; docs/cli.md), with the same variables:"
export BEEOS_API_URL="$url" BEEOS_CA_FILE="$ca" BEEOS_API_KEY="$token"
run() { echo "\$ beeos $*"; "$prefix/bin/beeos" "$@"; }
run get inst_1 inst_2 inst_3
run list --status running --limit 3 --json --fields id,status,connectivity
run wait inst_1 --until running-online --timeout 10s --json --fields id,status
run watch inst_1 inst_2 --interval 1s --for 2s
