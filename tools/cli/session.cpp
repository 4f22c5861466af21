// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#include "session.hpp"

#include "attempt_log.hpp"
#include "duration.hpp"
#include "ids.hpp"

#include <stdexcept>

namespace beeos::cli
{

client make_client(boost::asio::io_context& io, command_context& ctx)
{
    client_options options = ctx.conn.client;
    if (ctx.conn.verbose)
    {
        // The tool runs one thread, so the observer (called inline by the client) may write
        // to the console directly.
        console* con = &ctx.con;
        options.on_attempt = [con](const attempt_event& e) { con->err_line(format_attempt(e)); };
    }
    return client(io.get_executor(), std::move(options));
}

std::vector<std::string> collect_ids(command_context& ctx)
{
    // An empty argument is a usage error (nothing is sent), not an id that fails: typically an
    // unset shell variable (`beeos get "$id"`). Files skip blank lines instead.
    for (std::size_t i = 0; i < ctx.args.size(); ++i)
        if (ctx.args[i].empty())
            throw std::invalid_argument("instance id " + std::to_string(i + 1) + " is empty");
    std::vector<std::string> ids = ctx.args;
    if (ctx.vm.count("ids-from"))
        for (const std::string& path : ctx.vm["ids-from"].as<std::vector<std::string>>())
            read_ids_from(path, ids);
    if (ids.empty())
        throw std::invalid_argument("no instance ids given (pass IDs, or --ids-from FILE|-)");
    return unique_ids(std::move(ids));
}

std::chrono::milliseconds duration_arg(const command_context& ctx, const char* name, std::chrono::milliseconds fallback)
{
    if (!ctx.vm.count(name))
        return fallback;
    try
    {
        return parse_duration(ctx.vm[name].as<std::string>());
    }
    catch (const std::invalid_argument& e)
    {
        throw std::invalid_argument(std::string("--") + name + ": " + e.what());
    }
}

}  // namespace beeos::cli
