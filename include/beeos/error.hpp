// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#ifndef BEEOS_ERROR_HPP
#define BEEOS_ERROR_HPP

#include <beeos/config.hpp>

#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>

#include <chrono>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <type_traits>

namespace beeos {

/// The kinds of failure a beeos call reports. Each value is one thing the caller can act on.
enum class errc
{
    // 0 is success, as for every error_code enum.
    invalid_argument = 1,  ///< bad input from the caller (e.g. an empty or too long id); nothing was sent
    bad_request,           ///< HTTP 400: the server rejected the request (`invalid_param`, ...)
    unauthorized,          ///< HTTP 401: missing, invalid or expired token
    forbidden,             ///< HTTP 403: the token's owner may not see this resource
    not_found,             ///< HTTP 404: no such instance visible to this token
    rate_limited,          ///< HTTP 429: quota exceeded; see `error::retry_after()`
    server_error,          ///< HTTP 5xx
    http_error,            ///< any other unexpected HTTP status (other 4xx, 1xx, 3xx redirects are not followed)
    timeout,               ///< a connect or request deadline passed
    connection,            ///< DNS, connect, reset or closed connection: no complete response
    tls,                   ///< TLS handshake failure other than certificate verification
    certificate,           ///< the server's certificate or host name failed verification (never retried)
    protocol,              ///< the peer does not speak valid HTTP/1.1
    body_too_large,        ///< the response body is over `client_options::max_body_bytes`
    headers_too_large,     ///< the response headers are over `client_options::max_header_bytes`
    decode,                ///< the body is not the JSON the contract describes
    cancelled,             ///< the caller cancelled the operation
    shut_down,             ///< the client was closed or destroyed while the call was pending
    /// A complete, well-formed response that answers another request: a 2xx whose `data.id`
    /// is not the id asked for, or a page larger than the page size asked for. The sign of a
    /// desynchronised connection or a misrouting intermediary; the connection is closed and the
    /// call is retried like a connection failure.
    mismatched_response,
    /// The HTTP proxy refused or failed the tunnel to the API (`http_status` is the proxy's,
    /// e.g. 407 for missing proxy credentials, 403 for a forbidden destination, 502 when it
    /// cannot reach the API). Retried only for 502, 503 and 504.
    proxy,
};

/// The error category of `errc`; its name is `"beeos"`.
///
/// Codes compare equal to the portable conditions Asio's own codes map to, so code written for
/// Asio keeps working: `ec == boost::system::errc::operation_canceled` (or `std::errc::`) holds
/// for `errc::cancelled` as it does for `asio::error::operation_aborted`, and
/// `ec == boost::system::errc::timed_out` for `errc::timeout`. (`ec == asio::error::operation_aborted`
/// itself compares two error codes, which Boost.System does exactly, by category and value.)
BEEOS_DECL const boost::system::error_category& error_category() noexcept;

inline boost::system::error_code make_error_code(errc e) noexcept
{
    return {static_cast<int>(e), error_category()};
}

/// Writes the kind's message, e.g. `not found`.
inline std::ostream& operator<<(std::ostream& os, errc e) { return os << make_error_code(e).message(); }

/// Everything known about a failure beyond its kind: what the server said and what we saw.
///
/// Server text (`message`, `api_code`, ...) is data from the network, not trusted text; it is
/// kept apart from `detail`, which the client writes. No field ever holds the bearer token.
struct BEEOS_DECL error_info
{
    std::string id;           ///< the instance id of the call, as the caller gave it
    int http_status = 0;      ///< status line received; 0 when none arrived
    std::string api_type;     ///< `error.type` of the envelope, e.g. `not_found_error`
    std::string api_code;     ///< `error.code` of the envelope, e.g. `rate_limited`
    std::string message;      ///< `error.message` of the envelope (server text, sanitised)
    std::string request_id;   ///< `error.request_id`, else the `X-Request-Id` header
    std::optional<std::chrono::seconds> retry_after;  ///< `Retry-After`, seconds or HTTP-date
    std::string detail;       ///< what the client saw, e.g. `data.status: expected string, got number`
    boost::system::error_code cause;  ///< the underlying transport/TLS/parser error, if any
    unsigned attempts = 0;    ///< attempts made; the other fields describe the last one
    /// For a call with its own credentials: the first 8 hex digits of the SHA-256 of its token
    /// (never the token). Empty for calls with the client's credentials.
    std::string credential_tag;

    void clear() { *this = error_info{}; }  ///< back to the empty state
};

/// Builds the one-line description used by `error::what()`, e.g.
/// `get_instance("inst_1"): not found (HTTP 404, code "instance_not_found", request_id "req_9"): no such instance`.
BEEOS_DECL std::string format_error(const boost::system::error_code& ec, const error_info& info);

/// The exception thrown by `client::get_instance`. Its `code()` is a `beeos::errc`.
class BEEOS_DECL error : public boost::system::system_error
{
public:
    /// `what()` is `format_error(ec, info)`.
    error(boost::system::error_code ec, error_info info);

    /// The status line received (e.g. 200 for a 200 whose body failed to decode); 0 when none.
    int http_status() const noexcept { return info_.http_status; }
    /// The envelope's `error.code`; empty when there was none.
    std::string_view api_code() const noexcept { return info_.api_code; }
    /// `error.request_id` of the envelope, else the `X-Request-Id` response header.
    std::string_view request_id() const noexcept { return info_.request_id; }
    /// The server's `Retry-After`, when it sent one.
    std::optional<std::chrono::seconds> retry_after() const noexcept { return info_.retry_after; }
    /// All of the details.
    const error_info& info() const noexcept { return info_; }
    /// One line a person can act on: the call, the failure, the status, code and request id.
    const char* what() const noexcept override { return what_.c_str(); }

private:
    error_info info_;
    std::string what_;
};

}  // namespace beeos

// The trait that makes the enum an error_code enum is not part of the reference.
/// \cond
template <>
struct boost::system::is_error_code_enum<beeos::errc> : std::true_type
{
};
/// \endcond

#endif
