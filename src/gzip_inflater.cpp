// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#include "gzip_inflater.hpp"

#define ZLIB_CONST  // next_in points to const bytes
#include <zlib.h>

#include <algorithm>
#include <limits>
#include <new>

namespace beeos::detail
{

namespace
{

// zlib's windowBits: the largest window (what every encoder may use), and +16 to accept only
// the gzip wrapper. Not +32 (auto-detect): a gzip response must not be read as zlib or the other
// way round.
constexpr int max_window_bits = 15;
constexpr int gzip_wrapper = 16;

// std::string::reserve may round a request up to twice the current capacity (libstdc++ does),
// which would let `out` grow past the limit; a fresh string's reserve gives what it is asked for.
void reserve_exactly(std::string& out, std::size_t capacity)
{
    if (capacity >= 2 * out.capacity())
    {
        out.reserve(capacity);
        return;
    }
    std::string bigger;
    bigger.reserve(capacity);
    bigger.append(out);
    out.swap(bigger);
}

}  // namespace

const char* to_string(inflate_status s) noexcept
{
    switch (s)
    {
        case inflate_status::need_more:
            return "need_more";
        case inflate_status::done:
            return "done";
        case inflate_status::too_large:
            return "too_large";
        case inflate_status::corrupt:
            return "corrupt";
        case inflate_status::truncated:
            return "truncated";
    }
    return "unknown";
}

void gzip_inflater::stream_deleter::operator()(z_stream_s* zs) const noexcept
{
    inflateEnd(zs);
    delete zs;
}

gzip_inflater::gzip_inflater(std::size_t max_output_bytes, content_coding coding)
    : zs_(nullptr), chunk_(std::make_unique_for_overwrite<unsigned char[]>(chunk_bytes)), limit_(max_output_bytes), coding_(coding)
{
    auto zs = std::make_unique<z_stream_s>();  // value-initialised: zalloc, zfree, opaque are Z_NULL
    const int bits = coding == content_coding::gzip ? max_window_bits + gzip_wrapper : max_window_bits;
    // With constant, valid parameters and the header matching the library, only memory can fail.
    if (inflateInit2(zs.get(), bits) != Z_OK)
        throw std::bad_alloc();
    zs_.reset(zs.release());
}

gzip_inflater::gzip_inflater(gzip_inflater&&) noexcept = default;
gzip_inflater& gzip_inflater::operator=(gzip_inflater&&) noexcept = default;
gzip_inflater::~gzip_inflater() = default;

void gzip_inflater::reset() noexcept
{
    // Keeps the state and the window: a response costs no allocation inside zlib.
    inflateReset(zs_.get());
    produced_ = 0;
    status_ = inflate_status::need_more;
    member_ended_ = false;
}

inflate_status gzip_inflater::finish() noexcept
{
    if (status_ == inflate_status::need_more)
        status_ = inflate_status::truncated;
    return status_;
}

inflate_status gzip_inflater::feed(std::string_view compressed, std::string& out)
{
    // avail_in is 32 bits: a larger view goes in slices.
    constexpr std::size_t max_slice = std::numeric_limits<uInt>::max();
    while (!compressed.empty() && (status_ == inflate_status::need_more || status_ == inflate_status::done))
    {
        const std::size_t slice = std::min(compressed.size(), max_slice);
        zs_->next_in = reinterpret_cast<const Bytef*>(compressed.data());
        zs_->avail_in = static_cast<uInt>(slice);
        status_ = inflate_available(out);
        compressed.remove_prefix(slice);
    }
    // zlib keeps no pointer into the caller's buffer between calls.
    zs_->next_in = nullptr;
    zs_->avail_in = 0;
    return status_;
}

// Inflates until the input in zs_ is consumed (need_more, done) or an error stops it.
inflate_status gzip_inflater::inflate_available(std::string& out)
{
    z_stream_s& zs = *zs_;
    for (;;)
    {
        if (member_ended_)
        {
            if (zs.avail_in == 0)
                return inflate_status::done;
            // Only gzip allows a next member; inflate then checks that it starts with a gzip header.
            if (coding_ != content_coding::gzip)
                return inflate_status::corrupt;
            inflateReset(&zs);
            member_ended_ = false;
        }
        // Room for one byte past the limit, so that a stream which would exceed it is caught
        // here, before anything past the limit reaches `out`.
        const std::size_t allowed = limit_ - produced_;
        const std::size_t room = allowed < chunk_bytes ? allowed + 1 : chunk_bytes;
        zs.next_out = chunk_.get();
        zs.avail_out = static_cast<uInt>(room);
        const int rc = inflate(&zs, Z_NO_FLUSH);
        const std::size_t got = room - zs.avail_out;
        if (got > allowed)
        {
            append(out, allowed);
            return inflate_status::too_large;
        }
        append(out, got);
        switch (rc)
        {
            case Z_STREAM_END:
                member_ended_ = true;
                break;
            case Z_OK:
                // A full buffer may leave output pending inside zlib even without more input.
                if (zs.avail_in == 0 && zs.avail_out != 0)
                    return inflate_status::need_more;
                break;
            case Z_BUF_ERROR:
                // No progress possible: the input is used up (the output buffer never is empty).
                return inflate_status::need_more;
            case Z_MEM_ERROR:
                // The window is allocated on the first inflate; a later feed would fail the same way.
                status_ = inflate_status::corrupt;
                throw std::bad_alloc();
            default:
                // Z_DATA_ERROR (bad header, data, CRC, length), Z_NEED_DICT (a zlib stream with
                // a preset dictionary, which HTTP never supplies), Z_STREAM_ERROR.
                return inflate_status::corrupt;
        }
    }
}

void gzip_inflater::append(std::string& out, std::size_t n)
{
    if (n == 0)
        return;
    if (out.capacity() - out.size() < n)
    {
        // Geometric growth for linear time, but never past what the limit still allows.
        const std::size_t ceiling = out.size() + (limit_ - produced_);
        reserve_exactly(out, std::max(out.size() + n, std::min(ceiling, 2 * out.capacity())));
    }
    out.append(reinterpret_cast<const char*>(chunk_.get()), n);
    produced_ += n;
}

}  // namespace beeos::detail
