// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
//
// `beeos get ID...`: many lookups through one `instance_stream`, so memory is bounded by the
// concurrency plus what input order holds back, not by the number of ids.
#include "commands.hpp"
#include "exit_status.hpp"
#include "instance_output.hpp"
#include "progress.hpp"
#include "session.hpp"

#include <beeos/client.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/program_options/value_semantic.hpp>

#include <chrono>
#include <csignal>
#include <exception>
#include <map>
#include <unordered_map>

namespace beeos::cli
{

namespace
{

namespace asio = boost::asio;
using namespace std::chrono_literals;

// Redraws of the bar (at most ten a second) and flushes of buffered output.
constexpr auto tick = 100ms;

void add_get_options(po::options_description& d)
{
    d.add_options()  //
        ("ids-from",
         po::value<std::vector<std::string>>()->value_name("FILE|-"),
         "read more ids from FILE (or stdin for -), one per line; blank lines and # comments are skipped; repeatable")  //
        ("no-progress", po::bool_switch(), "no progress bar (it is drawn only when stderr is a terminal)");
}

// Prints outcomes: JSON lines as they complete; table rows in input order, holding back only
// the rows that completed ahead of an earlier id still in flight.
class get_printer
{
public:
    get_printer(const std::vector<std::string>& ids, command_context& ctx, exit_status& status)
        : ctx_(ctx), status_(status), out_(ctx.out, ctx.con)
    {
        if (!out_.json())
        {
            position_.reserve(ids.size());
            for (std::size_t i = 0; i < ids.size(); ++i)
                position_.emplace(ids[i], i);
        }
    }

    void on_result(lookup_result r)
    {
        ++done_;
        if (r.ok())
            status_.add_success();
        else
        {
            ++errors_;
            status_.add_failure(r.ec);
        }
        if (out_.json())
        {
            if (r.ok())
                out_.write(r.value);
            else
                ctx_.con.err_line(format_error(r.ec, r.info));
            return;
        }
        entry e;
        if (r.ok())
            e.cells = instance_cells(r.value, ctx_.out.fields);
        else
            e.error = format_error(r.ec, r.info);
        auto it = position_.find(r.id);
        std::size_t pos = it == position_.end() ? next_ : it->second;
        if (pos != next_)
        {
            ahead_.emplace(pos, std::move(e));
            max_ahead_ = std::max(max_ahead_, ahead_.size());
            return;
        }
        emit(std::move(e));
        ++next_;
        while (!ahead_.empty() && ahead_.begin()->first == next_)
        {
            emit(std::move(ahead_.begin()->second));
            ahead_.erase(ahead_.begin());
            ++next_;
        }
    }

    // After the stream ended (an interruption ends it early): whatever is held back, in order.
    void finish()
    {
        for (auto& [pos, e] : ahead_)
            emit(std::move(e));
        ahead_.clear();
        out_.finish();
    }

    std::size_t done() const noexcept { return done_; }
    std::size_t errors() const noexcept { return errors_; }
    std::size_t max_ahead() const noexcept { return max_ahead_; }

private:
    struct entry
    {
        row cells;          // the row of a success: a few short strings, not the instance
        std::string error;  // the line of a failure
    };

    void emit(entry e)
    {
        if (e.error.empty())
            out_.write_row(std::move(e.cells));
        else
            ctx_.con.err_line(e.error);
    }

    command_context& ctx_;
    exit_status& status_;
    instance_output out_;
    std::unordered_map<std::string_view, std::size_t> position_;
    std::map<std::size_t, entry> ahead_;
    std::size_t next_ = 0;
    std::size_t done_ = 0;
    std::size_t errors_ = 0;
    std::size_t max_ahead_ = 0;
};

struct get_run
{
    instance_stream* stream = nullptr;
    bool finished = false;
    bool interrupted = false;
};

asio::awaitable<void> fetch_all(client* c, const std::vector<std::string>* ids, get_printer* printer, get_run* run)
{
    instance_stream stream = c->stream_instances(*ids);
    run->stream = &stream;
    for (;;)
    {
        std::optional<lookup_result> r = co_await stream.next();
        if (!r)
            break;
        printer->on_result(std::move(*r));
    }
    run->stream = nullptr;
}

asio::awaitable<void> tick_until_done(
    asio::steady_timer* timer, get_run* run, const get_printer* printer, console* con, bool show_bar, std::size_t total
)
{
    const auto start = std::chrono::steady_clock::now();
    while (!run->finished)
    {
        timer->expires_after(tick);
        auto waited = co_await timer->async_wait(asio::as_tuple(asio::use_awaitable));
        (void)waited;
        if (run->finished)
            break;
        if (show_bar)
            con->show_status(format_progress(
                {.done = printer->done(), .total = total, .errors = printer->errors(), .elapsed = std::chrono::steady_clock::now() - start},
                con->stderr_columns()
            ));
        else
            con->flush();  // JSON lines reach a pipe within a tick, in blocks
    }
}

int run_get(command_context& ctx)
{
    const std::vector<std::string> ids = collect_ids(ctx);
    const bool show_bar = ctx.con.stderr_is_tty() && !ctx.vm["no-progress"].as<bool>();
    if (ctx.con.stdout_is_tty())
        ctx.con.set_flush_each_write(true);

    asio::io_context io;
    client c = make_client(io, ctx);
    exit_status status;
    get_printer printer(ids, ctx, status);
    get_run run;
    std::exception_ptr failure;

    asio::steady_timer timer(io);
    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait(
        [&](boost::system::error_code ec, int)
        {
            if (ec)
                return;
            run.interrupted = true;
            if (run.stream)
                run.stream->cancel();
        }
    );
    asio::co_spawn(
        io,
        fetch_all(&c, &ids, &printer, &run),
        [&](std::exception_ptr e)
        {
            failure = e;
            run.finished = true;
            timer.cancel();
            signals.cancel();
        }
    );
    asio::co_spawn(io, tick_until_done(&timer, &run, &printer, &ctx.con, show_bar, ids.size()), asio::detached);
    io.run();

    ctx.con.clear_status();
    printer.finish();
    ctx.con.flush();
    if (failure)
        std::rethrow_exception(failure);
    if (run.interrupted)
        status.add(exit_interrupted);
    if (ctx.conn.verbose)
        ctx.con.err_line(
            "beeos get: " + std::to_string(ids.size()) + " ids, " + std::to_string(status.succeeded()) + " ok, " +
            std::to_string(status.failed()) + " failed; at most " + std::to_string(printer.max_ahead()) + " rows held back for input order"
        );
    return status.code();
}

}  // namespace

const command_spec get_command{
    .name = "get",
    .usage = "beeos get [options] ID...\n       beeos get [options] --ids-from FILE|-",
    .summary =
        "fetch instances by id\n\n"
        "Looks up every id (each once, however often it is given) with a bounded number of requests in\n"
        "flight. --json prints each instance as soon as it arrives; the table prints in input order. Each\n"
        "failure is one line on stderr. A progress bar is drawn on stderr when it is a terminal.",
    .examples =
        "  beeos get inst_1 inst_2\n"
        "  beeos get --ids-from ids.txt --json | jq -r 'select(.connectivity != \"online\") | .id'\n"
        "  beeos get inst_1 --fields id,status,publicIp,endpoint\n"
        "  jq -r '.[].id' fleet.json | beeos get --ids-from - --json > snapshot.jsonl\n",
    .per_call_timeout = true,
    .add_options = add_get_options,
    .run = run_get,
};

}  // namespace beeos::cli
