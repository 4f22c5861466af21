// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#ifndef BEEOS_CLI_COMMANDS_HPP
#define BEEOS_CLI_COMMANDS_HPP

#include "console.hpp"
#include "options.hpp"

#include <boost/program_options/options_description.hpp>
#include <boost/program_options/variables_map.hpp>

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace beeos::cli
{

/// What a subcommand gets once its command line is parsed and the configuration resolved.
struct command_context
{
    const po::variables_map& vm;
    std::vector<std::string> args;  ///< the positional arguments (ids)
    connection_settings conn;
    output_settings out;
    console& con;
};

/// One subcommand: its help and its options, and how to run it.
struct command_spec
{
    std::string_view name;
    std::string_view usage;     ///< the synopsis lines after "usage: "
    std::string_view summary;   ///< what it does, a paragraph
    std::string_view examples;  ///< indented example lines
    /// --timeout is the total timeout of each call (`retry.total_timeout`); false when the
    /// command gives --timeout a meaning of its own (wait: the whole wait's deadline).
    bool per_call_timeout;
    /// Adds the command's own options.
    void (*add_options)(po::options_description& d);
    /// Checks the arguments and runs; returns the exit code. Throws std::invalid_argument for
    /// a usage error.
    int (*run)(command_context& ctx);
};

extern const command_spec get_command;
extern const command_spec list_command;
extern const command_spec watch_command;
extern const command_spec wait_command;

/// Every subcommand, in the order --help lists them.
std::span<const command_spec* const> all_commands();

/// The command-line entry point: parses `argv` (after scrubbing the key from it), prints help
/// or runs the subcommand, and returns the exit code. Usage errors print one line and a hint
/// to stderr and return 2.
int run(int argc, char** argv, const env_lookup& env, console& con);

}  // namespace beeos::cli

#endif
