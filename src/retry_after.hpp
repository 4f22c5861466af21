// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#ifndef BEEOS_SRC_RETRY_AFTER_HPP
#define BEEOS_SRC_RETRY_AFTER_HPP

#include <chrono>
#include <optional>
#include <string_view>

namespace beeos::detail
{

/// The longest wait `parse_retry_after` reports. A server asking for more than a day is
/// misconfigured or hostile; the retry policy applies its own, smaller cap on top of this one.
inline constexpr std::chrono::seconds max_retry_after{24 * 60 * 60};

/// Parses an HTTP `Retry-After` value (RFC 9110 section 10.2.3), surrounding spaces and tabs ignored:
/// - delta-seconds: ASCII digits only (no sign, no fraction); values above `max_retry_after`,
///   however many digits, give `max_retry_after`;
/// - an HTTP-date, in any of the three forms of RFC 9110 section 5.6.7 (case-sensitive, as
///   the RFC specifies):
///   IMF-fixdate `Sun, 06 Nov 1994 08:49:37 GMT`, obsolete RFC 850 `Sunday, 06-Nov-94 08:49:37 GMT`
///   (a two-digit year more than 50 years after `now` means the century before), and asctime
///   `Sun Nov  6 08:49:37 1994`. The day name must be valid but need not match the date.
///   The result is the time from `now` to the date, rounded up to whole seconds and capped at
///   `max_retry_after`; a date at or before `now` gives 0s.
///
/// Anything else (empty, negative, `1.5`, an invalid date such as 30 Feb) gives `std::nullopt`.
/// `now` is a parameter so tests can fix it; callers pass `std::chrono::system_clock::now()`.
std::optional<std::chrono::seconds> parse_retry_after(std::string_view value, std::chrono::system_clock::time_point now) noexcept;

}  // namespace beeos::detail

#endif
