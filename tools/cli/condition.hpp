// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#ifndef BEEOS_CLI_CONDITION_HPP
#define BEEOS_CLI_CONDITION_HPP

#include <beeos/waiter.hpp>

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

}  // namespace beeos::cli

#endif
