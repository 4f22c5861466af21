// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
//
// The client-side rate limiter as a pure schedule, driven by a fake clock.
#include "rate_limiter.hpp"

#include <boost/test/unit_test.hpp>

#include <vector>

using namespace std::chrono_literals;
using beeos::rate_limit_options;
using beeos::detail::rate_limiter;
using clock_type = rate_limiter::clock_type;

namespace {

rate_limit_options limit(double rps, unsigned burst = 1)
{
    rate_limit_options o;
    o.requests_per_second = rps;
    o.burst = burst;
    return o;
}

const clock_type::time_point t0 = clock_type::time_point{} + 1000s;

double ms_between(clock_type::time_point a, clock_type::time_point b)
{
    return std::chrono::duration<double, std::milli>(b - a).count();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(rate_limiter_schedule)

BOOST_AUTO_TEST_CASE(disabled_limiter_never_delays)
{
    rate_limiter rl(limit(0));
    BOOST_TEST(!rl.enabled());
    for (int i = 0; i < 1000; ++i)
        BOOST_TEST((rl.reserve(t0).send_at == t0));
    rl.on_throttled(t0);
    BOOST_TEST(rl.current_rate() == 0.0);
}

BOOST_AUTO_TEST_CASE(requests_are_spaced_one_interval_apart)
{
    rate_limiter rl(limit(100));  // one every 10 ms
    auto first = rl.reserve(t0).send_at;
    BOOST_TEST((first == t0));
    auto previous = first;
    for (int i = 1; i < 50; ++i)
    {
        auto at = rl.reserve(t0).send_at;  // all asked for at once
        BOOST_TEST(ms_between(previous, at) == 10.0, boost::test_tools::tolerance(1e-6));
        previous = at;
    }
    // 50 requests asked for at once span 49 intervals.
    BOOST_TEST(ms_between(first, previous) == 490.0, boost::test_tools::tolerance(1e-6));
}

// Found by review: at a tiny rate 1 / rate overflowed the clock's duration and the limit
// vanished, and a 429 raised a limit below 1e-3/s to 1e-3/s. The smallest valid limit, after
// 429s and with a huge burst, still paces and stays at or below its limit.
BOOST_AUTO_TEST_CASE(the_smallest_limit_still_paces_after_decreases_and_with_a_huge_burst)
{
    auto o = limit(rate_limit_options::min_requests_per_second, 4'000'000'000u);
    o.adaptive = true;
    o.min_rate_fraction = 0.001;
    rate_limiter rl(o);
    for (int i = 0; i < 20; ++i)
        rl.on_throttled(t0 + std::chrono::hours(i));
    // A 429 never raises the rate above the limit (an absolute floor of 1e-3/s once did).
    BOOST_TEST(rl.current_rate() > 0.0);
    BOOST_TEST(rl.current_rate() <= rate_limit_options::min_requests_per_second);
    const auto later = t0 + std::chrono::hours(30);
    std::vector<clock_type::time_point> at;
    for (int i = 0; i < 3; ++i)
        at.push_back(rl.reserve(later).send_at);
    // Whatever the burst allows at once, the turns never run backwards or come before now...
    for (std::size_t i = 0; i < at.size(); ++i)
    {
        BOOST_TEST((at[i] >= later));
        if (i > 0)
            BOOST_TEST((at[i] >= at[i - 1]));
    }
    // ...and a limit of one request per burst paces the second one days away, not at once.
    rate_limiter single(limit(rate_limit_options::min_requests_per_second));
    const auto first = single.reserve(t0).send_at;
    const auto second = single.reserve(t0).send_at;
    BOOST_TEST((second - first > std::chrono::hours(24 * 11)));
}

BOOST_AUTO_TEST_CASE(burst_goes_at_once_after_a_quiet_spell_then_paces)
{
    rate_limiter rl(limit(100, 5));
    rl.reserve(t0);
    auto later = t0 + 10s;  // long idle: the full burst is available again
    for (int i = 0; i < 5; ++i)
        BOOST_TEST((rl.reserve(later).send_at == later));
    BOOST_TEST(ms_between(later, rl.reserve(later).send_at) == 10.0, boost::test_tools::tolerance(1e-6));
}

BOOST_AUTO_TEST_CASE(idle_time_does_not_accumulate_beyond_the_burst)
{
    rate_limiter rl(limit(10, 1));
    rl.reserve(t0);
    auto later = t0 + 60s;
    BOOST_TEST((rl.reserve(later).send_at == later));
    BOOST_TEST(ms_between(later, rl.reserve(later).send_at) == 100.0, boost::test_tools::tolerance(1e-6));
}

BOOST_AUTO_TEST_CASE(a_429_halves_the_rate_once_per_interval_down_to_the_floor)
{
    auto o = limit(100);
    o.recovery_interval = 1s;
    o.min_rate_fraction = 0.2;
    rate_limiter rl(o);
    rl.on_throttled(t0);
    BOOST_TEST(rl.current_rate() == 50.0, boost::test_tools::tolerance(1e-9));
    rl.on_throttled(t0 + 100ms);  // the same overload: no second decrease
    BOOST_TEST(rl.current_rate() == 50.0, boost::test_tools::tolerance(1e-9));
    rl.on_throttled(t0 + 1100ms);
    BOOST_TEST(rl.current_rate() == 25.0, boost::test_tools::tolerance(1e-9));
    rl.on_throttled(t0 + 2200ms);
    BOOST_TEST(rl.current_rate() == 20.0, boost::test_tools::tolerance(1e-9));  // the floor
}

BOOST_AUTO_TEST_CASE(rate_recovers_additively_to_the_limit)
{
    auto o = limit(100);
    o.recovery_interval = 1s;
    o.recovery_step = 0.1;
    rate_limiter rl(o);
    rl.on_throttled(t0);
    BOOST_TEST(rl.current_rate() == 50.0, boost::test_tools::tolerance(1e-9));
    rl.on_accepted(t0 + 500ms);  // too soon
    BOOST_TEST(rl.current_rate() == 50.0, boost::test_tools::tolerance(1e-9));
    auto t = t0;
    for (int i = 1; i <= 5; ++i)
    {
        t += 1s;
        rl.on_accepted(t);
        BOOST_TEST(rl.current_rate() == 50.0 + 10.0 * i, boost::test_tools::tolerance(1e-9));
    }
    t += 1s;
    rl.on_accepted(t);
    BOOST_TEST(rl.current_rate() == 100.0, boost::test_tools::tolerance(1e-9));  // capped at the limit
}

BOOST_AUTO_TEST_CASE(backed_off_rate_spaces_requests_wider)
{
    rate_limiter rl(limit(100));
    rl.on_throttled(t0);
    auto a = rl.reserve(t0 + 10s).send_at;
    auto b = rl.reserve(t0 + 10s).send_at;
    BOOST_TEST(ms_between(a, b) == 20.0, boost::test_tools::tolerance(1e-6));
}

BOOST_AUTO_TEST_CASE(a_decrease_voids_the_reservations_made_at_the_old_rate)
{
    rate_limiter rl(limit(100));
    std::vector<rate_limiter::reservation> waiting;
    for (int i = 0; i < 10; ++i)
        waiting.push_back(rl.reserve(t0));  // t0 .. t0 + 90 ms
    BOOST_TEST(rl.still_valid(waiting.back().generation));
    rl.on_throttled(t0 + 1ms);
    BOOST_TEST(!rl.still_valid(waiting.back().generation));
    // The waiters reserve again as they wake at their old times, now 20 ms apart.
    auto a = rl.reserve(waiting[1].send_at).send_at;
    auto b = rl.reserve(waiting[2].send_at).send_at;
    auto c = rl.reserve(waiting[3].send_at).send_at;
    BOOST_TEST(ms_between(a, b) == 20.0, boost::test_tools::tolerance(1e-6));
    BOOST_TEST(ms_between(b, c) == 20.0, boost::test_tools::tolerance(1e-6));
}

BOOST_AUTO_TEST_CASE(a_turn_past_the_deadline_is_refused_and_reserves_nothing)
{
    rate_limiter rl(limit(10));  // one every 100 ms
    BOOST_TEST(rl.reserve(t0, t0 + 1s).granted);
    for (int i = 0; i < 9; ++i)
        BOOST_TEST(rl.reserve(t0, t0 + 1s).granted);  // t0 + 100 .. 900 ms
    auto refused = rl.reserve(t0, t0 + 950ms);
    BOOST_TEST(!refused.granted);
    for (int i = 0; i < 1000; ++i)
        BOOST_TEST(!rl.reserve(t0, t0 + 950ms).granted);
    // The thousand refusals took nothing: the next turn is still at t0 + 1 s.
    auto next = rl.reserve(t0, t0 + 10s);
    BOOST_TEST(next.granted);
    BOOST_TEST(ms_between(t0, next.send_at) == 1000.0, boost::test_tools::tolerance(1e-6));
}

BOOST_AUTO_TEST_CASE(a_released_turn_goes_to_the_next_caller)
{
    rate_limiter rl(limit(10));
    std::vector<rate_limiter::reservation> r;
    for (int i = 0; i < 5; ++i)
        r.push_back(rl.reserve(t0));  // t0 .. t0 + 400 ms
    rl.release(r[2], t0 + 50ms);      // t0 + 200 ms goes back
    rl.release(r[3], t0 + 50ms);      // t0 + 300 ms goes back
    auto a = rl.reserve(t0 + 60ms);
    auto b = rl.reserve(t0 + 60ms);
    auto c = rl.reserve(t0 + 60ms);
    BOOST_TEST(ms_between(t0, a.send_at) == 200.0, boost::test_tools::tolerance(1e-6));
    BOOST_TEST(ms_between(t0, b.send_at) == 300.0, boost::test_tools::tolerance(1e-6));
    BOOST_TEST(ms_between(t0, c.send_at) == 500.0, boost::test_tools::tolerance(1e-6));  // then the schedule goes on
    // A turn released after its time, or one voided by a decrease, is dropped.
    rl.release(r[4], t0 + 450ms);
    BOOST_TEST(ms_between(t0, rl.reserve(t0 + 460ms).send_at) == 600.0, boost::test_tools::tolerance(1e-6));
}

BOOST_AUTO_TEST_CASE(a_returned_turn_past_the_deadline_is_refused_too)
{
    rate_limiter rl(limit(10));
    auto first = rl.reserve(t0);
    auto second = rl.reserve(t0);  // t0 + 100 ms
    (void)first;
    rl.release(second, t0 + 10ms);
    BOOST_TEST(!rl.reserve(t0 + 20ms, t0 + 50ms).granted);
    BOOST_TEST(ms_between(t0, rl.reserve(t0 + 20ms).send_at) == 100.0, boost::test_tools::tolerance(1e-6));
}

BOOST_AUTO_TEST_CASE(non_adaptive_limiter_ignores_429s)
{
    auto o = limit(100);
    o.adaptive = false;
    rate_limiter rl(o);
    rl.on_throttled(t0);
    BOOST_TEST(rl.current_rate() == 100.0, boost::test_tools::tolerance(1e-9));
}

BOOST_AUTO_TEST_SUITE_END()
