// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#include "watch_schedule.hpp"

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <utility>

namespace beeos::detail
{
namespace
{

// 2^32 / golden ratio: k * golden (mod 2^32) is the Weyl sequence frac(k / phi), whose first N
// points split the circle into gaps of at most three sizes (the three-gap theorem), the
// largest under 2.7 / N. So N ids added in any number of steps are spread evenly.
constexpr std::uint32_t golden = 2654435769u;

constexpr std::size_t default_max_in_flight = 64;

}  // namespace

watch_options watch_schedule::validate(watch_options o)
{
    if (o.interval <= std::chrono::milliseconds::zero())
        throw std::invalid_argument("watch_options.interval must be positive");
    if (!(o.jitter >= 0.0 && o.jitter <= 1.0))
        throw std::invalid_argument("watch_options.jitter must be in [0, 1]");
    if (o.max_in_flight == 0)
        o.max_in_flight = default_max_in_flight;
    return o;
}

watch_schedule::watch_schedule(const watch_options& opts, jitter_source draw, std::int64_t now)
{
    // The per-id figures of watcher.hpp's "Memory" section: the id, the snapshot and 16 bytes
    // of schedule and state per slot, 16 bytes per heap entry.
    static_assert(sizeof(slot) <= sizeof(std::string) + sizeof(instance_snapshot) + 16);
    static_assert(sizeof(heap_entry) <= 16);
    const watch_options o = validate(opts);
    interval_ns_ = std::chrono::duration_cast<std::chrono::nanoseconds>(o.interval).count();
    jitter_ = o.jitter;
    max_in_flight_ = o.max_in_flight;
    draw_ = std::move(draw);
    epoch_ = now - interval_ns_;
}

bool watch_schedule::add(std::string_view id, std::int64_t now)
{
    if (auto it = index_.find(id); it != index_.end())
    {
        slot& s = slots_[it->second];
        if (s.live)
            return false;
        // Removed while its poll was out, now added again: start afresh. The poll comes back
        // with an older gen, its result is dropped and the id is scheduled then.
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
    slot& s = slots_[idx];
    s.id.assign(id);
    s.phase = static_cast<std::uint32_t>(next_phase_++) * golden;
    ++s.gen;
    s.live = true;
    s.in_flight = false;
    s.has_snapshot = false;
    s.in_error = false;
    index_.emplace(std::string_view(s.id), idx);
    heap_push(idx, first_due(s.phase, now));
    ++live_count_;
    return true;
}

bool watch_schedule::remove(std::string_view id)
{
    auto it = index_.find(id);
    if (it == index_.end() || !slots_[it->second].live)
        return false;
    const std::uint32_t idx = it->second;
    slot& s = slots_[idx];
    s.live = false;
    ++s.gen;
    --live_count_;
    if (s.heap_pos != npos)
        heap_erase(s.heap_pos);
    if (!s.in_flight)
        release(idx);
    // else: hand_back frees the slot (or finds it watched again).
    return true;
}

bool watch_schedule::contains(std::string_view id) const
{
    auto it = index_.find(id);
    return it != index_.end() && slots_[it->second].live;
}

void watch_schedule::rebase(std::int64_t now)
{
    for (std::size_t pos = 0; pos < heap_.size(); ++pos)
        heap_[pos].due = first_due(slots_[heap_[pos].slot].phase, now);
    for (std::size_t pos = heap_.size() / 2; pos-- > 0;)
        sift_down(pos);
}

std::size_t watch_schedule::take_due(std::int64_t until, std::vector<poll>& out)
{
    std::size_t n = 0;
    while (in_flight_ < max_in_flight_ && !heap_.empty() && heap_.front().due <= until)
    {
        const heap_entry top = heap_.front();
        heap_erase(0);
        slot& s = slots_[top.slot];
        s.in_flight = true;
        ++in_flight_;
        out.push_back({top.slot, s.gen, top.due, s.id});
        ++n;
    }
    return n;
}

std::optional<watch_event> watch_schedule::complete(
    const poll& p, std::int64_t now, const boost::system::error_code& ec, error_info& info, instance inst
)
{
    const bool current = slots_[p.slot].gen == p.gen;
    if (!hand_back(p, now) || !current)
        return std::nullopt;
    return record(slots_[p.slot], ec, info, std::move(inst));
}

void watch_schedule::discard(const poll& p, std::int64_t now)
{
    hand_back(p, now);
}

bool watch_schedule::hand_back(const poll& p, std::int64_t now)
{
    slot& s = slots_[p.slot];
    s.in_flight = false;
    --in_flight_;
    if (!s.live)
    {
        release(p.slot);
        return false;
    }
    // After p.due too: a poll sent ahead of its time (within a tick) that came back before
    // its point must not be given the same point again.
    heap_push(p.slot, due_after(s.phase, std::max(now, p.due)));
    return true;
}

// The slot goes back to the free list; its memory is released.
void watch_schedule::release(std::uint32_t idx)
{
    slot& s = slots_[idx];
    index_.erase(std::string_view(s.id));  // before the id it points into changes
    s.id = std::string();
    s.snap = instance_snapshot{};
    s.has_snapshot = false;
    s.in_error = false;
    free_.push_back(idx);
}

// Polls are a point of the id's grid (epoch + phase + k * interval) plus a jitter drawn afresh
// for each point, so phases stay where they were put (jitter never accumulates) and the polls
// form a stationary process: the same rate at every moment.
std::int64_t watch_schedule::grid_point_at_or_before(std::uint32_t phase, std::int64_t t) const noexcept
{
    // A double's 53 bits place the phase to well under a nanosecond for any sane interval.
    const auto offset = static_cast<std::int64_t>(static_cast<double>(phase) / 4294967296.0 * static_cast<double>(interval_ns_));
    const std::int64_t base = epoch_ + offset;
    return base + (t - base) / interval_ns_ * interval_ns_;  // t >= base: epoch_ is an interval back
}

// After a poll: the first grid point after `t`, plus jitter. A poll that overran its interval
// skips the missed points instead of making them up in a burst, and no point is used twice.
std::int64_t watch_schedule::due_after(std::uint32_t phase, std::int64_t t)
{
    return grid_point_at_or_before(phase, t) + interval_ns_ + draw_jitter();
}

// First poll of a new id or of a run: the first poll the stationary process would make after
// `now`: the last grid point at or before `now` if its jitter puts it after `now`, else the
// next one with its own jitter. Starting at "the first grid point after now" instead would
// leave a gap of one jitter span at the start and ramp the rate up over it; reusing one draw
// for both points would bunch the second polls.
std::int64_t watch_schedule::first_due(std::uint32_t phase, std::int64_t now)
{
    const std::int64_t last = grid_point_at_or_before(phase, now);
    const std::int64_t due = last + draw_jitter();
    if (due > now)
        return due;
    return last + interval_ns_ + draw_jitter();
}

std::int64_t watch_schedule::draw_jitter()
{
    if (jitter_ <= 0)
        return 0;
    return static_cast<std::int64_t>(draw_() * jitter_ * static_cast<double>(interval_ns_));
}

// Updates the state first and builds the event from it, so the caller only delivers it.
std::optional<watch_event> watch_schedule::record(slot& s, const boost::system::error_code& ec, error_info& info, instance inst)
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

// ---- indexed heap ----

void watch_schedule::heap_set(std::size_t pos, heap_entry e)
{
    heap_[pos] = e;
    slots_[e.slot].heap_pos = static_cast<std::uint32_t>(pos);
}

void watch_schedule::sift_up(std::size_t pos)
{
    const heap_entry e = heap_[pos];
    while (pos > 0)
    {
        const std::size_t parent = (pos - 1) / 2;
        if (heap_[parent].due <= e.due)
            break;
        heap_set(pos, heap_[parent]);
        pos = parent;
    }
    heap_set(pos, e);
}

void watch_schedule::sift_down(std::size_t pos)
{
    const heap_entry e = heap_[pos];
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

void watch_schedule::heap_push(std::uint32_t idx, std::int64_t due)
{
    heap_.push_back({due, idx});
    sift_up(heap_.size() - 1);
}

void watch_schedule::heap_erase(std::size_t pos)
{
    slots_[heap_[pos].slot].heap_pos = npos;
    const heap_entry last = heap_.back();
    heap_.pop_back();
    if (pos < heap_.size())
    {
        heap_set(pos, last);
        sift_down(pos);
        sift_up(slots_[last.slot].heap_pos);
    }
}

}  // namespace beeos::detail
