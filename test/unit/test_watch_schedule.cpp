// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
//
// The watcher's schedule without sockets: a fake clock (nanoseconds passed in), a seeded jitter
// source, and a driver that wakes, sends and hands polls back as the watcher does.
#include "watch_schedule.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using beeos::field_set;
using beeos::instance_field;
using beeos::watch_event;
using beeos::watch_options;
using beeos::detail::watch_schedule;
using kind = watch_event::kind;
using ticket = watch_schedule::poll;

namespace
{

constexpr std::int64_t ms = 1'000'000;
constexpr std::int64_t never = watch_schedule::never;
constexpr std::int64_t t0 = 1'000'000 * ms;  // the fake clock's reading at construction

// Uniform in [0, 1) from a seeded engine: the same draws on every platform.
watch_schedule::jitter_source seeded(std::uint64_t seed)
{
    auto engine = std::make_shared<std::mt19937_64>(seed);
    return [engine] { return static_cast<double>((*engine)() >> 11) * 0x1.0p-53; };
}

watch_options options(std::chrono::milliseconds interval, double jitter, std::size_t max_in_flight = 1u << 20)
{
    return {.interval = interval, .jitter = jitter, .max_in_flight = max_in_flight};
}

std::int64_t ns(std::chrono::milliseconds d)
{
    return d.count() * ms;
}

std::string id_of(std::size_t i)
{
    return "inst_" + std::to_string(i);
}

beeos::instance with_status(beeos::instance_status st, beeos::connectivity_state conn = beeos::connectivity_state::online)
{
    beeos::instance i;
    i.status = st;
    i.connectivity = conn;
    return i;
}

beeos::instance running()
{
    return with_status(beeos::instance_status::running);
}

// Drives a schedule as the watcher's run loop does: wakes at the next due time while there is
// room (else at the next hand-back), takes what is due within `tick`, and hands each poll
// back `latency(poll)` later with a successful, unchanged result.
struct driver
{
    explicit driver(watch_schedule& s, std::int64_t start) : sched(s), now(start) {}

    watch_schedule& sched;
    std::int64_t now;
    std::int64_t tick = 0;
    std::function<std::int64_t(const ticket&)> latency = [](const ticket&) { return std::int64_t{0}; };

    struct send
    {
        std::int64_t at;
        std::int64_t due;
        std::string id;
    };
    std::vector<send> sent;
    std::multimap<std::int64_t, ticket> out;  // by hand-back time
    std::set<std::string> outstanding;
    std::size_t overlaps = 0;  // polls of an id sent while its previous one was out
    std::size_t most_out = 0;
    std::size_t events = 0;

    void run_until(std::int64_t end)
    {
        std::vector<ticket> batch;
        for (;;)
        {
            const std::int64_t next_send = sched.room() > 0 ? sched.next_due() : never;
            const std::int64_t next_back = out.empty() ? never : out.begin()->first;
            const std::int64_t t = std::min(next_send, next_back);
            if (t > end)
                break;
            now = std::max(now, t);
            while (!out.empty() && out.begin()->first <= now)
            {
                auto node = out.extract(out.begin());
                outstanding.erase(node.mapped().id);
                beeos::error_info info;
                events += sched.complete(node.mapped(), now, {}, info, running()).has_value() ? 1 : 0;
            }
            batch.clear();
            sched.take_due(now + tick, batch);
            for (auto& p : batch)
            {
                overlaps += outstanding.insert(p.id).second ? 0 : 1;
                sent.push_back({now, p.due, p.id});
                const std::int64_t back = now + latency(p);
                out.emplace(back, std::move(p));
            }
            most_out = std::max(most_out, sched.in_flight());
        }
        now = std::max(now, end);
    }

    std::map<std::string, std::vector<send>> by_id() const
    {
        std::map<std::string, std::vector<send>> m;
        for (const auto& s : sent)
            m[s.id].push_back(s);
        return m;
    }
};

// Sends in each window of interval/10 over [from, from + intervals * interval), also with
// the windows shifted by half their width.
std::vector<std::size_t> window_counts(const std::vector<driver::send>& sent, std::int64_t from, std::int64_t interval, int intervals)
{
    const std::int64_t width = interval / 10;
    std::vector<std::size_t> counts;
    for (std::int64_t shift : {std::int64_t{0}, width / 2})
    {
        const std::size_t first = counts.size();
        const int windows = intervals * 10 - (shift ? 1 : 0);
        counts.resize(first + static_cast<std::size_t>(windows), 0);
        for (const auto& s : sent)
        {
            const std::int64_t rel = s.at - from - shift;
            if (rel >= 0 && rel < windows * width)
                ++counts[first + static_cast<std::size_t>(rel / width)];
        }
    }
    return counts;
}

// How far a window of interval/10 may stray from N/10. Without jitter the golden-ratio phases
// are a low-discrepancy sequence: an error of a few sends, growing like log N. A jitter of 0.1
// makes each window's count a sum of independent draws (the N/5 points within a window's width
// before or in it, each landing in it with a probability spread over [0, 1]) with a variance
// of N/30: five standard deviations of that on top.
double window_bound(std::size_t n, double jitter)
{
    double b = 2.0 + std::log10(static_cast<double>(n));
    if (jitter > 0)
        b += 5.0 * std::sqrt(static_cast<double>(n) / 30.0);
    return b;
}

void check_flat(
    const std::vector<driver::send>& sent,
    std::int64_t from,
    std::int64_t interval,
    int intervals,
    std::size_t n,
    double jitter,
    const char* what
)
{
    const auto counts = window_counts(sent, from, interval, intervals);
    const double mean = static_cast<double>(n) / 10.0;
    const double bound = window_bound(n, jitter);
    double worst = 0;
    std::size_t worst_at = 0;
    for (std::size_t w = 0; w < counts.size(); ++w)
    {
        const double dev = std::abs(static_cast<double>(counts[w]) - mean);
        if (dev > worst)
        {
            worst = dev;
            worst_at = w;
        }
    }
    BOOST_TEST(
        worst <= bound,
        what << ", N " << n << ", jitter " << jitter << ": window " << worst_at << " holds " << counts[worst_at] << " sends, mean " << mean
             << ", bound " << bound
    );
}

}  // namespace

BOOST_AUTO_TEST_SUITE(watch_schedule_tests)

BOOST_AUTO_TEST_CASE(options_are_validated)
{
    BOOST_CHECK_THROW(watch_schedule::validate({.interval = 0ms}), std::invalid_argument);
    BOOST_CHECK_THROW(watch_schedule::validate({.interval = -5ms}), std::invalid_argument);
    BOOST_CHECK_THROW(watch_schedule::validate({.jitter = 1.5}), std::invalid_argument);
    BOOST_CHECK_THROW(watch_schedule::validate({.jitter = -0.1}), std::invalid_argument);
    BOOST_CHECK_THROW(watch_schedule::validate({.jitter = std::nan("")}), std::invalid_argument);
    BOOST_TEST(watch_schedule::validate({.max_in_flight = 0}).max_in_flight == 64u);
    BOOST_TEST(watch_schedule::validate({.max_in_flight = 3}).max_in_flight == 3u);
}

BOOST_AUTO_TEST_CASE(ids_added_at_once_are_spread_evenly_from_the_first_interval_on)
{
    const auto interval = 1000ms;
    for (double jitter : {0.0, 0.1})
        for (std::size_t n : {1u, 7u, 1000u, 100000u})
        {
            watch_schedule s(options(interval, jitter), seeded(n), t0);
            const std::int64_t start = t0 + 12'345 * ms;  // anywhere: the phases do not depend on it
            std::size_t added = 0;
            for (std::size_t i = 0; i < n; ++i)
                added += s.add(id_of(i), start) ? 1 : 0;
            BOOST_TEST(added == n);
            BOOST_TEST(s.size() == n);
            driver d(s, start);
            d.run_until(start + 3 * ns(interval));
            // The first interval counts too: no ramp-up while the first polls' jitter plays out.
            check_flat(d.sent, start, ns(interval), 3, n, jitter, "added at once");
            BOOST_TEST(d.events == n);  // one initial each, then unchanged
            BOOST_TEST(d.overlaps == 0u);
        }
}

BOOST_AUTO_TEST_CASE(ids_added_one_by_one_are_spread_evenly)
{
    const auto interval = 1000ms;
    for (double jitter : {0.0, 0.1})
        for (std::size_t n : {1u, 7u, 1000u, 100000u})
        {
            watch_schedule s(options(interval, jitter), seeded(n + 1), t0);
            driver d(s, t0);
            // Added over 2.5 intervals while polling, at uneven moments.
            std::mt19937_64 gaps(42);
            const std::int64_t span = 5 * ns(interval) / 2;
            std::size_t added = 0;
            for (std::size_t i = 0; i < n; ++i)
            {
                d.run_until(
                    t0 + static_cast<std::int64_t>(static_cast<double>(span) * static_cast<double>(i) / static_cast<double>(n)) +
                    static_cast<std::int64_t>(gaps() % 1000)
                );
                added += s.add(id_of(i), d.now) ? 1 : 0;
            }
            BOOST_TEST(added == n);
            const std::int64_t from = d.now + ns(interval);  // every id's first poll is behind us
            d.run_until(from + 3 * ns(interval));
            check_flat(d.sent, from, ns(interval), 3, n, jitter, "added one by one");
            BOOST_TEST(d.overlaps == 0u);
        }
}

BOOST_AUTO_TEST_CASE(a_new_id_is_first_polled_within_one_interval)
{
    // Within one interval of its phase's point, that is, plus at most the jitter span.
    const auto interval = 1000ms;
    const double jitter = 0.1;
    watch_schedule s(options(interval, jitter), seeded(3), t0);
    const std::int64_t at = t0 + 777 * ms;
    for (std::size_t i = 0; i < 100; ++i)
        s.add(id_of(i), at);
    std::vector<ticket> polls;
    BOOST_TEST(s.take_due(at, polls) == 0u);  // not at once
    const auto latest = at + ns(interval) + static_cast<std::int64_t>(jitter * static_cast<double>(ns(interval)));
    BOOST_TEST(s.take_due(latest, polls) == 100u);
    for (const auto& p : polls)
        BOOST_TEST((p.due > at && p.due <= latest), p.id << " first due " << (p.due - at) / ms << " ms after its add");
}

BOOST_AUTO_TEST_CASE(each_id_is_polled_once_per_interval)
{
    const auto interval = 1000ms;
    const double jitter = 0.1;
    const std::size_t n = 500;
    watch_schedule s(options(interval, jitter), seeded(5), t0);
    for (std::size_t i = 0; i < n; ++i)
        s.add(id_of(i), t0);
    driver d(s, t0);
    std::mt19937_64 lat(9);
    d.latency = [&](const ticket&) { return static_cast<std::int64_t>(lat() % (50 * ms)); };  // well under an interval
    d.run_until(t0 + 20 * ns(interval));
    for (const auto& [id, sends] : d.by_id())
    {
        BOOST_TEST((sends.size() >= 19u && sends.size() <= 21u), id << " polled " << sends.size() << " times in 20 intervals");
        for (std::size_t k = 1; k < sends.size(); ++k)
        {
            const std::int64_t gap = sends[k].at - sends[k - 1].at;
            // A fixed grid plus a fresh jitter per point: the gap strays by less than the jitter span.
            BOOST_TEST(
                (gap > ns(interval) - jitter * ns(interval) && gap < ns(interval) + jitter * ns(interval)),
                id << " gap " << gap / ms << " ms"
            );
        }
    }
    BOOST_TEST(d.overlaps == 0u);
}

BOOST_AUTO_TEST_CASE(a_poll_that_overruns_skips_the_missed_points)
{
    const auto interval = 1000ms;
    watch_schedule s(options(interval, 0.0), seeded(1), t0);
    s.add("inst_slow", t0);
    driver d(s, t0);
    d.latency = [&](const ticket&) { return 2 * ns(interval) + ns(interval) / 2; };  // 2.5 intervals
    d.run_until(t0 + 31 * ns(interval));
    // Each poll waits for the previous one and then takes the next point of its own grid: three
    // intervals apart, never the two missed points in a burst.
    BOOST_REQUIRE(d.sent.size() >= 10u);
    BOOST_TEST(d.sent.size() <= 11u);
    for (std::size_t k = 1; k < d.sent.size(); ++k)
    {
        BOOST_TEST(d.sent[k].at - d.sent[k - 1].at == 3 * ns(interval));
        BOOST_TEST(d.sent[k].due - d.sent[k - 1].due == 3 * ns(interval));
    }
    BOOST_TEST(d.overlaps == 0u);
}

BOOST_AUTO_TEST_CASE(when_polls_wait_for_room_missed_points_are_skipped_not_made_up)
{
    // 200 ids per second asked of a gateway that answers 10 at a time in 200 ms: 50 per second.
    const auto interval = 1000ms;
    const double jitter = 0.1;
    const std::size_t n = 200;
    watch_schedule s(options(interval, jitter, 10), seeded(11), t0);
    for (std::size_t i = 0; i < n; ++i)
        s.add(id_of(i), t0);
    driver d(s, t0);
    d.latency = [](const ticket&) { return 200 * ms; };
    d.run_until(t0 + 20 * ns(interval));
    BOOST_TEST(d.most_out <= 10u);
    BOOST_TEST(d.overlaps == 0u);
    // Full use of the room, no more: the backlog never grows into a burst.
    BOOST_TEST((d.sent.size() >= 950u && d.sent.size() <= 1010u), d.sent.size() << " polls in 20 s");
    for (const auto& [id, sends] : d.by_id())
    {
        BOOST_TEST(sends.size() <= 21u, id);  // at most one poll per point of its grid
        for (std::size_t k = 1; k < sends.size(); ++k)
            BOOST_TEST(sends[k].due - sends[k - 1].due > ns(interval) - jitter * ns(interval), id << " took a point twice");
    }
}

BOOST_AUTO_TEST_CASE(a_poll_of_an_id_never_overlaps_its_previous_poll)
{
    const auto interval = 100ms;
    watch_schedule s(options(interval, 0.3), seeded(21), t0);
    for (std::size_t i = 0; i < 200; ++i)
        s.add(id_of(i), t0);
    driver d(s, t0);
    std::mt19937_64 lat(4);
    d.latency = [&](const ticket&) { return static_cast<std::int64_t>(lat() % (3 * ns(interval))); };  // up to 3 intervals
    d.run_until(t0 + 50 * ns(interval));
    BOOST_TEST(d.sent.size() > 2000u);
    BOOST_TEST(d.overlaps == 0u);

    // However much time passes, an id that is out is not handed out again.
    watch_schedule one(options(interval, 0.0), seeded(1), t0);
    one.add("inst_1", t0);
    std::vector<ticket> polls;
    BOOST_REQUIRE(one.take_due(t0 + ns(interval), polls) == 1u);
    BOOST_TEST(one.take_due(t0 + 100 * ns(interval), polls) == 0u);
    BOOST_TEST(one.next_due() == never);
    one.discard(polls[0], t0 + 100 * ns(interval));
    BOOST_TEST(one.next_due() > t0 + 100 * ns(interval));
    BOOST_TEST(one.next_due() <= t0 + 101 * ns(interval));
}

BOOST_AUTO_TEST_CASE(remove_while_in_flight_drops_the_result)
{
    watch_schedule s(options(1000ms, 0.1), seeded(2), t0);
    s.add("inst_1", t0);
    s.add("inst_2", t0);
    std::vector<ticket> polls;
    BOOST_REQUIRE(s.take_due(t0 + 2000 * ms, polls) == 2u);
    const ticket& p1 = polls[0].id == "inst_1" ? polls[0] : polls[1];
    BOOST_TEST(s.remove("inst_1"));
    BOOST_TEST(!s.remove("inst_1"));
    BOOST_TEST(!s.contains("inst_1"));
    BOOST_TEST(s.size() == 1u);
    BOOST_TEST(s.in_flight() == 2u);  // still out: its hand-back frees the slot

    beeos::error_info info;
    BOOST_TEST(!s.complete(p1, t0 + 2100 * ms, {}, info, running()).has_value());
    BOOST_TEST(s.in_flight() == 1u);
    BOOST_TEST(!s.contains("inst_1"));
    BOOST_TEST(s.next_due() == never);  // not rescheduled; inst_2 is still out

    // An error result of a removed id gives no error event either.
    const ticket& p2 = polls[0].id == "inst_2" ? polls[0] : polls[1];
    BOOST_TEST(s.remove("inst_2"));
    info.http_status = 503;
    BOOST_TEST(!s.complete(p2, t0 + 2100 * ms, beeos::errc::server_error, info, {}).has_value());
    BOOST_TEST(s.size() == 0u);
    BOOST_TEST(s.in_flight() == 0u);
    BOOST_TEST(s.next_due() == never);

    // Removed while waiting (not out): gone from the schedule at once.
    s.add("inst_3", t0 + 2200 * ms);
    BOOST_TEST(s.next_due() != never);
    BOOST_TEST(s.remove("inst_3"));
    BOOST_TEST(s.next_due() == never);
    std::vector<ticket> none;
    BOOST_TEST(s.take_due(t0 + 10'000 * ms, none) == 0u);
}

BOOST_AUTO_TEST_CASE(re_add_while_in_flight_starts_with_initial)
{
    watch_schedule s(options(1000ms, 0.0), seeded(2), t0);
    s.add("inst_1", t0);
    beeos::error_info info;
    std::vector<ticket> polls;
    BOOST_REQUIRE(s.take_due(t0 + 1000 * ms, polls) == 1u);
    auto ev = s.complete(polls[0], t0 + 1000 * ms, {}, info, running());
    BOOST_REQUIRE(ev.has_value());
    BOOST_TEST((ev->type == kind::initial));

    polls.clear();
    BOOST_REQUIRE(s.take_due(t0 + 2000 * ms, polls) == 1u);
    const ticket stale = polls[0];
    BOOST_TEST(s.remove("inst_1"));
    BOOST_TEST(s.add("inst_1", t0 + 2010 * ms));
    BOOST_TEST(!s.add("inst_1", t0 + 2010 * ms));
    BOOST_TEST(s.contains("inst_1"));
    BOOST_TEST(s.next_due() == never);  // scheduled when the poll out comes back, not twice

    // The poll taken before the re-add is stale: a changed status gives no event.
    BOOST_TEST(!s.complete(stale, t0 + 2020 * ms, {}, info, with_status(beeos::instance_status::stopped)).has_value());
    BOOST_TEST(s.in_flight() == 0u);
    polls.clear();
    BOOST_REQUIRE(s.take_due(t0 + 3000 * ms, polls) == 1u);
    BOOST_TEST(s.take_due(t0 + 3000 * ms, polls) == 0u);
    ev = s.complete(polls[0], t0 + 3000 * ms, {}, info, with_status(beeos::instance_status::stopped));
    BOOST_REQUIRE(ev.has_value());
    BOOST_TEST((ev->type == kind::initial));  // the state before the remove is forgotten
    BOOST_TEST(!ev->previous.has_value());
    BOOST_TEST((ev->current.status() == beeos::instance_status::stopped));
}

BOOST_AUTO_TEST_CASE(an_error_streak_gives_one_error_then_recovered_with_what_changed)
{
    watch_schedule s(options(1000ms, 0.0), seeded(2), t0);
    s.add("inst_1", t0);
    std::int64_t now = t0;
    // One poll of inst_1 with the given result; returns the event.
    auto poll_once = [&](boost::system::error_code ec, beeos::instance inst, int http_status = 0)
    {
        now += 1000 * ms;
        std::vector<ticket> polls;
        BOOST_REQUIRE(s.take_due(now, polls) == 1u);
        beeos::error_info info;
        info.http_status = http_status;
        return s.complete(polls[0], now, ec, info, std::move(inst));
    };

    auto ev = poll_once({}, running());
    BOOST_REQUIRE(ev.has_value());
    BOOST_TEST((ev->type == kind::initial));
    BOOST_TEST(ev->id == "inst_1");
    BOOST_TEST(!poll_once({}, running()).has_value());  // unchanged: nothing

    ev = poll_once(beeos::errc::server_error, {}, 503);
    BOOST_REQUIRE(ev.has_value());
    BOOST_TEST((ev->type == kind::error));
    BOOST_TEST(ev->ec == beeos::errc::server_error);
    BOOST_TEST(ev->error.http_status == 503);
    BOOST_TEST((ev->current.status() == beeos::instance_status::running));  // last seen
    BOOST_TEST(!ev->previous.has_value());
    BOOST_TEST(ev->changed.empty());
    BOOST_TEST(!poll_once(beeos::errc::server_error, {}, 503).has_value());  // once per streak
    BOOST_TEST(!poll_once(beeos::errc::timeout, {}).has_value());

    ev = poll_once({}, with_status(beeos::instance_status::running, beeos::connectivity_state::offline));
    BOOST_REQUIRE(ev.has_value());
    BOOST_TEST((ev->type == kind::recovered));
    BOOST_TEST(ev->changed == field_set(instance_field::connectivity));
    BOOST_REQUIRE(ev->previous.has_value());
    BOOST_TEST((ev->previous->connectivity() == beeos::connectivity_state::online));
    BOOST_TEST((ev->current.connectivity() == beeos::connectivity_state::offline));
    BOOST_TEST((ev->full.connectivity == beeos::connectivity_state::offline));

    // A new streak gives a new error; a recovery with nothing moved still says recovered.
    ev = poll_once(beeos::errc::not_found, {}, 404);
    BOOST_REQUIRE(ev.has_value());
    BOOST_TEST((ev->type == kind::error));
    ev = poll_once({}, with_status(beeos::instance_status::running, beeos::connectivity_state::offline));
    BOOST_REQUIRE(ev.has_value());
    BOOST_TEST((ev->type == kind::recovered));
    BOOST_TEST(ev->changed.empty());

    ev = poll_once({}, with_status(beeos::instance_status::stopped, beeos::connectivity_state::offline));
    BOOST_REQUIRE(ev.has_value());
    BOOST_TEST((ev->type == kind::changed));
    BOOST_TEST(ev->changed == field_set(instance_field::status));

    // An id whose first polls fail: error, then initial (there is nothing to recover from).
    watch_schedule t(options(1000ms, 0.0), seeded(2), t0);
    t.add("inst_new", t0);
    std::vector<ticket> polls;
    beeos::error_info info;
    BOOST_REQUIRE(t.take_due(t0 + 1000 * ms, polls) == 1u);
    ev = t.complete(polls[0], t0 + 1000 * ms, beeos::errc::connection, info, {});
    BOOST_REQUIRE(ev.has_value());
    BOOST_TEST((ev->type == kind::error));
    polls.clear();
    BOOST_REQUIRE(t.take_due(t0 + 2000 * ms, polls) == 1u);
    ev = t.complete(polls[0], t0 + 2000 * ms, {}, info, running());
    BOOST_REQUIRE(ev.has_value());
    BOOST_TEST((ev->type == kind::initial));
}

BOOST_AUTO_TEST_CASE(discard_reschedules_and_records_nothing)
{
    watch_schedule s(options(1000ms, 0.0), seeded(2), t0);
    s.add("inst_1", t0);
    std::vector<ticket> polls;
    BOOST_REQUIRE(s.take_due(t0 + 1000 * ms, polls) == 1u);
    s.discard(polls[0], t0 + 1000 * ms);
    polls.clear();
    BOOST_REQUIRE(s.take_due(t0 + 2000 * ms, polls) == 1u);
    beeos::error_info info;
    auto ev = s.complete(polls[0], t0 + 2000 * ms, {}, info, running());
    BOOST_REQUIRE(ev.has_value());
    BOOST_TEST((ev->type == kind::initial));  // the discarded poll recorded no snapshot
}

BOOST_AUTO_TEST_CASE(rebase_at_run_start_leaves_no_backlog)
{
    const auto interval = 1000ms;
    for (double jitter : {0.0, 0.1})
    {
        const std::size_t n = 1000;
        watch_schedule s(options(interval, jitter), seeded(8), t0);
        for (std::size_t i = 0; i < n; ++i)
            s.add(id_of(i), t0);
        // Nothing ran for five and a half intervals: every id's due time has passed.
        const std::int64_t start = t0 + 11 * ns(interval) / 2;
        s.rebase(start);
        std::vector<ticket> polls;
        BOOST_TEST(s.take_due(start, polls) == 0u);
        BOOST_TEST(s.next_due() > start);
        driver d(s, start);
        d.run_until(start + 2 * ns(interval));
        check_flat(d.sent, start, ns(interval), 2, n, jitter, "after rebase");
        BOOST_TEST(d.sent.size() >= 2 * n - 10);
    }
}

BOOST_AUTO_TEST_CASE(the_room_limit_holds_and_the_oldest_due_goes_first)
{
    const auto interval = 1000ms;
    watch_schedule s(options(interval, 0.1, 4), seeded(13), t0);
    for (std::size_t i = 0; i < 20; ++i)
        s.add(id_of(i), t0);
    const std::int64_t now = t0 + 2 * ns(interval);  // all due, none taken yet
    std::vector<ticket> polls;
    BOOST_TEST(s.take_due(now, polls) == 4u);
    BOOST_TEST(s.room() == 0u);
    BOOST_TEST(s.take_due(now, polls) == 0u);
    BOOST_TEST(s.in_flight() == 4u);

    // Hand back one at a time; each frees exactly one place, taken by the oldest due left.
    std::vector<std::int64_t> dues;
    std::set<std::string> taken;
    std::size_t next = 0;
    while (next < polls.size())
    {
        dues.push_back(polls[next].due);
        taken.insert(polls[next].id);
        s.discard(polls[next], now);
        ++next;
        s.take_due(now, polls);
        BOOST_TEST(s.in_flight() <= 4u);
    }
    BOOST_TEST(taken.size() == 20u);  // every waiting id once; the handed-back ones are due later
    BOOST_TEST(std::is_sorted(dues.begin(), dues.end()));
    for (auto due : dues)
        BOOST_TEST(due <= now);
}

BOOST_AUTO_TEST_CASE(take_due_takes_everything_due_within_the_tick)
{
    const auto interval = 1000ms;
    const std::size_t n = 1000;
    watch_schedule s(options(interval, 0.1), seeded(17), t0);
    for (std::size_t i = 0; i < n; ++i)
        s.add(id_of(i), t0);
    const std::int64_t now = t0 + 300 * ms;
    const std::int64_t tick = 5 * ms;
    std::vector<ticket> polls;
    s.take_due(now, polls);
    for (const auto& p : polls)
        BOOST_TEST(p.due <= now);  // tick 0: what is due now, nothing later
    BOOST_TEST(s.next_due() > now);
    const std::size_t before = polls.size();
    const std::size_t in_tick = s.take_due(now + tick, polls);
    BOOST_TEST((in_tick >= 1u && in_tick <= 20u), in_tick << " polls due within 5 ms of 1000 ids per second");
    for (std::size_t k = before; k < polls.size(); ++k)
        BOOST_TEST((polls[k].due > now && polls[k].due <= now + tick));
    BOOST_TEST(s.next_due() > now + tick);
}

BOOST_AUTO_TEST_CASE(a_poll_sent_ahead_within_the_tick_and_back_early_keeps_its_next_point)
{
    // Without jitter a due time is the grid point itself, so a poll taken a tick ahead is back
    // before its own point: the next one must still be the point after.
    const auto interval = 1000ms;
    watch_schedule s(options(interval, 0.0), seeded(1), t0);
    for (std::size_t i = 0; i < 1000; ++i)
        s.add(id_of(i), t0);
    const std::int64_t now = t0 + 300 * ms;
    std::vector<ticket> polls;
    s.take_due(now, polls);
    const std::size_t before = polls.size();
    BOOST_REQUIRE(s.take_due(now + 5 * ms, polls) > 0u);
    const ticket early = polls.back();
    BOOST_REQUIRE(early.due > now);
    BOOST_REQUIRE(polls.size() > before);
    s.discard(early, now);
    std::vector<ticket> later;
    s.take_due(early.due + ns(interval) / 2, later);
    for (const auto& p : later)
        BOOST_TEST(p.id != early.id, early.id << " polled twice at one point");
    s.take_due(early.due + ns(interval), later);
    BOOST_TEST(std::count_if(later.begin(), later.end(), [&](const ticket& p) { return p.id == early.id; }) == 1);
}

BOOST_AUTO_TEST_SUITE_END()
