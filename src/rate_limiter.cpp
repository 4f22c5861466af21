// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#include "rate_limiter.hpp"

#include <algorithm>

namespace beeos::detail {

rate_limiter::rate_limiter(const rate_limit_options& opts)
    : limit_(opts.requests_per_second > 0 ? opts.requests_per_second : 0), opts_(opts)
{
    if (enabled())
        set_rate(limit_);
}

void rate_limiter::set_rate(double rate)
{
    rate_ = rate;
    // In seconds, bounded before the conversion: an adaptive decrease of the smallest limit, or
    // a large burst at a small rate, must not overflow the clock's integer duration.
    constexpr double max_seconds = 1e9;  // about 31 years: never reached by a valid limit
    const double interval = std::min(1.0 / rate, max_seconds);
    const double tolerance = std::min(interval * (std::max(opts_.burst, 1u) - 1), max_seconds);
    interval_ = std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(interval));
    tolerance_ = std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(tolerance));
}

rate_limiter::reservation rate_limiter::reserve(clock_type::time_point now, clock_type::time_point deadline)
{
    if (!enabled())
        return {now, 0, true};
    std::lock_guard lock(mtx_);
    // A returned turn that has passed unused is gone: sending it now would add to a window
    // that already has its own turns.
    while (!returned_.empty() && returned_.top() < now)
        returned_.pop();
    // GCRA as a scheduler: a request conforms from `tat - tolerance` on; the next one's
    // theoretical time moves one interval past this one's.
    const auto fresh = std::max(now, tat_ - tolerance_);
    if (!returned_.empty() && returned_.top() <= fresh)
    {
        const auto at = returned_.top();
        if (at > deadline)
            return {at, generation_, false};
        returned_.pop();
        return {at, generation_, true};
    }
    if (fresh > deadline)
        return {fresh, generation_, false};
    tat_ = std::max(tat_, fresh) + interval_;
    return {fresh, generation_, true};
}

void rate_limiter::release(const reservation& r, clock_type::time_point now)
{
    if (!enabled() || !r.granted)
        return;
    std::lock_guard lock(mtx_);
    if (r.generation != generation_ || r.send_at <= now)
        return;
    returned_.push(r.send_at);
}

bool rate_limiter::still_valid(std::uint64_t generation) const
{
    std::lock_guard lock(mtx_);
    return generation == generation_;
}

void rate_limiter::on_throttled(clock_type::time_point now)
{
    if (!enabled() || !opts_.adaptive)
        return;
    std::lock_guard lock(mtx_);
    // The 429s of requests already on the wire describe one overload, not several: decrease
    // at most once per interval.
    if (last_change_ != clock_type::time_point{} && now - last_change_ < opts_.recovery_interval && rate_ < limit_)
        return;
    double floor = limit_ * std::clamp(opts_.min_rate_fraction, 0.0, 1.0);
    // Never below the smallest valid limit (a rate of 0 would never send again), and so never
    // above this limit either: the floor once was an absolute 1e-3/s, which raised a smaller
    // limit on every 429.
    set_rate(std::max({rate_ * std::clamp(opts_.decrease_factor, 0.0, 1.0), floor, rate_limit_options::min_requests_per_second}));
    last_change_ = now;
    // Void the schedule made at the old rate: the waiting calls reserve again as they wake.
    tat_ = std::min(tat_, now);
    returned_ = {};
    ++generation_;
}

void rate_limiter::on_accepted(clock_type::time_point now)
{
    if (!enabled() || !opts_.adaptive)
        return;
    std::lock_guard lock(mtx_);
    if (rate_ >= limit_ || now - last_change_ < opts_.recovery_interval)
        return;
    set_rate(std::min(limit_, rate_ + limit_ * std::max(opts_.recovery_step, 0.0)));
    last_change_ = now;
}

double rate_limiter::current_rate() const
{
    std::lock_guard lock(mtx_);
    return rate_;
}

}  // namespace beeos::detail
