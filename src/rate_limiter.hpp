// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#ifndef BEEOS_SRC_RATE_LIMITER_HPP
#define BEEOS_SRC_RATE_LIMITER_HPP

#include <beeos/client_options.hpp>

#include <chrono>
#include <cstdint>
#include <mutex>
#include <queue>
#include <vector>

namespace beeos::detail {

/// The client-wide request pacer of `rate_limit_options`: a virtual schedule (GCRA) that hands
/// each request the time it may be sent, plus the AIMD adjustment of the rate on 429s.
///
/// A reservation is a time, not a queue entry: a waiting call holds only its own timer, and
/// the order of sends is the order of reservations. Two rules keep the schedule honest under
/// overload, so that the limiter keeps sending at its rate however many calls give up:
/// - a reservation is only made when its turn comes before the caller's deadline; a call whose
///   turn would come later is refused and reserves nothing;
/// - a reservation that goes unused (its holder was cancelled while waiting) is `release`d: the
///   turn goes back and the next caller takes it, instead of the schedule moving on without a
///   send.
/// A decrease of the rate starts a new `generation`: reservations made before it are void, and
/// their holders reserve again when they wake, so a 429 slows the calls already waiting too.
/// Thread-safe; the lock is held for arithmetic only. Time is passed in, so unit tests drive it
/// with a fake clock.
class rate_limiter
{
public:
    using clock_type = std::chrono::steady_clock;

    explicit rate_limiter(const rate_limit_options& opts);

    bool enabled() const noexcept { return limit_ > 0; }

    struct reservation
    {
        clock_type::time_point send_at;
        std::uint64_t generation = 0;
        /// False: the turn would come after the deadline asked for, and nothing was reserved.
        bool granted = true;
    };

    /// Reserves the next send slot at or after `now` (`now` when the request may go at once),
    /// if it comes no later than `deadline`. Always `now` when disabled.
    reservation reserve(clock_type::time_point now, clock_type::time_point deadline = clock_type::time_point::max());

    /// Gives back a granted reservation that will not be used (its holder stopped waiting).
    /// A turn still in the future goes to the next caller; one already passed, or one of an
    /// earlier generation, is simply dropped.
    void release(const reservation& r, clock_type::time_point now);

    /// True while reservations of `generation` still hold.
    bool still_valid(std::uint64_t generation) const;

    /// The gateway answered 429: decrease the rate (adaptive only).
    void on_throttled(clock_type::time_point now);

    /// A request was answered without a 429: recover the rate step by step (adaptive only).
    void on_accepted(clock_type::time_point now);

    /// Requests per second now (the limit unless backed off); 0 when disabled.
    double current_rate() const;

private:
    void set_rate(double rate);

    double limit_;
    rate_limit_options opts_;
    mutable std::mutex mtx_;
    double rate_ = 0;                       // requests per second now
    clock_type::duration interval_{};       // 1 / rate_
    clock_type::duration tolerance_{};      // (burst - 1) * interval_
    clock_type::time_point tat_{};          // theoretical arrival time of the next request
    clock_type::time_point last_change_{};  // last decrease or increase
    std::uint64_t generation_ = 0;          // bumped by every decrease
    // Turns given back before their time, earliest first: handed out before new ones.
    std::priority_queue<clock_type::time_point, std::vector<clock_type::time_point>, std::greater<>> returned_;
};

}  // namespace beeos::detail

#endif
