// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
//
// beeos::watcher against the gateway simulator's lifecycle scripts: every scripted transition
// exactly once, ids added and removed while running (from another thread), errors as events
// once per streak, a gateway restart, the request rate spread over the interval, how a run
// ends, and runs started, refused and cancelled from several threads.
#include "gateway_fixture.hpp"

#include <beeos/watcher.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <future>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

namespace asio = boost::asio;
namespace sim = beeos::sim;
using namespace std::chrono_literals;
using beeos::field_set;
using beeos::instance_field;
using beeos::watch_event;
using beeos::test::gateway_fixture;
using beeos::test::run_until;
using clock_type = std::chrono::steady_clock;
using kind = watch_event::kind;

namespace {

// Events as the test sees them; on_event runs on the io thread, the test reads after run_until.
struct recorder
{
    std::vector<watch_event> events;
    beeos::watcher::event_handler handler()
    {
        return [this](const watch_event& e) { events.push_back(e); };
    }
    std::vector<const watch_event*> for_id(std::string_view id) const
    {
        std::vector<const watch_event*> out;
        for (const auto& e : events)
            if (e.id == id)
                out.push_back(&e);
        return out;
    }
    std::size_t count(std::string_view id, kind k) const
    {
        std::size_t n = 0;
        for (const auto& e : events)
            n += e.id == id && e.type == k;
        return n;
    }
};

// Whether the snapshot shows every field the scripted state sets.
bool matches(const beeos::instance_snapshot& s, const sim::instance_state& st)
{
    auto same = [&](instance_field f, const std::optional<std::string>& v) { return !v || s.text(f) == *v; };
    return same(instance_field::status, st.status) && same(instance_field::desired_status, st.desired_status) &&
           same(instance_field::connectivity, st.connectivity) && same(instance_field::connectivity_reason, st.connectivity_reason) &&
           same(instance_field::ms_connection_status, st.ms_connection_status) && same(instance_field::error_message, st.error_message) &&
           same(instance_field::endpoint, st.endpoint);
}

sim::instance_state state(std::string status, std::string connectivity)
{
    sim::instance_state s;
    s.status = std::move(status);
    s.connectivity = std::move(connectivity);
    return s;
}

// Runs the watcher until `stop()` and collects its completion.
struct running_watcher
{
    running_watcher(beeos::watcher& w, recorder& rec)
    {
        w.async_run(rec.handler(), [this](boost::system::error_code ec) {
            result = ec;
            done = true;
        });
    }
    bool done = false;
    boost::system::error_code result;
};

void run_for(asio::io_context& io, clock_type::duration d)
{
    io.restart();
    io.run_for(d);
}

beeos::client_options fast_options(const gateway_fixture& f)
{
    auto o = f.options();
    o.retry.max_attempts = 1;  // one scripted fault = one failed poll
    o.request_timeout = 2s;
    o.connect_timeout = 2s;
    return o;
}

// Runs raced with a timer on a multi-threaded io_context: what each run saw.
struct race_state
{
    explicit race_state(int rounds) : done(static_cast<std::size_t>(rounds)), results(static_cast<std::size_t>(rounds)) {}

    std::vector<std::atomic<bool>> done;  // set as soon as the run's co_await returned
    std::vector<boost::system::error_code> results;
    std::atomic<int> events{0};
    std::atomic<int> late_events{0};  // events of a run that had completed

    beeos::watcher::event_handler handler(std::size_t round)
    {
        return [this, round](const watch_event&)
        {
            ++events;
            if (done[round].load())
                ++late_events;
        };
    }
};

asio::awaitable<void> observed_run(beeos::watcher& w, race_state& st, std::size_t round)
{
    try
    {
        co_await w.run(st.handler(round));
    }
    catch (const boost::system::system_error& e)
    {
        st.results[round] = e.code();
    }
    st.done[round] = true;
}

asio::awaitable<void> race_runs_with_timers(beeos::watcher& w, race_state& st, int rounds)
{
    using namespace asio::experimental::awaitable_operators;
    auto ex = co_await asio::this_coro::executor;
    for (int i = 0; i < rounds; ++i)
    {
        // Mostly a few ms; every tenth run long enough for polls to finish and give events.
        asio::steady_timer t(ex, i % 10 == 9 ? 60ms : std::chrono::milliseconds(2 + i % 4));
        auto winner = co_await (observed_run(w, st, static_cast<std::size_t>(i)) || t.async_wait(asio::use_awaitable));
        (void)winner;
        // A moment between runs, in which a poll left over from the run would deliver its event.
        asio::steady_timer pause(ex, std::chrono::milliseconds(i % 3));
        co_await pause.async_wait(asio::use_awaitable);
    }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(watcher)

BOOST_AUTO_TEST_CASE(reports_every_scripted_transition_exactly_once)
{
    gateway_fixture f;
    const std::vector<std::string> ids = {"inst_5", "inst_6", "vm_scripted_only"};
    std::vector<sim::lifecycle_step> steps = {
        {0ms, state("pending", "offline")},
        {400ms, state("provisioning", "offline")},
        {800ms, state("running", "offline")},
        {1200ms, [] {
             auto s = state("running", "online");
             s.endpoint = "https://new.example";
             return s;
         }()},
    };
    asio::io_context io;
    beeos::client c{io.get_executor(), fast_options(f)};
    beeos::watcher w{c, {.interval = 100ms}};
    // The scripts' clocks start now, not before the client's set-up (slow under sanitizers).
    for (const auto& id : ids)
        f.gw.set_lifecycle(id, steps);
    BOOST_TEST(w.add(ids) == ids.size());
    BOOST_TEST(!w.add("inst_5"));  // already watched
    BOOST_TEST(w.size() == ids.size());
    recorder rec;
    running_watcher run(w, rec);
    run_for(io, 1500ms);
    w.stop();
    BOOST_REQUIRE(run_until(io, [&] { return run.done; }, 5s));
    BOOST_TEST(!run.result);

    const field_set expected_changes[] = {{}, {instance_field::status}, {instance_field::status},
                                          {instance_field::connectivity, instance_field::endpoint}};
    for (const auto& id : ids)
    {
        auto tr = f.gw.transitions_for(id);
        BOOST_REQUIRE_EQUAL(tr.size(), steps.size());
        auto evs = rec.for_id(id);
        BOOST_REQUIRE_EQUAL(evs.size(), tr.size());  // none lost, no duplicates
        for (std::size_t i = 0; i < tr.size(); ++i)
        {
            const watch_event& e = *evs[i];
            BOOST_TEST((e.type == (i == 0 ? kind::initial : kind::changed)), id << " event " << i << " is " << e.type);
            BOOST_TEST(matches(e.current, tr[i].state), id << " event " << i << " shows " << e.current.text(instance_field::status));
            BOOST_TEST(e.full.id == id);
            BOOST_TEST(e.full.status == e.current.status());
            BOOST_TEST(!e.ec);
            if (i == 0)
            {
                BOOST_TEST(!e.previous.has_value());
                BOOST_TEST(e.changed.empty());
            }
            else
            {
                BOOST_REQUIRE(e.previous.has_value());
                BOOST_TEST(matches(*e.previous, tr[i - 1].state));
                BOOST_TEST(e.changed == expected_changes[i]);
            }
        }
    }
    // About one poll per id per interval, not more: 15 intervals, first within the first.
    for (const auto& id : ids)
        BOOST_TEST(f.gw.requests_for(id) <= 16u, id << " polled " << f.gw.requests_for(id) << " times");
}

BOOST_AUTO_TEST_CASE(ids_added_and_removed_while_running_from_another_thread)
{
    gateway_fixture f;
    asio::io_context io;
    beeos::client c{io.get_executor(), fast_options(f)};
    beeos::watcher w{c, {.interval = 100ms}};
    f.gw.set_lifecycle("inst_1", {{0ms, state("running", "online")}, {500ms, state("running", "offline")}});
    w.add("inst_1");
    recorder rec;
    running_watcher run(w, rec);

    // The io thread is this one; another thread changes the set while polls run.
    std::thread other([&] {
        std::this_thread::sleep_for(250ms);
        w.add("inst_2");
        w.add(std::vector<std::string>{"inst_3", "inst_4"});
        std::this_thread::sleep_for(450ms);
        w.remove("inst_1");
        w.remove("inst_3");
    });
    run_for(io, 1000ms);
    other.join();
    BOOST_TEST(w.size() == 2u);
    BOOST_TEST(!w.contains("inst_1"));
    BOOST_TEST(w.contains("inst_4"));
    const auto removed_polls = f.gw.requests_for("inst_1");
    const auto removed_events = rec.for_id("inst_1").size();
    run_for(io, 400ms);
    w.stop();
    BOOST_REQUIRE(run_until(io, [&] { return run.done; }, 5s));

    // inst_1: initial and the change at 500 ms, then nothing more once removed.
    BOOST_TEST(rec.count("inst_1", kind::initial) == 1u);
    BOOST_TEST(rec.count("inst_1", kind::changed) == 1u);
    BOOST_TEST(rec.for_id("inst_1").size() == removed_events);
    BOOST_TEST(f.gw.requests_for("inst_1") <= removed_polls + 1);  // at most the poll in flight
    // The added ids: exactly one initial each (no churn: nothing else changes).
    for (auto id : {"inst_2", "inst_3", "inst_4"})
    {
        BOOST_TEST(rec.count(id, kind::initial) == 1u, id);
        BOOST_TEST(rec.for_id(id).size() == 1u, id);
    }
    BOOST_TEST(f.gw.requests_for("inst_4") >= 5u);  // still polled after the removals

    // Removing and adding again starts afresh with an initial event.
    BOOST_TEST(!w.remove("inst_1"));
    BOOST_TEST(w.add("inst_1"));
    recorder rec2;
    running_watcher run2(w, rec2);
    run_for(io, 300ms);
    w.stop();
    BOOST_REQUIRE(run_until(io, [&] { return run2.done; }, 5s));
    BOOST_TEST(rec2.count("inst_1", kind::initial) == 1u);
}

BOOST_AUTO_TEST_CASE(errors_are_events_once_per_streak_and_the_watcher_keeps_going)
{
    gateway_fixture f;
    f.gw.set_lifecycle("inst_2", {{0ms, state("running", "online")}});
    asio::io_context io;
    beeos::client c{io.get_executor(), fast_options(f)};
    beeos::watcher w{c, {.interval = 100ms}};
    w.add(std::vector<std::string>{"inst_1", "inst_2", "inst_gone_404", "inst_forbidden_7"});
    recorder rec;
    running_watcher run(w, rec);
    BOOST_REQUIRE(run_until(io, [&] { return rec.count("inst_2", kind::initial) == 1; }, 3s));

    // inst_2 fails for 4 polls; meanwhile its connectivity moves.
    sim::fault fail;
    fail.status = 503;
    fail.times = 4;
    f.gw.add_fault("inst_2", fail);
    f.gw.set_state("inst_2", state("running", "offline"));
    run_for(io, 900ms);
    w.stop();
    BOOST_REQUIRE(run_until(io, [&] { return run.done; }, 5s));

    // An unknown id: polled again and again, reported once.
    BOOST_TEST(f.gw.requests_for("inst_gone_404") >= 5u);
    auto gone = rec.for_id("inst_gone_404");
    BOOST_REQUIRE_EQUAL(gone.size(), 1u);
    BOOST_TEST((gone[0]->type == kind::error));
    BOOST_TEST(gone[0]->ec == beeos::errc::not_found);
    BOOST_TEST(gone[0]->error.http_status == 404);
    BOOST_TEST(gone[0]->error.api_code == "instance_not_found");
    BOOST_TEST(gone[0]->error.id == "inst_gone_404");
    auto forbidden = rec.for_id("inst_forbidden_7");
    BOOST_REQUIRE_EQUAL(forbidden.size(), 1u);
    BOOST_TEST(forbidden[0]->ec == beeos::errc::forbidden);

    // A streak of four failures: one error, then one recovered carrying the change.
    auto evs = rec.for_id("inst_2");
    BOOST_REQUIRE_EQUAL(evs.size(), 3u);
    BOOST_TEST((evs[1]->type == kind::error));
    BOOST_TEST(evs[1]->ec == beeos::errc::server_error);
    BOOST_TEST(evs[1]->error.http_status == 503);
    BOOST_TEST(evs[1]->current.connectivity() == beeos::connectivity_state::online);  // last seen before the streak
    BOOST_TEST((evs[2]->type == kind::recovered));
    BOOST_TEST(evs[2]->changed == field_set(instance_field::connectivity));
    BOOST_REQUIRE(evs[2]->previous.has_value());
    BOOST_TEST(evs[2]->previous->connectivity() == beeos::connectivity_state::online);
    BOOST_TEST(evs[2]->current.connectivity() == beeos::connectivity_state::offline);
    BOOST_TEST(evs[2]->full.connectivity == beeos::connectivity_state::offline);

    // The healthy id was unaffected: one initial, polled throughout.
    BOOST_TEST(rec.for_id("inst_1").size() == 1u);
    for (const auto& e : rec.events)
        beeos::test::check_no_token(beeos::format_error(e.ec, e.error));
}

BOOST_AUTO_TEST_CASE(a_gateway_restart_loses_and_repeats_nothing)
{
    gateway_fixture f;
    const std::string id = "inst_9";
    // online -> (gateway down) offline -> (gateway up again) online with a new endpoint
    asio::io_context io;
    beeos::client c{io.get_executor(), fast_options(f)};
    beeos::watcher w{c, {.interval = 100ms}};
    w.add(id);
    f.gw.set_lifecycle(id, {{0ms, state("running", "online")},
                            {600ms, state("running", "offline")},
                            {1200ms, [] {
                                 auto s = state("running", "online");
                                 s.endpoint = "https://after-restart.example";
                                 return s;
                             }()}});
    recorder rec;
    running_watcher run(w, rec);
    run_for(io, 350ms);
    f.gw.stop();
    run_for(io, 550ms);  // t ~ 900 ms: the 600 ms step happened while the gateway was down
    BOOST_TEST(rec.count(id, kind::error) == 1u);
    f.gw.start();
    run_for(io, 700ms);  // t ~ 1600 ms
    w.stop();
    BOOST_REQUIRE(run_until(io, [&] { return run.done; }, 5s));

    auto evs = rec.for_id(id);
    BOOST_REQUIRE_EQUAL(evs.size(), 4u);
    BOOST_TEST((evs[0]->type == kind::initial));
    BOOST_TEST(evs[0]->current.connectivity() == beeos::connectivity_state::online);
    BOOST_TEST((evs[1]->type == kind::error));
    BOOST_TEST(evs[1]->ec == beeos::errc::connection);
    BOOST_TEST((evs[2]->type == kind::recovered));
    BOOST_TEST(evs[2]->changed == field_set(instance_field::connectivity));
    BOOST_TEST(evs[2]->current.connectivity() == beeos::connectivity_state::offline);
    BOOST_TEST((evs[3]->type == kind::changed));
    BOOST_TEST((evs[3]->changed == field_set{instance_field::connectivity, instance_field::endpoint}));
    BOOST_TEST(evs[3]->current.endpoint() == "https://after-restart.example");
}

BOOST_AUTO_TEST_CASE(polls_are_spread_evenly_over_the_interval)
{
    gateway_fixture f;
    constexpr int n = 100;  // 100 requests per second: light enough for sanitizer builds on a busy host
    std::vector<std::string> ids;
    for (int i = 0; i < n; ++i)
        ids.push_back("inst_" + std::to_string(i));
    asio::io_context io;
    beeos::client c{io.get_executor(), f.options()};
    // Open a few connections first: a cold pool's TLS handshakes (slow under sanitizers) would
    // hold back the first polls and blur what this test measures.
    beeos::test::run_test_coroutine(io, [](beeos::client& c) -> asio::awaitable<void> {
        for (int round = 0; round < 2; ++round)
        {
            auto ex = co_await asio::this_coro::executor;
            auto a = asio::co_spawn(ex, c.get_instance("inst_0"), asio::use_awaitable);
            auto b = asio::co_spawn(ex, c.get_instance("inst_1"), asio::use_awaitable);
            beeos::instance x = co_await std::move(a);
            beeos::instance y = co_await std::move(b);
            (void)x;
            (void)y;
        }
    }(c));
    f.gw.reset_stats();
    beeos::watcher w{c, {.interval = 1000ms, .jitter = 0.05}};
    w.add(ids);
    recorder rec;
    const auto t0 = clock_type::now();
    running_watcher run(w, rec);
    run_for(io, 2100ms);
    // Ids added while running get their own slots too, not "now" for all of them.
    const auto t_add = clock_type::now();
    std::vector<std::string> late;
    for (int i = n; i < n + 50; ++i)
        late.push_back("inst_" + std::to_string(i));
    w.add(late);
    run_for(io, 1100ms);
    w.stop();
    BOOST_REQUIRE(run_until(io, [&] { return run.done; }, 5s));

    auto recs = f.gw.recent_requests();
    // Server-side arrival times in 200 ms bins over the first two intervals: flat.
    std::vector<int> bins(10, 0);
    std::map<std::string, std::vector<clock_type::time_point>> by_id;
    for (const auto& r : recs)
    {
        by_id[r.id].push_back(r.received);
        auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(r.received - t0).count();
        if (ms >= 0 && ms < 2000 && std::stoi(r.id.substr(5)) < n)
            ++bins[static_cast<std::size_t>(ms / 200)];
    }
    const double mean = 2.0 * n / 10;  // 20 per bin
    for (std::size_t b = 0; b < bins.size(); ++b)
        BOOST_TEST((bins[b] >= mean * 0.5 && bins[b] <= mean * 1.6), "bin " << b << ": " << bins[b] << " requests, mean " << mean);

    // Each id: once per interval, about one interval apart. The slot is fixed, so a poll that
    // left late (connections still opening, a sanitizer's slow handshake) is followed by one on
    // time: a gap may be off by that delay, but is never near zero (a double poll) and never
    // near two intervals (a skipped one).
    for (int i = 0; i < n; ++i)
    {
        const auto& times = by_id[ids[i]];
        BOOST_TEST((times.size() >= 2u && times.size() <= 4u), ids[i] << " polled " << times.size() << " times");
        for (std::size_t k = 1; k < times.size(); ++k)
        {
            auto gap = std::chrono::duration_cast<std::chrono::milliseconds>(times[k] - times[k - 1]).count();
            BOOST_TEST((gap >= 300 && gap <= 1700), ids[i] << " gap " << gap << " ms");
        }
    }
    // The late ids' first polls spread over most of an interval.
    clock_type::time_point first = clock_type::time_point::max(), last = clock_type::time_point::min();
    for (const auto& id : late)
    {
        BOOST_REQUIRE(!by_id[id].empty());
        first = std::min(first, by_id[id].front());
        last = std::max(last, by_id[id].front());
    }
    BOOST_TEST((first - t_add >= 0ms));
    BOOST_TEST((last - first >= 700ms), "late ids' first polls spanned only "
                                          << std::chrono::duration_cast<std::chrono::milliseconds>(last - first).count() << " ms");
    BOOST_TEST(rec.events.size() == static_cast<std::size_t>(n + 50));  // one initial each, no churn
}

BOOST_AUTO_TEST_CASE(how_a_run_ends)
{
    gateway_fixture f;
    asio::io_context io;
    beeos::client c{io.get_executor(), fast_options(f)};

    // Cancellation through the token's slot: errc::cancelled, polls in flight cancelled first.
    {
        sim::fault slow;
        slow.delay = 3s;
        slow.times = -1;
        f.gw.add_fault("inst_slow", slow);
        beeos::watcher w{c, {.interval = 50ms}};
        w.add(std::vector<std::string>{"inst_slow", "inst_1"});
        recorder rec;
        asio::cancellation_signal sig;
        bool done = false;
        boost::system::error_code result;
        w.async_run(rec.handler(), asio::bind_cancellation_slot(sig.slot(), [&](boost::system::error_code ec) {
                        result = ec;
                        done = true;
                    }));
        // A second run at the same time is refused.
        bool second_done = false;
        boost::system::error_code second;
        w.async_run(rec.handler(), [&](boost::system::error_code ec) {
            second = ec;
            second_done = true;
        });
        run_for(io, 300ms);
        BOOST_TEST(second_done);
        BOOST_TEST(second == asio::error::already_started);
        BOOST_TEST(f.gw.requests_for("inst_slow") == 1u);  // never overlapping itself
        auto t = clock_type::now();
        sig.emit(asio::cancellation_type::terminal);
        BOOST_REQUIRE(run_until(io, [&] { return done; }, 2s));
        BOOST_TEST(result == beeos::errc::cancelled);
        BOOST_TEST((clock_type::now() - t < 1s));  // the 3 s poll was cancelled, not awaited
        auto seen = rec.events.size();
        run_for(io, 200ms);
        BOOST_TEST(rec.events.size() == seen);  // nothing after completion
        f.gw.clear_faults();
    }
    // stop() before the run: it completes at once, with success.
    {
        beeos::watcher w{c, {.interval = 50ms}};
        w.add("inst_1");
        w.stop();
        recorder rec;
        running_watcher run(w, rec);
        BOOST_REQUIRE(run_until(io, [&] { return run.done; }, 2s));
        BOOST_TEST(!run.result);
        BOOST_TEST(rec.events.empty());
    }
    // Destroying the watcher stops its run.
    {
        recorder rec;
        std::optional<beeos::watcher> w;
        w.emplace(c, beeos::watch_options{.interval = 50ms});
        w->add("inst_1");
        running_watcher run(*w, rec);
        run_for(io, 200ms);
        BOOST_TEST(rec.events.size() == 1u);
        w.reset();
        BOOST_REQUIRE(run_until(io, [&] { return run.done; }, 2s));
        BOOST_TEST(!run.result);
    }
    // The awaitable form throws the cancellation when its parent cancels it.
    {
        beeos::watcher w{c, {.interval = 50ms}};
        w.add("inst_1");
        int events = 0;
        beeos::test::run_test_coroutine(io, [](beeos::watcher& w, int& events) -> asio::awaitable<void> {
            asio::cancellation_signal sig;
            auto ex = co_await asio::this_coro::executor;
            asio::steady_timer t(ex, 200ms);
            t.async_wait([&](boost::system::error_code) { sig.emit(asio::cancellation_type::terminal); });
            try
            {
                co_await asio::co_spawn(ex, w.run([&](const watch_event&) { ++events; }), asio::bind_cancellation_slot(sig.slot(), asio::use_awaitable));
                BOOST_ERROR("run() returned normally after cancellation");
            }
            catch (const boost::system::system_error& e)
            {
                BOOST_TEST(e.code() == beeos::errc::cancelled);
            }
        }(w, events), 5s);
        BOOST_TEST(events == 1);
    }
    // A closed client ends the run with errc::shut_down.
    {
        beeos::watcher w{c, {.interval = 50ms}};
        w.add("inst_1");
        recorder rec;
        running_watcher run(w, rec);
        run_for(io, 150ms);
        c.close();
        BOOST_REQUIRE(run_until(io, [&] { return run.done; }, 2s));
        BOOST_TEST(run.result == beeos::errc::shut_down);
    }
}

BOOST_AUTO_TEST_CASE(a_second_run_is_refused_only_after_async_run_returned)
{
    gateway_fixture f;
    asio::io_context io;
    beeos::client c{io.get_executor(), fast_options(f)};
    beeos::watcher w{c, {.interval = 50ms}};
    w.add("inst_1");
    recorder rec;
    running_watcher run(w, rec);

    // Asked from a handler of the io_context, where a dispatched completion would run inline.
    bool returned = false;
    bool refused = false;
    bool completed_inside_the_call = false;
    boost::system::error_code second;
    asio::post(
        io,
        [&]
        {
            w.async_run(
                rec.handler(),
                [&](boost::system::error_code ec)
                {
                    second = ec;
                    refused = true;
                    completed_inside_the_call = !returned;
                }
            );
            returned = true;
        }
    );
    BOOST_REQUIRE(run_until(
        io, [&] { return refused; }, 5s
    ));
    BOOST_TEST(second == asio::error::already_started);
    // Required: a completion inside the call also runs under the watcher's mutex, and the
    // coroutine below would then deadlock instead of failing.
    BOOST_REQUIRE_MESSAGE(!completed_inside_the_call, "the refusal completed inside async_run");

    // A coroutine that catches the refusal and stops the watcher at once.
    beeos::test::run_test_coroutine(
        io,
        [](beeos::watcher& w) -> asio::awaitable<void>
        {
            try
            {
                co_await w.run([](const watch_event&) {});
                BOOST_ERROR("a second run was not refused");
            }
            catch (const boost::system::system_error& e)
            {
                BOOST_TEST(e.code() == asio::error::already_started);
                w.stop();
            }
        }(w),
        10s
    );
    BOOST_REQUIRE(run_until(
        io, [&] { return run.done; }, 5s
    ));
    BOOST_TEST(!run.result);  // the first run ended with the stop
}

BOOST_AUTO_TEST_CASE(a_cancellation_handler_left_in_a_slot_touches_only_its_own_run)
{
    gateway_fixture f;
    asio::io_context io;
    beeos::client c{io.get_executor(), fast_options(f)};
    asio::cancellation_signal sig;
    {
        beeos::watcher w{c, {.interval = 50ms}};
        w.add("inst_1");
        recorder rec;
        bool done = false;
        boost::system::error_code result;
        w.async_run(
            rec.handler(),
            asio::bind_cancellation_slot(
                sig.slot(),
                [&](boost::system::error_code ec)
                {
                    result = ec;
                    done = true;
                }
            )
        );
        w.stop();
        BOOST_REQUIRE(run_until(
            io, [&] { return done; }, 5s
        ));
        BOOST_TEST(!result);

        // The first run's handler is still in `sig`'s slot (nothing replaced it): emitted now,
        // it must not cancel the next run, which has no slot of its own.
        running_watcher next(w, rec);
        BOOST_REQUIRE(run_until(
            io, [&] { return !rec.events.empty(); }, 5s
        ));
        sig.emit(asio::cancellation_type::terminal);
        w.stop();
        BOOST_REQUIRE(run_until(
            io, [&] { return next.done; }, 5s
        ));
        BOOST_TEST(!next.result, "the next run ended with " << next.result.message());
    }
    // The watcher is gone: the handler still in the slot must do nothing (and touch nothing).
    sig.emit(asio::cancellation_type::terminal);
    sig.emit(asio::cancellation_type::total);
}

BOOST_AUTO_TEST_CASE(the_caller_may_emit_on_its_slot_from_its_own_thread_at_any_time)
{
    gateway_fixture f;
    asio::io_context io;
    auto work = asio::make_work_guard(io);
    beeos::client c{io.get_executor(), fast_options(f)};
    beeos::watcher w{c, {.interval = 20ms}};
    w.add(std::vector<std::string>{"inst_1", "inst_2", "inst_3"});
    std::vector<std::thread> threads;
    for (int i = 0; i < 2; ++i)
        threads.emplace_back([&] { io.run(); });

    // This thread owns the signal: it starts a run and emits on the slot until, and after,
    // the run completed on an io thread. The handler the run left in the slot must take that
    // (and the run must not touch the slot meanwhile).
    std::vector<boost::system::error_code> results;
    for (int round = 0; round < 20; ++round)
    {
        asio::cancellation_signal sig;
        std::promise<boost::system::error_code> completion;
        auto result = completion.get_future();
        std::atomic<bool> done{false};
        w.async_run(
            [](const watch_event&) {},
            asio::bind_cancellation_slot(
                sig.slot(),
                [&](boost::system::error_code ec)
                {
                    completion.set_value(ec);
                    done = true;
                }
            )
        );
        while (!done)
        {
            sig.emit(asio::cancellation_type::terminal);
            std::this_thread::yield();
        }
        for (int k = 0; k < 100; ++k)
            sig.emit(asio::cancellation_type::terminal);
        results.push_back(result.get());
    }
    work.reset();
    io.stop();
    for (auto& t : threads)
        t.join();
    for (const auto& ec : results)
        BOOST_TEST(ec == beeos::errc::cancelled, ec.message());
}

BOOST_AUTO_TEST_CASE(runs_raced_with_timers_on_four_threads_while_ids_change)
{
    gateway_fixture f;
    asio::io_context io;
    auto work = asio::make_work_guard(io);  // the io threads stay until the test is done
    beeos::client c{io.get_executor(), fast_options(f)};
    beeos::watcher w{c, {.interval = 20ms}};
    std::vector<std::string> ids;
    for (int i = 0; i < 16; ++i)
        ids.push_back("inst_" + std::to_string(i));
    w.add(ids);

    constexpr int rounds = 300;
    race_state st(rounds);
    std::promise<std::exception_ptr> finished;
    // The caller's coroutine on a strand of its own, as `||` needs on a multi-threaded
    // io_context (Asio's awaitable clears its frame's slot when it resumes, while the other
    // branch may emit on it). The watcher's strand is another one: its completion, its events
    // and the caller's cancellations still meet across threads.
    asio::co_spawn(asio::make_strand(io), race_runs_with_timers(w, st, rounds), [&](std::exception_ptr e) { finished.set_value(e); });
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; ++i)
        threads.emplace_back([&] { io.run(); });

    // Meanwhile another thread changes the set and now and then stops whatever runs.
    std::atomic<bool> churn_done{false};
    std::thread churn(
        [&]
        {
            for (std::size_t k = 0; !churn_done; ++k)
            {
                const std::string id = "inst_" + std::to_string(100 + k % 20);
                if (!w.remove(id))
                    w.add(id);
                if (k % 64 == 63)
                    w.stop();
                std::this_thread::sleep_for(200us);  // pacing, not synchronisation
            }
        }
    );

    auto result = finished.get_future();
    const bool in_time = result.wait_for(120s) == std::future_status::ready;
    churn_done = true;
    churn.join();

    // After the race, with nothing racing it any more, a run polls and reports again. (How many
    // events the raced runs themselves saw depends on the machine's load: their polls are cut
    // short by the timers and the stops, and connect again each time, slowly under TSan.)
    BOOST_REQUIRE(w.add("inst_500"));  // never watched before: its first poll is an `initial` event
    std::promise<void> first_event;
    std::atomic<bool> seen{false};
    std::promise<boost::system::error_code> last_run;
    w.async_run(
        [&](const watch_event&)
        {
            if (!seen.exchange(true))
                first_event.set_value();
        },
        [&](boost::system::error_code ec) { last_run.set_value(ec); }
    );
    const bool polled_again = first_event.get_future().wait_for(60s) == std::future_status::ready;
    w.stop();
    auto last = last_run.get_future();
    const bool last_in_time = last.wait_for(60s) == std::future_status::ready;
    work.reset();
    io.stop();
    for (auto& t : threads)
        t.join();
    BOOST_REQUIRE_MESSAGE(in_time, "the runs raced with timers did not all complete");
    if (auto e = result.get())
        std::rethrow_exception(e);

    int completed = 0, cancelled = 0, stopped = 0;
    for (std::size_t i = 0; i < rounds; ++i)
    {
        completed += st.done[i].load() ? 1 : 0;
        cancelled += st.results[i] == beeos::errc::cancelled ? 1 : 0;
        stopped += !st.results[i] ? 1 : 0;
    }
    BOOST_TEST_MESSAGE(cancelled << " runs cancelled by their timer, " << stopped << " stopped, " << st.events.load() << " events");
    BOOST_TEST(completed == rounds);
    // Ended by its timer (cancelled) or by a stop(); never refused, never anything else.
    BOOST_TEST(cancelled + stopped == rounds, cancelled << " cancelled, " << stopped << " stopped of " << rounds);
    BOOST_TEST(st.late_events.load() == 0, st.late_events.load() << " events after their run had completed");
    BOOST_TEST(polled_again, "no event from a run after the race");
    BOOST_REQUIRE(last_in_time);
    BOOST_TEST(!last.get(), "the run after the race did not end by stop()");
}

BOOST_AUTO_TEST_CASE(options_are_validated)
{
    asio::io_context io;
    beeos::client c{io.get_executor(), {.base_url = "https://127.0.0.1:1"}};
    BOOST_CHECK_THROW((beeos::watcher{c, {.interval = 0ms}}), std::invalid_argument);
    BOOST_CHECK_THROW((beeos::watcher{c, {.jitter = 1.5}}), std::invalid_argument);
    BOOST_CHECK_NO_THROW((beeos::watcher{c, {.interval = 1ms, .jitter = 0, .max_in_flight = 1}}));
}

BOOST_AUTO_TEST_SUITE_END()
