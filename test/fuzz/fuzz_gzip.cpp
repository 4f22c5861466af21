// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
//
// beeos-fuzz-gzip: detail::gzip_inflater, fed the body in pieces, agrees with zlib used in the
// plainest way (one inflate call per member, over all the input, into a buffer one byte larger
// than the limit): the same status and the same output. The output never exceeds the limit, and
// after reset() a known-good member always inflates.
//
// Input: byte 0 picks the coding (bit 7: deflate, else gzip) and the limit (bits 0-2, from the
// table below); bytes 1-4 are the sizes of the pieces, used in turn (0: all that is left); the
// rest is the body.
#include "fuzz_support.hpp"

#include "gzip_inflater.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace
{

using beeos::detail::content_coding;
using beeos::detail::gzip_inflater;
using beeos::detail::inflate_status;

// Around the chunk size and the empty body, plus one limit large enough for most bodies.
constexpr std::size_t limits[] = {0, 1, 255, 4096, gzip_inflater::chunk_bytes, gzip_inflater::chunk_bytes + 1, 65536, 1024 * 1024};
constexpr std::size_t max_limit = 1024 * 1024;

struct reference_result
{
    inflate_status status;
    std::string out;
};

reference_result reference_inflate(std::string_view body, std::size_t limit, content_coding coding)
{
    static std::vector<unsigned char> buffer(max_limit + 1);
    z_stream zs{};
    if (inflateInit2(&zs, coding == content_coding::gzip ? 31 : 15) != Z_OK)
        beeos::fuzz::fail(__FILE__, __LINE__, "inflateInit2", "");
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(body.data()));
    zs.avail_in = static_cast<uInt>(body.size());
    zs.next_out = buffer.data();
    zs.avail_out = static_cast<uInt>(limit + 1);
    inflate_status status;
    for (;;)
    {
        const int rc = inflate(&zs, Z_FINISH);
        if (zs.avail_out == 0)
        {
            status = inflate_status::too_large;
            break;
        }
        if (rc == Z_STREAM_END)
        {
            if (zs.avail_in == 0)
            {
                status = inflate_status::done;
                break;
            }
            if (coding == content_coding::deflate)
            {
                status = inflate_status::corrupt;
                break;
            }
            inflateReset(&zs);  // the next gzip member
            continue;
        }
        status = rc == Z_BUF_ERROR && zs.avail_in == 0 ? inflate_status::truncated : inflate_status::corrupt;
        break;
    }
    const std::size_t produced = std::min(limit + 1 - zs.avail_out, limit);
    inflateEnd(&zs);
    return {status, std::string(reinterpret_cast<const char*>(buffer.data()), produced)};
}

std::string compress(std::string_view data, content_coding coding)
{
    z_stream zs{};
    if (deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, coding == content_coding::gzip ? 31 : 15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        beeos::fuzz::fail(__FILE__, __LINE__, "deflateInit2", "");
    std::string out(deflateBound(&zs, static_cast<uLong>(data.size())), '\0');
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    zs.avail_in = static_cast<uInt>(data.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    if (deflate(&zs, Z_FINISH) != Z_STREAM_END)
        beeos::fuzz::fail(__FILE__, __LINE__, "deflate", "");
    out.resize(zs.total_out);
    deflateEnd(&zs);
    return out;
}

constexpr std::string_view known_body = "{\"success\":true,\"data\":{\"id\":\"inst_1\",\"status\":\"running\"}}";

// Feeds `body` in the pieces `sizes` describes; returns the last status of feed().
inflate_status feed_in_pieces(gzip_inflater& inf, std::string_view body, const std::uint8_t* sizes, std::string& out)
{
    inflate_status st = inflate_status::need_more;
    for (std::size_t i = 0; !body.empty(); ++i)
    {
        const std::size_t n = sizes[i % 4] == 0 ? body.size() : std::min<std::size_t>(sizes[i % 4], body.size());
        st = inf.feed(body.substr(0, n), out);
        body.remove_prefix(n);
    }
    return st;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    if (size < 5)
        return 0;
    const content_coding coding = (data[0] & 0x80) ? content_coding::deflate : content_coding::gzip;
    const std::size_t limit = limits[data[0] & 7];
    const std::uint8_t* sizes = data + 1;
    const std::string_view body(reinterpret_cast<const char*>(data) + 5, size - 5);

    gzip_inflater inf(limit, coding);
    std::string out;
    const inflate_status fed = feed_in_pieces(inf, body, sizes, out);
    const inflate_status status = inf.finish();
    const std::string context = std::string("feed ") + to_string(fed) + ", finish " + to_string(status);

    BEEOS_FUZZ_CHECK(out.size() <= limit, context);
    BEEOS_FUZZ_CHECK(inf.total_out() == out.size(), context);
    BEEOS_FUZZ_CHECK(out.capacity() <= std::max<std::size_t>(limit, 64), context);
    BEEOS_FUZZ_CHECK(status != inflate_status::need_more, context);
    // finish() changes nothing but a body cut short.
    BEEOS_FUZZ_CHECK(fed == status || (fed == inflate_status::need_more && status == inflate_status::truncated), context);

    const reference_result ref = reference_inflate(body, limit, coding);
    BEEOS_FUZZ_CHECK(status == ref.status, context + ", zlib " + to_string(ref.status));
    BEEOS_FUZZ_CHECK(out == ref.out, context);

    // Whatever came before, a reset inflater takes a good member (one that fits the limit).
    static const std::string known[2][2] = {
        {compress("", content_coding::gzip), compress(known_body, content_coding::gzip)},
        {compress("", content_coding::deflate), compress(known_body, content_coding::deflate)},
    };
    const bool fits = limit >= known_body.size();
    inf.reset();
    out.clear();
    const std::string& good = known[coding == content_coding::deflate][fits];
    BEEOS_FUZZ_CHECK(feed_in_pieces(inf, good, sizes, out) == inflate_status::done, context);
    BEEOS_FUZZ_CHECK(inf.finish() == inflate_status::done, context);
    BEEOS_FUZZ_CHECK(out == (fits ? known_body : std::string_view()), out);
    return 0;
}
