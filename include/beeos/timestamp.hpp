// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#ifndef BEEOS_TIMESTAMP_HPP
#define BEEOS_TIMESTAMP_HPP

#include <beeos/config.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace beeos {

/// A point in time as the API reports it, in UTC, with microsecond precision.
///
/// Microseconds in a 64-bit count span about ±292,000 years, so every RFC 3339 time the API can
/// send (years 0001 to 9999, including Go's zero time `0001-01-01T00:00:00Z`) is representable.
/// A nanosecond count would overflow before the year 1678.
using timestamp = std::chrono::sys_time<std::chrono::microseconds>;

/// Parses an RFC 3339 date-time (`2026-05-14T18:02:11.482913Z`, `...+02:00`).
///
/// Fractions of up to nine digits are accepted and truncated to microseconds; `Z`, `z` and
/// numeric offsets are accepted; the `T` may be lower case or a single space, as RFC 3339
/// allows. Years 0001 to 9999. Returns `std::nullopt` for anything else, including
/// out-of-range fields such as month 13, February 30 or second 60.
BEEOS_DECL std::optional<timestamp> parse_timestamp(std::string_view text) noexcept;

/// Formats as RFC 3339 in UTC with exactly six fraction digits, e.g. `2026-05-14T18:02:11.482913Z`.
BEEOS_DECL std::string format_timestamp(timestamp t);

}  // namespace beeos

#endif
