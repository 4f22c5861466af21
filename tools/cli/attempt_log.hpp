// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#ifndef BEEOS_CLI_ATTEMPT_LOG_HPP
#define BEEOS_CLI_ATTEMPT_LOG_HPP

#include <beeos/client_options.hpp>

#include <string>

namespace beeos::cli
{

/// The `--verbose` line of one attempt, e.g.
/// `beeos: attempt 2 of "inst_1": timeout, no HTTP status, 300.1 ms; retry in 183 ms` or
/// `beeos: attempt 1 of "inst_2": ok, HTTP 200, 1.9 ms`. The event holds no token, and the id
/// is shown with control characters replaced.
std::string format_attempt(const attempt_event& e);

}  // namespace beeos::cli

#endif
