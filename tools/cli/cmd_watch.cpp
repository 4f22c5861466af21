// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
//
// `beeos watch ID...`: a `beeos::watcher` over the ids, one line per event, optionally until
// every id satisfies a condition.
#include "commands.hpp"
#include "condition.hpp"
#include "duration.hpp"
#include "exit_status.hpp"
#include "session.hpp"
#include "watch_format.hpp"

#include <beeos/client.hpp>
#include <beeos/waiter.hpp>
#include <beeos/watcher.hpp>

#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/program_options/value_semantic.hpp>

#include <chrono>
#include <csignal>
#include <optional>
#include <unordered_map>

namespace beeos::cli
{

namespace
{

namespace asio = boost::asio;
using namespace std::chrono_literals;

void add_watch_options(po::options_description& d)
{
    d.add_options()  //
        ("ids-from",
         po::value<std::vector<std::string>>()->value_name("FILE|-"),
         "read more ids from FILE (or stdin for -), one per line; repeatable")  //
        ("interval",
         po::value<std::string>()->value_name("D"),
         "poll each id once per D, spread evenly (default 5s); the first poll of each id comes within one interval")  //
        ("until",
         po::value<std::string>()->value_name("COND"),
         "exit 0 once every id satisfies COND: running-online, or status=S (pending, provisioning, running, stopped, terminated)")  //
        ("for", po::value<std::string>()->value_name("D"), "stop after D: exit 0, or 5 with --until when some id does not satisfy it yet");
}

// Failures the client already retried and that may pass: the watch goes on through them.
bool is_transient(const boost::system::error_code& ec)
{
    return ec == errc::timeout || ec == errc::connection || ec == errc::server_error || ec == errc::rate_limited || ec == errc::tls ||
           ec == errc::mismatched_response;
}

class watch_run
{
public:
    watch_run(command_context& ctx, watcher& w, std::size_t id_count, std::optional<wait_condition> until, field_list fields)
        : ctx_(ctx), watcher_(w), id_count_(id_count), until_(std::move(until)), fields_(std::move(fields))
    {
    }

    void on_event(const watch_event& e)
    {
        const timestamp now = std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
        ctx_.con.out(ctx_.out.json ? format_event_json(e, fields_, now) : format_event_text(e, fields_, now));
        if (ended_)
            return;
        if (e.type == watch_event::kind::error)
        {
            // Bad credentials or an untrusted server fail every poll of every id until someone
            // changes the setup; with --until, so does any failure that is not transient, as for
            // `beeos wait`.
            const exit_code cls = classify(e.ec);
            if (cls == exit_auth || cls == exit_certificate || (until_ && !is_transient(e.ec)))
                end(cls, format_error(e.ec, e.error));
            return;
        }
        if (!until_)
            return;
        const bool holds = until_->satisfied(e.full);
        satisfied_[e.id] = holds;
        if (!holds && until_->unreachable)
            if (std::optional<std::string> why = until_->unreachable(e.full))
            {
                error_info info;
                info.id = e.id;
                info.detail = "\"" + until_->description + "\" cannot hold: " + *why;
                end(exit_failed, format_wait_error(wait_errc::condition_unreachable, info));
                return;
            }
        if (holds && satisfied_count() == id_count_)
            end(exit_ok, {});
    }

    // --for passed.
    void expire(std::chrono::milliseconds after)
    {
        if (ended_)
            return;
        if (!until_)
        {
            end(exit_ok, {});
            return;
        }
        end(exit_transient,
            "beeos watch: " + std::to_string(id_count_ - satisfied_count()) + " of " + std::to_string(id_count_) +
                " ids do not satisfy \"" + until_->description + "\" after " + format_duration(after));
    }

    void interrupt()
    {
        if (!ended_)
            end(exit_interrupted, {});
    }

    void on_done(boost::system::error_code ec)
    {
        if (!ec || ended_)
            return;
        end(classify(ec), "beeos watch: " + ec.message());
    }

    int code() const noexcept { return ended_ ? code_ : exit_ok; }

private:
    std::size_t satisfied_count() const
    {
        std::size_t n = 0;
        for (const auto& [id, holds] : satisfied_)
            n += holds ? 1 : 0;
        return n;
    }

    void end(exit_code code, const std::string& line)
    {
        ended_ = true;
        code_ = code;
        if (!line.empty())
            ctx_.con.err_line(line);
        watcher_.stop();
    }

    command_context& ctx_;
    watcher& watcher_;
    std::size_t id_count_;
    std::optional<wait_condition> until_;
    field_list fields_;
    std::unordered_map<std::string, bool> satisfied_;
    bool ended_ = false;
    exit_code code_ = exit_ok;
};

int run_watch(command_context& ctx)
{
    const std::vector<std::string> ids = collect_ids(ctx);
    const auto interval = duration_arg(ctx, "interval", 5s);
    std::optional<wait_condition> until;
    if (ctx.vm.count("until"))
        until = parse_condition(ctx.vm["until"].as<std::string>());
    std::optional<std::chrono::milliseconds> stop_after;
    if (ctx.vm.count("for"))
        stop_after = duration_arg(ctx, "for", {});
    // Text lines show a few health fields unless --fields says otherwise; JSON the instance.
    field_list fields = ctx.vm.count("fields") || ctx.out.json ? ctx.out.fields : parse_fields("status,desiredStatus,connectivity");
    // Events are rare and someone (or a pipe to jq) waits for each one.
    ctx.con.set_flush_each_write(true);

    asio::io_context io;
    client c = make_client(io, ctx);
    watcher w(c, {.interval = interval});
    w.add(ids);
    watch_run run(ctx, w, ids.size(), std::move(until), std::move(fields));

    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait(
        [&](boost::system::error_code ec, int)
        {
            if (!ec)
                run.interrupt();
        }
    );
    asio::steady_timer deadline(io);
    if (stop_after)
    {
        deadline.expires_after(*stop_after);
        deadline.async_wait(
            [&](boost::system::error_code ec)
            {
                if (!ec)
                    run.expire(*stop_after);
            }
        );
    }
    w.async_run(
        [&](const watch_event& e) { run.on_event(e); },
        [&](boost::system::error_code ec)
        {
            run.on_done(ec);
            signals.cancel();
            deadline.cancel();
        }
    );
    io.run();
    ctx.con.flush();
    return run.code();
}

}  // namespace

const command_spec watch_command{
    .name = "watch",
    .usage = "beeos watch [options] ID...\n       beeos watch [options] --ids-from FILE|-",
    .summary =
        "poll instances and print one line per change\n\n"
        "Prints an 'initial' line for the first successful poll of each id, a 'changed' line whenever a\n"
        "health field (status, desiredStatus, connectivity, connectivityReason, msConnectionStatus,\n"
        "errorMessage, endpoint, haltReason, publicIp, screenshotUrl) moves, one 'error' line per error\n"
        "streak and 'recovered' after it. Runs until interrupted, --for passes, or with --until, every id\n"
        "satisfies the condition at once. Unauthorized, forbidden and certificate failures end it (they\n"
        "would fail every poll); with --until, so does any failure that is not transient, and a state\n"
        "from which the condition can never hold.",
    .examples =
        "  beeos watch inst_1 inst_2 --interval 10s\n"
        "  beeos watch --ids-from ids.txt --json | jq -c 'select(.event == \"changed\") | {id, changed}'\n"
        "  beeos watch inst_1 inst_2 --until running-online --for 10m && echo all up\n",
    .per_call_timeout = true,
    .add_options = add_watch_options,
    .run = run_watch,
};

}  // namespace beeos::cli
