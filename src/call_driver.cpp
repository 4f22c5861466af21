// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
//
// The driver of a call: carries out the steps `call_fsm` decides (wait, lease a connection,
// exchange) on the call's strand and feeds their outcomes back, until the call is done.
// Waits hold a timer, not a coroutine, so a call queued for a connection or a rate-limit turn
// costs its state and nothing more; only an exchange runs as a coroutine.
#include "calls.hpp"
#include "client_impl.hpp"
#include "completion.hpp"
#include "error_mapping.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <random>

namespace asio = boost::asio;
using boost::system::error_code;

namespace beeos::detail {
namespace {

// Jitter needs no cryptographic quality, only independence between clients and threads.
double unit_random()
{
    thread_local std::minstd_rand engine{std::random_device{}()};
    return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
}

void record_internal_error(const std::exception_ptr& ep, error_code& ec, error_info& info) noexcept
{
    ec = errc::protocol;
    try
    {
        std::rethrow_exception(ep);
    }
    catch (const std::exception& e)
    {
        try
        {
            info.detail = std::string("internal error: ") + e.what();
        }
        catch (...)
        {
        }
    }
    catch (...)
    {
        info.detail.clear();
    }
}

}  // namespace

// The completion of a queued call's timer wait. Move-only: a copy destroyed without running
// would unlink the call from the pool's queue while it still waits.
struct park_wake
{
    std::shared_ptr<client_impl> self;
    std::shared_ptr<call_state> call;

    park_wake(std::shared_ptr<client_impl> s, std::shared_ptr<call_state> c) : self(std::move(s)), call(std::move(c)) {}
    park_wake(park_wake&&) noexcept = default;
    park_wake(const park_wake&) = delete;
    park_wake& operator=(const park_wake&) = delete;
    park_wake& operator=(park_wake&&) = delete;
    ~park_wake()
    {
        // Destroyed without running: the io_context is going away with the call still queued.
        if (call && call->parked)
            self->forget_parked(*call);
    }

    void operator()(error_code wait_ec)
    {
        auto c = std::move(call);
        self->resume_parked(std::move(c), wait_ec);
    }
};

// The completion of an exchange coroutine, on the call's strand.
struct exchange_done
{
    std::shared_ptr<client_impl> self;
    std::shared_ptr<call_state> call;

    void operator()(const std::exception_ptr& ep)
    {
        auto& c = *call;
        c.current = call_state::phase::idle;
        if (ep)
        {
            // Only running out of memory gets here; the connection is in an unknown state.
            record_internal_error(ep, c.ec, c.info);
            if (c.lease.conn)
                c.lease.conn->close();
        }
        if (c.cancel_requested && c.ec && c.ec != errc::cancelled)
        {
            // Whatever the closed connection made of it, the caller cancelled.
            c.ec = errc::cancelled;
            c.info.cause = {};
            c.info.detail = "cancelled while talking to the server";
        }
        call_step next;
        try
        {
            next = c.fsm.on_exchanged(c.outcome, clock_type::now(), unit_random());
        }
        catch (...)
        {
            record_internal_error(std::current_exception(), c.ec, c.info);
            next = call_step{};
        }
        if (!next.on_new_connection)
            self->give_back_lease(c);
        self->run(std::move(call), next);
    }
};

// Checks that need no I/O, done before the call queues for anything. Fills `ec` and `info`.
bool client_impl::admit(call_state& call) const
{
    call.info.id = call.label;
    if (auto e = call.validate(call.info.detail))
        call.ec = e;
    else if (const char* what = check_retry_policy(call.policy))
    {
        call.ec = errc::invalid_argument;
        call.info.detail = what;
    }
    else if (closed_.load())
    {
        call.ec = errc::shut_down;
        call.info.detail = "the client was closed";
    }
    else if (call.cancel_requested)
    {
        call.ec = errc::cancelled;
        call.info.detail = "cancelled before it started";
    }
    return !call.ec;
}

void client_impl::begin(std::shared_ptr<call_state> call)
{
    if (!admit(*call))
    {
        finish(*call);
        return;
    }
    call_step first;
    try
    {
        first = call->fsm.start(clock_type::now());
    }
    catch (...)
    {
        record_internal_error(std::current_exception(), call->ec, call->info);
    }
    run(std::move(call), first);
}

void client_impl::run(std::shared_ptr<call_state> call, call_step step) noexcept
{
    // `call` moves into the handler of the step it starts; this keeps the state alive here.
    const auto keep = call;
    auto& c = *keep;
    try
    {
        for (;;)
        {
            if (step.observe)
                observe(c, step);
            // A retry counts when its attempt starts, not when it is decided: a retry that is
            // cancelled in its backoff or refused by the rate limit was never made.
            if (c.fsm.attempts() > c.attempts_counted)
            {
                stats_.retries.fetch_add(c.fsm.attempts() - c.attempts_counted, std::memory_order_relaxed);
                c.attempts_counted = c.fsm.attempts();
            }
            switch (step.what)
            {
            case call_step::kind::done:
                if (step.rate_limit_refusal)
                    stats_.refusals.fetch_add(1, std::memory_order_relaxed);
                finish(c);
                return;

            case call_step::kind::wait:
            {
                auto now = clock_type::now();
                if (c.cancel_requested || step.at <= now)
                {
                    step = c.fsm.on_waited(c.cancel_requested, now);
                    continue;
                }
                if (!c.timer)
                    c.timer = std::make_unique<asio::steady_timer>(c.strand);
                c.timer->expires_at(step.at);
                c.current = call_state::phase::waiting;
                c.timer->async_wait([self = shared_from_this(), call = std::move(call)](error_code wait_ec) mutable {
                    auto& w = *call;
                    w.current = call_state::phase::idle;
                    call_step next;
                    try
                    {
                        next = w.fsm.on_waited(wait_ec.failed() || w.cancel_requested, clock_type::now());
                    }
                    catch (...)
                    {
                        record_internal_error(std::current_exception(), w.ec, w.info);
                    }
                    self->run(std::move(call), next);
                });
                return;
            }

            case call_step::kind::acquire:
                if (c.cancel_requested)
                {
                    c.ec = errc::cancelled;
                    c.info.detail = "cancelled while waiting for a free connection";
                    step = c.fsm.on_acquired(clock_type::now());
                    continue;
                }
                pool_.start_acquire(c.strand, step.at, c.lease, c.parked, c.ec, c.info);
                if (!c.parked)
                {
                    step = c.fsm.on_acquired(clock_type::now());
                    continue;
                }
                c.current = call_state::phase::queued;
                {
                    auto& timer = c.parked->timer();
                    timer.async_wait(park_wake{shared_from_this(), std::move(call)});
                }
                return;

            case call_step::kind::credential:
            {
                if (c.cancel_requested)
                {
                    c.ec = errc::cancelled;
                    c.info.detail = "cancelled before the token source was asked";
                    step = c.fsm.on_credential(clock_type::now());
                    continue;
                }
                // The source's answer and the deadline race on the call's timer, as a name
                // lookup does: a source that never answers costs the call its deadline only.
                if (!c.timer)
                    c.timer = std::make_unique<asio::steady_timer>(c.strand);
                c.timer->expires_at(step.at);
                c.current = call_state::phase::waiting;
                const std::uint64_t wait = ++c.credential_wait;
                c.credential_answered = false;
                // Holds the call only: a refresh waiter must not keep the client alive (the token
                // manager it waits in belongs to the client).
                auto answered = [call, wait](error_code ec, std::shared_ptr<const credential> cred) {
                    auto& w = *call;
                    if (w.credential_wait != wait || w.credential_answered)
                        return;  // an answer after the deadline: the call has moved on
                    w.credential_answered = true;
                    if (ec || !cred)
                    {
                        w.ec = errc::unauthorized;
                        w.info.cause = ec;
                        w.info.detail = ec == boost::system::errc::invalid_argument
                                            ? "the token source gave an empty token or one with control characters"
                                            : "the token source failed to give a token";
                    }
                    else
                    {
                        if (w.cred != cred)
                            w.request.clear();  // written again with the new token
                        w.cred = std::move(cred);
                    }
                    if (w.timer)
                        w.timer->cancel();
                };
                if (step.refresh)
                {
                    tokens_->refresh(*c.cred, c.strand, step.at, std::move(answered));
                }
                else
                {
                    tokens_->get(c.strand, std::move(answered));
                }
                c.timer->async_wait([self = shared_from_this(), call = std::move(call), wait](error_code) mutable {
                    auto& w = *call;
                    w.current = call_state::phase::idle;
                    if (!w.credential_answered)
                    {
                        w.credential_answered = true;
                        w.ec = w.cancel_requested ? errc::cancelled : errc::timeout;
                        w.info.detail = w.cancel_requested ? "cancelled while waiting for the token source"
                                                           : "the token source did not answer before the call's deadline";
                    }
                    (void)wait;
                    call_step next;
                    try
                    {
                        next = w.fsm.on_credential(clock_type::now());
                    }
                    catch (...)
                    {
                        record_internal_error(std::current_exception(), w.ec, w.info);
                    }
                    self->run(std::move(call), next);
                });
                return;
            }

            case call_step::kind::exchange:
                if (c.cancel_requested)
                {
                    give_back_lease(c);
                    c.ec = errc::cancelled;
                    c.info.detail = "cancelled before the request was sent";
                    c.outcome = {};
                    step = c.fsm.on_exchanged(c.outcome, clock_type::now(), 0.0);
                    continue;
                }
                c.current = call_state::phase::exchanging;
                if (step.on_new_connection)
                    stats_.resends.fetch_add(1, std::memory_order_relaxed);
                {
                    auto strand = c.strand;
                    auto slot = c.signal.slot();
                    asio::co_spawn(strand, exchange(shared_from_this(), keep, step.at, step.on_new_connection),
                                   asio::bind_cancellation_slot(slot, exchange_done{shared_from_this(), std::move(call)}));
                }
                return;
            }
        }
    }
    catch (...)
    {
        // Out of memory while starting a step: end the call with what is known.
        record_internal_error(std::current_exception(), c.ec, c.info);
        give_back_lease(c);
        finish(c);
    }
}

void client_impl::resume_parked(std::shared_ptr<call_state> call, error_code wait_ec) noexcept
{
    auto& c = *call;
    auto waiter = std::move(c.parked);
    c.current = call_state::phase::idle;
    call_step next;
    try
    {
        pool_.finish_wait(*waiter, c.cancel_requested, wait_ec, c.lease, c.ec, c.info);
        next = c.fsm.on_acquired(clock_type::now());
    }
    catch (...)
    {
        record_internal_error(std::current_exception(), c.ec, c.info);
    }
    run(std::move(call), next);
}

void client_impl::forget_parked(call_state& call) noexcept
{
    pool_.forget(*call.parked);
    call.parked.reset();
}

void client_impl::give_back_lease(call_state& call) noexcept
{
    // A connection that failed, was cut short or never connected is closed by the pool and its
    // slot handed on; a healthy one goes to the next waiter or the idle list.
    if (call.lease.conn)
        pool_.release(std::move(call.lease.conn));
    else if (call.lease.fresh)
        pool_.release_slot();
    call.lease = {};
}

void client_impl::finish(call_state& call) noexcept
{
    call.current = call_state::phase::done;
    if (call.ec == errc::cancelled && closed_.load())
        call.ec = errc::shut_down;
    if (call.ec)
    {
        call.discard_result();
        stats_.calls_failed.fetch_add(1, std::memory_order_relaxed);
    }
    stats_.calls_finished.fetch_add(1, std::memory_order_relaxed);
    // Out of `flights_` (inside deliver) before out of `calls_`, so a joiner never meets a call
    // that is being torn down.
    call.deliver();
    unregister(call);
}

// One exchange on the leased connection: connect it if it is new, send, read, and interpret a
// complete response before the connection goes back, so that one which answered another
// request is closed, never reused. Parameters, not lambda captures, carry the data: g++ 12
// can free a coroutine lambda's captures too early.
asio::awaitable<void> client_impl::exchange(std::shared_ptr<client_impl> self, std::shared_ptr<call_state> call,
                                            clock_type::time_point deadline, bool on_new_connection)
{
    // Every cancellation type ends the call: an interrupted exchange leaves its connection
    // unusable, so partial and total cancellation have nothing to preserve either.
    co_await asio::this_coro::reset_cancellation_state(asio::enable_total_cancellation());
    // A cancellation is an outcome (`ec`), not an exception; and one that arrived before this
    // coroutine ran, or between two of its operations, reached no operation: `cancel_requested`
    // (set on this strand before the emit) says so before each of them.
    co_await asio::this_coro::throw_if_cancelled(false);
    auto& c = *call;
    auto& lease = c.lease;
    c.outcome = {};
    auto stop_if_cancelled = [&c](const char* where) {
        if (!c.cancel_requested)
            return false;
        c.ec = errc::cancelled;
        c.info.detail = where;
        return true;
    };
    if (on_new_connection)
    {
        lease.conn = self->pool_.replace(std::move(lease.conn));
        lease.fresh = true;
    }
    c.outcome.reused_connection = !lease.fresh;
    if (c.request.empty())
        c.write_request();
    if (lease.fresh)
    {
        if (stop_if_cancelled("cancelled before connecting"))
            co_return;
        self->stats_.connecting.fetch_add(1, std::memory_order_relaxed);
        co_await lease.conn->async_connect(deadline, c.ec, c.info);
        self->stats_.connecting.fetch_sub(1, std::memory_order_relaxed);
        if (c.ec)
            co_return;
        lease.fresh = false;
    }
    if (stop_if_cancelled("cancelled before the request was sent"))
        co_return;
    http_response res;
    exchange_failure failure;
    self->stats_.requests_sent.fetch_add(1, std::memory_order_relaxed);
    co_await lease.conn->async_exchange(c.request, deadline, res, c.ec, c.info, failure);
    self->stats_.bytes_received.fetch_add(res.wire_bytes, std::memory_order_relaxed);
    c.outcome.response_started = failure.response_started;
    if (c.ec)
    {
        // A status line may have arrived before the failure (e.g. a body over the limit).
        c.info.http_status = res.status;
        c.info.request_id = bounded_server_text(std::move(res.request_id), c.cred->token);
        co_return;
    }
    c.ec = interpret_response(res, c, c.info, c.cred->token, std::chrono::system_clock::now());
    if (c.ec == errc::mismatched_response)
        lease.conn->close();
}

void client_impl::observe(const call_state& call, const call_step& step) const noexcept
{
    if (!observer_ || !step.observe)
        return;
    const auto& r = *step.observe;
    attempt_event ev;
    ev.id = call.label;
    ev.attempt = r.attempt;
    ev.result = call.ec;
    ev.http_status = call.info.http_status;
    ev.api_code = call.info.api_code;
    ev.credential_tag = call.info.credential_tag;
    ev.latency = std::chrono::duration_cast<std::chrono::microseconds>(clock_type::now() - r.started);
    ev.next_delay = r.next_delay;
    try
    {
        observer_(ev);
    }
    catch (...)
    {
        // A faulty hook must not change the outcome of the call it watches.
    }
}

}  // namespace beeos::detail
