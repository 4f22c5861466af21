// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#ifndef BEEOS_CLI_SESSION_HPP
#define BEEOS_CLI_SESSION_HPP

#include "commands.hpp"

#include <beeos/client.hpp>

#include <boost/asio/io_context.hpp>

#include <string>
#include <vector>

namespace beeos::cli
{

/// The client of a command: its settings, plus the `--verbose` observer writing one line per
/// attempt through the console. \throws std::invalid_argument when the settings are invalid
/// (the client's own validation: a bad URL, an unreadable CA file).
client make_client(boost::asio::io_context& io, command_context& ctx);

/// The ids of `get` and `watch`: the positional ones, then those of every `--ids-from`, each
/// once, in order. \throws std::invalid_argument when there are none.
std::vector<std::string> collect_ids(command_context& ctx);

/// `ctx.vm[name]` as a duration, or `fallback` when not given.
/// \throws std::invalid_argument naming the option.
std::chrono::milliseconds duration_arg(const command_context& ctx, const char* name, std::chrono::milliseconds fallback);

}  // namespace beeos::cli

#endif
