// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#ifndef BEEOS_WATCHER_HPP
#define BEEOS_WATCHER_HPP

/// \file
/// `beeos::watcher`: polls many instances at a flat request rate and reports what changed.

#include <beeos/config.hpp>
#include <beeos/error.hpp>
#include <beeos/instance.hpp>
#include <beeos/instance_diff.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <concepts>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <ranges>
#include <string>
#include <string_view>
#include <vector>

namespace beeos {

class client;

namespace detail {
class watcher_impl;
}

/// How a `watcher` polls. A plain aggregate; the `watcher` constructor validates it.
struct BEEOS_DECL watch_options
{
    /// Each id is polled once per interval. Must be positive.
    std::chrono::milliseconds interval{60'000};

    /// Each poll is delayed by a random fraction in [0, jitter) of the interval past its slot,
    /// so that watchers in several processes with the same ids do not poll in lock step. In
    /// [0, 1].
    double jitter = 0.1;

    /// Polls outstanding at most; 0 means 64. When the gateway is slow, due polls wait for a
    /// free place (oldest due first) and missed intervals are skipped, never made up.
    std::size_t max_in_flight = 0;
};

/// What a `watcher` reports about one id.
struct BEEOS_DECL watch_event
{
    /// What happened to the id.
    enum class kind
    {
        initial,    ///< the first successful poll of the id (also ends an error streak of an id that never succeeded)
        changed,    ///< a poll whose snapshot differs from the previous one in `changed`
        error,      ///< the first failed poll of an error streak
        recovered,  ///< the first successful poll after an error streak
    };

    kind type = kind::initial;  ///< what happened

    /// The id as given to `watcher::add`.
    std::string id;

    /// `changed` and `recovered`: the snapshot before; `std::nullopt` otherwise.
    std::optional<instance_snapshot> previous;

    /// `initial`, `changed`, `recovered`: the new snapshot. `error`: the last snapshot seen
    /// before the error (a default one when the id never succeeded).
    instance_snapshot current;

    /// `changed`: the fields that differ (never empty). `recovered`: the fields that moved
    /// during the error streak (may be empty). Empty otherwise.
    field_set changed;

    /// `initial`, `changed`, `recovered`: the whole instance just received. Empty for `error`.
    instance full;

    /// `error`: the failure (a `beeos::errc`, e.g. `not_found`, `timeout`); empty otherwise.
    boost::system::error_code ec;

    /// `error`: the details of the failure (`format_error(ec, error)` makes one line).
    error_info error;
};

/// `"initial"`, `"changed"`, `"error"`, `"recovered"`.
BEEOS_DECL std::string_view to_string(watch_event::kind k) noexcept;

/// Writes `to_string(k)`.
inline std::ostream& operator<<(std::ostream& os, watch_event::kind k) { return os << to_string(k); }

/// Polls a changing set of instances through a `client` and reports each change once.
///
/// \par Scheduling
/// Each id has a fixed phase within the interval and is polled once per interval at that
/// phase, plus a jitter drawn afresh for every poll (never accumulating). Phases come from a
/// golden-ratio sequence over the order ids were added, so any number of ids, added at once or
/// one by one, is spread evenly over the interval and the request rate is flat: N ids make
/// N / interval requests per second, never a burst at each tick (with jitter 0 the per-second
/// rate of 100,000 ids over 60 s stays within 0.1 % of the mean; the default jitter adds about
/// 2 % of random spread). A new id gets its own phase, so its first poll comes within one
/// interval, not at once; the first interval of a run is as flat as the rest. A min-heap of
/// (due time, id) and one timer drive the polls; at most `max_in_flight` are outstanding, and
/// a poll of an id never overlaps the previous poll of the same id. When `async_run` starts
/// (again), every id is re-slotted from now, so a run never begins with a backlog.
///
/// \par Events
/// See `watch_event::kind`. `changed` comes only when `diff()` of two successive snapshots is
/// non-empty, so the same state is never reported twice. A failed poll (404 included: the
/// watcher keeps polling the id) is reported once per error streak: the first failure gives
/// `error`, later failures of the streak give nothing, and the next success gives `recovered`
/// (with what changed meanwhile). Removing an id forgets its state; adding it again starts
/// with `initial`. Snapshots survive between runs, so a change that happened while the watcher
/// was not running is reported as `changed` by the next run.
///
/// \par Memory
/// Per watched id: a slot of 104 bytes (the id string, 32, plus a heap block when over 15
/// characters; the `instance_snapshot`, 56; schedule and state, 16), an index entry (a 48-byte
/// node plus a bucket), a 16-byte heap entry, and the snapshot's text (one heap block: about
/// 176 bytes for a typical running instance with endpoint, public IP and screenshot URL).
/// Measured with `beeos-watch-bench` (100,000 ids against the simulator): 159 bytes of heap per
/// id once added, 336 once every id had its first poll; RSS grew by 341 bytes per id.
///
/// \par Thread safety
/// Distinct objects: safe. Shared objects: `add`, `remove`, `contains`, `size` and `stop` may be
/// called from any thread at any time, also while running (a mutex guards the id table; it is
/// never held across I/O or while `on_event` runs). One `async_run` at a time.
///
/// \par Object lifetimes
/// The watcher shares the client's state: destroying the `client` first closes it (a run then
/// ends with `errc::shut_down` at its next poll), and nothing dangles. Destroying the watcher stops a run in progress as
/// `stop()` does; the run keeps its own state alive until it has completed.
class BEEOS_DECL watcher
{
public:
    using executor_type = boost::asio::any_io_executor;  ///< the client's executor

    /// Called once per event, on the watcher's strand (never concurrently with itself). It may
    /// call `add`, `remove` and `stop`. It must not throw: an exception escapes from the
    /// `io_context`'s `run()` as from any completion handler (the watcher stays consistent).
    using event_handler = std::function<void(const watch_event&)>;

    /// Completion signature of `async_run`.
    using run_signature = void(boost::system::error_code);

    /// \throws std::invalid_argument when `options` is invalid (interval not positive, jitter
    /// outside [0, 1]), naming the field.
    explicit watcher(client& c, watch_options options = {});

    /// Not while it runs; a moved-from watcher may only be assigned to or destroyed.
    ///@{
    watcher(watcher&&) noexcept;
    watcher& operator=(watcher&&) noexcept;
    ///@}
    watcher(const watcher&) = delete;
    watcher& operator=(const watcher&) = delete;

    /// Stops a run in progress, as `stop()`.
    ~watcher();

    /// The client's executor.
    executor_type get_executor() const noexcept;

    /// Watches `id`; false when it is already watched. The id is copied. Thread-safe.
    bool add(std::string_view id);

    /// Watches every id of `ids` (elements convertible to `std::string_view`) under one lock;
    /// returns how many were new.
    template <class Ids>
        requires std::ranges::input_range<Ids> && std::convertible_to<std::ranges::range_reference_t<Ids>, std::string_view>
    std::size_t add(Ids&& ids)
    {
        std::vector<std::string> v;
        if constexpr (std::ranges::sized_range<Ids>)
            v.reserve(std::ranges::size(ids));
        for (auto&& id : ids)
            v.emplace_back(std::string_view(id));
        return add_many(v);
    }

    /// Stops watching `id`; false when it was not watched. A poll of it in flight is left to
    /// finish and its result dropped: after `remove` returns, no event for `id` is produced
    /// (one already being delivered on the strand may still arrive). Thread-safe.
    bool remove(std::string_view id);

    /// Whether `id` is watched. Thread-safe.
    bool contains(std::string_view id) const;

    /// Ids watched. Thread-safe.
    std::size_t size() const;

    /// Polls the ids until stopped, calling `on_event` for every event.
    ///
    /// Completion signature: `void(boost::system::error_code)`:
    /// - success after `stop()` (or the watcher's destruction);
    /// - `errc::cancelled` when cancelled through the token's cancellation slot (any
    ///   cancellation type);
    /// - `errc::shut_down` when the client was closed;
    /// - `boost::asio::error::already_started` when another run is in progress (posted: like
    ///   every completion of this operation, never inside this call).
    ///
    /// On stop or cancellation the polls in flight are cancelled and the operation completes
    /// once they have finished, so `on_event` is never called after completion. Results of
    /// polls that raced with the stop are dropped, not recorded, so the next run sees them.
    /// A `stop()` while no run is in progress makes the next run complete at once.
    ///
    /// The handler installed in the token's cancellation slot stays there after completion, as
    /// Asio's own operations leave theirs, until the slot's owner replaces it: emitted later,
    /// from any thread, it does nothing (it never affects a later run, nor keeps the watcher
    /// alive).
    template <class CompletionToken = boost::asio::deferred_t>
    auto async_run(event_handler on_event, CompletionToken&& token = {})
    {
        return boost::asio::async_initiate<CompletionToken, run_signature>(run_initiation{this}, token, std::move(on_event));
    }

    /// `co_await w.run(on_event)`: `async_run` as an awaitable; \throws
    /// boost::system::system_error with the completion's code unless it is success.
    boost::asio::awaitable<void> run(event_handler on_event) { return async_run(std::move(on_event), boost::asio::use_awaitable); }

    /// Ends the run in progress (success). Thread-safe, idempotent.
    void stop();

private:
    struct run_initiation
    {
        watcher* self;
        executor_type get_executor() const noexcept { return self->get_executor(); }
        void operator()(boost::asio::any_completion_handler<run_signature> handler, event_handler on_event) const
        {
            self->async_run_erased(std::move(on_event), std::move(handler));
        }
    };

    std::size_t add_many(const std::vector<std::string>& ids);
    void async_run_erased(event_handler on_event, boost::asio::any_completion_handler<run_signature> handler);

    std::shared_ptr<detail::watcher_impl> impl_;
};

}  // namespace beeos

#endif
