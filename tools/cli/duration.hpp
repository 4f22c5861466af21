// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#ifndef BEEOS_CLI_DURATION_HPP
#define BEEOS_CLI_DURATION_HPP

#include <chrono>
#include <string>
#include <string_view>

namespace beeos::cli
{

/// Parses a duration such as `500ms`, `30s`, `5m`, `1h`, `1h30m` or `1.5s`: one or more
/// `<number><unit>` terms, units `ms`, `s`, `m`, `h`, fractions allowed, summed. A bare number
/// is rejected (is `30` seconds or milliseconds?), and so is anything that comes to less than
/// a millisecond or more than 30 days: no timeout of this tool means either.
/// \throws std::invalid_argument naming the text and the accepted form.
std::chrono::milliseconds parse_duration(std::string_view text);

/// The shortest spelling `parse_duration` reads back exactly, e.g. `1h30m`, `250ms`, `0s`.
std::string format_duration(std::chrono::milliseconds d);

}  // namespace beeos::cli

#endif
