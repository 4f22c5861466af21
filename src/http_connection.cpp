// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
//
// The only translation unit that instantiates Beast's stream and parser templates; the rest of
// the library sees the small `http_connection` interface. Keeps a clean build cheap on 2 cores.
#include "http_connection.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/rfc7230.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <optional>

#include <poll.h>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using boost::system::error_code;

namespace beeos::detail {
namespace {

using plain_stream = beast::tcp_stream;
using tls_stream = beast::ssl_stream<beast::tcp_stream>;

std::string ms_text(std::chrono::milliseconds d) { return std::to_string(d.count()) + " ms"; }

bool is_abort(const error_code& ec) { return ec == asio::error::operation_aborted; }

// Errors that mean "the peer went away"; before any response byte they are the keep-alive race.
bool is_closed_by_peer(const error_code& ec)
{
    return ec == http::error::end_of_stream || ec == http::error::partial_message || ec == asio::error::eof ||
           ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
           ec == asio::error::connection_aborted || ec == asio::ssl::error::stream_truncated ||
           ec == asio::error::not_connected;
}

std::string verify_failure_text(SSL* ssl)
{
    long result = SSL_get_verify_result(ssl);
    if (result == X509_V_OK)
        return {};
    return std::string("certificate verification failed: ") + X509_verify_cert_error_string(result);
}

// Reads one response straight into an http_response: the few header fields the client uses
// are copied as they arrive, the body is appended to `res.body`, and no header container is
// built (Beast's basic_fields allocates a node per field). Framing, limits and the error codes
// are basic_parser's, as with the response_parser<string_body> this replaces, and the values
// are the same: the first of a repeated field, keep-alive as message::keep_alive() decides it.
class response_reader final : public http::basic_parser<false>
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
    void on_request_impl(http::verb, beast::string_view, beast::string_view, int, error_code&) override {}

    void on_response_impl(int code, beast::string_view, int version, error_code&) override
    {
        status_ = code;
        version_ = version;
    }

    void on_field_impl(http::field name, beast::string_view name_string, beast::string_view value, error_code&) override
    {
        switch (name)
        {
            case http::field::connection:
                // Only the first Connection field, as basic_fields::find() would return it.
                if (!seen_connection_)
                {
                    seen_connection_ = true;
                    http::token_list tokens{value};
                    connection_close_ = tokens.exists("close");
                    connection_keep_alive_ = tokens.exists("keep-alive");
                }
                break;
            case http::field::retry_after:
                assign_first(seen_retry_after_, res_.retry_after, value);
                break;
            case http::field::location:
                assign_first(seen_location_, res_.location, value);
                break;
            case http::field::unknown:
                if (beast::iequals(name_string, "X-Request-Id"))
                    assign_first(seen_request_id_, res_.request_id, value);
                break;
            default:
                break;
        }
    }

    void on_header_impl(error_code&) override {}

    void on_body_init_impl(const boost::optional<std::uint64_t>& content_length, error_code& ec) override
    {
        // As string_body's reader: reserve what Content-Length announces (body_limit has
        // already been checked against it).
        if (content_length)
        {
            if (*content_length > res_.body.max_size())
            {
                ec = http::error::buffer_overflow;
                return;
            }
            res_.body.reserve(static_cast<std::size_t>(*content_length));
        }
    }

    std::size_t on_body_impl(beast::string_view body, error_code& ec) override { return append(body, ec); }

    void on_chunk_header_impl(std::uint64_t, beast::string_view, error_code&) override {}

    std::size_t on_chunk_body_impl(std::uint64_t, beast::string_view body, error_code& ec) override { return append(body, ec); }

    void on_finish_impl(error_code&) override {}

    std::size_t append(beast::string_view body, error_code& ec)
    {
        if (body.size() > res_.body.max_size() - res_.body.size())
        {
            ec = http::error::buffer_overflow;
            return 0;
        }
        res_.body.append(body.data(), body.size());
        return body.size();
    }

    static void assign_first(bool& seen, std::string& to, beast::string_view value)
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
};

template <class Stream>
class basic_connection final : public http_connection
{
public:
    static constexpr bool is_tls = std::is_same_v<Stream, tls_stream>;

    basic_connection(const asio::any_io_executor& ex, std::shared_ptr<const connection_settings> settings)
        : settings_(std::move(settings)), stream_(make_stream(ex, *settings_))
    {
        if constexpr (is_tls)
        {
            // Asio sets SSL_MODE_RELEASE_BUFFERS, which frees OpenSSL's record buffers whenever
            // they drain and allocates them again for the next record: several malloc/free
            // pairs per exchange, to save ~34 KB per idle connection. Keep them.
            SSL_clear_mode(stream_.native_handle(), SSL_MODE_RELEASE_BUFFERS);
        }
        // Beast reads into what the buffer has room for, from 512 bytes up. Room for a whole
        // TLS record (16 KiB) lets one SSL_read take a typical response instead of five or six
        // (each one a call into OpenSSL with its error-queue clearing, about 400 instructions).
        buffer_.reserve(read_buffer_bytes);
    }

    static constexpr std::size_t read_buffer_bytes = 16 * 1024;

    asio::awaitable<void> async_connect(clock_type::time_point deadline, error_code& ec, error_info& info) override
    {
        using namespace asio::experimental::awaitable_operators;

        const endpoint& ep = settings_->ep;
        auto now = clock_type::now();
        auto connect_deadline = now + settings_->connect_timeout;
        bool call_deadline_first = deadline < connect_deadline;
        if (call_deadline_first)
            connect_deadline = deadline;
        auto timeout_detail = [&](std::string_view phase) {
            return std::string(phase) + " " + ep.host + ":" + ep.port + " did not finish within " +
                   (call_deadline_first ? "the request_timeout" : "connect_timeout (" + ms_text(settings_->connect_timeout) + ")");
        };

        auto& tcp = beast::get_lowest_layer(stream_);
        auto ex = co_await asio::this_coro::executor;

        // Resolve on every new connection so a DNS change is picked up after failures.
        asio::ip::tcp::resolver resolver(ex);
        asio::steady_timer timer(ex, connect_deadline);
        auto raced = co_await (
            resolver.async_resolve(ep.host, ep.port, asio::as_tuple(asio::use_awaitable)) ||
            timer.async_wait(asio::as_tuple(asio::use_awaitable))
        );
        if (raced.index() == 1)
        {
            auto [wait_ec] = std::get<1>(raced);
            ec = is_abort(wait_ec) ? errc::cancelled : errc::timeout;
            info.detail = is_abort(wait_ec) ? "cancelled while resolving the host" : timeout_detail("resolving");
            co_return;
        }
        auto [resolve_ec, results] = std::get<0>(raced);
        if (resolve_ec)
        {
            ec = is_abort(resolve_ec) ? errc::cancelled : errc::connection;
            info.cause = resolve_ec;
            info.detail = "could not resolve " + ep.host;
            co_return;
        }

        tcp.expires_at(connect_deadline);
        error_code io_ec;
        co_await tcp.async_connect(results, asio::redirect_error(asio::use_awaitable, io_ec));
        if (io_ec)
        {
            fail_io(io_ec, ec, info, "connecting to", timeout_detail("connecting to"));
            co_return;
        }
        tcp.socket().set_option(asio::ip::tcp::no_delay(true), io_ec);

        if constexpr (is_tls)
        {
            SSL* ssl = stream_.native_handle();
            if (!ep.host_is_ip)
            {
                // SNI carries host names only (RFC 6066 forbids IP literals).
                SSL_set_tlsext_host_name(ssl, ep.host.c_str());
                SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
                SSL_set1_host(ssl, ep.host.c_str());
            }
            else
            {
                X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), ep.host.c_str());
            }
            co_await stream_.async_handshake(asio::ssl::stream_base::client, asio::redirect_error(asio::use_awaitable, io_ec));
            if (io_ec)
            {
                if (is_abort(io_ec) || io_ec == beast::error::timeout)
                {
                    fail_io(io_ec, ec, info, "the TLS handshake with", timeout_detail("the TLS handshake with"));
                    co_return;
                }
                std::string verify = verify_failure_text(ssl);
                // A certificate that fails verification will fail again: say so by its own kind.
                ec = verify.empty() ? errc::tls : errc::certificate;
                info.cause = io_ec;
                info.detail = "TLS handshake with " + ep.host + ":" + ep.port + " failed" + (verify.empty() ? "" : ": " + verify);
                co_return;
            }
        }
        ec = {};
    }

    asio::awaitable<void> async_exchange(
        std::string_view request,
        clock_type::time_point deadline,
        http_response& res,
        error_code& ec,
        error_info& info,
        exchange_failure& failure
    ) override
    {
        reusable_ = false;
        res.clear();
        failure = {};
        auto& tcp = beast::get_lowest_layer(stream_);
        tcp.expires_at(deadline);

        error_code io_ec;
        co_await asio::async_write(stream_, asio::buffer(request.data(), request.size()), asio::redirect_error(asio::use_awaitable, io_ec));
        if (io_ec)
        {
            fail_io(io_ec, ec, info, "sending the request to", "the request_timeout passed while sending the request");
            co_return;
        }

        // A fresh parser per response (Beast parsers are single-use; this one owns no memory),
        // writing into `res` as it goes; the limits are enforced before the body is buffered.
        auto& parser = parser_.emplace(res);
        parser.header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(settings_->max_header_bytes, UINT32_MAX)));
        parser.body_limit(settings_->max_body_bytes);
        co_await http::async_read(stream_, buffer_, parser, asio::redirect_error(asio::use_awaitable, io_ec));

        failure.response_started = parser.got_some() || buffer_.size() != 0;
        // The status and headers count only once the header is complete, as before.
        const bool header_done = parser.is_header_done();
        if (header_done)
        {
            res.status = parser.status();
            res.keep_alive = parser.message_keep_alive();
        }
        else
        {
            res.request_id.clear();
            res.retry_after.clear();
            res.location.clear();
        }

        if (io_ec)
        {
            if (io_ec == http::error::body_limit)
            {
                ec = errc::body_too_large;
                info.detail = "the response body is larger than max_body_bytes (" + std::to_string(settings_->max_body_bytes) + " bytes)";
            }
            else if (io_ec == http::error::header_limit)
            {
                ec = errc::headers_too_large;
                info.detail = "the response headers are larger than max_header_bytes (" + std::to_string(settings_->max_header_bytes) + " bytes)";
            }
            else if (io_ec.category() == http::make_error_code(http::error::end_of_stream).category() && !is_closed_by_peer(io_ec))
            {
                ec = errc::protocol;
                info.cause = io_ec;
                info.detail = "the response is not valid HTTP/1.1";
            }
            else if (!failure.response_started && is_closed_by_peer(io_ec))
            {
                ec = errc::connection;
                info.cause = io_ec;
                info.detail = "the server closed the connection before sending a response";
            }
            else
            {
                fail_io(io_ec, ec, info, "reading the response from", "the request_timeout passed while waiting for the response");
                if (ec == errc::connection)
                    info.detail = "the connection failed in the middle of the response";
            }
            // Whatever is left of this response must never be read as the next call's answer.
            buffer_.clear();
            // Only a complete response has a body.
            res.body.clear();
            co_return;
        }

        // Bytes beyond the response mean the peer is out of step; never reuse such a connection.
        reusable_ = res.keep_alive && buffer_.size() == 0;
        ++completed_;
        ec = {};
    }

    void close() noexcept override
    {
        reusable_ = false;
        error_code ignored;
        beast::get_lowest_layer(stream_).socket().close(ignored);
    }

    asio::awaitable<void> async_close_gracefully(clock_type::time_point deadline) override
    {
        reusable_ = false;
        auto& tcp = beast::get_lowest_layer(stream_);
        if constexpr (is_tls)
        {
            tcp.expires_at(deadline);
            error_code ignored;
            // The peer may answer our close_notify with its own or just close: both end here,
            // and stream_truncated is the expected outcome of the latter, not a failure.
            co_await stream_.async_shutdown(asio::redirect_error(asio::use_awaitable, ignored));
        }
        close();
    }

    bool unusable_while_idle() const noexcept override
    {
        // An idle HTTP/1.1 connection has nothing to read: readability means EOF, a reset,
        // a close_notify or junk, and none of those can carry our next request.
        auto& socket = const_cast<Stream&>(stream_);
        int fd = beast::get_lowest_layer(socket).socket().native_handle();
        if (fd < 0)
            return true;
        pollfd p{fd, POLLIN | POLLRDHUP, 0};
        int n = ::poll(&p, 1, 0);
        return n != 0;
    }

private:
    static Stream make_stream(const asio::any_io_executor& ex, const connection_settings& s)
    {
        if constexpr (is_tls)
            return Stream(ex, *s.tls);
        else
            return Stream(ex);
    }

    void fail_io(const error_code& io_ec, error_code& ec, error_info& info, std::string_view phase, std::string timeout_detail)
    {
        if (io_ec == beast::error::timeout)
        {
            ec = errc::timeout;
            info.detail = std::move(timeout_detail);
        }
        else if (is_abort(io_ec))
        {
            ec = errc::cancelled;
            info.detail = "cancelled while " + std::string(phase) + " the server";
        }
        else
        {
            ec = errc::connection;
            info.cause = io_ec;
            info.detail = "failed " + std::string(phase) + " " + settings_->ep.host + ":" + settings_->ep.port;
        }
    }

    std::shared_ptr<const connection_settings> settings_;
    Stream stream_;
    beast::flat_buffer buffer_;
    std::optional<response_reader> parser_;
};

}  // namespace

std::unique_ptr<http_connection> make_http_connection(
    const asio::any_io_executor& ex,
    std::shared_ptr<const connection_settings> settings
)
{
    if (settings->tls)
        return std::make_unique<basic_connection<tls_stream>>(ex, std::move(settings));
    return std::make_unique<basic_connection<plain_stream>>(ex, std::move(settings));
}

}  // namespace beeos::detail
