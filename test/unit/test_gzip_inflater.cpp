// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#include "gzip_inflater.hpp"

#include "read_fixture.hpp"

#include <boost/test/unit_test.hpp>

#include <zlib.h>

#include <malloc.h>

#include <cstddef>
#include <cstdint>
#include <ostream>
#include <random>
#include <string>
#include <string_view>

using beeos::detail::content_coding;
using inflater = beeos::detail::gzip_inflater;
using beeos::detail::inflate_status;

template <>
struct boost::test_tools::tt_detail::print_log_value<inflate_status>
{
    void operator()(std::ostream& os, inflate_status s) { os << beeos::detail::to_string(s); }
};

namespace
{

constexpr std::size_t mib = 1024 * 1024;
constexpr std::size_t no_limit = 64 * mib;

// Compresses with zlib itself: windowBits 31 writes one gzip member, 15 a zlib stream.
std::string compress(std::string_view data, int window_bits = 31, int level = Z_DEFAULT_COMPRESSION)
{
    z_stream zs{};
    BOOST_TEST_REQUIRE(deflateInit2(&zs, level, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY) == Z_OK);
    std::string out(deflateBound(&zs, static_cast<uLong>(data.size())) + 64, '\0');
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    zs.avail_in = static_cast<uInt>(data.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    const int rc = deflate(&zs, Z_FINISH);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    BOOST_TEST_REQUIRE(rc == Z_STREAM_END);
    return out;
}

std::string gzip(std::string_view data)
{
    return compress(data, 31);
}
std::string zlib_stream(std::string_view data)
{
    return compress(data, 15);
}

std::string random_bytes(std::size_t n, unsigned seed = 7)
{
    std::mt19937 gen(seed);
    std::string s(n, '\0');
    for (char& c : s)
        c = static_cast<char>(gen() & 0xff);
    return s;
}

const std::string& fixture()
{
    static const std::string text = beeos::test::read_fixture("instance-full.json");
    return text;
}

std::string repetitive(std::size_t n)
{
    std::string s;
    while (s.size() < n)
        s += fixture();
    s.resize(n);
    return s;
}

struct outcome
{
    inflate_status last_feed = inflate_status::need_more;  // what the last feed() said
    inflate_status finish = inflate_status::need_more;
    std::string out;
};

// Feeds `body` in pieces of `piece` bytes (0: all at once), then finishes.
outcome inflate(std::string_view body, std::size_t piece = 0, std::size_t limit = no_limit, content_coding coding = content_coding::gzip)
{
    inflater inf(limit, coding);
    outcome r;
    if (piece == 0)
        piece = body.size() + 1;
    for (std::size_t at = 0; at < body.size(); at += piece)
        r.last_feed = inf.feed(body.substr(at, piece), r.out);
    r.finish = inf.finish();
    BOOST_TEST(inf.total_out() == r.out.size());
    return r;
}

// The heap in use (glibc): arena chunks plus mmapped blocks, where large strings live. Under a
// sanitizer's allocator it does not move, and the checks below hold trivially.
std::size_t heap_in_use()
{
    const struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}

std::size_t heap_growth_since(std::size_t before)
{
    const std::size_t now = heap_in_use();
    return now > before ? now - before : 0;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(gzip_inflater)

BOOST_AUTO_TEST_CASE(round_trips_all_at_once_and_byte_by_byte)
{
    const std::string bodies[] = {"", "hello, gzip", random_bytes(mib), repetitive(mib)};
    for (const std::string& body : bodies)
    {
        BOOST_TEST_CONTEXT("body of " << body.size() << " bytes")
        {
            const std::string gz = gzip(body);
            for (std::size_t piece : {std::size_t{0}, std::size_t{1}, std::size_t{4096}})
            {
                BOOST_TEST_CONTEXT("pieces of " << piece)
                {
                    const outcome r = inflate(gz, piece);
                    BOOST_TEST(r.last_feed == inflate_status::done);
                    BOOST_TEST(r.finish == inflate_status::done);
                    BOOST_TEST((r.out == body));
                }
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(byte_by_byte_every_feed_before_the_trailer_needs_more)
{
    const std::string body = repetitive(100 * 1024);
    const std::string gz = gzip(body);
    inflater inf(no_limit);
    std::string out;
    std::size_t early_done = 0;
    for (std::size_t i = 0; i + 1 < gz.size(); ++i)
        early_done += inf.feed(gz.substr(i, 1), out) != inflate_status::need_more;
    BOOST_TEST(early_done == 0u);
    BOOST_TEST(inf.feed(gz.substr(gz.size() - 1), out) == inflate_status::done);
    BOOST_TEST((out == body));
}

BOOST_AUTO_TEST_CASE(a_feed_yields_all_the_output_its_input_holds)
{
    // The last bytes of deflate data may hold more output than the chunk has room for: it must
    // come out in the same feed, not wait for the trailer. Sizes around a chunk boundary make the
    // chunk fill just as the input runs out.
    for (std::size_t k = 1; k < 4000; k += 61)
    {
        const std::string body(4 * inflater::chunk_bytes + k, '\0');
        const std::string gz = gzip(body);
        inflater inf(no_limit);
        std::string out;
        BOOST_TEST_CONTEXT("body of " << body.size() << " bytes")
        {
            BOOST_TEST(inf.feed(std::string_view(gz).substr(0, gz.size() - 8), out) == inflate_status::need_more);
            BOOST_TEST_REQUIRE(out.size() == body.size());
            BOOST_TEST(inf.feed(std::string_view(gz).substr(gz.size() - 8), out) == inflate_status::done);
        }
    }
}

BOOST_AUTO_TEST_CASE(appends_to_what_out_holds)
{
    std::string out = "prefix:";
    inflater inf(no_limit);
    BOOST_TEST(inf.feed(gzip("body"), out) == inflate_status::done);
    BOOST_TEST(out == "prefix:body");
    BOOST_TEST(inf.total_out() == 4u);
}

BOOST_AUTO_TEST_CASE(the_limit_is_inclusive)
{
    const std::string body = repetitive(100 * 1024 + 3);
    const std::string gz = gzip(body);
    for (std::size_t piece : {std::size_t{0}, std::size_t{1}})
    {
        const outcome exact = inflate(gz, piece, body.size());
        BOOST_TEST(exact.finish == inflate_status::done);
        BOOST_TEST((exact.out == body));

        const outcome over = inflate(gz, piece, body.size() - 1);
        BOOST_TEST(over.last_feed == inflate_status::too_large);
        BOOST_TEST(over.finish == inflate_status::too_large);
        BOOST_TEST((over.out == body.substr(0, body.size() - 1)));
    }
    BOOST_TEST(inflate(gzip(""), 0, 0).finish == inflate_status::done);
    const outcome zero = inflate(gzip("x"), 0, 0);
    BOOST_TEST(zero.finish == inflate_status::too_large);
    BOOST_TEST(zero.out.empty());
}

BOOST_AUTO_TEST_CASE(concatenated_members)
{
    const std::string a = repetitive(70 * 1024);
    const std::string b = random_bytes(20 * 1024);
    const std::string gz = gzip(a) + gzip("") + gzip(b);
    for (std::size_t piece : {std::size_t{0}, std::size_t{1}, std::size_t{1000}})
    {
        const outcome r = inflate(gz, piece);
        BOOST_TEST(r.last_feed == inflate_status::done);
        BOOST_TEST(r.finish == inflate_status::done);
        BOOST_TEST((r.out == a + b));
    }

    // Each member fed on its own ends in done, and the next one continues.
    inflater inf(no_limit);
    std::string out;
    BOOST_TEST(inf.feed(gzip(a), out) == inflate_status::done);
    BOOST_TEST(inf.feed(gzip(b), out) == inflate_status::done);
    BOOST_TEST(inf.finish() == inflate_status::done);
    BOOST_TEST((out == a + b));

    // The limit covers all members together.
    const outcome over = inflate(gz, 0, a.size() + b.size() - 1);
    BOOST_TEST(over.finish == inflate_status::too_large);
    BOOST_TEST(over.out.size() == a.size() + b.size() - 1);
}

BOOST_AUTO_TEST_CASE(a_bomb_stops_at_the_limit_with_little_memory)
{
    const std::string bomb = gzip(std::string(64 * mib, '\0'));
    BOOST_TEST_REQUIRE(bomb.size() < 128 * 1024u);
    // 1 MiB, and a limit that is no power of two (where doubling the capacity would overshoot).
    for (std::size_t limit : {mib, std::size_t{1'000'000}})
    {
        for (std::size_t piece : {std::size_t{1024}, bomb.size()})
        {
            BOOST_TEST_CONTEXT("limit " << limit << ", pieces of " << piece)
            {
                const std::size_t before = heap_in_use();
                std::size_t used = 0;
                std::string out;
                {
                    inflater inf(limit);
                    inflate_status st = inflate_status::need_more;
                    while (used < bomb.size() && st == inflate_status::need_more)
                    {
                        st = inf.feed(std::string_view(bomb).substr(used, piece), out);
                        used += std::min(piece, bomb.size() - used);
                    }
                    BOOST_TEST(st == inflate_status::too_large);
                    // The heap holds `out` and the inflater: the limit, one chunk and zlib's state.
                    BOOST_TEST(heap_growth_since(before) <= limit + inflater::chunk_bytes + 64 * 1024);
                    BOOST_TEST(inf.finish() == inflate_status::too_large);
                    BOOST_TEST(inf.feed(bomb, out) == inflate_status::too_large);
                }
                BOOST_TEST(out.size() == limit);
                BOOST_TEST(out.capacity() <= limit + inflater::chunk_bytes);
                BOOST_TEST(out.find_first_not_of('\0') == std::string::npos);
                // It stopped at once: 1 MiB of zeros takes about 1 KiB of this input.
                if (piece == 1024)
                    BOOST_TEST(used <= 4 * 1024u);
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(corrupt_header)
{
    const std::string gz = gzip(fixture());
    const auto with = [&](std::size_t at, char value)
    {
        std::string bad = gz;
        bad[at] = value;
        return bad;
    };
    BOOST_TEST(inflate(with(0, 0x1e)).finish == inflate_status::corrupt);           // magic
    BOOST_TEST(inflate(with(1, 0x00)).finish == inflate_status::corrupt);           // magic
    BOOST_TEST(inflate(with(2, 7)).finish == inflate_status::corrupt);              // method other than deflate
    BOOST_TEST(inflate(with(3, '\xe0')).finish == inflate_status::corrupt);         // reserved flags
    BOOST_TEST(inflate(zlib_stream(fixture())).finish == inflate_status::corrupt);  // zlib is not gzip
    BOOST_TEST(inflate("not gzip at all").finish == inflate_status::corrupt);
    BOOST_TEST(inflate(with(0, 0x1e), 1).finish == inflate_status::corrupt);
}

BOOST_AUTO_TEST_CASE(a_flipped_bit_after_the_header_is_caught)
{
    // Header bytes 4-9 (time, extra flags, OS) are not checked by gzip; everything after is,
    // by the deflate format, the CRC-32 or the length. A flip can still leave the output as it
    // was (a match distance moved to an identical copy of the text, the padding after the last
    // code): then, and only then, the member is valid.
    const std::string gz = gzip(fixture());
    std::size_t accepted = 0;
    for (std::size_t at = 10; at < gz.size(); ++at)
    {
        for (int bit = 0; bit < 8; ++bit)
        {
            std::string bad = gz;
            bad[at] = static_cast<char>(bad[at] ^ (1 << bit));
            const outcome r = inflate(bad);
            BOOST_TEST_CONTEXT("byte " << at << " bit " << bit)
            {
                if (r.finish == inflate_status::done)
                {
                    ++accepted;
                    BOOST_TEST_REQUIRE((r.out == fixture()));
                }
                else
                    BOOST_TEST_REQUIRE((r.finish == inflate_status::corrupt || r.finish == inflate_status::truncated));
            }
        }
    }
    BOOST_TEST_MESSAGE(accepted << " of " << 8 * (gz.size() - 10) << " flips leave the output unchanged");

    // A byte flipped in the middle of stored (incompressible) data is caught by the CRC alone.
    const std::string body = random_bytes(256 * 1024);
    std::string bad = gzip(body);
    bad[bad.size() / 2] = static_cast<char>(bad[bad.size() / 2] ^ 0x40);
    const outcome r = inflate(bad, 777);
    BOOST_TEST(r.finish == inflate_status::corrupt);
    BOOST_TEST(r.out.size() == body.size());
}

BOOST_AUTO_TEST_CASE(wrong_crc_or_length)
{
    const std::string gz = gzip(fixture());
    std::string bad_crc = gz;
    bad_crc[gz.size() - 8] = static_cast<char>(bad_crc[gz.size() - 8] ^ 1);
    std::string bad_length = gz;
    bad_length[gz.size() - 4] = static_cast<char>(bad_length[gz.size() - 4] + 1);
    for (const std::string* bad : {&bad_crc, &bad_length})
    {
        for (std::size_t piece : {std::size_t{0}, std::size_t{1}})
        {
            const outcome r = inflate(*bad, piece);
            BOOST_TEST(r.last_feed == inflate_status::corrupt);
            BOOST_TEST(r.finish == inflate_status::corrupt);
        }
    }
}

BOOST_AUTO_TEST_CASE(truncated_stream)
{
    const std::string gz = gzip(repetitive(40 * 1024));
    // Every proper prefix, the empty body included: finish says truncated, feed never more than need_more.
    for (std::size_t n = 0; n < gz.size(); ++n)
    {
        const outcome r = inflate(std::string_view(gz).substr(0, n));
        BOOST_TEST_REQUIRE(r.last_feed == inflate_status::need_more);
        BOOST_TEST_REQUIRE(r.finish == inflate_status::truncated);
    }
    // A second member that stops short.
    const std::string two = gz + gz;
    const outcome r = inflate(std::string_view(two).substr(0, two.size() - 3));
    BOOST_TEST(r.finish == inflate_status::truncated);

    // Truncated is final.
    inflater inf(no_limit);
    std::string out;
    BOOST_TEST(inf.finish() == inflate_status::truncated);
    BOOST_TEST(inf.feed(gz, out) == inflate_status::truncated);
    BOOST_TEST(out.empty());
}

BOOST_AUTO_TEST_CASE(garbage_after_the_end)
{
    const std::string gz = gzip(fixture());
    BOOST_TEST(inflate(gz + "xyz").finish == inflate_status::corrupt);
    BOOST_TEST(inflate(gz + "xyz", 1).finish == inflate_status::corrupt);
    BOOST_TEST(inflate(gz + std::string(4, '\0')).finish == inflate_status::corrupt);
    // A valid header, then a block of the reserved type 3.
    BOOST_TEST(inflate(gz + std::string("\x1f\x8b\x08\0\0\0\0\0\0\x03\xff", 11)).finish == inflate_status::corrupt);
    // zlib needs the two bytes of the magic before it can refuse a header; one byte, or the start
    // of a header, is a member cut short.
    BOOST_TEST(inflate(gz + "x").finish == inflate_status::truncated);
    BOOST_TEST(inflate(gz + "\x1f\x8b\x08").finish == inflate_status::truncated);

    // Garbage in a later feed, after done.
    inflater inf(no_limit);
    std::string out;
    BOOST_TEST(inf.feed(gz, out) == inflate_status::done);
    BOOST_TEST(inf.feed("junk", out) == inflate_status::corrupt);
    BOOST_TEST(inf.finish() == inflate_status::corrupt);
    BOOST_TEST((out == fixture()));
    // An error is final until reset().
    BOOST_TEST(inf.feed(gz, out) == inflate_status::corrupt);
    BOOST_TEST((out == fixture()));
}

BOOST_AUTO_TEST_CASE(deflate_coding_is_one_zlib_stream)
{
    const std::string body = repetitive(300 * 1024);
    const std::string z = zlib_stream(body);
    for (std::size_t piece : {std::size_t{0}, std::size_t{1}})
    {
        const outcome r = inflate(z, piece, no_limit, content_coding::deflate);
        BOOST_TEST(r.finish == inflate_status::done);
        BOOST_TEST((r.out == body));
    }
    BOOST_TEST(inflate(gzip(body), 0, no_limit, content_coding::deflate).finish == inflate_status::corrupt);
    BOOST_TEST(inflate(z + z, 0, no_limit, content_coding::deflate).finish == inflate_status::corrupt);
    BOOST_TEST(inflate(z.substr(0, z.size() - 1), 0, no_limit, content_coding::deflate).finish == inflate_status::truncated);
    BOOST_TEST(inflate(z, 0, body.size() - 1, content_coding::deflate).finish == inflate_status::too_large);
}

BOOST_AUTO_TEST_CASE(reuse_after_reset_for_1000_responses_without_growing_memory)
{
    const std::string body = fixture();
    const std::string good = gzip(body);
    const std::string bomb = gzip(std::string(mib, 'a'));
    std::string bad = good;
    bad[good.size() - 8] = static_cast<char>(bad[good.size() - 8] ^ 1);

    inflater inf(64 * 1024);
    std::string out;
    out.reserve(64 * 1024);
    // One response of each kind first, so that zlib's window and the strings exist.
    for (const std::string* gz : {&good, &bomb, static_cast<const std::string*>(&bad), &good})
    {
        inf.reset();
        out.clear();
        inf.feed(*gz, out);
        inf.finish();
    }
    const std::size_t before = heap_in_use();
    int wrong = 0;
    for (int i = 0; i < 1000; ++i)
    {
        inf.reset();
        out.clear();
        // Every tenth response is an error, left in the middle of a member: reset must forget it.
        if (i % 10 == 3)
            wrong += inf.feed(bomb, out) != inflate_status::too_large;
        else if (i % 10 == 7)
            wrong += inf.feed(bad, out) != inflate_status::corrupt;
        else if (i % 10 == 9)
            wrong += inf.feed(std::string_view(good).substr(0, 100), out) != inflate_status::need_more;
        else
        {
            wrong += inf.feed(good, out) != inflate_status::done;
            wrong += inf.finish() != inflate_status::done;
            wrong += out != body;
            wrong += inf.total_out() != body.size();
        }
    }
    BOOST_TEST(wrong == 0);
    BOOST_TEST(heap_growth_since(before) <= 4096u);
}

BOOST_AUTO_TEST_CASE(moved_inflater_goes_on)
{
    const std::string gz = gzip(fixture());
    inflater a(no_limit);
    std::string out;
    BOOST_TEST(a.feed(std::string_view(gz).substr(0, 50), out) == inflate_status::need_more);
    inflater b = std::move(a);
    BOOST_TEST(b.feed(std::string_view(gz).substr(50), out) == inflate_status::done);
    BOOST_TEST((out == fixture()));
}

BOOST_AUTO_TEST_CASE(no_exception_on_random_input)
{
    std::mt19937 gen(11);
    for (int i = 0; i < 2000; ++i)
    {
        std::string junk = random_bytes(gen() % 512, static_cast<unsigned>(i));
        if (i % 2 == 0 && junk.size() >= 3)
            junk.replace(0, 3, "\x1f\x8b\x08");  // past the magic, into the flags and deflate data
        std::string out;
        inflater inf(4096);
        BOOST_CHECK_NO_THROW(inf.feed(junk, out));
        BOOST_TEST(inf.finish() != inflate_status::need_more);
        BOOST_TEST(out.size() <= 4096u);
    }
}

BOOST_AUTO_TEST_SUITE_END()
