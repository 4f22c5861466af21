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
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
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

template <class Stream>
class basic_connection final : public http_connection
{
public:
    static constexpr bool is_tls = std::is_same_v<Stream, tls_stream>;

    basic_connection(const asio::any_io_executor& ex, std::shared_ptr<const connection_settings> settings)
        : settings_(std::move(settings)), stream_(make_stream(ex, *settings_))
    {
    }

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

        // A fresh parser per response: Beast parsers are single-use, and the limits must be
        // enforced before the body is buffered.
        auto& parser = parser_.emplace();
        parser.header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(settings_->max_header_bytes, UINT32_MAX)));
        parser.body_limit(settings_->max_body_bytes);
        co_await http::async_read(stream_, buffer_, parser, asio::redirect_error(asio::use_awaitable, io_ec));

        failure.response_started = parser.got_some() || buffer_.size() != 0;
        if (parser.is_header_done())
            copy_headers(parser.get(), res);

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
            co_return;
        }

        auto& msg = parser.get();
        res.body = std::move(msg.body());
        // Bytes beyond the response mean the peer is out of step; never reuse such a connection.
        reusable_ = msg.keep_alive() && buffer_.size() == 0;
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

    static void copy_headers(const http::response<http::string_body>& msg, http_response& res)
    {
        res.status = static_cast<int>(msg.result_int());
        res.keep_alive = msg.keep_alive();
        if (auto it = msg.find("X-Request-Id"); it != msg.end())
            res.request_id.assign(it->value().data(), it->value().size());
        if (auto it = msg.find(http::field::retry_after); it != msg.end())
            res.retry_after.assign(it->value().data(), it->value().size());
        if (auto it = msg.find(http::field::location); it != msg.end())
            res.location.assign(it->value().data(), it->value().size());
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
    std::optional<http::response_parser<http::string_body>> parser_;
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
