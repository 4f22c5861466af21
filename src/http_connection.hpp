// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#ifndef BEEOS_SRC_HTTP_CONNECTION_HPP
#define BEEOS_SRC_HTTP_CONNECTION_HPP

#include "proxy_config.hpp"
#include "request.hpp"

#include <beeos/error.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace boost::asio::ssl {
class context;
}

namespace beeos::detail {

class host_resolver;

using clock_type = std::chrono::steady_clock;

/// What every connection of one client shares.
struct connection_settings
{
    endpoint ep;
    std::shared_ptr<boost::asio::ssl::context> tls;  ///< null for http://
    std::shared_ptr<host_resolver> resolver;         ///< every new connection resolves through it
    /// Every connection goes through this HTTP proxy: a CONNECT tunnel for https, absolute-form
    /// requests for http.
    std::optional<proxy_endpoint> proxy;
    std::string user_agent;  ///< the User-Agent value, for the CONNECT request
    bool accept_gzip = true; ///< requests say `Accept-Encoding: gzip`, and gzip bodies are inflated
    std::chrono::milliseconds connect_timeout{};
    std::size_t max_body_bytes = 0;
    std::size_t max_header_bytes = 0;
};

/// The parts of a response the client uses. Reused across exchanges to keep buffers warm.
struct http_response
{
    int status = 0;
    bool keep_alive = false;
    std::string body;
    std::string request_id;   ///< X-Request-Id
    std::string retry_after;  ///< raw Retry-After
    std::string location;     ///< raw Location (redirects are reported, never followed)
    std::string content_encoding;  ///< raw Content-Encoding; the body is decoded when it is gzip
    std::size_t wire_bytes = 0;  ///< bytes of the response read (interim responses included)

    void clear()
    {
        status = 0;
        keep_alive = false;
        body.clear();
        request_id.clear();
        retry_after.clear();
        location.clear();
        content_encoding.clear();
        wire_bytes = 0;
    }
};

/// How an exchange failed, for the decision to re-send.
struct exchange_failure
{
    /// True when any byte of a response arrived; a request is re-sent only when this is false.
    bool response_started = false;
};

/// One keep-alive HTTP/1.1 connection, over TLS or plain TCP. Beast lives behind this
/// interface, in http_connection.cpp only, so the rest of the library compiles without it.
///
/// Not thread-safe: the pool hands a connection to one call at a time.
class http_connection
{
public:
    virtual ~http_connection() = default;

    /// Resolves the host (every time: DNS is never pinned), connects and completes the TLS
    /// handshake with peer and host-name verification, all by `deadline` or `connect_timeout`
    /// from now, whichever comes first (a lookup that hangs is abandoned, not awaited). On
    /// failure `ec` is a `beeos::errc` (`timeout`, `connection`, `tls`, `certificate`,
    /// `cancelled`) and `info.detail`/`info.cause` say why.
    virtual boost::asio::awaitable<void> async_connect(
        clock_type::time_point deadline,
        boost::system::error_code& ec,
        error_info& info
    ) = 0;

    /// Writes `request` and reads its final response into `res`, skipping interim (1xx)
    /// responses (a 101 is a protocol error). Statuses are not errors here; only a failure to
    /// obtain a complete, well-formed response is (`ec` a `beeos::errc`). After a failure, or
    /// when bytes follow the response, the connection is not `reusable()`.
    virtual boost::asio::awaitable<void> async_exchange(
        std::string_view request,
        clock_type::time_point deadline,
        http_response& res,
        boost::system::error_code& ec,
        error_info& info,
        exchange_failure& failure
    ) = 0;

    /// Closes the socket at once. The next operation fails; the object may then be destroyed.
    virtual void close() noexcept = 0;

    /// Ends the connection politely: a TLS close_notify (waiting for the peer's until
    /// `deadline`), then closes the socket. Never fails; errors only shorten the goodbye.
    virtual boost::asio::awaitable<void> async_close_gracefully(clock_type::time_point deadline) = 0;

    /// True when an idle connection already shows that it cannot carry a request: the peer
    /// closed it (EOF, reset) or sent something unsolicited (a TLS close_notify, garbage).
    /// A non-blocking poll of the socket; cheap enough to run before every reuse.
    virtual bool unusable_while_idle() const noexcept = 0;

    /// True once a response was read completely and the peer allows another request.
    bool reusable() const noexcept { return reusable_; }

    /// How many exchanges completed on this connection; above 0 it came from the pool.
    std::size_t completed_exchanges() const noexcept { return completed_; }

    clock_type::time_point idle_since{};
    clock_type::time_point created_at{};  ///< when the pool made it; its age decides its retirement

protected:
    bool reusable_ = false;
    std::size_t completed_ = 0;
};

std::unique_ptr<http_connection> make_http_connection(
    const boost::asio::any_io_executor& ex,
    std::shared_ptr<const connection_settings> settings
);

}  // namespace beeos::detail

#endif
