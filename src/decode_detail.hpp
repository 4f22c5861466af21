// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#ifndef BEEOS_SRC_DECODE_DETAIL_HPP
#define BEEOS_SRC_DECODE_DETAIL_HPP

#include <boost/json/kind.hpp>
#include <boost/system/error_code.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

// The one-line `detail` of a decode error. Built only on failure, so these are out of line and a
// successful decode pays nothing for them.
namespace beeos::detail
{

/// "null", "a string", "an integer", ... as a detail words a JSON kind.
std::string_view describe_kind(boost::json::kind k) noexcept;

void append_number(std::string& out, std::uint64_t n);
void append_number(std::string& out, std::int64_t n);

/// Appends ": expected <expected>, got <kind of got>" to a detail that already names the value.
void append_type_error(std::string& detail, std::string_view expected, boost::json::kind got);

/// Appends `value`, a server's text, in double quotes, safe to put in a message:
///   - every occurrence of `redact` (when not empty) becomes `[redacted]` first, so a secret the
///     server echoed in the value cannot survive even in part;
///   - then at most `max_bytes` of the result are kept, followed by `...` when cut; the cut never
///     splits a UTF-8 sequence;
///   - control characters become '?', quotes and backslashes are escaped.
void append_quoted(std::string& out, std::string_view value, std::size_t max_bytes, std::string_view redact = {});

/// Sets `detail` to `text`; returns errc::decode.
boost::system::error_code decode_failure(std::string& detail, std::string_view text);

/// Sets `detail` to "<what>: expected <expected>, got <kind>"; returns errc::decode.
boost::system::error_code decode_type_failure(std::string& detail, std::string_view what, std::string_view expected, boost::json::kind got);

/// Sets `detail` to "body is not JSON: <parser's message> at offset <offset>"; returns errc::decode.
boost::system::error_code decode_syntax_failure(std::string& detail, const boost::system::error_code& ec, std::size_t offset);

}  // namespace beeos::detail

#endif
