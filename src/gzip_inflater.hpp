// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#ifndef BEEOS_SRC_GZIP_INFLATER_HPP
#define BEEOS_SRC_GZIP_INFLATER_HPP

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

// zlib's stream type, kept out of this header so that only gzip_inflater.cpp sees zlib.h.
struct z_stream_s;

namespace beeos::detail
{

/// What a response's `Content-Encoding` says the body is wrapped in.
enum class content_coding
{
    gzip,     ///< RFC 1952 gzip members, one or more back to back
    deflate,  ///< the HTTP `deflate` coding: one zlib stream (RFC 1950), not raw deflate
};

enum class inflate_status
{
    need_more,  ///< the input so far is a valid prefix; feed more, or call finish() at the body's end
    done,       ///< the input so far ends exactly where a member (gzip) or the stream (deflate) ends
    too_large,  ///< the inflated body would exceed `max_output_bytes`
    corrupt,    ///< not a valid stream: bad header, bad data, wrong CRC or length, bytes after the end
    truncated,  ///< (finish() only) the body ended inside a member, or held no member at all
};

/// "need_more", "done", ...: for details and test logs.
const char* to_string(inflate_status s) noexcept;

/// Sans-io decoder of a `Content-Encoding: gzip` (or `deflate`) response body, built on zlib.
///
/// Feed the body as it arrives, then call finish() at its end. The last status repeats once it
/// is an error (too_large, corrupt, truncated): later calls do nothing until reset().
/// A gzip body may hold several members back to back (RFC 1952 section 2.2, as curl and Go
/// accept); anything else after a member, or after the zlib stream, is corrupt (zlib needs two
/// bytes to refuse a header: a single stray byte at the end is a member cut short, truncated).
///
/// The limit: the bytes appended to `out` since construction or reset() never exceed
/// `max_output_bytes`, whatever the input's compression ratio. Inflating stops as soon as one
/// byte more would be produced (too_large). `out` grows geometrically but never past what the
/// limit still allows: when it has to grow, its new capacity is at most its size before the first
/// feed() plus `max_output_bytes` (or the string's minimum allocation, a few dozen bytes).
/// Besides `out`, an inflater holds one `chunk_bytes` buffer and zlib's state (about 7 KiB, plus
/// a 32 KiB window from the first feed on), kept across reset().
///
/// Throws only std::bad_alloc (from growing `out`, or zlib running out of memory); no zlib error
/// escapes as an exception. Not thread-safe: one response at a time. A moved-from inflater may
/// only be destroyed or assigned to.
class gzip_inflater
{
public:
    /// Inflated bytes are produced into a fixed buffer this large, then appended to `out`.
    static constexpr std::size_t chunk_bytes = std::size_t{16} * 1024;

    explicit gzip_inflater(std::size_t max_output_bytes, content_coding coding = content_coding::gzip);
    gzip_inflater(gzip_inflater&&) noexcept;
    gzip_inflater& operator=(gzip_inflater&&) noexcept;
    ~gzip_inflater();

    /// Inflates `compressed`, the next bytes of the body, appending the output to `out`.
    /// Returns need_more, done, or an error (too_large, corrupt). An empty `compressed` only
    /// repeats the current status.
    inflate_status feed(std::string_view compressed, std::string& out);

    /// The body has ended: done if it ended where a member ended, else truncated (or the error
    /// already reported).
    inflate_status finish() noexcept;

    /// Readies the inflater for the next response, keeping its memory (zlib's inflateReset).
    void reset() noexcept;

    /// Bytes appended to `out` since construction or reset().
    std::size_t total_out() const noexcept { return produced_; }
    std::size_t max_output_bytes() const noexcept { return limit_; }

private:
    struct stream_deleter
    {
        void operator()(z_stream_s* zs) const noexcept;
    };

    inflate_status inflate_available(std::string& out);
    void append(std::string& out, std::size_t n);

    std::unique_ptr<z_stream_s, stream_deleter> zs_;
    std::unique_ptr<unsigned char[]> chunk_;
    std::size_t limit_;
    std::size_t produced_ = 0;
    content_coding coding_;
    inflate_status status_ = inflate_status::need_more;
    bool member_ended_ = false;  // the input so far ends exactly at the end of a member
};

}  // namespace beeos::detail

#endif
