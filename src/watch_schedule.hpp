// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#ifndef BEEOS_SRC_WATCH_SCHEDULE_HPP
#define BEEOS_SRC_WATCH_SCHEDULE_HPP

#include <beeos/error.hpp>
#include <beeos/instance.hpp>
#include <beeos/instance_diff.hpp>
#include <beeos/watcher.hpp>

#include <boost/system/error_code.hpp>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace beeos::detail
{

/// What a `watcher` decides, without I/O: the watched ids, when each is polled next, which
/// polls are out, and which event a poll's result produces.
///
/// Times are nanoseconds on the caller's steady clock, always passed in: the class reads no
/// clock, takes no lock and does no I/O, so unit tests drive it with a fake clock and a
/// deterministic jitter source. The watcher holds its mutex around every call.
///
/// Each id has a fixed phase in the interval (a golden-ratio Weyl sequence over the order ids
/// were added) and is due once per interval at `epoch + phase + k * interval`, plus a jitter
/// drawn afresh for each point. A poll is handed out by `take_due` (oldest due first, at most
/// `max_in_flight` out at once) and comes back through `complete` or `discard`, exactly once;
/// only then is the id due again, so two polls of one id never overlap. Every ticket handed
/// out must come back, including those of ids removed meanwhile: that is what frees their slot.
class watch_schedule
{
public:
    /// One draw, uniform in [0, 1): the fraction of the jitter span that delays one poll.
    using jitter_source = std::function<double()>;

    /// `next_due()` when no id is waiting.
    static constexpr std::int64_t never = std::numeric_limits<std::int64_t>::max();

    /// A poll handed out by `take_due`, to be handed back to `complete` or `discard`.
    struct poll
    {
        std::uint32_t slot = 0;
        std::uint32_t gen = 0;  // the slot's generation when taken: a later one makes the result stale
        std::int64_t due = 0;   // when it was due; the next poll of the id comes after this point
        std::string id;         // a copy: the caller uses it outside its lock
    };

    /// `interval` positive, `jitter` in [0, 1]; a `max_in_flight` of 0 means 64.
    /// \throws std::invalid_argument naming the field when `opts` is invalid.
    static watch_options validate(watch_options opts);

    /// `now`: no time passed to this object later may be earlier.
    /// \throws std::invalid_argument as `validate`.
    watch_schedule(const watch_options& opts, jitter_source draw, std::int64_t now);

    /// Watches `id`, first due within one interval of `now`; false when already watched. An id
    /// removed while its poll is out, and added again before the poll came back, keeps its
    /// slot and phase and starts afresh (its next result gives `initial`).
    /// \throws std::length_error past 2^32 - 1 slots.
    bool add(std::string_view id, std::int64_t now);

    /// Stops watching `id` and forgets its state; false when it was not watched. The result of
    /// a poll of it that is out will be dropped.
    bool remove(std::string_view id);

    bool contains(std::string_view id) const;

    /// Ids watched.
    std::size_t size() const noexcept { return live_count_; }

    /// Polls handed out and not yet handed back.
    std::size_t in_flight() const noexcept { return in_flight_; }

    /// How many more polls `take_due` may hand out now.
    std::size_t room() const noexcept { return in_flight_ < max_in_flight_ ? max_in_flight_ - in_flight_ : 0; }

    /// The earliest due time of an id waiting (not out), or `never`.
    std::int64_t next_due() const noexcept { return heap_.empty() ? never : heap_.front().due; }

    /// At the start of a run: every waiting id gets the first due time after `now` of its own
    /// phase, as a newly added id would, so the time nothing ran leaves no backlog and the first
    /// interval of the run is as flat as the rest.
    void rebase(std::int64_t now);

    /// Appends to `out` every poll due at or before `until`, oldest due first, as long as there
    /// is `room()`; returns how many. `until` is `now`, or `now + tick` to send in one wake-up
    /// every poll due within a tick.
    std::size_t take_due(std::int64_t until, std::vector<poll>& out);

    /// The poll `p` came back at `now` with a result (`ec`, and `info` and `inst`, which may be
    /// moved from): schedules the id's next poll at the first point of its phase after both
    /// `now` and `p.due` (missed points are skipped, never made up), and returns the event the
    /// result gives, if any. A result for an id removed, or removed and added again, since `p`
    /// was taken is dropped (no event).
    std::optional<watch_event> complete(
        const poll& p, std::int64_t now, const boost::system::error_code& ec, error_info& info, instance inst
    );

    /// The poll `p` came back at `now` without a result worth recording (cancelled, or the run
    /// is stopping): schedules the id as `complete` does and changes no state.
    void discard(const poll& p, std::int64_t now);

private:
    static constexpr std::uint32_t npos = std::numeric_limits<std::uint32_t>::max();

    // One watched id. Kept small: this is the per-id cost of the watcher.
    struct slot
    {
        std::string id;
        instance_snapshot snap;
        std::uint32_t heap_pos = npos;  // index in heap_; npos while out or unused
        std::uint32_t phase = 0;        // offset within the interval, in 2^-32 units
        std::uint32_t gen = 0;          // bumped by remove and re-add
        bool live = false;              // watched (in index_ and counted)
        bool in_flight = false;
        bool has_snapshot = false;
        bool in_error = false;
    };

    struct heap_entry
    {
        std::int64_t due;
        std::uint32_t slot;
    };

    // Returns whether the slot is still watched (and rescheduled); frees it otherwise.
    bool hand_back(const poll& p, std::int64_t now);
    void release(std::uint32_t idx);
    std::int64_t first_due(std::uint32_t phase, std::int64_t now);
    std::int64_t due_after(std::uint32_t phase, std::int64_t t);
    std::int64_t grid_point_at_or_before(std::uint32_t phase, std::int64_t t) const noexcept;
    std::int64_t draw_jitter();
    std::optional<watch_event> record(slot& s, const boost::system::error_code& ec, error_info& info, instance inst);

    // Indexed binary min-heap on due time; each slot knows its position.
    void heap_set(std::size_t pos, heap_entry e);
    void sift_up(std::size_t pos);
    void sift_down(std::size_t pos);
    void heap_push(std::uint32_t idx, std::int64_t due);
    void heap_erase(std::size_t pos);

    std::int64_t interval_ns_;
    double jitter_;
    std::size_t max_in_flight_;
    jitter_source draw_;
    std::int64_t epoch_;  // an interval before the first `now`: every later time is past every phase's first point

    std::deque<slot> slots_;  // a deque: slots never move, so index_ may point into their ids
    std::vector<std::uint32_t> free_;
    std::unordered_map<std::string_view, std::uint32_t> index_;
    std::vector<heap_entry> heap_;
    std::uint64_t next_phase_ = 0;
    std::size_t live_count_ = 0;
    std::size_t in_flight_ = 0;
};

}  // namespace beeos::detail

#endif
