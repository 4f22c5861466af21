// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
//
// The command line: finds the subcommand, parses its options with Boost.Program_options,
// prints help, resolves the configuration and hands over to the subcommand.
#include "commands.hpp"
#include "exit_status.hpp"

#include <beeos/version.hpp>

#include <boost/program_options/errors.hpp>
#include <boost/program_options/parsers.hpp>
#include <boost/program_options/positional_options.hpp>
#include <boost/program_options/value_semantic.hpp>

#include <array>
#include <optional>
#include <sstream>
#include <stdexcept>

namespace beeos::cli
{

namespace
{

constexpr auto parse_style = po::command_line_style::unix_style & ~po::command_line_style::allow_guessing;

struct usage_error : std::invalid_argument
{
    using std::invalid_argument::invalid_argument;
};

const command_spec* find_command(std::string_view name)
{
    for (const command_spec* c : all_commands())
        if (c->name == name)
            return c;
    return nullptr;
}

std::string command_names()
{
    std::string out;
    for (const command_spec* c : all_commands())
    {
        if (!out.empty())
            out += ", ";
        out += c->name;
    }
    return out;
}

po::options_description command_options(const command_spec& c)
{
    po::options_description d(std::string(1, static_cast<char>(c.name[0] - 'a' + 'A')) + std::string(c.name.substr(1)) + " options");
    c.add_options(d);
    return d;
}

// Every option any command knows, so the scan for the command word can tell an option's
// value from the command. The same name always takes a value or never does.
std::vector<po::options_description> every_description()
{
    std::vector<po::options_description> all;
    all.push_back(generic_options());
    all.push_back(connection_options(true));
    all.push_back(output_options());
    for (const command_spec* c : all_commands())
        all.push_back(command_options(*c));
    return all;
}

bool takes_value(const std::vector<po::options_description>& all, const std::string& token)
{
    std::string name = token.starts_with("--") ? token.substr(2) : token;
    for (const auto& d : all)
        if (const po::option_description* o = d.find_nothrow(name, false))
            return o->semantic()->max_tokens() > 0;
    return false;
}

// The index of the command word: the first argument that is neither an option nor the
// value of one.
std::optional<std::size_t> locate_command(const std::vector<std::string>& args)
{
    const auto all = every_description();
    for (std::size_t i = 0; i < args.size(); ++i)
    {
        const std::string& a = args[i];
        if (a == "--")
            return i + 1 < args.size() ? std::optional<std::size_t>(i + 1) : std::nullopt;
        if (a.size() > 1 && a[0] == '-')
        {
            if (a.find('=') == std::string::npos && takes_value(all, a))
                ++i;
            continue;
        }
        return i;
    }
    return std::nullopt;
}

std::string top_help(const env_lookup& env)
{
    std::ostringstream os;
    os << "usage: beeos COMMAND [options] [ARGS]\n"
          "       beeos help [COMMAND]\n\n"
          "Operate BeeOS instances from a shell or a CI job: fetch, list, watch and wait for them\n"
          "through the BeeOS OpenAPI.\n\n"
          "Commands:\n";
    for (const command_spec* c : all_commands())
        os << "  " << c->name << std::string(8 - c->name.size(), ' ') << c->summary.substr(0, c->summary.find('\n')) << "\n";
    os << "\nRun 'beeos help COMMAND' or 'beeos COMMAND --help' for a command's options and examples.\n"
          "Options may come before or after the command.\n\n";
    os << generic_options() << "\n" << connection_options(true) << "\n" << output_options() << "\n";
    os << environment_help(env) << "\n" << exit_code_help();
    return os.str();
}

std::string command_help(const command_spec& c, const env_lookup& env)
{
    std::ostringstream os;
    os << "usage: " << c.usage << "\n\n" << c.summary << "\n";
    if (!c.examples.empty())
        os << "\nExamples:\n" << c.examples;
    os << "\n"
       << command_options(c) << "\n"
       << output_options() << "\n"
       << connection_options(c.per_call_timeout) << "\n"
       << generic_options();
    os << "\n" << environment_help(env) << "\n" << exit_code_help();
    return os.str();
}

int run_command(const command_spec& c, std::vector<std::string> tokens, const env_lookup& env, console& con)
{
    po::options_description hidden;
    hidden.add_options()("ids", po::value<std::vector<std::string>>());
    po::options_description all;
    all.add(generic_options()).add(command_options(c)).add(output_options()).add(connection_options(c.per_call_timeout)).add(hidden);
    po::positional_options_description positional;
    positional.add("ids", -1);

    po::variables_map vm;
    po::store(po::command_line_parser(tokens).options(all).positional(positional).style(parse_style).run(), vm);
    po::notify(vm);

    if (vm["help"].as<bool>())
    {
        con.out(command_help(c, env));
        return exit_ok;
    }
    if (vm["version"].as<bool>())
    {
        con.out("beeos " BEEOS_VERSION_STRING "\n");
        return exit_ok;
    }
    command_context ctx{
        .vm = vm,
        .args = vm.count("ids") ? vm["ids"].as<std::vector<std::string>>() : std::vector<std::string>{},
        .conn = resolve_connection(vm, env, c.per_call_timeout),
        .out = resolve_output(vm),
        .con = con,
    };
    con.add_secret(ctx.conn.client.token);
    return c.run(ctx);
}

int usage_failure(console& con, std::string_view where, std::string_view what, std::string_view hint)
{
    con.err_line(std::string(where) + ": " + std::string(what));
    con.err_line(std::string("Run '") + std::string(hint) + "' for usage.");
    return exit_usage;
}

}  // namespace

std::span<const command_spec* const> all_commands()
{
    static const command_spec* const commands[] = {&get_command, &list_command, &watch_command, &wait_command};
    return commands;
}

namespace
{

int run_tool(int argc, char** argv, const env_lookup& env, console& con)
{
    std::vector<std::string> args(argv + 1, argv + argc);
    scrub_secret_args(argc, argv);
    if (const char* key = env ? env("BEEOS_API_KEY") : nullptr)
        con.add_secret(key);
    for (std::size_t i = 0; i + 1 < args.size(); ++i)
        if (args[i] == "--api-key")
            con.add_secret(args[i + 1]);
        else if (args[i].starts_with("--api-key="))
            con.add_secret(args[i].substr(10));

    std::optional<std::size_t> at;
    try
    {
        at = locate_command(args);
    }
    catch (const po::error& e)
    {
        return usage_failure(con, "beeos", e.what(), "beeos --help");
    }

    if (!at)
    {
        // No command word: only --help and --version make sense.
        try
        {
            po::options_description d = generic_options();
            po::variables_map vm;
            po::store(po::command_line_parser(args).options(d).style(parse_style).run(), vm);
            if (vm["help"].as<bool>())
            {
                con.out(top_help(env));
                return exit_ok;
            }
            if (vm["version"].as<bool>())
            {
                con.out("beeos " BEEOS_VERSION_STRING "\n");
                return exit_ok;
            }
        }
        catch (const po::error& e)
        {
            return usage_failure(con, "beeos", e.what(), "beeos --help");
        }
        return usage_failure(con, "beeos", "no command given (one of: " + command_names() + ")", "beeos --help");
    }

    std::string name = args[*at];
    std::vector<std::string> tokens = args;
    tokens.erase(tokens.begin() + static_cast<std::ptrdiff_t>(*at));
    // `beeos -- get ...`: the `--` only ended the tool's own options; the command's are parsed
    // as usual (left in place, it would make every later option an id).
    if (*at > 0 && args[*at - 1] == "--")
        tokens.erase(tokens.begin() + static_cast<std::ptrdiff_t>(*at - 1));

    if (name == "help")
    {
        std::vector<std::string> rest;
        for (const auto& t : tokens)
            if (!t.starts_with("-"))
                rest.push_back(t);
        if (rest.empty())
        {
            con.out(top_help(env));
            return exit_ok;
        }
        const command_spec* c = find_command(rest.front());
        if (!c)
            return usage_failure(
                con, "beeos help", "unknown command '" + rest.front() + "' (one of: " + command_names() + ")", "beeos --help"
            );
        if (rest.size() > 1)
            return usage_failure(con, "beeos help", "one command at a time, not " + std::to_string(rest.size()), "beeos --help");
        con.out(command_help(*c, env));
        return exit_ok;
    }

    const command_spec* c = find_command(name);
    if (!c)
        return usage_failure(con, "beeos", "unknown command '" + name + "' (one of: " + command_names() + ")", "beeos --help");

    const std::string where = "beeos " + name;
    const std::string hint = "beeos " + name + " --help";
    try
    {
        return run_command(*c, std::move(tokens), env, con);
    }
    catch (const po::error& e)
    {
        return usage_failure(con, where, e.what(), hint);
    }
    catch (const std::invalid_argument& e)
    {
        // Our own checks and the client's validation of its options: nothing was sent.
        return usage_failure(con, where, e.what(), hint);
    }
    catch (const std::exception& e)
    {
        con.err_line(where + ": " + e.what());
        return exit_failed;
    }
}

}  // namespace

int run(int argc, char** argv, const env_lookup& env, console& con)
{
    int code = run_tool(argc, argv, env, con);
    con.flush();
    // Rows that never reached stdout are a failure, whatever the lookups said; it outranks
    // "not found" as every class-1 failure does.
    if (con.output_failed())
    {
        con.err_line("beeos: " + con.output_error());
        if (code == exit_ok || code == exit_not_found)
            code = exit_failed;
    }
    return code;
}

}  // namespace beeos::cli
