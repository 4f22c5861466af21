// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
//
// watcher_impl: an id table (slots in a deque, an index by id), an indexed min-heap of due
// times, one timer and a run loop on a strand. Polls go through the client's public
// async_get_instance; their completions, also on the strand, update the table and produce the
// events. Only the client's public API is used.
#include <beeos/client.hpp>
#include <beeos/watcher.hpp>

#include "completion.hpp"

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

#include <cstdint>
#include <deque>
#include <limits>
#include <mutex>
#include <new>
#include <random>
#include <stdexcept>
#include <unordered_map>

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

constexpr std::uint32_t npos = std::numeric_limits<std::uint32_t>::max();
constexpr std::int64_t never = std::numeric_limits<std::int64_t>::max();

// 2^32 / golden ratio: k * golden (mod 2^32) is the Weyl sequence frac(k / phi), whose first N
// points split the circle into gaps of at most three sizes (the three-gap theorem), the
// largest under 2.7 / N. So N ids added in any number of steps are spread evenly.
constexpr std::uint32_t golden = 2654435769u;

constexpr std::size_t default_max_in_flight = 64;

std::int64_t now_ns() noexcept
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double unit_random()
{
    thread_local std::minstd_rand engine{std::random_device{}()};
    return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
}

watch_options validate(watch_options o)
{
    if (o.interval <= std::chrono::milliseconds::zero())
        throw std::invalid_argument("watch_options.interval must be positive");
    if (!(o.jitter >= 0.0 && o.jitter <= 1.0))
        throw std::invalid_argument("watch_options.jitter must be in [0, 1]");
    if (o.max_in_flight == 0)
        o.max_in_flight = default_max_in_flight;
    return o;
}

// One watched id. Kept small: this is the per-id cost of the watcher.
struct watch_slot
{
    std::string id;
    instance_snapshot snap;
    std::uint32_t heap_pos = npos;  // index in heap_, npos while in flight or unused
    std::uint32_t phase = 0;        // offset within the interval, in 2^-32 units
    std::uint32_t gen = 0;          // bumped by remove and re-add: a poll of an older gen is stale
    bool live = false;              // watched (in index_ and counted)
    bool in_flight = false;
    bool has_snapshot = false;
    bool in_error = false;
};

struct heap_entry
{
    std::int64_t due;  // steady_clock, ns
    std::uint32_t slot;
};

// One outstanding poll: its cancellation signal and the error_info the client fills. At most
// max_in_flight of them exist; they are reused.
struct poll_ctx
{
    asio::cancellation_signal signal;
    error_info info;
    std::uint32_t slot = 0;
    std::uint32_t gen = 0;
    bool busy = false;
};

struct pending_poll
{
    std::uint32_t slot;
    std::uint32_t gen;
    std::string id;
};

}  // namespace

class watcher_impl : public std::enable_shared_from_this<watcher_impl>
{
public:
    watcher_impl(client& c, watch_options opts)
        : client_(&c),
          ex_(c.get_executor()),
          strand_(asio::make_strand(ex_)),
          opts_(validate(opts)),
          interval_ns_(std::chrono::duration_cast<std::chrono::nanoseconds>(opts_.interval).count()),
          epoch_(now_ns() - interval_ns_),  // every "now" is after every phase's first grid point
          timer_(strand_)
    {
    }

    const asio::any_io_executor& executor() const noexcept { return ex_; }

    bool add(std::string_view id)
    {
        std::lock_guard lock(mtx_);
        bool added = add_locked(id, now_ns());
        wake_if_earlier_locked();
        return added;
    }

    std::size_t add_many(std::vector<std::string> ids)
    {
        std::lock_guard lock(mtx_);
        auto now = now_ns();
        std::size_t n = 0;
        for (auto& id : ids)
            n += add_locked(id, now) ? 1 : 0;
        wake_if_earlier_locked();
        return n;
    }

    bool remove(std::string_view id)
    {
        std::lock_guard lock(mtx_);
        auto it = index_.find(id);
        if (it == index_.end() || !slots_[it->second].live)
            return false;
        std::uint32_t idx = it->second;
        watch_slot& s = slots_[idx];
        s.live = false;
        ++s.gen;
        --live_count_;
        if (s.heap_pos != npos)
            heap_erase(s.heap_pos);
        if (!s.in_flight)
            release_locked(idx);
        // else: the poll's completion releases the slot (or finds it revived by add).
        return true;
    }

    bool contains(std::string_view id) const
    {
        std::lock_guard lock(mtx_);
        auto it = index_.find(id);
        return it != index_.end() && slots_[it->second].live;
    }

    std::size_t size() const
    {
        std::lock_guard lock(mtx_);
        return live_count_;
    }

    void stop() { request_stop({}); }

    void start_run(watcher::event_handler on_event, asio::any_completion_handler<watcher::run_signature> handler)
    {
        auto self = shared_from_this();
        {
            std::lock_guard lock(mtx_);
            if (running_)
            {
                complete(std::move(handler), asio::error::already_started);
                return;
            }
            running_ = true;
        }
        auto user_slot = asio::get_associated_cancellation_slot(handler);
        if (user_slot.is_connected())
        {
            // Cancellation may be emitted from any thread: hop to the strand first. Every type
            // ends the run; there is nothing partial to keep.
            user_slot.assign([self](asio::cancellation_type) { self->request_stop(errc::cancelled); });
        }
        asio::co_spawn(strand_, run_loop(self, std::move(on_event)), [self, user_slot, h = std::move(handler)](std::exception_ptr ep) mutable {
            if (user_slot.is_connected())
                user_slot.clear();
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
            }
            self->complete(std::move(h), ec);
        });
    }

private:
    void complete(asio::any_completion_handler<watcher::run_signature> h, error_code ec)
    {
        detail::dispatch_completion(std::move(h), ex_, ec);
    }

    // Any thread. The first reason wins: a stop() after a cancellation still reports it.
    // Without a run the flag waits for the next one, and the executor is not touched (an idle
    // watcher may outlive its io_context).
    void request_stop(error_code why)
    {
        {
            std::lock_guard lock(mtx_);
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

    bool add_locked(std::string_view id, std::int64_t now)
    {
        if (auto it = index_.find(id); it != index_.end())
        {
            watch_slot& s = slots_[it->second];
            if (s.live)
                return false;
            // Removed while its poll was in flight, now added again: start afresh. The poll's
            // completion finds a newer gen, drops its result and schedules the id.
            s.live = true;
            ++s.gen;
            s.snap = instance_snapshot{};
            s.has_snapshot = false;
            s.in_error = false;
            ++live_count_;
            return true;
        }
        std::uint32_t idx;
        if (!free_.empty())
        {
            idx = free_.back();
            free_.pop_back();
        }
        else
        {
            if (slots_.size() >= npos)
                throw std::length_error("beeos::watcher: too many ids");
            idx = static_cast<std::uint32_t>(slots_.size());
            slots_.emplace_back();
        }
        watch_slot& s = slots_[idx];
        s.id.assign(id);
        s.phase = static_cast<std::uint32_t>(next_phase_++) * golden;
        ++s.gen;
        s.live = true;
        s.in_flight = false;
        s.has_snapshot = false;
        s.in_error = false;
        index_.emplace(std::string_view(s.id), idx);
        heap_push(idx, next_due(s.phase, now, true));
        ++live_count_;
        return true;
    }

    // The slot goes back to the free list; its memory is released.
    void release_locked(std::uint32_t idx)
    {
        watch_slot& s = slots_[idx];
        index_.erase(std::string_view(s.id));  // before the id it points into changes
        s.id = std::string();
        s.snap = instance_snapshot{};
        s.has_snapshot = false;
        s.in_error = false;
        free_.push_back(idx);
    }

    // When the id is polled next: a point of its grid (epoch + phase + k * interval) plus a
    // jitter drawn afresh for each point, so phases stay where they were put (jitter never
    // accumulates) and the polls form a stationary process: the same rate at every moment.
    // - After a poll (`first` false): the first grid point after `now`, plus jitter. A poll
    //   that overran its interval skips the missed points instead of making them up in a burst,
    //   and the same point is never used twice.
    // - First poll of a new id or of a run (`first` true): the first poll the stationary
    //   process would make after `now`: the last grid point at or before `now` if its jitter
    //   puts it after `now`, else the next one with its own jitter. Starting at "the first grid
    //   point after now" instead would leave a gap of one jitter span at the start and ramp the
    //   rate up over it; reusing one draw for both points would bunch the second polls.
    std::int64_t next_due(std::uint32_t phase, std::int64_t now, bool first) const
    {
        // A double's 53 bits place the phase to well under a nanosecond for any sane interval.
        auto offset = static_cast<std::int64_t>(static_cast<double>(phase) / 4294967296.0 * static_cast<double>(interval_ns_));
        std::int64_t base = epoch_ + offset;
        std::int64_t last = base + (now - base) / interval_ns_ * interval_ns_;  // <= now; epoch_ is an interval back
        if (first)
        {
            std::int64_t due = last + draw_jitter();
            if (due > now)
                return due;
        }
        return last + interval_ns_ + draw_jitter();
    }

    std::int64_t draw_jitter() const
    {
        if (opts_.jitter <= 0)
            return 0;
        return static_cast<std::int64_t>(unit_random() * opts_.jitter * static_cast<double>(interval_ns_));
    }

    // Called with the lock held after adds: wakes the run loop if a new id is due before the
    // loop's timer. One post at most per wake, however many ids are added.
    void wake_if_earlier_locked()
    {
        if (running_ && !wake_posted_ && !heap_.empty() && heap_[0].due < wake_at_)
        {
            wake_posted_ = true;
            asio::post(strand_, [self = shared_from_this()] { self->timer_.cancel(); });
        }
    }

    // ---- indexed binary min-heap on due time; each slot knows its position ----

    void heap_set(std::size_t pos, heap_entry e)
    {
        heap_[pos] = e;
        slots_[e.slot].heap_pos = static_cast<std::uint32_t>(pos);
    }

    void sift_up(std::size_t pos)
    {
        heap_entry e = heap_[pos];
        while (pos > 0)
        {
            std::size_t parent = (pos - 1) / 2;
            if (heap_[parent].due <= e.due)
                break;
            heap_set(pos, heap_[parent]);
            pos = parent;
        }
        heap_set(pos, e);
    }

    void sift_down(std::size_t pos)
    {
        heap_entry e = heap_[pos];
        const std::size_t n = heap_.size();
        for (;;)
        {
            std::size_t child = 2 * pos + 1;
            if (child >= n)
                break;
            if (child + 1 < n && heap_[child + 1].due < heap_[child].due)
                ++child;
            if (e.due <= heap_[child].due)
                break;
            heap_set(pos, heap_[child]);
            pos = child;
        }
        heap_set(pos, e);
    }

    void heap_push(std::uint32_t idx, std::int64_t due)
    {
        heap_.push_back({due, idx});
        sift_up(heap_.size() - 1);
    }

    void heap_erase(std::size_t pos)
    {
        slots_[heap_[pos].slot].heap_pos = npos;
        heap_entry last = heap_.back();
        heap_.pop_back();
        if (pos < heap_.size())
        {
            heap_set(pos, last);
            sift_down(pos);
            sift_up(slots_[last.slot].heap_pos);
        }
    }

    std::uint32_t heap_pop()
    {
        std::uint32_t idx = heap_[0].slot;
        heap_erase(0);
        return idx;
    }

    // At the start of a run: every id gets its next slot from now, so ids whose due times
    // passed while nothing ran do not all fire at once.
    void rebase_locked(std::int64_t now)
    {
        std::vector<heap_entry> old;
        old.swap(heap_);
        heap_.reserve(old.size());
        for (const auto& e : old)
        {
            slots_[e.slot].heap_pos = npos;
            heap_push(e.slot, next_due(slots_[e.slot].phase, now, true));
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
            self->rebase_locked(now_ns());
        }
        std::vector<pending_poll> batch;
        for (;;)
        {
            batch.clear();
            std::int64_t wake = never;
            {
                std::lock_guard lock(self->mtx_);
                self->wake_posted_ = false;
                if (self->stop_requested_)
                    break;
                auto now = now_ns();
                const std::size_t room = self->opts_.max_in_flight - self->in_flight_;
                while (batch.size() < room && !self->heap_.empty() && self->heap_[0].due <= now)
                {
                    std::uint32_t idx = self->heap_pop();
                    watch_slot& s = self->slots_[idx];
                    s.in_flight = true;
                    batch.push_back({idx, s.gen, s.id});
                }
                // At capacity the next wake comes from a completion, not from the clock.
                if (batch.size() < room && !self->heap_.empty())
                    wake = self->heap_[0].due;
                self->wake_at_ = wake;
            }
            for (auto& p : batch)
                self->start_poll(p);

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
        while (self->in_flight_ > 0)
        {
            self->timer_.expires_at(asio::steady_timer::time_point::max());
            error_code ignored;
            co_await self->timer_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
        }
        self->on_event_ = nullptr;
    }

    struct poll_handler
    {
        std::shared_ptr<watcher_impl> self;
        std::uint32_t ctx;
        void operator()(error_code ec, instance inst) { self->on_poll_done(ctx, ec, std::move(inst)); }
    };

    void start_poll(const pending_poll& p)
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
        c.slot = p.slot;
        c.gen = p.gen;
        c.busy = true;
        c.info.clear();
        ++in_flight_;
        client_->async_get_instance(
            p.id, c.info, asio::bind_cancellation_slot(c.signal.slot(), asio::bind_executor(strand_, poll_handler{shared_from_this(), ci}))
        );
    }

    // Strand. Updates the table, then delivers the event last, so a throwing on_event leaves
    // everything consistent.
    void on_poll_done(std::uint32_t ci, error_code ec, instance inst)
    {
        poll_ctx& c = *ctxs_[ci];
        c.busy = false;
        --in_flight_;
        free_ctx_.push_back(ci);

        std::optional<watch_event> ev;
        bool wake = false;
        bool newly_stopped = false;
        {
            std::lock_guard lock(mtx_);
            watch_slot& s = slots_[c.slot];
            s.in_flight = false;
            if (!s.live)
            {
                release_locked(c.slot);
            }
            else
            {
                if (s.gen == c.gen && !stop_requested_)
                {
                    if (ec == errc::shut_down)
                    {
                        // The client is closed: nothing more can be polled. Wake the loop so
                        // it cancels the rest.
                        stop_requested_ = true;
                        end_ec_ = errc::shut_down;
                        newly_stopped = true;
                    }
                    else if (ec != errc::cancelled)  // only the watcher cancels, when stopping
                    {
                        ev = record_locked(s, ec, c.info, std::move(inst));
                    }
                }
                std::int64_t due = next_due(s.phase, now_ns(), false);
                heap_push(c.slot, due);
                wake = due < wake_at_;
            }
            if (stop_requested_)
                wake = newly_stopped || in_flight_ == 0;
            else if (wake_at_ == never && !heap_.empty())
                wake = true;  // the loop waits for a free place: this was one
        }
        if (wake)
            timer_.cancel();
        if (ev && on_event_)
            on_event_(*ev);
    }

    std::optional<watch_event> record_locked(watch_slot& s, const error_code& ec, error_info& info, instance inst)
    {
        watch_event ev;
        if (ec)
        {
            if (s.in_error)
                return std::nullopt;  // once per streak
            s.in_error = true;
            ev.type = watch_event::kind::error;
            ev.id = s.id;
            ev.current = s.snap;
            ev.ec = ec;
            ev.error = std::move(info);
            return ev;
        }
        auto snap = instance_snapshot::from(inst);
        if (!s.has_snapshot)
        {
            ev.type = watch_event::kind::initial;
            s.has_snapshot = true;
        }
        else
        {
            ev.changed = diff(s.snap, snap);
            if (s.in_error)
                ev.type = watch_event::kind::recovered;
            else if (ev.changed.empty())
                return std::nullopt;
            else
                ev.type = watch_event::kind::changed;
            ev.previous = std::move(s.snap);
        }
        s.in_error = false;
        s.snap = snap;
        ev.id = s.id;
        ev.current = std::move(snap);
        ev.full = std::move(inst);
        return ev;
    }

    client* client_;
    asio::any_io_executor ex_;
    asio::any_io_executor strand_;
    watch_options opts_;
    std::int64_t interval_ns_;
    std::int64_t epoch_;

    // Guarded by mtx_: the id table, the schedule and the run's flags.
    mutable std::mutex mtx_;
    std::deque<watch_slot> slots_;  // a deque: slots never move, so index_ may point into their ids
    std::vector<std::uint32_t> free_;
    std::unordered_map<std::string_view, std::uint32_t> index_;
    std::vector<heap_entry> heap_;
    std::uint64_t next_phase_ = 0;
    std::size_t live_count_ = 0;
    bool running_ = false;
    bool stop_requested_ = false;
    error_code end_ec_;
    std::int64_t wake_at_ = never;  // when the run loop's timer fires next
    bool wake_posted_ = false;

    // Strand only.
    asio::steady_timer timer_;
    std::vector<std::unique_ptr<poll_ctx>> ctxs_;
    std::vector<std::uint32_t> free_ctx_;
    std::size_t in_flight_ = 0;
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

std::size_t watcher::add_many(std::vector<std::string> ids) { return impl_->add_many(std::move(ids)); }

bool watcher::remove(std::string_view id) { return impl_->remove(id); }

bool watcher::contains(std::string_view id) const { return impl_->contains(id); }

std::size_t watcher::size() const { return impl_->size(); }

void watcher::stop() { impl_->stop(); }

void watcher::async_run_erased(event_handler on_event, asio::any_completion_handler<run_signature> handler)
{
    impl_->start_run(std::move(on_event), std::move(handler));
}

}  // namespace beeos
