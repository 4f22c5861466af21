// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
//
// watcher_impl: the glue between a watch_schedule (what to poll when, which event a result
// gives) and I/O: one mutex around the schedule, one timer and a run loop on a strand. Polls go
// through the client's get_instance; their completions, also on the strand, hand the result to
// the schedule and deliver the event. The watcher holds the client's state, so it stays valid
// however the two are destroyed.
#include <beeos/client.hpp>
#include <beeos/watcher.hpp>

#include "client_impl.hpp"
#include "completion.hpp"
#include "watch_schedule.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <random>
#include <vector>

namespace asio = boost::asio;
using boost::system::error_code;

namespace beeos {

std::string_view to_string(watch_event::kind k) noexcept
{
    switch (k)
    {
    case watch_event::kind::initial: return "initial";
    case watch_event::kind::changed: return "changed";
    case watch_event::kind::error: return "error";
    case watch_event::kind::recovered: return "recovered";
    }
    return "unknown";
}

namespace detail {
namespace {

constexpr std::int64_t never = watch_schedule::never;

std::int64_t now_ns() noexcept
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// One engine per thread: watchers on different threads, each drawing under its own mutex,
// never share one.
double unit_random()
{
    thread_local std::minstd_rand engine{std::random_device{}()};
    return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
}

// One outstanding poll: its cancellation signal, the error_info the client fills and the
// schedule's ticket. At most max_in_flight of them exist; they are reused.
struct poll_ctx
{
    asio::cancellation_signal signal;
    error_info info;
    watch_schedule::poll ticket;
    bool busy = false;
};

}  // namespace

// Lock order: mtx_ is the only lock, and nothing is called under it that could take another
// lock of ours or run a handler: schedule bookkeeping, flags and asio::post only.
class watcher_impl : public std::enable_shared_from_this<watcher_impl>
{
public:
    watcher_impl(client& c, watch_options opts)
        : client_(client_access::shared_impl(c)), ex_(c.get_executor()), strand_(asio::make_strand(ex_)), sched_(opts, unit_random, now_ns()), timer_(strand_)
    {
    }

    const asio::any_io_executor& executor() const noexcept { return ex_; }

    bool add(std::string_view id)
    {
        std::lock_guard lock(mtx_);
        bool added = sched_.add(id, now_ns());
        wake_if_earlier_locked();
        return added;
    }

    std::size_t add_many(const std::vector<std::string>& ids)
    {
        std::lock_guard lock(mtx_);
        auto now = now_ns();
        std::size_t n = 0;
        for (auto& id : ids)
            n += sched_.add(id, now) ? 1 : 0;
        wake_if_earlier_locked();
        return n;
    }

    bool remove(std::string_view id)
    {
        std::lock_guard lock(mtx_);
        return sched_.remove(id);
    }

    bool contains(std::string_view id) const
    {
        std::lock_guard lock(mtx_);
        return sched_.contains(id);
    }

    std::size_t size() const
    {
        std::lock_guard lock(mtx_);
        return sched_.size();
    }

    void stop() { request_stop({}, any_run); }

    void start_run(watcher::event_handler on_event, asio::any_completion_handler<watcher::run_signature> handler)
    {
        bool refused = false;
        std::uint64_t run = 0;
        {
            std::lock_guard lock(mtx_);
            if (running_)
                refused = true;
            else
            {
                running_ = true;
                run = ++run_id_;
            }
        }
        if (refused)
        {
            // Posted: the caller may react (stop(), another call) as soon as it resumes.
            detail::post_completion(std::move(handler), ex_, error_code(asio::error::already_started));
            return;
        }
        // Installed here, before anything can complete, and never cleared or replaced: the
        // slot belongs to the caller, who may emit on it from another thread at any time, also
        // after the run completed, and who installs its next operation's handler over ours.
        auto user_slot = asio::get_associated_cancellation_slot(handler);
        if (user_slot.is_connected())
            user_slot.assign(run_canceller{weak_from_this(), run});
        auto self = shared_from_this();
        asio::co_spawn(
            strand_, run_loop(self, std::move(on_event)), run_completion{self, handler_box<watcher::run_signature>(std::move(handler))}
        );
    }

private:
    static constexpr std::uint64_t any_run = 0;  // run ids start at 1

    // The caller's cancellation handler. Runs on any thread, at any time: it holds only a
    // weak_ptr (a handler left in the caller's slot must not keep the watcher alive), and it
    // stops nothing but the run it was installed for.
    struct run_canceller
    {
        std::weak_ptr<watcher_impl> impl;
        std::uint64_t run;
        void operator()(asio::cancellation_type) const
        {
            // Every type ends the run; there is nothing partial to keep.
            if (auto self = impl.lock())
                self->request_stop(errc::cancelled, run);
        }
    };

    // The run loop's completion, on the strand: resets the run's flags and completes the
    // caller's handler, dispatched (the run loop is a coroutine: this is never inside
    // async_run). bad_alloc is the one exception the loop's own code throws.
    struct run_completion
    {
        std::shared_ptr<watcher_impl> self;
        handler_box<watcher::run_signature> box;
        void operator()(const std::exception_ptr& ep)
        {
            error_code ec;
            {
                std::lock_guard lock(self->mtx_);
                ec = self->end_ec_;
                self->end_ec_ = {};
                self->stop_requested_ = false;
                self->running_ = false;
            }
            if (ep)
            {
                try
                {
                    std::rethrow_exception(ep);
                }
                catch (const std::bad_alloc&)
                {
                    ec = asio::error::no_memory;
                }
                catch (...)
                {
                    // Nothing else throws in the run loop; should it, the run still completes.
                    ec = make_error_code(boost::system::errc::state_not_recoverable);
                }
            }
            detail::dispatch_completion(std::move(box.handler), self->ex_, ec);
        }
    };

    // Any thread. The first reason wins: a stop() after a cancellation still reports it.
    // Without a run the flag waits for the next one (unless it was meant for a run that has
    // ended), and the executor is not touched (an idle watcher may outlive its io_context).
    // The timer is cancelled on the strand, which the run loop's wait is on.
    void request_stop(error_code why, std::uint64_t run)
    {
        {
            std::lock_guard lock(mtx_);
            if (run != any_run && (!running_ || run_id_ != run))
                return;
            if (!stop_requested_)
            {
                stop_requested_ = true;
                end_ec_ = why;
            }
            if (!running_)
                return;
        }
        asio::post(strand_, [self = shared_from_this()] { self->timer_.cancel(); });
    }

    // Called with the lock held after adds: wakes the run loop if a new id is due before the
    // loop's timer. One post at most per wake, however many ids are added.
    void wake_if_earlier_locked()
    {
        if (running_ && !wake_posted_ && sched_.next_due() < wake_at_)
        {
            wake_posted_ = true;
            asio::post(strand_, [self = shared_from_this()] { self->timer_.cancel(); });
        }
    }

    // ---- the run (strand) ----

    // Parameters, not lambda captures, carry the data: g++ 12 can free a coroutine lambda's
    // captures too early.
    static asio::awaitable<void> run_loop(std::shared_ptr<watcher_impl> self, watcher::event_handler on_event)
    {
        self->on_event_ = std::move(on_event);
        {
            std::lock_guard lock(self->mtx_);
            self->sched_.rebase(now_ns());
        }
        std::vector<watch_schedule::poll> batch;
        for (;;)
        {
            batch.clear();
            std::int64_t wake = never;
            {
                std::lock_guard lock(self->mtx_);
                self->wake_posted_ = false;
                if (self->stop_requested_)
                    break;
                self->sched_.take_due(now_ns() + tick_ns, batch);
                // At capacity the next wake comes from a completion, not from the clock.
                if (self->sched_.room() > 0)
                    wake = self->sched_.next_due();
                self->wake_at_ = wake;
            }
            for (auto& p : batch)
                self->start_poll(std::move(p));

            if (wake == never)
                self->timer_.expires_at(asio::steady_timer::time_point::max());
            else
                self->timer_.expires_at(asio::steady_timer::time_point(std::chrono::nanoseconds(wake)));
            error_code ignored;  // cancelled = woken early; either way look again
            co_await self->timer_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
        }

        // Stopping: cancel what is in flight and wait for it, so that no event follows the
        // completion of the run.
        for (auto& c : self->ctxs_)
            if (c->busy)
                c->signal.emit(asio::cancellation_type::terminal);
        while (self->polls_out() > 0)
        {
            self->timer_.expires_at(asio::steady_timer::time_point::max());
            error_code ignored;
            co_await self->timer_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
        }
        self->on_event_ = nullptr;
    }

    // Polls due within this much of now go out in the same wake-up.
    static constexpr std::int64_t tick_ns = 0;

    std::size_t polls_out() const
    {
        std::lock_guard lock(mtx_);
        return sched_.in_flight();
    }

    struct poll_handler
    {
        std::shared_ptr<watcher_impl> self;
        std::uint32_t ctx;
        void operator()(error_code ec, instance inst) { self->on_poll_done(ctx, ec, std::move(inst)); }
    };

    void start_poll(watch_schedule::poll p)
    {
        std::uint32_t ci;
        if (!free_ctx_.empty())
        {
            ci = free_ctx_.back();
            free_ctx_.pop_back();
        }
        else
        {
            ci = static_cast<std::uint32_t>(ctxs_.size());
            ctxs_.push_back(std::make_unique<poll_ctx>());
        }
        poll_ctx& c = *ctxs_[ci];
        c.ticket = std::move(p);
        c.busy = true;
        c.info.clear();
        client_->start_get_instance(
            c.ticket.id,
            call_options(),
            &c.info,
            asio::bind_cancellation_slot(c.signal.slot(), asio::bind_executor(strand_, poll_handler{shared_from_this(), ci}))
        );
    }

    // Strand. The schedule is updated first and the event delivered last, outside the lock, so
    // a throwing on_event leaves everything consistent.
    void on_poll_done(std::uint32_t ci, error_code ec, instance inst)
    {
        poll_ctx& c = *ctxs_[ci];
        c.busy = false;
        free_ctx_.push_back(ci);

        std::optional<watch_event> ev;
        bool wake = false;
        {
            std::lock_guard lock(mtx_);
            const auto now = now_ns();
            bool newly_stopped = false;
            if (stop_requested_ || ec == errc::cancelled)  // only the watcher cancels, when stopping
            {
                sched_.discard(c.ticket, now);
            }
            else if (ec == errc::shut_down)
            {
                // The client is closed: nothing more can be polled. Wake the loop so it
                // cancels the rest.
                sched_.discard(c.ticket, now);
                stop_requested_ = true;
                end_ec_ = errc::shut_down;
                newly_stopped = true;
            }
            else
            {
                ev = sched_.complete(c.ticket, now, ec, c.info, std::move(inst));
            }
            if (stop_requested_)
                wake = newly_stopped || sched_.in_flight() == 0;
            else
                wake = sched_.next_due() < wake_at_;  // an earlier due time, or a free place the loop waits for
        }
        if (wake)
            timer_.cancel();
        if (ev && on_event_)
            on_event_(*ev);
    }

    // The client's state, shared: a run keeps it alive, so destroying the client (or the
    // watcher and then the client) while a run is stopping is safe.
    std::shared_ptr<client_impl> client_;
    asio::any_io_executor ex_;
    asio::any_io_executor strand_;

    // Guarded by mtx_: the schedule and the run's flags.
    mutable std::mutex mtx_;
    watch_schedule sched_;
    bool running_ = false;
    std::uint64_t run_id_ = 0;  // of the current (or last) run
    bool stop_requested_ = false;
    error_code end_ec_;
    std::int64_t wake_at_ = never;  // when the run loop's timer fires next
    bool wake_posted_ = false;

    // Strand only.
    asio::steady_timer timer_;
    std::vector<std::unique_ptr<poll_ctx>> ctxs_;
    std::vector<std::uint32_t> free_ctx_;
    watcher::event_handler on_event_;
};

}  // namespace detail

watcher::watcher(client& c, watch_options options) : impl_(std::make_shared<detail::watcher_impl>(c, options)) {}

watcher::watcher(watcher&&) noexcept = default;

watcher& watcher::operator=(watcher&& other) noexcept
{
    if (this != &other)
    {
        if (impl_)
            impl_->stop();
        impl_ = std::move(other.impl_);
    }
    return *this;
}

watcher::~watcher()
{
    if (impl_)
        impl_->stop();
}

watcher::executor_type watcher::get_executor() const noexcept { return impl_->executor(); }

bool watcher::add(std::string_view id) { return impl_->add(id); }

std::size_t watcher::add_many(const std::vector<std::string>& ids) { return impl_->add_many(ids); }

bool watcher::remove(std::string_view id) { return impl_->remove(id); }

bool watcher::contains(std::string_view id) const { return impl_->contains(id); }

std::size_t watcher::size() const { return impl_->size(); }

void watcher::stop() { impl_->stop(); }

void watcher::async_run_erased(event_handler on_event, asio::any_completion_handler<run_signature> handler)
{
    impl_->start_run(std::move(on_event), std::move(handler));
}

}  // namespace beeos
