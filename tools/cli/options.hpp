// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#ifndef BEEOS_CLI_OPTIONS_HPP
#define BEEOS_CLI_OPTIONS_HPP

#include "fields.hpp"

#include <beeos/client_options.hpp>

#include <boost/program_options/options_description.hpp>
#include <boost/program_options/variables_map.hpp>

#include <chrono>
#include <functional>
#include <string>

namespace beeos::cli
{

namespace po = boost::program_options;

/// Reads an environment variable; `std::getenv` in the tool, a map in tests.
using env_lookup = std::function<const char*(const char*)>;

/// `--help`, `--version`.
po::options_description generic_options();

/// How to reach the API: --url, --api-key-file, --api-key, --ca-file, --connections, --rate,
/// --burst, --verbose, and (when `per_call_timeout`) --timeout as the calls' total timeout.
po::options_description connection_options(bool per_call_timeout);

/// --json, --fields, --table.
po::options_description output_options();

/// The client's settings from the environment and the flags (flags win).
struct connection_settings
{
    client_options client;
    bool verbose = false;
};

/// \throws std::invalid_argument (a usage error) for a bad value, a key file that cannot be
/// read, or both --api-key and --api-key-file. The message never holds the key.
connection_settings resolve_connection(const po::variables_map& vm, const env_lookup& env, bool per_call_timeout);

/// How to print instances.
struct output_settings
{
    bool json = false;
    bool force_table = false;
    field_list fields;  ///< --fields, else every field for JSON and the default columns for tables
};

/// \throws std::invalid_argument for unknown or repeated --fields names.
output_settings resolve_output(const po::variables_map& vm);

/// The "Environment:" section of --help: each variable and whether it is set, never its value.
std::string environment_help(const env_lookup& env);

/// The key in `path`: its first line without surrounding blanks.
/// \throws std::invalid_argument naming the file (never its content) when it cannot be read
/// or holds no key.
std::string read_key_file(const std::string& path);

/// Overwrites the values of `--api-key KEY` and `--api-key=KEY` in the process's own argv,
/// so the key does not stay visible in `ps` or /proc/PID/cmdline (the caller copies argv
/// first). Stops at `--`.
void scrub_secret_args(int argc, char** argv) noexcept;

}  // namespace beeos::cli

#endif
