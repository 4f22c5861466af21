// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
//
// `beeos list`: walks the listing page by page, printing each page as it arrives.
#include "commands.hpp"
#include "condition.hpp"
#include "exit_status.hpp"
#include "instance_output.hpp"
#include "session.hpp"

#include <beeos/client.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/program_options/value_semantic.hpp>

#include <csignal>
#include <exception>
#include <optional>
#include <stdexcept>

namespace beeos::cli
{

namespace
{

namespace asio = boost::asio;

void add_list_options(po::options_description& d)
{
    d.add_options()  //
        ("status",
         po::value<std::string>()->value_name("S"),
         "only instances with this status (pending, provisioning, running, stopped, terminated)")                //
        ("provider", po::value<std::string>()->value_name("P"), "only this providerId")                          //
        ("framework", po::value<std::string>()->value_name("F"), "only this agentFramework")                     //
        ("cluster", po::value<std::string>()->value_name("C"), "only this clusterId")                            //
        ("search", po::value<std::string>()->value_name("Q"), "free-text search, as the server interprets it")   //
        ("page-size", po::value<long long>()->value_name("N"), "instances per request, 1 to 200 (default 100)")  //
        ("limit", po::value<long long>()->value_name("N"), "stop after N instances (default: all)");
}

// A filter's value; absent is no filter, but an empty one is refused: the API would take it
// as no filter too and list everything, which is not what `--status "$s"` with an unset `s` meant.
std::string filter_arg(const command_context& ctx, const char* name)
{
    if (!ctx.vm.count(name))
        return {};
    std::string v = ctx.vm[name].as<std::string>();
    if (v.empty())
        throw std::invalid_argument(std::string("--") + name + ": empty (leave the option out to list everything)");
    return v;
}

asio::awaitable<void> list_all(
    client* c, list_filter filter, std::optional<std::size_t> limit, instance_output* out, console* con, exit_status* status
)
{
    instance_pager pager = c->list_instances(std::move(filter));
    std::size_t printed = 0;
    while (!limit || printed < *limit)
    {
        error_info info;
        auto result = co_await pager.async_next_page(info, asio::as_tuple(asio::use_awaitable));
        auto& [ec, page] = result;
        if (ec)
        {
            if (ec != errc::cancelled)  // cancelled only by a signal, which the exit code says
                con->err_line(format_error(ec, info));
            status->add_failure(ec);
            break;
        }
        if (!page)
            break;
        for (const instance& inst : page->items)
        {
            if (limit && printed >= *limit)
                break;
            out->write(inst);
            status->add_success();
            ++printed;
        }
        // Each page as it arrives, also into a pipe (`beeos list | while read ...`).
        con->flush();
    }
}

int run_list(command_context& ctx)
{
    if (!ctx.args.empty())
        throw std::invalid_argument("list takes no ids (did you mean 'beeos get'?)");
    list_filter filter{
        .status = filter_arg(ctx, "status"),
        .provider_id = filter_arg(ctx, "provider"),
        .agent_framework = filter_arg(ctx, "framework"),
        .cluster_id = filter_arg(ctx, "cluster"),
        .search = filter_arg(ctx, "search"),
    };
    // A misspelt status would list nothing and exit 0.
    if (!filter.status.empty() && !parse_status(filter.status))
        throw std::invalid_argument("--status: unknown status '" + filter.status + "' (one of: " + status_spellings() + ")");
    std::optional<std::size_t> limit;
    if (ctx.vm.count("limit"))
    {
        long long n = ctx.vm["limit"].as<long long>();
        if (n < 1)
            throw std::invalid_argument("--limit: must be at least 1");
        limit = static_cast<std::size_t>(n);
        // No page larger than what will be printed.
        if (*limit < filter.page_size)
            filter.page_size = static_cast<std::uint32_t>(*limit);
    }
    if (ctx.vm.count("page-size"))
    {
        long long n = ctx.vm["page-size"].as<long long>();
        if (n < 1 || n > 200)
            throw std::invalid_argument("--page-size: must be 1 to 200");
        filter.page_size = static_cast<std::uint32_t>(n);
    }
    if (ctx.con.stdout_is_tty())
        ctx.con.set_flush_each_write(true);

    asio::io_context io;
    client c = make_client(io, ctx);
    exit_status status;
    instance_output out(ctx.out, ctx.con);
    std::exception_ptr failure;
    bool interrupted = false;

    asio::cancellation_signal cancel;
    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait(
        [&](boost::system::error_code ec, int)
        {
            if (ec)
                return;
            interrupted = true;
            cancel.emit(asio::cancellation_type::terminal);
        }
    );
    asio::co_spawn(
        io,
        list_all(&c, std::move(filter), limit, &out, &ctx.con, &status),
        asio::bind_cancellation_slot(
            cancel.slot(),
            [&](std::exception_ptr e)
            {
                failure = e;
                signals.cancel();
            }
        )
    );
    io.run();

    out.finish();
    ctx.con.flush();
    if (interrupted)
        status.add(exit_interrupted);
    else if (failure)
        std::rethrow_exception(failure);
    return status.code();
}

}  // namespace

const command_spec list_command{
    .name = "list",
    .usage = "beeos list [options]",
    .summary =
        "list instances, filtered\n\n"
        "Walks GET /api/v1/instances page by page and prints each page as it arrives. Filters are\n"
        "compared exactly by the server. Offset paging is not a snapshot: instances created or deleted\n"
        "meanwhile can shift others between pages.",
    .examples =
        "  beeos list --status running --cluster cluster_use1_a\n"
        "  beeos list --json | jq -r 'select(.errorMessage != \"\") | [.id, .errorMessage] | @tsv'\n"
        "  beeos list --status stopped --json --fields id | jq -r .id | beeos get --ids-from - --json\n"
        "  beeos list --limit 5 --fields id,name,region,publicIp\n",
    .per_call_timeout = true,
    .add_options = add_list_options,
    .run = run_list,
};

}  // namespace beeos::cli
