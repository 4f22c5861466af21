// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
//
// beeos::wait_until against the gateway simulator's lifecycle scripts: success when the
// script reaches running+online, failing fast when it cannot, the deadline (with a poll in
// flight, too), transient versus permanent poll errors, and cancellation.
#include "gateway_fixture.hpp"

#include <beeos/waiter.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/steady_timer.hpp>

namespace asio = boost::asio;
namespace sim = beeos::sim;
using namespace std::chrono_literals;
using beeos::test::gateway_fixture;
using beeos::test::run_test_coroutine;
using beeos::test::run_until;
using clock_type = std::chrono::steady_clock;

namespace {

sim::instance_state state(std::string status, std::string connectivity, std::string desired = "running")
{
    sim::instance_state s;
    s.status = std::move(status);
    s.connectivity = std::move(connectivity);
    s.desired_status = std::move(desired);
    return s;
}

// Quick polls for tests: 100 ms, then 150, 225, ... up to 300 ms, no jitter.
constexpr beeos::wait_options fast{.initial_delay = 100ms, .max_delay = 300ms, .multiplier = 1.5, .jitter = 0};

beeos::client_options fast_options(const gateway_fixture& f)
{
    auto o = f.options();
    o.retry.max_attempts = 1;
    return o;
}

long ms_since(clock_type::time_point t)
{
    return static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - t).count());
}

// Runs wait_until and returns the wait_error it throws; fails the test if it succeeds.
beeos::wait_error expect_wait_error(asio::io_context& io, beeos::client& c, std::string id, beeos::wait_condition cond,
                                    clock_type::duration timeout, beeos::wait_options opts = fast)
{
    std::optional<beeos::wait_error> caught;
    run_test_coroutine(io, [](beeos::client& c, std::string id, beeos::wait_condition cond, clock_type::duration timeout, beeos::wait_options opts,
                              std::optional<beeos::wait_error>& caught) -> asio::awaitable<void> {
        try
        {
            beeos::instance inst = co_await beeos::wait_until(c, id, std::move(cond), timeout, opts);
            BOOST_ERROR("expected the wait for " << id << " to fail, got status " << inst.status);
        }
        catch (const beeos::wait_error& e)
        {
            caught.emplace(e);
        }
    }(c, std::move(id), std::move(cond), timeout, opts, caught), 10s);
    BOOST_REQUIRE(caught.has_value());
    return *caught;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(waiter)

BOOST_AUTO_TEST_CASE(succeeds_once_the_lifecycle_reaches_running_and_online)
{
    gateway_fixture f;
    asio::io_context io;
    beeos::client c{io.get_executor(), f.options()};
    auto t0 = clock_type::now();  // the script's clock starts now
    f.gw.set_lifecycle("inst_3", {{0ms, state("pending", "offline")},
                                  {300ms, state("provisioning", "offline")},
                                  {600ms, state("running", "offline")},
                                  {900ms, state("running", "online")}});
    beeos::instance inst;
    run_test_coroutine(io, [](beeos::client& c, beeos::instance& out) -> asio::awaitable<void> {
        out = co_await beeos::wait_until(c, "inst_3", beeos::running_and_online(), 5s, fast);
    }(c, inst), 10s);
    auto took = ms_since(t0);
    BOOST_TEST(inst.id == "inst_3");
    BOOST_TEST(inst.status == beeos::instance_status::running);
    BOOST_TEST(inst.connectivity == beeos::connectivity_state::online);
    BOOST_TEST(took >= 900);
    BOOST_TEST(took < 1400);  // seen within one max_delay (300 ms) of the step
    // Backoff: polls at 0, 100, 250, 475, 775, 1075 ms: 6, not one every 100 ms.
    BOOST_TEST(f.gw.requests_for("inst_3") >= 5u);
    BOOST_TEST(f.gw.requests_for("inst_3") <= 7u);

    // status_is: the same machinery with another condition.
    f.gw.set_lifecycle("inst_4", {{0ms, state("running", "online")}, {250ms, state("stopped", "offline", "stopped")}});
    run_test_coroutine(io, [](beeos::client& c, beeos::instance& out) -> asio::awaitable<void> {
        out = co_await beeos::wait_until(c, "inst_4", beeos::status_is(beeos::instance_status::stopped), 5s, fast);
    }(c, inst), 10s);
    BOOST_TEST(inst.status == beeos::instance_status::stopped);
}

BOOST_AUTO_TEST_CASE(fails_fast_when_the_instance_is_terminated)
{
    gateway_fixture f;
    asio::io_context io;
    beeos::client c{io.get_executor(), f.options()};
    auto t0 = clock_type::now();
    f.gw.set_lifecycle("inst_5", {{0ms, state("provisioning", "offline")}, {250ms, state("terminated", "offline")}});
    auto e = expect_wait_error(io, c, "inst_5", beeos::running_and_online(), 30s);
    BOOST_TEST(ms_since(t0) < 700);  // the next poll after 250 ms, not the 30 s deadline
    BOOST_TEST(e.code() == beeos::wait_errc::condition_unreachable);
    BOOST_REQUIRE(e.last_seen().has_value());
    BOOST_TEST(e.last_seen()->status == beeos::instance_status::terminated);
    std::string what = e.what();
    BOOST_TEST(what.find("wait_until(\"inst_5\")") != std::string::npos, what);
    BOOST_TEST(what.find("\"running and online\"") != std::string::npos, what);
    BOOST_TEST(what.find("status is terminated") != std::string::npos, what);
    BOOST_TEST(what.find("last seen: status terminated") != std::string::npos, what);
    beeos::test::check_no_token(what);
    // It is a beeos::error too.
    const beeos::error& base = e;
    BOOST_TEST(base.code() == beeos::wait_errc::condition_unreachable);
}

BOOST_AUTO_TEST_CASE(fails_fast_on_an_error_message_or_another_desired_status)
{
    gateway_fixture f;
    auto broken = state("provisioning", "offline");
    broken.error_message = "image pull failed: manifest unknown";
    f.gw.set_state("inst_6", broken);
    f.gw.set_state("inst_7", state("running", "offline", "stopped"));
    asio::io_context io;
    beeos::client c{io.get_executor(), f.options()};

    auto t0 = clock_type::now();
    auto e = expect_wait_error(io, c, "inst_6", beeos::running_and_online(), 30s);
    BOOST_TEST(ms_since(t0) < 300);  // the first poll decides
    BOOST_TEST(e.code() == beeos::wait_errc::condition_unreachable);
    BOOST_TEST(std::string(e.what()).find("image pull failed: manifest unknown") != std::string::npos, e.what());
    BOOST_TEST(f.gw.requests_for("inst_6") == 1u);

    auto e2 = expect_wait_error(io, c, "inst_7", beeos::running_and_online(), 30s);
    BOOST_TEST(e2.code() == beeos::wait_errc::condition_unreachable);
    BOOST_TEST(std::string(e2.what()).find("desired status is stopped") != std::string::npos, e2.what());
}

BOOST_AUTO_TEST_CASE(deadline_passes_with_the_last_seen_instance)
{
    gateway_fixture f;
    f.gw.set_state("inst_8", state("provisioning", "offline"));
    asio::io_context io;
    beeos::client c{io.get_executor(), f.options()};

    // The universal form: info and last_seen filled, the error code in the completion.
    beeos::error_info info;
    std::optional<beeos::instance> last;
    boost::system::error_code result;
    bool done = false;
    auto t0 = clock_type::now();
    beeos::async_wait_until(c, "inst_8", beeos::running_and_online(), 700ms, fast, info, last, [&](boost::system::error_code ec, beeos::instance inst) {
        result = ec;
        done = true;
        BOOST_TEST(inst.id.empty());
    });
    BOOST_REQUIRE(run_until(io, [&] { return done; }, 5s));
    auto took = ms_since(t0);
    BOOST_TEST(result == beeos::wait_errc::deadline_passed);
    BOOST_TEST(took >= 700);
    BOOST_TEST(took < 850);  // the last sleep ended at the deadline, not after it
    BOOST_REQUIRE(last.has_value());
    BOOST_TEST(last->status == beeos::instance_status::provisioning);
    BOOST_TEST(info.id == "inst_8");
    std::string line = beeos::format_wait_error(result, info);
    BOOST_TEST(line.find("deadline passed") != std::string::npos, line);
    BOOST_TEST(line.find("within 700 ms") != std::string::npos, line);
    BOOST_TEST(line.find("last seen: status provisioning") != std::string::npos, line);
}

BOOST_AUTO_TEST_CASE(a_poll_in_flight_at_the_deadline_is_cancelled)
{
    gateway_fixture f;
    sim::fault slow;
    slow.delay = 5s;
    slow.times = -1;
    f.gw.add_fault("inst_9", slow);
    asio::io_context io;
    beeos::client c{io.get_executor(), f.options()};
    auto t0 = clock_type::now();
    auto e = expect_wait_error(io, c, "inst_9", beeos::running_and_online(), 400ms);
    auto took = ms_since(t0);
    BOOST_TEST(e.code() == beeos::wait_errc::deadline_passed);
    BOOST_TEST(took >= 400);
    BOOST_TEST(took < 700);
    BOOST_TEST(!e.last_seen().has_value());
    BOOST_TEST(std::string(e.what()).find("no poll succeeded") != std::string::npos, e.what());
}

BOOST_AUTO_TEST_CASE(transient_errors_keep_waiting_permanent_ones_end_it)
{
    gateway_fixture f;
    asio::io_context io;
    beeos::client c{io.get_executor(), fast_options(f)};

    // Three 503s and a 429, then the instance is there and ready.
    for (int status : {503, 503, 429, 503})
    {
        sim::fault fail;
        fail.status = status;
        f.gw.add_fault("inst_10", fail);
    }
    f.gw.set_state("inst_10", state("running", "online"));
    beeos::instance inst;
    run_test_coroutine(io, [](beeos::client& c, beeos::instance& out) -> asio::awaitable<void> {
        out = co_await beeos::wait_until(c, "inst_10", beeos::running_and_online(), 5s, fast);
    }(c, inst), 10s);
    BOOST_TEST(inst.id == "inst_10");
    BOOST_TEST(f.gw.requests_for("inst_10") == 5u);

    // Transient errors up to the deadline: deadline_passed, the last poll's error as the cause.
    sim::fault down;
    down.status = 502;
    down.times = -1;
    f.gw.add_fault("inst_11", down);
    auto e = expect_wait_error(io, c, "inst_11", beeos::running_and_online(), 500ms);
    BOOST_TEST(e.code() == beeos::wait_errc::deadline_passed);
    BOOST_TEST(e.info().cause == beeos::errc::server_error);

    // Permanent: 404 ends the wait at once with that error and its details.
    auto t0 = clock_type::now();
    auto nf = expect_wait_error(io, c, "inst_never_there", beeos::running_and_online(), 30s);
    BOOST_TEST(ms_since(t0) < 300);
    BOOST_TEST(nf.code() == beeos::errc::not_found);
    BOOST_TEST(nf.http_status() == 404);
    BOOST_TEST(nf.api_code() == "instance_not_found");
    BOOST_TEST(f.gw.requests_for("inst_never_there") == 1u);
    std::string what = nf.what();
    BOOST_TEST(what.find("beeos: wait_until(\"inst_never_there\"): not found (HTTP 404") == 0u, what);
    BOOST_TEST(what.find("while waiting for \"running and online\"") != std::string::npos, what);

    // 401 too.
    auto opts = fast_options(f);
    opts.token = "oag_wrong";
    beeos::client wrong{io.get_executor(), opts};
    auto un = expect_wait_error(io, wrong, "inst_1", beeos::running_and_online(), 30s);
    BOOST_TEST(un.code() == beeos::errc::unauthorized);
}

BOOST_AUTO_TEST_CASE(cancellation_ends_the_wait)
{
    gateway_fixture f;
    f.gw.set_state("inst_12", state("provisioning", "offline"));
    asio::io_context io;
    beeos::client c{io.get_executor(), f.options()};

    // Through the token's cancellation slot, during a sleep between polls.
    asio::cancellation_signal sig;
    beeos::error_info info;
    std::optional<beeos::instance> last;
    boost::system::error_code result;
    bool done = false;
    beeos::async_wait_until(c, "inst_12", beeos::running_and_online(), 30s, {.initial_delay = 10s}, info, last,
                            asio::bind_cancellation_slot(sig.slot(), [&](boost::system::error_code ec, beeos::instance) {
                                result = ec;
                                done = true;
                            }));
    run_until(io, [&] { return f.gw.requests_for("inst_12") == 1; }, 2s);
    io.restart();
    io.run_for(100ms);
    auto t0 = clock_type::now();
    sig.emit(asio::cancellation_type::terminal);
    BOOST_REQUIRE(run_until(io, [&] { return done; }, 2s));
    BOOST_TEST(ms_since(t0) < 200);
    BOOST_TEST(result == beeos::errc::cancelled);
    BOOST_REQUIRE(last.has_value());
    BOOST_TEST(last->status == beeos::instance_status::provisioning);
    BOOST_TEST(beeos::format_wait_error(result, info).find("cancelled while waiting for \"running and online\"") != std::string::npos);

    // During a poll in flight, via the awaitable form and a parent's cancellation.
    sim::fault slow;
    slow.delay = 5s;
    slow.times = -1;
    f.gw.add_fault("inst_13", slow);
    auto t1 = clock_type::now();
    run_test_coroutine(io, [](beeos::client& c) -> asio::awaitable<void> {
        asio::cancellation_signal sig;
        auto ex = co_await asio::this_coro::executor;
        asio::steady_timer t(ex, 300ms);
        t.async_wait([&](boost::system::error_code) { sig.emit(asio::cancellation_type::terminal); });
        try
        {
            co_await asio::co_spawn(ex, beeos::wait_until(c, "inst_13", beeos::running_and_online(), 30s),
                                    asio::bind_cancellation_slot(sig.slot(), asio::use_awaitable));
            BOOST_ERROR("the wait returned normally after cancellation");
        }
        catch (const beeos::wait_error& e)
        {
            BOOST_TEST(e.code() == beeos::errc::cancelled);
        }
    }(c), 5s);
    BOOST_TEST(ms_since(t1) < 1000);
}

BOOST_AUTO_TEST_CASE(bad_options_are_rejected_without_a_request)
{
    gateway_fixture f;
    asio::io_context io;
    beeos::client c{io.get_executor(), f.options()};
    beeos::wait_condition no_predicate{.description = "nothing"};
    auto e = expect_wait_error(io, c, "inst_1", no_predicate, 1s);
    BOOST_TEST(e.code() == beeos::errc::invalid_argument);
    auto e2 = expect_wait_error(io, c, "inst_1", beeos::running_and_online(), 1s, {.multiplier = 0.5});
    BOOST_TEST(e2.code() == beeos::errc::invalid_argument);
    BOOST_TEST(std::string(e2.what()).find("multiplier") != std::string::npos, e2.what());
    BOOST_TEST(f.gw.get_stats().requests == 0u);
    // A zero timeout has passed before the first poll.
    auto e3 = expect_wait_error(io, c, "inst_1", beeos::running_and_online(), 0s);
    BOOST_TEST(e3.code() == beeos::wait_errc::deadline_passed);
}

BOOST_AUTO_TEST_SUITE_END()
