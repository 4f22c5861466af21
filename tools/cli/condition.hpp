// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#ifndef BEEOS_CLI_CONDITION_HPP
#define BEEOS_CLI_CONDITION_HPP

#include <beeos/waiter.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace beeos::cli
{

/// Parses the `--until` argument of `watch` and `wait`:
/// - `running-online`: `beeos::running_and_online()`;
/// - `status=S`: `beeos::status_is(S)`, S one of pending, provisioning, running, stopped,
///   terminated.
/// \throws std::invalid_argument naming the text and every accepted spelling.
wait_condition parse_condition(std::string_view text);

/// The accepted spellings for help texts: `running-online, status=pending, ...`.
std::string condition_spellings();

/// The status named `text` (pending, provisioning, running, stopped, terminated); `std::nullopt`
/// for anything else, `unknown` included.
std::optional<instance_status> parse_status(std::string_view text) noexcept;

/// The names `parse_status` accepts, comma-separated.
std::string status_spellings();

}  // namespace beeos::cli

#endif
