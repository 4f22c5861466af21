// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#ifndef BEEOS_SRC_HTTP_EXCHANGE_HPP
#define BEEOS_SRC_HTTP_EXCHANGE_HPP

// One request and its response over any Beast/Asio stream: write the request, skip interim
// (1xx) responses, read the final response straight into an `http_response`, and say what went
// wrong in beeos terms. Beast-heavy: included only by http_connection.cpp (with the real TCP
// and TLS streams) and by the fuzz target of the response reader (with an in-memory stream),
// so both run exactly this code.

#include "http_connection.hpp"

#include <algorithm>

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/rfc7230.hpp>

#include <cstdint>
#include <new>
#include <optional>
#include <string>
#include <string_view>

namespace beeos::detail {

/// True when the calling coroutine was cancelled, also while none of its operations was
/// pending (a cancellation that arrives between two operations reaches none of them).
inline boost::asio::awaitable<bool> cancelled_meanwhile()
{
    auto cs = co_await boost::asio::this_coro::cancellation_state;
    co_return cs.cancelled() != boost::asio::cancellation_type::none;
}

/// Interim responses accepted before the final one. Servers send one or two (100 Continue,
/// 103 Early Hints); a stream of them is a peer that will never answer.
inline constexpr int max_interim_responses = 16;

/// Reads one response straight into an http_response: the few header fields the client uses
/// are copied as they arrive, the body is appended to `res.body`, and no header container is
/// built (Beast's basic_fields allocates a node per field). Framing, limits and the error codes
/// are basic_parser's; the values are the first of a repeated field, keep-alive as
/// message::keep_alive() decides it.
///
/// A callback never throws: running out of memory (a Content-Length the allocator refuses, say)
/// fails the read with `std::errc::not_enough_memory`, since an exception would escape from
/// the io_context's run() with the call left hanging.
class response_reader final : public boost::beast::http::basic_parser<false>
{
public:
    explicit response_reader(http_response& res) noexcept : res_(res) {}

    // Once the header is done (is_header_done()): what message::keep_alive() would say.
    bool message_keep_alive() const noexcept
    {
        if (version_ < 11)
            return connection_keep_alive_;
        return !connection_close_;
    }

    int status() const noexcept { return status_; }

private:
    using error_code = boost::system::error_code;
    using string_view = boost::beast::string_view;
    using field = boost::beast::http::field;

    void on_request_impl(boost::beast::http::verb, string_view, string_view, int, error_code&) override {}

    void on_response_impl(int code, string_view, int version, error_code&) override
    {
        status_ = code;
        version_ = version;
    }

    void on_field_impl(field name, string_view name_string, string_view value, error_code& ec) override
    {
        try
        {
            switch (name)
            {
                case field::connection:
                    // Only the first Connection field, as basic_fields::find() would return it.
                    if (!seen_connection_)
                    {
                        seen_connection_ = true;
                        boost::beast::http::token_list tokens{value};
                        connection_close_ = tokens.exists("close");
                        connection_keep_alive_ = tokens.exists("keep-alive");
                    }
                    break;
                case field::retry_after: assign_first(seen_retry_after_, res_.retry_after, value); break;
                case field::location: assign_first(seen_location_, res_.location, value); break;
                case field::content_encoding: assign_first(seen_content_encoding_, res_.content_encoding, value); break;
                case field::unknown:
                    if (boost::beast::iequals(name_string, "X-Request-Id"))
                        assign_first(seen_request_id_, res_.request_id, value);
                    break;
                default: break;
            }
        }
        catch (const std::bad_alloc&)
        {
            ec = make_error_code(boost::system::errc::not_enough_memory);
        }
    }

    void on_header_impl(error_code&) override {}

    void on_body_init_impl(const boost::optional<std::uint64_t>& content_length, error_code& ec) override
    {
        // Reserve what Content-Length announces, up to a cap: body_limit has been checked against
        // it, but with a generous limit a peer could still announce more than memory holds and
        // send a byte. Past the cap the body grows as bytes actually arrive.
        if (!content_length)
            return;
        constexpr std::uint64_t reserve_cap = std::uint64_t{4} * 1024 * 1024;
        try
        {
            res_.body.reserve(static_cast<std::size_t>(std::min(*content_length, reserve_cap)));
        }
        catch (const std::exception&)
        {
            ec = make_error_code(boost::system::errc::not_enough_memory);
        }
    }

    std::size_t on_body_impl(string_view body, error_code& ec) override { return append(body, ec); }

    void on_chunk_header_impl(std::uint64_t, string_view, error_code&) override {}

    std::size_t on_chunk_body_impl(std::uint64_t, string_view body, error_code& ec) override { return append(body, ec); }

    void on_finish_impl(error_code&) override {}

    std::size_t append(string_view body, error_code& ec)
    {
        try
        {
            res_.body.append(body.data(), body.size());
            return body.size();
        }
        catch (const std::exception&)
        {
            ec = make_error_code(boost::system::errc::not_enough_memory);
            return 0;
        }
    }

    static void assign_first(bool& seen, std::string& to, string_view value)
    {
        if (seen)
            return;
        seen = true;
        to.assign(value.data(), value.size());
    }

    http_response& res_;
    int status_ = 0;
    int version_ = 11;
    bool seen_connection_ = false;
    bool connection_close_ = false;
    bool connection_keep_alive_ = false;
    bool seen_retry_after_ = false;
    bool seen_location_ = false;
    bool seen_request_id_ = false;
    bool seen_content_encoding_ = false;
};

/// Limits of one exchange, from `connection_settings`.
struct exchange_limits
{
    std::size_t max_header_bytes = std::size_t{64} * 1024;
    std::size_t max_body_bytes = std::size_t{8} * 1024 * 1024;
};

/// What one exchange saw, before it is put in beeos terms by `classify_exchange`.
struct exchange_report
{
    boost::system::error_code write_ec;  ///< failure to send the request
    boost::system::error_code read_ec;   ///< failure to read a complete final response
    bool response_started = false;       ///< any byte of a response arrived
    bool header_done = false;            ///< the final response's header is complete
    int interim_responses = 0;           ///< 1xx responses skipped
    bool switching_protocols = false;    ///< a 101 arrived, which a GET never asked for
    bool too_many_interim = false;
    std::size_t bytes_read = 0;          ///< by the parser, interim responses included
};

/// Writes `request` and reads responses from `buffer`/`stream` until a final (non-1xx) one is
/// complete, into `res`. Interim responses carry no body and are skipped; their header fields
/// are forgotten. `parser` is the caller's so that its memory is reused.
template <class Stream>
boost::asio::awaitable<void> async_exchange_over(
    Stream& stream,
    boost::beast::flat_buffer& buffer,
    std::optional<response_reader>& parser,
    std::string_view request,
    const exchange_limits& limits,
    http_response& res,
    exchange_report& report
)
{
    namespace asio = boost::asio;
    namespace http = boost::beast::http;
    res.clear();
    report = {};
    boost::system::error_code ec;
    co_await asio::async_write(stream, asio::buffer(request.data(), request.size()), asio::redirect_error(asio::use_awaitable, ec));
    if (!ec && co_await cancelled_meanwhile())
        ec = asio::error::operation_aborted;
    if (ec)
    {
        report.write_ec = ec;
        co_return;
    }
    for (;;)
    {
        // A fresh parser per response (Beast parsers are single-use; this one owns no memory),
        // writing into `res` as it goes; the limits are enforced before the body is buffered.
        auto& p = parser.emplace(res);
        p.header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(limits.max_header_bytes, UINT32_MAX)));
        p.body_limit(limits.max_body_bytes);
        const std::size_t n = co_await http::async_read(stream, buffer, p, asio::redirect_error(asio::use_awaitable, ec));
        report.bytes_read += n;
        if (!ec && co_await cancelled_meanwhile())
            ec = asio::error::operation_aborted;
        report.response_started = report.response_started || p.got_some() || buffer.size() != 0;
        const bool header_done = p.is_header_done();
        if (header_done)
        {
            res.status = p.status();
            res.keep_alive = p.message_keep_alive();
        }
        if (!ec && header_done && res.status >= 100 && res.status < 200)
        {
            if (res.status == 101)
            {
                report.switching_protocols = true;
                report.header_done = true;
                co_return;
            }
            if (++report.interim_responses > max_interim_responses)
            {
                report.too_many_interim = true;
                report.header_done = true;
                co_return;
            }
            // What an interim response said is not the answer: only the final one counts.
            res.clear();
            continue;
        }
        report.read_ec = ec;
        report.header_done = header_done;
        co_return;
    }
}

/// Errors that mean "the peer went away"; before any response byte they are the keep-alive race.
inline bool is_closed_by_peer(const boost::system::error_code& ec)
{
    namespace asio = boost::asio;
    namespace http = boost::beast::http;
    return ec == http::error::end_of_stream || ec == http::error::partial_message || ec == asio::error::eof ||
           ec == asio::error::connection_reset || ec == asio::error::broken_pipe || ec == asio::error::connection_aborted ||
           ec == asio::ssl::error::stream_truncated || ec == asio::error::not_connected;
}

/// Puts a transport failure of `phase` ("sending the request to", ...) in beeos terms: a timeout,
/// a cancellation or a failed connection to `where`.
inline void classify_io_failure(
    const boost::system::error_code& io_ec,
    std::string_view phase,
    std::string_view where,
    std::string timeout_detail,
    boost::system::error_code& ec,
    error_info& info
)
{
    if (io_ec == boost::beast::error::timeout)
    {
        ec = errc::timeout;
        info.detail = std::move(timeout_detail);
    }
    else if (io_ec == boost::asio::error::operation_aborted)
    {
        ec = errc::cancelled;
        info.detail = "cancelled while " + std::string(phase) + " the server";
    }
    else
    {
        ec = errc::connection;
        info.cause = io_ec;
        info.detail = "failed " + std::string(phase) + " " + std::string(where);
    }
}

/// Puts a finished exchange in beeos terms: `ec` (empty for a complete final response, whatever
/// its status) and `info`. `leftover` is what remains in the read buffer after the response.
/// Returns whether the connection may carry another request.
inline bool classify_exchange(
    const exchange_report& r,
    std::size_t leftover,
    const exchange_limits& limits,
    std::string_view where,
    http_response& res,
    boost::system::error_code& ec,
    error_info& info
)
{
    namespace http = boost::beast::http;
    ec = {};
    if (r.write_ec)
    {
        if (!r.response_started && is_closed_by_peer(r.write_ec))
        {
            ec = errc::connection;
            info.cause = r.write_ec;
            info.detail = "the server closed the connection before the request was sent";
        }
        else
        {
            classify_io_failure(r.write_ec, "sending the request to", where, "the request_timeout passed while sending the request", ec, info);
        }
        return false;
    }
    if (r.switching_protocols || r.too_many_interim)
    {
        ec = errc::protocol;
        info.detail = r.switching_protocols ? "the server switched protocols (HTTP 101), which a GET never asks for"
                                            : "the server sent more than " + std::to_string(max_interim_responses) + " interim (1xx) responses";
        res.body.clear();
        return false;
    }
    const auto& io_ec = r.read_ec;
    if (!io_ec)
    {
        // Bytes beyond the response mean the peer is out of step: never reuse such a connection.
        return res.keep_alive && leftover == 0;
    }
    if (!r.header_done)
    {
        res.request_id.clear();
        res.retry_after.clear();
        res.location.clear();
        res.content_encoding.clear();
    }
    if (io_ec == http::error::body_limit)
    {
        ec = errc::body_too_large;
        info.detail = "the response body is larger than max_body_bytes (" + std::to_string(limits.max_body_bytes) + " bytes)";
    }
    else if (io_ec == http::error::header_limit)
    {
        ec = errc::headers_too_large;
        info.detail = "the response headers are larger than max_header_bytes (" + std::to_string(limits.max_header_bytes) + " bytes)";
    }
    else if (io_ec == boost::system::errc::not_enough_memory)
    {
        ec = errc::body_too_large;
        info.cause = io_ec;
        info.detail = "the response is larger than the memory available for it";
    }
    else if (io_ec.category() == http::make_error_code(http::error::end_of_stream).category() && !is_closed_by_peer(io_ec))
    {
        ec = errc::protocol;
        info.cause = io_ec;
        info.detail = "the response is not valid HTTP/1.1";
    }
    else if (!r.response_started && is_closed_by_peer(io_ec))
    {
        ec = errc::connection;
        info.cause = io_ec;
        info.detail = "the server closed the connection before sending a response";
    }
    else
    {
        classify_io_failure(io_ec, "reading the response from", where, "the request_timeout passed while waiting for the response", ec, info);
        if (ec == errc::connection)
            info.detail = "the connection failed in the middle of the response";
    }
    // Only a complete response has a body.
    res.body.clear();
    return false;
}

}  // namespace beeos::detail

#endif
