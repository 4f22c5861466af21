// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
//
// `beeos wait ID --until COND`: `beeos::async_wait_until`, then the instance as `get` prints it.
#include "commands.hpp"
#include "condition.hpp"
#include "exit_status.hpp"
#include "instance_output.hpp"
#include "session.hpp"

#include <beeos/client.hpp>
#include <beeos/waiter.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/program_options/value_semantic.hpp>

#include <chrono>
#include <csignal>
#include <stdexcept>

namespace beeos::cli
{

namespace
{

namespace asio = boost::asio;
using namespace std::chrono_literals;

void add_wait_options(po::options_description& d)
{
    d.add_options()  //
        ("until",
         po::value<std::string>()->value_name("COND"),
         "required: running-online, or status=S (pending, provisioning, running, stopped, terminated)")  //
        ("timeout", po::value<std::string>()->value_name("D"), "give up after D, exit 5 (default 10m); each poll is bounded by it too");
}

int run_wait(command_context& ctx)
{
    if (ctx.args.size() != 1)
        throw std::invalid_argument(
            ctx.args.empty() ? "an instance id is required" : "wait takes exactly one instance id (use 'beeos watch --until' for several)"
        );
    if (ctx.args.front().empty())
        throw std::invalid_argument("the instance id is empty");
    if (!ctx.vm.count("until"))
        throw std::invalid_argument("--until COND is required (" + condition_spellings() + ")");
    wait_condition cond = parse_condition(ctx.vm["until"].as<std::string>());
    const auto timeout = duration_arg(ctx, "timeout", 10min);

    asio::io_context io;
    client c = make_client(io, ctx);
    instance_output out(ctx.out, ctx.con);
    exit_status status;
    error_info info;
    std::optional<instance> last_seen;

    asio::cancellation_signal cancel;
    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait(
        [&](boost::system::error_code ec, int)
        {
            if (!ec)
                cancel.emit(asio::cancellation_type::terminal);
        }
    );
    async_wait_until(
        c,
        ctx.args.front(),
        std::move(cond),
        timeout,
        {},
        info,
        last_seen,
        asio::bind_cancellation_slot(
            cancel.slot(),
            [&](boost::system::error_code ec, instance inst)
            {
                signals.cancel();
                if (!ec)
                {
                    status.add_success();
                    out.write(inst);
                    return;
                }
                status.add_failure(ec);
                if (ec != errc::cancelled)
                    ctx.con.err_line(format_wait_error(ec, info));
            }
        )
    );
    io.run();
    out.finish();
    ctx.con.flush();
    return status.code();
}

}  // namespace

const command_spec wait_command{
    .name = "wait",
    .usage = "beeos wait [options] ID --until COND",
    .summary =
        "wait until an instance reaches a state\n\n"
        "Polls the instance with backoff (1 s growing to 15 s) until COND holds, then prints it and exits\n"
        "0. Ends at once when the condition can never hold (exit 1: terminated, an error message, or a\n"
        "desired status elsewhere) or on a permanent failure (not found, auth, certificate, ...);\n"
        "transient failures are retried until the deadline (exit 5). Here --timeout is the deadline of\n"
        "the whole wait, not of each call.",
    .examples =
        "  beeos wait inst_1 --until running-online --timeout 5m\n"
        "  beeos wait inst_1 --until status=stopped --json | jq -r .stoppedAt\n"
        "  id=$(deploy-instance) && beeos wait \"$id\" --until running-online && run-tests \"$id\"\n",
    .per_call_timeout = false,
    .add_options = add_wait_options,
    .run = run_wait,
};

}  // namespace beeos::cli
