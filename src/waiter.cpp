// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
//
// wait_until: one coroutine per wait, on a strand of the client's executor. Each poll races
// the deadline timer in a parallel group, so a poll in flight at the deadline is cancelled
// rather than waited for; the sleeps between polls end at the deadline at the latest. Only the
// client's public API is used.
#include <beeos/client.hpp>
#include <beeos/waiter.hpp>

#include "client_impl.hpp"
#include "completion.hpp"
#include "sanitise.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <cmath>
#include <random>

namespace asio = boost::asio;
using boost::system::error_code;
using clock_type = std::chrono::steady_clock;

namespace beeos {

using detail::append_sanitised;

namespace {

class wait_category_impl final : public boost::system::error_category
{
public:
    // A fixed id lets codes compare equal across shared-library boundaries.
    constexpr wait_category_impl() noexcept : error_category(0xbee05c11e4a17ull) {}

    const char* name() const noexcept override { return "beeos.wait"; }

    std::string message(int ev) const override { return message(ev, nullptr, 0); }

    const char* message(int ev, char*, std::size_t) const noexcept override
    {
        switch (static_cast<wait_errc>(ev))
        {
        case wait_errc::condition_unreachable: return "condition can never hold";
        case wait_errc::deadline_passed: return "deadline passed";
        }
        return ev == 0 ? "success" : "unknown wait error";
    }
};

constexpr wait_category_impl the_wait_category;

// Server text in a wait's message: scrubbed of the client's credentials first, then cut, so
// that a token an instance echoes across the cut cannot leave its head behind.
std::string redacted(const detail::client_impl& impl, std::string_view text)
{
    std::string out(text);
    impl.redact(out);
    return out;
}

std::string quoted(std::string_view text)
{
    std::string out = "\"";
    append_sanitised(out, text, 200);
    out += '"';
    return out;
}

// "status provisioning, desired running, connectivity offline[, error "..."]"
std::string describe(const detail::client_impl& impl, const instance& i)
{
    std::string out = "status ";
    if (i.status == instance_status::unknown && !i.status_text.empty())
        append_sanitised(out, redacted(impl, i.status_text), 64);
    else
        out += to_string(i.status);
    out += ", desired ";
    out += to_string(i.desired_status);
    out += ", connectivity ";
    out += to_string(i.connectivity);
    if (!i.error_message.empty())
        out += ", error " + quoted(redacted(impl, i.error_message));
    return out;
}

// Failures the client has already retried and that say nothing about the instance: the next
// poll may well succeed.
bool is_transient(const error_code& ec)
{
    return ec == errc::timeout || ec == errc::connection || ec == errc::server_error || ec == errc::rate_limited || ec == errc::tls;
}

const char* check(const wait_condition& cond, const wait_options& o)
{
    if (!cond.satisfied)
        return "wait_condition.satisfied is empty";
    if (o.initial_delay.count() < 0 || o.max_delay.count() < 0)
        return "wait_options delays must not be negative";
    if (!(o.multiplier >= 1.0))
        return "wait_options.multiplier must be at least 1";
    if (!(o.jitter >= 0.0 && o.jitter <= 1.0))
        return "wait_options.jitter must be in [0, 1]";
    return nullptr;
}

double unit_random()
{
    thread_local std::minstd_rand engine{std::random_device{}()};
    return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
}

/// One wait, shared by its coroutine, its completion and the cancellation slot.
struct wait_state
{
    explicit wait_state(asio::any_io_executor s) : strand(std::move(s)) {}

    asio::any_io_executor strand;
    asio::cancellation_signal signal;  // emitted on `strand` only
    bool done = false;                 // `strand` only
    error_code ec;
    error_info info;
    std::optional<instance> last_seen;
    instance result;
};

bool cancelled(asio::cancellation_state cs) { return cs.cancelled() != asio::cancellation_type::none; }

// Parameters, not lambda captures, carry the data: g++ 12 can free a coroutine lambda's
// captures too early.
asio::awaitable<void> wait_coro(
    client* c,
    std::string id,
    wait_condition cond,
    clock_type::duration timeout,
    wait_options opts,
    std::shared_ptr<wait_state> st,
    std::shared_ptr<const detail::client_impl> client_state
)
{
    const detail::client_impl& impl = *client_state;
    // Every cancellation type ends the wait; errors are reported as codes, not exceptions.
    co_await asio::this_coro::reset_cancellation_state(asio::enable_total_cancellation());
    co_await asio::this_coro::throw_if_cancelled(false);

    const auto start = clock_type::now();
    const auto deadline = timeout >= clock_type::time_point::max() - start ? clock_type::time_point::max() : start + timeout;
    st->info.id = id;
    if (const char* bad = check(cond, opts))
    {
        st->ec = errc::invalid_argument;
        st->info.detail = bad;
        co_return;
    }
    const std::string what = quoted(cond.description.empty() ? std::string_view("the condition") : std::string_view(cond.description));

    auto ex = co_await asio::this_coro::executor;
    asio::steady_timer timer(ex);
    double delay_ms = static_cast<double>(opts.initial_delay.count());
    const double max_ms = static_cast<double>(opts.max_delay.count());
    unsigned polls = 0;
    error_code last_poll_ec;  // of the last poll when it failed (transiently)

    auto fail_deadline = [&] {
        st->ec = wait_errc::deadline_passed;
        auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count();
        st->info.detail = what + " did not hold within " + std::to_string(ms) + " ms (" + std::to_string(polls) + (polls == 1 ? " poll" : " polls") +
                          "; " + (st->last_seen ? "last seen: " + describe(impl, *st->last_seen) : std::string("no poll succeeded")) + ")";
        st->info.cause = last_poll_ec;
    };
    auto fail_cancelled = [&] {
        st->ec = errc::cancelled;
        st->info.detail = "cancelled while waiting for " + what;
    };

    for (;;)
    {
        if (clock_type::now() >= deadline)
        {
            fail_deadline();
            co_return;
        }

        // The poll against the deadline: whichever completes first cancels the other.
        timer.expires_at(deadline);
        error_info poll_info;
        auto raced = co_await asio::experimental::make_parallel_group(c->async_get_instance(id, poll_info, asio::deferred), timer.async_wait(asio::deferred))
                         .async_wait(asio::experimental::wait_for_one(), asio::use_awaitable);
        ++polls;
        const bool deadline_first = std::get<0>(raced)[0] == 1;
        error_code poll_ec = std::get<1>(raced);
        instance inst = std::move(std::get<2>(raced));

        auto cs = co_await asio::this_coro::cancellation_state;
        if (cancelled(cs))
        {
            fail_cancelled();
            co_return;
        }
        if (!poll_ec)
        {
            // Also when the deadline won the race by a hair: a complete answer is still news.
            st->last_seen = inst;
            if (cond.satisfied(inst))
            {
                st->result = std::move(inst);
                co_return;
            }
            if (cond.unreachable)
            {
                if (auto why = cond.unreachable(inst))
                {
                    st->ec = wait_errc::condition_unreachable;
                    st->info.detail = what + " cannot hold: ";
                    append_sanitised(st->info.detail, redacted(impl, *why), 300);
                    st->info.detail += " (last seen: " + describe(impl, inst) + ")";
                    co_return;
                }
            }
            last_poll_ec = {};
        }
        else if (deadline_first)
        {
            // The poll was cancelled at the deadline; its error says nothing new.
        }
        else if (poll_ec == errc::cancelled)
        {
            fail_cancelled();
            co_return;
        }
        else if (!is_transient(poll_ec))
        {
            st->ec = poll_ec;
            st->info = std::move(poll_info);
            st->info.id = id;
            st->info.detail += (st->info.detail.empty() ? "" : "; ") + std::string("while waiting for ") + what;
            co_return;
        }
        else
        {
            last_poll_ec = poll_ec;
        }
        if (deadline_first || clock_type::now() >= deadline)
        {
            fail_deadline();
            co_return;
        }

        // Sleep, never past the deadline.
        double d = std::min(delay_ms, max_ms);
        d -= d * opts.jitter * unit_random();
        auto wake = clock_type::now() + std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double, std::milli>(d));
        timer.expires_at(std::min(wake, deadline));
        auto slept = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
        auto cs2 = co_await asio::this_coro::cancellation_state;
        if (std::get<0>(slept) || cancelled(cs2))
        {
            fail_cancelled();
            co_return;
        }
        delay_ms = std::min(max_ms, delay_ms * opts.multiplier);
    }
}

}  // namespace

const boost::system::error_category& wait_category() noexcept { return the_wait_category; }

wait_condition running_and_online()
{
    wait_condition c;
    c.description = "running and online";
    c.satisfied = [](const instance& i) { return i.status == instance_status::running && i.connectivity == connectivity_state::online; };
    c.unreachable = [](const instance& i) -> std::optional<std::string> {
        if (i.status == instance_status::terminated)
            return "status is terminated";
        if (!i.error_message.empty())
            // Whole: the waiter scrubs the reason of credentials before it cuts it.
            return "the instance reports an error: \"" + i.error_message + "\"";
        if (i.desired_status != desired_state::unknown && i.desired_status != desired_state::running)
            return "desired status is " + std::string(to_string(i.desired_status));
        return std::nullopt;
    };
    return c;
}

wait_condition status_is(instance_status s)
{
    wait_condition c;
    c.description = "status " + std::string(to_string(s));
    c.satisfied = [s](const instance& i) { return i.status == s; };
    c.unreachable = [s](const instance& i) -> std::optional<std::string> {
        if (s != instance_status::terminated && i.status == instance_status::terminated)
            return "status is terminated";
        return std::nullopt;
    };
    return c;
}

std::string format_wait_error(const error_code& ec, const error_info& info)
{
    if (ec.category() == wait_category())
    {
        std::string out = "beeos: wait_until(";
        out += quoted(info.id);
        out += "): ";
        out += ec.message();
        if (!info.detail.empty())
        {
            out += ": ";
            append_sanitised(out, info.detail, 600);
        }
        if (info.cause)
        {
            out += " [last poll: ";
            out += info.cause.message();
            out += "]";
        }
        return out;
    }
    // A failed poll ended the wait: the client's own line, naming the wait instead.
    std::string out = format_error(ec, info);
    constexpr std::string_view from = "beeos: get_instance(";
    if (out.starts_with(from))
        out.replace(0, from.size(), "beeos: wait_until(");
    return out;
}

wait_error::wait_error(error_code ec, error_info info, std::optional<instance> last_seen)
    : error(ec, std::move(info)), last_seen_(std::move(last_seen)), what_(format_wait_error(code(), this->info()))
{
}

namespace detail {

asio::any_io_executor client_executor(client& c) noexcept { return c.get_executor(); }

void async_wait_until_erased(
    client& c,
    std::string id,
    wait_condition cond,
    clock_type::duration timeout,
    wait_options opts,
    error_info* info,
    std::optional<instance>* last_seen,
    asio::any_completion_handler<void(error_code, instance)> handler
)
{
    auto fallback = c.get_executor();
    auto st = std::make_shared<wait_state>(asio::make_strand(fallback));
    auto user_slot = asio::get_associated_cancellation_slot(handler);
    if (user_slot.is_connected())
    {
        // Installed in the initiating function and never cleared: the slot is the caller's,
        // who may emit on it from any thread. Asio cancellation is not thread-safe, so hop to
        // the wait's strand before emitting; after the wait it does nothing.
        user_slot.assign([weak = std::weak_ptr<wait_state>(st)](asio::cancellation_type type) {
            auto st = weak.lock();
            if (!st)
                return;
            asio::post(st->strand, [st, type] {
                if (!st->done)
                    st->signal.emit(type);
            });
        });
    }
    asio::co_spawn(
        st->strand,
        wait_coro(&c, std::move(id), std::move(cond), timeout, opts, st, detail::client_access::shared_impl(c)),
        asio::bind_cancellation_slot(
            st->signal.slot(),
            [st, info, last_seen, fallback, h = std::move(handler)](const std::exception_ptr& ep) mutable {
                st->done = true;
                if (ep)
                {
                    // Only the caller's condition can throw here.
                    st->ec = errc::invalid_argument;
                    st->result = instance{};
                    try
                    {
                        std::rethrow_exception(ep);
                    }
                    catch (const std::exception& e)
                    {
                        st->info.detail = std::string("the wait condition threw: ") + e.what();
                    }
                    catch (...)
                    {
                        st->info.detail = "the wait condition threw";
                    }
                }
                if (info)
                    *info = std::move(st->info);
                if (last_seen)
                    *last_seen = std::move(st->last_seen);
                detail::dispatch_completion(std::move(h), fallback, st->ec, std::move(st->result));
            }
        )
    );
}

}  // namespace detail

namespace {

asio::awaitable<instance> wait_until_coro(client* c, std::string id, wait_condition cond, clock_type::duration timeout, wait_options opts)
{
    error_info info;
    std::optional<instance> last;
    auto r = co_await async_wait_until(*c, id, std::move(cond), timeout, opts, info, last, asio::as_tuple(asio::use_awaitable));
    if (std::get<0>(r))
        throw wait_error(std::get<0>(r), std::move(info), std::move(last));
    instance inst = std::move(std::get<1>(r));
    co_return inst;
}

}  // namespace

asio::awaitable<instance> wait_until(client& c, std::string_view id, wait_condition cond, clock_type::duration timeout, wait_options opts)
{
    // Not a coroutine itself: the id is copied here, before anything can suspend.
    return wait_until_coro(&c, std::string(id), std::move(cond), timeout, opts);
}

}  // namespace beeos
