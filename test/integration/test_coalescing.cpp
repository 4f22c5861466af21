// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
//
// Single-flight: concurrent calls for one id share one request, counted on the server side.
#include "gateway_fixture.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/steady_timer.hpp>

#include <vector>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using beeos::errc;
using beeos::sim::fault;
using beeos::test::gateway_fixture;
using boost::system::error_code;

namespace {

struct outcome
{
    bool done = false;
    error_code ec;
    beeos::error_info info;
    beeos::instance inst;
};

// Starts `n` calls for `id` at once; each fills its own outcome.
void start_calls(beeos::client& c, const std::string& id, std::vector<outcome>& out)
{
    for (auto& o : out)
    {
        c.async_get_instance(id, o.info, [&o](error_code ec, beeos::instance inst) {
            o.done = true;
            o.ec = ec;
            o.inst = std::move(inst);
        });
    }
}

bool all_done(const std::vector<outcome>& out)
{
    return std::all_of(out.begin(), out.end(), [](const outcome& o) { return o.done; });
}

}  // namespace

BOOST_AUTO_TEST_SUITE(coalescing)

BOOST_AUTO_TEST_CASE(a_hundred_concurrent_calls_for_one_id_make_one_request)
{
    gateway_fixture f;
    f.gw.add_fault("inst_1", fault{.delay = 200ms, .times = 1});  // keeps the first request open
    asio::io_context io;
    beeos::client c{io.get_executor(), f.options()};

    std::vector<outcome> out(100);
    start_calls(c, "inst_1", out);
    BOOST_REQUIRE(beeos::test::run_until(io, [&] { return all_done(out); }, 20s));

    BOOST_TEST(f.gw.requests_for("inst_1") == 1u);
    for (auto& o : out)
    {
        BOOST_TEST(!o.ec);
        BOOST_TEST(o.inst.id == "inst_1");
        BOOST_TEST((o.inst == out.front().inst));  // each caller got a full copy
    }
}

BOOST_AUTO_TEST_CASE(every_caller_gets_its_own_copy_of_the_error)
{
    gateway_fixture f;
    f.gw.add_fault("inst_2", fault{.delay = 100ms, .status = 500, .times = -1});
    asio::io_context io;
    auto opts = f.options();
    opts.retry.initial_backoff = 1ms;
    beeos::client c{io.get_executor(), opts};

    std::vector<outcome> out(20);
    start_calls(c, "inst_2", out);
    BOOST_REQUIRE(beeos::test::run_until(io, [&] { return all_done(out); }, 20s));

    // One shared call with its retries: 3 requests, not 60.
    BOOST_TEST(f.gw.requests_for("inst_2") == 3u);
    for (auto& o : out)
    {
        BOOST_TEST(o.ec == errc::server_error);
        BOOST_TEST(o.info.http_status == 500);
        BOOST_TEST(o.info.attempts == 3u);
        BOOST_TEST(o.info.id == "inst_2");
        BOOST_TEST(!o.info.request_id.empty());
        BOOST_TEST(o.info.request_id == out.front().info.request_id);
    }
}

BOOST_AUTO_TEST_CASE(one_caller_cancelling_does_not_cancel_the_others)
{
    gateway_fixture f;
    f.gw.add_fault("inst_3", fault{.delay = 300ms, .times = 1});
    asio::io_context io;
    beeos::client c{io.get_executor(), f.options()};

    std::vector<outcome> out(3);
    asio::cancellation_signal cancel_first;
    c.async_get_instance("inst_3", out[0].info, asio::bind_cancellation_slot(cancel_first.slot(), [&](error_code ec, beeos::instance inst) {
        out[0] = {true, ec, out[0].info, std::move(inst)};
    }));
    for (std::size_t i = 1; i < out.size(); ++i)
    {
        c.async_get_instance("inst_3", out[i].info, [&out, i](error_code ec, beeos::instance inst) {
            out[i].done = true;
            out[i].ec = ec;
            out[i].inst = std::move(inst);
        });
    }
    asio::steady_timer t(io, 50ms);
    t.async_wait([&](error_code) { cancel_first.emit(asio::cancellation_type::terminal); });
    BOOST_REQUIRE(beeos::test::run_until(io, [&] { return all_done(out); }, 20s));

    BOOST_TEST(out[0].ec == errc::cancelled);
    BOOST_TEST(out[0].info.detail.find("shared") != std::string::npos);
    for (std::size_t i = 1; i < out.size(); ++i)
    {
        BOOST_TEST(!out[i].ec);
        BOOST_TEST(out[i].inst.id == "inst_3");
    }
    BOOST_TEST(f.gw.requests_for("inst_3") == 1u);
}

BOOST_AUTO_TEST_CASE(the_request_is_cancelled_when_every_caller_left)
{
    gateway_fixture f;
    f.gw.add_fault("inst_4", fault{.delay = 3s, .times = 1});
    asio::io_context io;
    beeos::client c{io.get_executor(), f.options()};

    std::vector<outcome> out(2);
    std::vector<asio::cancellation_signal> signals(2);
    for (std::size_t i = 0; i < 2; ++i)
    {
        c.async_get_instance("inst_4", out[i].info, asio::bind_cancellation_slot(signals[i].slot(), [&out, i](error_code ec, beeos::instance) {
            out[i].done = true;
            out[i].ec = ec;
        }));
    }
    auto started = std::chrono::steady_clock::now();
    asio::steady_timer t(io, 50ms);
    t.async_wait([&](error_code) {
        signals[0].emit(asio::cancellation_type::terminal);
        signals[1].emit(asio::cancellation_type::terminal);
    });
    BOOST_REQUIRE(beeos::test::run_until(io, [&] { return all_done(out); }, 20s));
    auto elapsed = std::chrono::steady_clock::now() - started;

    BOOST_TEST(out[0].ec == errc::cancelled);
    BOOST_TEST(out[1].ec == errc::cancelled);
    BOOST_TEST((elapsed < 2s));  // did not wait for the 3 s response

    // A later call is not joined to the cancelled one: it makes a request of its own.
    f.gw.clear_faults();
    std::vector<outcome> later(1);
    start_calls(c, "inst_4", later);
    BOOST_REQUIRE(beeos::test::run_until(io, [&] { return all_done(later); }, 20s));
    BOOST_TEST(!later[0].ec);
    BOOST_TEST(f.gw.requests_for("inst_4") == 2u);
}

BOOST_AUTO_TEST_CASE(coalescing_can_be_switched_off)
{
    gateway_fixture f;
    f.gw.add_fault("inst_5", fault{.delay = 100ms, .times = 1});
    asio::io_context io;
    auto opts = f.options();
    opts.coalesce_requests = false;
    beeos::client c{io.get_executor(), opts};

    std::vector<outcome> out(10);
    start_calls(c, "inst_5", out);
    BOOST_REQUIRE(beeos::test::run_until(io, [&] { return all_done(out); }, 20s));
    BOOST_TEST(f.gw.requests_for("inst_5") == 10u);
}

BOOST_AUTO_TEST_CASE(calls_with_different_policies_or_ids_are_not_joined_and_results_are_not_cached)
{
    gateway_fixture f;
    f.gw.add_fault("inst_6", fault{.delay = 100ms, .times = 1});
    asio::io_context io;
    beeos::client c{io.get_executor(), f.options()};

    beeos::retry_policy other;
    other.max_attempts = 1;
    std::vector<outcome> out(3);
    c.async_get_instance("inst_6", out[0].info, [&](error_code ec, beeos::instance) { out[0].done = true; out[0].ec = ec; });
    c.async_get_instance("inst_6", other, out[1].info, [&](error_code ec, beeos::instance) { out[1].done = true; out[1].ec = ec; });
    c.async_get_instance("inst_7", out[2].info, [&](error_code ec, beeos::instance) { out[2].done = true; out[2].ec = ec; });
    BOOST_REQUIRE(beeos::test::run_until(io, [&] { return all_done(out); }, 20s));
    BOOST_TEST(f.gw.requests_for("inst_6") == 2u);
    BOOST_TEST(f.gw.requests_for("inst_7") == 1u);

    // Single-flight is not a cache: the next call after completion asks the server again.
    std::vector<outcome> again(1);
    start_calls(c, "inst_6", again);
    BOOST_REQUIRE(beeos::test::run_until(io, [&] { return all_done(again); }, 20s));
    BOOST_TEST(f.gw.requests_for("inst_6") == 3u);
}

BOOST_AUTO_TEST_SUITE_END()
