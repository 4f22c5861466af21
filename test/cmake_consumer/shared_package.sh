#!/usr/bin/env bash
# The packager's path, end to end: configure beeos as a distribution would (shared library,
# BUILD_TESTING=OFF), build it, make a .deb with cpack, unpack it into a scratch root, then build
# and run the consumer against that root with find_package and with pkg-config.
#   shared_package.sh SOURCE_DIR WORK_DIR
set -euo pipefail
src=$1 work=$2
rm -rf "$work" && mkdir -p "$work"
fail() { echo "shared_package: $*" >&2; exit 1; }

cmake -S "$src" -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=ON -DBUILD_TESTING=OFF \
    -DBEEOS_BUILD_EXAMPLES=OFF -DBEEOS_BUILD_BENCH=OFF -DBEEOS_BUILD_TOOLS=OFF >"$work/configure.log"
# BUILD_TESTING=OFF is the switch packagers use: nothing of the test suite may be configured.
[ ! -e "$work/build/test" ] || fail "BUILD_TESTING=OFF still configured the tests"
cmake --build "$work/build" -j2 >"$work/build.log" || { tail -50 "$work/build.log"; fail "build failed"; }

lib=$(ls "$work"/build/libbeeos.so.*.*.* 2>/dev/null | head -1)
[ -n "$lib" ] || fail "no versioned libbeeos.so was built"
soname=$(readelf -d "$lib" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
[ "$soname" = "libbeeos.so.$(echo "$lib" | sed -E 's/.*\.so\.([0-9]+\.[0-9]+)\..*/\1/')" ] || fail "unexpected soname '$soname'"
echo "shared_package: $lib, soname $soname"

# Only the public API is exported: no Beast, JSON, URL or OpenSSL code compiled into the library
# leaks out (it would clash with the application's own copies), and of beeos::detail only what
# the public headers' templates call. Some std:: and Boost symbols are exported on purpose, by
# their own headers' visibility, because they must be one object per process: Asio's service ids
# and per-thread call stacks (push_options.hpp; hidden copies would give the application's
# io_context a second scheduler that nobody runs), Boost.System's categories, and the typeinfo
# of exceptions (BOOST_SYMBOL_VISIBLE) so they are caught by type across the library boundary.
exported=$(nm -D -C --defined-only "$lib" | awk '{ $1 = ""; $2 = ""; sub(/^  /, ""); print }')
leaks=$(echo "$exported" | sed -E 's/^[^(<]* (boost::|beeos::)/\1/' | grep -E '^(boost::(beast|json|urls)::|beeos::detail::|SSL_|EVP_|inflate|deflate)' || true)
leaks=$(echo "$leaks" | while read -r sym; do
    [ -n "$sym" ] || continue
    name=$(echo "$sym" | sed -E 's/^beeos::detail::([A-Za-z_0-9]+).*/\1/')
    if [ "$name" != "$sym" ] && grep -q "BEEOS_DECL.*\b$name\b" "$src"/include/beeos/*.hpp; then continue; fi
    echo "$sym"
done)
[ -z "$leaks" ] || { echo "$leaks" | sed 20q >&2; fail "$(echo "$leaks" | wc -l) non-public symbols are exported"; }
echo "shared_package: $(echo "$exported" | grep -c 'beeos::') beeos symbols exported, nothing internal"

(cd "$work/build" && cpack -G DEB >"$work/cpack.log") || { cat "$work/cpack.log"; fail "cpack failed"; }
deb=$(ls "$work"/build/*.deb | head -1)
dpkg-deb -x "$deb" "$work/root"
prefix=$work/root/usr
echo "shared_package: $(basename "$deb"), $(dpkg-deb -f "$deb" Depends)"

# find_package from the unpacked package.
cmake -S "$src/test/cmake_consumer" -B "$work/consumer" -DBEEOS_CONSUME=package -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_PREFIX_PATH="$prefix" >"$work/consumer-configure.log" || { cat "$work/consumer-configure.log"; fail "consumer configure failed"; }
cmake --build "$work/consumer" >"$work/consumer-build.log" || { cat "$work/consumer-build.log"; fail "consumer build failed"; }
ldd "$work/consumer/consumer" | grep -q "$prefix/.*libbeeos.so" || { ldd "$work/consumer/consumer"; fail "the consumer does not load the packaged libbeeos"; }
"$work/consumer/consumer" || fail "the find_package consumer failed"

# pkg-config from the same package.
pc="$(dirname "$(find "$prefix" -name beeos.pc | head -1)")"
[ -n "$pc" ] || fail "no beeos.pc in the package"
flags=$(PKG_CONFIG_PATH=$pc pkg-config --cflags --libs beeos)
libdir=$(PKG_CONFIG_PATH=$pc pkg-config --variable=libdir beeos)
c++ -std=c++20 -O1 "$src/test/cmake_consumer/main.cpp" -o "$work/consumer-pc" $flags -Wl,-rpath,"$libdir"
"$work/consumer-pc" || fail "the pkg-config consumer failed"

# The command-line tool in the package runs on the packaged library.
LD_LIBRARY_PATH=$libdir "$prefix/bin/beeos" --help >/dev/null || fail "the packaged beeos tool does not run"
echo "shared_package: ok (find_package, pkg-config and the beeos tool on the packaged shared library)"
