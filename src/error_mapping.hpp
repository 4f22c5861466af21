// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#ifndef BEEOS_SRC_ERROR_MAPPING_HPP
#define BEEOS_SRC_ERROR_MAPPING_HPP

#include "http_connection.hpp"

#include <beeos/error.hpp>
#include <beeos/instance.hpp>

#include <chrono>
#include <string_view>

namespace beeos::detail {

/// The kind of failure an HTTP status means for `getInstance` (0 for 2xx).
errc errc_from_status(int status) noexcept;

/// Reads the body of a 2xx response into the result of one kind of call.
class body_decoder
{
public:
    /// On failure returns `errc::decode` and sets `detail` to one line naming the field.
    virtual boost::system::error_code decode_body(std::string_view body, std::string& detail) = 0;

protected:
    ~body_decoder() = default;
};

/// Turns one complete response into the call's outcome: what `decoder` makes of a 2xx
/// (success, `errc::decode`, or `errc::mismatched_response` for an answer to another request),
/// otherwise an `errc` with `info` filled from the status line, the error envelope (when the
/// body is one), `X-Request-Id` and `Retry-After`. Every field of server text is scrubbed of
/// `token` and then bounded, in case a server echoes the Authorization header back.
boost::system::error_code interpret_response(
    http_response& res,
    body_decoder& decoder,
    error_info& info,
    std::string_view token,
    std::chrono::system_clock::time_point now
);

/// Replaces every occurrence of `secret` in `text` with `[redacted]`.
void scrub_secret(std::string& text, std::string_view secret);

/// Server text is kept for the caller but bounded: an error message is not a place for
/// megabytes.
inline constexpr std::size_t max_server_text = 1024;

/// Server text as the caller may keep it: scrubbed of `secret` first, then cut to
/// `max_server_text` bytes (never inside a UTF-8 sequence). In that order, so that a token the
/// server echoes across the cut cannot leave its head behind.
std::string bounded_server_text(std::string text, std::string_view secret);

}  // namespace beeos::detail

#endif
