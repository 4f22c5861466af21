// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
//
// Ending a client or a call: graceful and cancelling shutdown, destruction with work pending,
// per-operation cancellation of every type, and per-call retry policies.
#include "gateway_fixture.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <memory>
#include <optional>
#include <thread>
#include <vector>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using beeos::test::gateway_fixture;
using beeos::test::run_test_coroutine;
using beeos::test::run_until;
using steady = std::chrono::steady_clock;
using fault = beeos::sim::fault;
using boost::system::error_code;

namespace {

double seconds(steady::duration d) { return std::chrono::duration<double>(d).count(); }

/// Runs `io` for `d` whatever happens (to let calls get on the wire).
void run_for(asio::io_context& io, steady::duration d)
{
    io.restart();
    io.run_for(d);
}

template <class Get>
std::size_t settle(Get get, std::size_t expected, steady::duration limit = 2s)
{
    auto deadline = steady::now() + limit;
    std::size_t v = get();
    while (v != expected && steady::now() < deadline)
    {
        std::this_thread::sleep_for(10ms);
        v = get();
    }
    return v;
}

/// A call's completion, recorded by its handler.
struct slot
{
    bool done = false;
    int seq = 0;
    error_code ec;
    std::string got_id;
    beeos::error_info info;
    steady::time_point at{};
};

/// Starts a call that records into `s` (which must outlive it); `seq` orders completions.
void start_call(beeos::client& c, const std::string& id, std::shared_ptr<slot> s, std::shared_ptr<int> seq,
                std::optional<beeos::retry_policy> policy = {})
{
    auto h = [s, seq](error_code ec, beeos::instance inst) {
        BOOST_TEST(!s->done, "completed twice");
        s->done = true;
        s->seq = ++*seq;
        s->ec = ec;
        s->got_id = std::move(inst.id);
        s->at = steady::now();
    };
    if (policy)
        c.async_get_instance(id, *policy, s->info, h);
    else
        c.async_get_instance(id, s->info, h);
}

std::vector<std::shared_ptr<slot>> make_slots(std::size_t n)
{
    std::vector<std::shared_ptr<slot>> v;
    for (std::size_t i = 0; i < n; ++i)
        v.push_back(std::make_shared<slot>());
    return v;
}

bool all_done(const std::vector<std::shared_ptr<slot>>& v)
{
    for (auto& s : v)
        if (!s->done)
            return false;
    return true;
}

beeos::retry_policy slow_backoff()
{
    beeos::retry_policy p;
    p.max_attempts = 3;
    p.initial_backoff = 2s;
    p.max_backoff = 2s;
    p.jitter = false;
    return p;
}

}  // namespace

// The suite's namespace would clash with POSIX ::shutdown() at global scope; nested, it does not,
// and Boost.Test still registers a top-level suite named "shutdown".
namespace beeos_shutdown_tests {

BOOST_AUTO_TEST_SUITE(shutdown)

BOOST_AUTO_TEST_CASE(graceful_shutdown_lets_calls_in_flight_finish_then_refuses_new_ones)
{
    gateway_fixture f;
    f.gw.add_fault("", fault{.delay = 300ms, .times = -1});
    asio::io_context io;
    beeos::client c{io.get_executor(), f.options()};

    auto seq = std::make_shared<int>(0);
    auto calls = make_slots(5);
    for (std::size_t i = 0; i < calls.size(); ++i)
        start_call(c, "inst_" + std::to_string(i), calls[i], seq);
    // All five on the wire (the io_context runs meanwhile: handshakes are slow under TSan).
    BOOST_REQUIRE(run_until(io, [&] { return f.gw.get_stats().requests == 5u; }, 5s));
    BOOST_REQUIRE(!all_done(calls));

    auto before = f.gw.get_stats();
    bool shut = false;
    int shut_seq = 0;
    error_code shut_ec = beeos::errc::protocol;
    steady::time_point shut_at{};
    auto shutdown_started = steady::now();
    c.async_shutdown(beeos::shutdown_mode::graceful, [&](error_code ec) {
        shut = true;
        shut_seq = ++*seq;
        shut_ec = ec;
        shut_at = steady::now();
    });
    // A call made while draining fails at once and sends nothing.
    auto during = std::make_shared<slot>();
    start_call(c, "inst_7", during, seq);

    BOOST_REQUIRE(run_until(io, [&] { return shut && all_done(calls) && during->done; }, 10s));
    for (std::size_t i = 0; i < calls.size(); ++i)
    {
        BOOST_TEST_CONTEXT("call " << i)
        {
            BOOST_TEST(!calls[i]->ec, beeos::format_error(calls[i]->ec, calls[i]->info));
            BOOST_TEST(calls[i]->got_id == "inst_" + std::to_string(i));
            BOOST_TEST(calls[i]->seq < shut_seq);  // the completion fires after the calls
        }
    }
    BOOST_TEST(!shut_ec);
    BOOST_TEST(during->ec == beeos::errc::shut_down);
    // The order proves it did not wait behind the drain (each drained call takes 300 ms); the
    // bound only catches a hang and leaves room for a loaded sanitizer run.
    BOOST_TEST(during->seq < calls[0]->seq);
    BOOST_TEST((during->at - shutdown_started < 1s), seconds(during->at - shutdown_started));
    BOOST_TEST((shut_at - shutdown_started < 2s), seconds(shut_at - shutdown_started));

    // After the completion, too: refused at once, nothing sent.
    auto after = std::make_shared<slot>();
    auto t0 = steady::now();
    start_call(c, "inst_8", after, seq);
    BOOST_REQUIRE(run_until(io, [&] { return after->done; }, 5s));
    BOOST_TEST(after->ec == beeos::errc::shut_down);
    BOOST_TEST((after->at - t0 < 1s), seconds(after->at - t0));

    auto st = f.gw.get_stats();
    BOOST_TEST(st.requests == before.requests);
    BOOST_TEST(st.connections_accepted == before.connections_accepted);
    BOOST_TEST(f.gw.requests_for("inst_7") == 0u);
    BOOST_TEST(f.gw.requests_for("inst_8") == 0u);
    // Every connection was closed by the client (close_notify, then the socket); the server
    // sees none left open.
    BOOST_TEST(settle([&] { return f.gw.get_stats().open_connections; }, 0, 1s) == 0u);
    BOOST_TEST_MESSAGE("graceful shutdown took " << seconds(shut_at - shutdown_started) << " s");
}

BOOST_AUTO_TEST_CASE(cancelling_shutdown_fails_calls_in_flight_and_queued_promptly)
{
    gateway_fixture f;
    f.gw.add_fault("", fault{.delay = 5s, .times = -1});
    asio::io_context io;
    auto opts = f.options();
    opts.max_connections = 1;
    beeos::client c{io.get_executor(), opts};

    auto seq = std::make_shared<int>(0);
    auto calls = make_slots(4);  // 1 on the wire, 3 waiting for the connection
    for (std::size_t i = 0; i < calls.size(); ++i)
        start_call(c, "inst_" + std::to_string(i), calls[i], seq);
    BOOST_REQUIRE(run_until(io, [&] { return f.gw.get_stats().requests == 1u; }, 5s));
    run_for(io, 50ms);  // the others reach the queue

    bool shut = false;
    steady::time_point shut_at{};
    auto started = steady::now();
    c.async_shutdown(beeos::shutdown_mode::cancel, [&](error_code) {
        shut = true;
        shut_at = steady::now();
    });
    BOOST_REQUIRE(run_until(io, [&] { return shut && all_done(calls); }, 5s));
    for (std::size_t i = 0; i < calls.size(); ++i)
    {
        BOOST_TEST_CONTEXT("call " << i)
        {
            BOOST_TEST(calls[i]->ec == beeos::errc::shut_down, beeos::format_error(calls[i]->ec, calls[i]->info));
            BOOST_TEST((calls[i]->at - started < 1s), seconds(calls[i]->at - started));
        }
    }
    BOOST_TEST((shut_at - started < 1s), seconds(shut_at - started));
    BOOST_TEST(f.gw.get_stats().requests == 1u);  // the queued ones never went out
    // (The simulator notices the closed socket only when its 5 s delay ends and it writes, so
    // open_connections says nothing here.)
}

BOOST_AUTO_TEST_CASE(destroying_the_client_ends_calls_in_flight_and_in_backoff)
{
    gateway_fixture f;
    f.gw.add_fault("inst_1", fault{.status = 500, .times = -1});
    f.gw.add_fault("inst_2", fault{.status = 500, .times = -1});
    f.gw.add_fault("inst_3", fault{.delay = 5s, .times = -1});
    f.gw.add_fault("inst_4", fault{.delay = 5s, .times = -1});
    asio::io_context io;
    auto opts = f.options();
    opts.retry = slow_backoff();
    auto seq = std::make_shared<int>(0);
    auto calls = make_slots(4);
    std::optional<beeos::client> c;
    c.emplace(io.get_executor(), opts);
    for (std::size_t i = 0; i < calls.size(); ++i)
        start_call(*c, "inst_" + std::to_string(i + 1), calls[i], seq);
    // inst_1/2 then sleep 2 s before their retry; inst_3/4 wait for a response.
    BOOST_REQUIRE(run_until(io, [&] { return f.gw.get_stats().requests == 4u; }, 5s));
    run_for(io, 50ms);  // inst_1/2 have their 500s and are in backoff
    BOOST_REQUIRE(!all_done(calls));

    auto started = steady::now();
    c.reset();
    BOOST_REQUIRE(run_until(io, [&] { return all_done(calls); }, 5s));
    for (std::size_t i = 0; i < calls.size(); ++i)
    {
        BOOST_TEST_CONTEXT("inst_" << i + 1)
        {
            BOOST_TEST(calls[i]->ec == beeos::errc::shut_down, beeos::format_error(calls[i]->ec, calls[i]->info));
            BOOST_TEST((calls[i]->at - started < 1s), seconds(calls[i]->at - started));
        }
    }
    // No retry went out after the client was gone.
    std::this_thread::sleep_for(100ms);
    BOOST_TEST(f.gw.requests_for("inst_1") == 1u);
    BOOST_TEST(f.gw.requests_for("inst_2") == 1u);
    BOOST_TEST(f.gw.get_stats().requests == 4u);
}

BOOST_AUTO_TEST_CASE(destroying_client_then_io_context_with_calls_queued_releases_everything)
{
    // Calls queued for a connection wait on timers, not coroutines. When the io_context is
    // destroyed without running again, their handlers must be destroyed, not leaked: each
    // caller's handler holds a reference to its slot, so every slot must be ours alone after.
    gateway_fixture f;
    f.gw.add_fault("", fault{.delay = 5s, .times = -1});
    auto calls = make_slots(20);
    auto seq = std::make_shared<int>(0);
    {
        asio::io_context io;
        auto opts = f.options();
        opts.max_connections = 1;
        std::optional<beeos::client> c;
        c.emplace(io.get_executor(), opts);
        for (std::size_t i = 0; i < calls.size(); ++i)
            start_call(*c, "inst_" + std::to_string(i), calls[i], seq);
        BOOST_REQUIRE(run_until(io, [&] { return f.gw.get_stats().requests == 1u; }, 5s));
        run_for(io, 50ms);  // the others reach the queue
        c.reset();
    }
    for (std::size_t i = 0; i < calls.size(); ++i)
    {
        BOOST_TEST_CONTEXT("call " << i)
        {
            BOOST_TEST(!calls[i]->done);  // never run: their io_context is gone
            BOOST_TEST(calls[i].use_count() == 1);
        }
    }
}

BOOST_AUTO_TEST_CASE(partial_and_total_cancellation_end_a_call_in_backoff)
{
    gateway_fixture f;
    f.gw.add_fault("", fault{.status = 500, .times = -1});
    asio::io_context io;
    auto opts = f.options();
    opts.retry = slow_backoff();
    beeos::client c{io.get_executor(), opts};

    const std::pair<asio::cancellation_type, const char*> types[] = {
        {asio::cancellation_type::partial, "partial"},
        {asio::cancellation_type::total, "total"},
        {asio::cancellation_type::terminal, "terminal"},
    };
    int n = 0;
    for (auto [type, name] : types)
    {
        BOOST_TEST_CONTEXT(name)
        {
            std::string id = "inst_" + std::to_string(++n);
            asio::cancellation_signal sig;
            beeos::error_info info;
            bool done = false;
            error_code got;
            steady::time_point at{};
            c.async_get_instance(id, info, asio::bind_cancellation_slot(sig.slot(), [&](error_code ec, beeos::instance) {
                done = true;
                got = ec;
                at = steady::now();
            }));
            asio::steady_timer t(io, 300ms);
            steady::time_point emitted{};
            t.async_wait([&, type = type](error_code) {
                emitted = steady::now();
                sig.emit(type);
            });
            BOOST_REQUIRE(run_until(io, [&] { return done; }, 5s));
            BOOST_TEST(got == beeos::errc::cancelled, beeos::format_error(got, info));
            BOOST_TEST((emitted != steady::time_point{}));
            BOOST_TEST((at - emitted < 500ms), seconds(at - emitted));
            BOOST_TEST(info.attempts == 1u);
            BOOST_TEST(info.detail.find("waiting") != std::string::npos, info.detail);
            std::this_thread::sleep_for(50ms);
            BOOST_TEST(f.gw.requests_for(id) == 1u);  // the retry never went out
        }
    }
    // The client still works for other calls.
    f.gw.clear_faults();
    auto s = std::make_shared<slot>();
    start_call(c, "inst_9", s, std::make_shared<int>(0));
    BOOST_REQUIRE(run_until(io, [&] { return s->done; }, 10s));
    BOOST_TEST(!s->ec);
    BOOST_TEST(s->got_id == "inst_9");
}

BOOST_AUTO_TEST_CASE(per_call_retry_policy_overrides_the_clients)
{
    gateway_fixture f;
    f.gw.add_fault("", fault{.status = 500, .times = -1});
    asio::io_context io;
    auto opts = f.options();
    opts.retry.max_attempts = 3;
    opts.retry.initial_backoff = 20ms;
    opts.retry.max_backoff = 100ms;
    beeos::client c{io.get_executor(), opts};
    beeos::retry_policy once;
    once.max_attempts = 1;

    auto seq = std::make_shared<int>(0);
    auto own = std::make_shared<slot>();
    start_call(c, "inst_1", own, seq, once);
    BOOST_REQUIRE(run_until(io, [&] { return own->done; }, 10s));
    BOOST_TEST(own->ec == beeos::errc::server_error);
    BOOST_TEST(own->info.attempts == 1u);
    BOOST_TEST(f.gw.requests_for("inst_1") == 1u);

    // The coroutine form with its own policy, too.
    run_test_coroutine(
        io,
        [](beeos::client& c, beeos::retry_policy p) -> asio::awaitable<void> {
            try
            {
                co_await c.get_instance("inst_2", p);
                BOOST_ERROR("expected a beeos::error");
            }
            catch (const beeos::error& e)
            {
                BOOST_TEST(e.code() == beeos::errc::server_error);
                BOOST_TEST(e.info().attempts == 1u);
            }
        }(c, once),
        10s
    );
    BOOST_TEST(f.gw.requests_for("inst_2") == 1u);

    // Control: without an override the client's 3 attempts apply.
    auto dflt = std::make_shared<slot>();
    start_call(c, "inst_3", dflt, seq);
    BOOST_REQUIRE(run_until(io, [&] { return dflt->done; }, 10s));
    BOOST_TEST(dflt->ec == beeos::errc::server_error);
    BOOST_TEST(dflt->info.attempts == 3u);
    BOOST_TEST(f.gw.requests_for("inst_3") == 3u);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace beeos_shutdown_tests
