// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
//
// Many lookups in flight on one io_context, counted on the server side.
#include "gateway_fixture.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <future>
#include <iostream>
#include <optional>
#include <vector>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using beeos::test::gateway_fixture;

BOOST_AUTO_TEST_SUITE(concurrency)

BOOST_AUTO_TEST_CASE(a_thousand_concurrent_lookups_stay_within_max_connections)
{
    gateway_fixture f;
    asio::io_context io;
    auto opts = f.options();
    opts.max_connections = 16;
    beeos::client c{io.get_executor(), opts};

    constexpr int calls = 1000;
    int ok = 0, failed = 0;
    for (int i = 0; i < calls; ++i)
    {
        c.async_get_instance("inst_" + std::to_string(i % 1000), [&, i](boost::system::error_code ec, beeos::instance inst) {
            if (!ec && inst.id == "inst_" + std::to_string(i % 1000))
                ++ok;
            else
                ++failed;
        });
    }
    auto start = std::chrono::steady_clock::now();
    io.run_for(60s);
    auto wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    auto st = f.gw.get_stats();
    BOOST_TEST(ok == calls);
    BOOST_TEST(failed == 0);
    BOOST_TEST(st.requests == static_cast<std::size_t>(calls));
    BOOST_TEST(st.connections_accepted <= opts.max_connections);
    BOOST_TEST(st.max_open_connections <= opts.max_connections);
    BOOST_TEST(st.connections_accepted >= 2u);  // the calls really overlapped
    BOOST_TEST_MESSAGE("concurrency: " << calls << " requests over " << st.connections_accepted << " connections in " << wall << " s");
    std::cout << "concurrency figures: requests=" << st.requests << " connections_opened=" << st.connections_accepted
              << " max_open=" << st.max_open_connections << " wall_s=" << wall << "\n";
}

BOOST_AUTO_TEST_CASE(one_client_shared_by_two_threads_of_one_io_context)
{
    gateway_fixture f;
    asio::io_context io;
    auto opts = f.options();
    opts.max_connections = 8;
    beeos::client c{io.get_executor(), opts};

    constexpr int calls = 1000;
    std::atomic<int> ok{0}, failed{0};
    for (int i = 0; i < calls; ++i)
    {
        c.async_get_instance("inst_" + std::to_string(i), [&, i](boost::system::error_code ec, beeos::instance inst) {
            (!ec && inst.id == "inst_" + std::to_string(i) ? ok : failed)++;
        });
    }
    std::thread second([&] { io.run_for(60s); });
    io.run_for(60s);
    second.join();
    BOOST_TEST(ok.load() == calls);
    BOOST_TEST(failed.load() == 0);
    BOOST_TEST(f.gw.get_stats().max_open_connections <= opts.max_connections);
}

BOOST_AUTO_TEST_CASE(waiters_are_served_in_fifo_order)
{
    gateway_fixture f;
    asio::io_context io;
    auto opts = f.options();
    opts.max_connections = 1;
    beeos::client c{io.get_executor(), opts};
    std::vector<int> order;
    for (int i = 0; i < 20; ++i)
        c.async_get_instance("inst_" + std::to_string(i), [&, i](boost::system::error_code ec, beeos::instance) {
            BOOST_TEST(!ec);
            order.push_back(i);
        });
    io.run_for(30s);
    BOOST_REQUIRE_EQUAL(order.size(), 20u);
    for (int i = 0; i < 20; ++i)
        BOOST_TEST(order[i] == i);
    BOOST_TEST(f.gw.get_stats().connections_accepted == 1u);
}

BOOST_AUTO_TEST_CASE(a_call_queued_past_its_deadline_times_out_in_the_queue_and_says_why)
{
    gateway_fixture f;
    f.gw.add_fault("inst_900", beeos::sim::fault{.delay = 1s});
    asio::io_context io;
    auto opts = f.options();
    opts.max_connections = 1;
    opts.retry.total_timeout = 300ms;  // bounds the wait for a connection too
    beeos::client c{io.get_executor(), opts};
    beeos::retry_policy patient = opts.retry;
    patient.total_timeout = 5s;

    std::optional<boost::system::error_code> slow, queued;
    beeos::error_info slow_info, info;
    int order = 0, slow_at = 0, queued_at = 0;
    c.async_get_instance("inst_900", patient, slow_info, [&](boost::system::error_code ec, beeos::instance) {
        slow = ec;
        slow_at = ++order;
    });
    c.async_get_instance("inst_1", info, [&](boost::system::error_code ec, beeos::instance) {
        queued = ec;
        queued_at = ++order;
    });
    BOOST_REQUIRE(beeos::test::run_until(io, [&] { return slow && queued; }, 10s));
    BOOST_TEST(!*slow);
    BOOST_TEST(*queued == beeos::errc::timeout);
    BOOST_TEST(queued_at < slow_at);  // it did not wait behind the slow call
    BOOST_TEST(info.detail.find("no connection became free before the call's deadline") != std::string::npos, info.detail);
    BOOST_TEST(info.detail.find("all 1 of max_connections busy") != std::string::npos, info.detail);
    BOOST_TEST(info.attempts == 1u);
    BOOST_TEST(info.id == "inst_1");
    BOOST_TEST(f.gw.requests_for("inst_1") == 0u);
}

BOOST_AUTO_TEST_CASE(cancelling_one_queued_call_leaves_the_others_in_order)
{
    gateway_fixture f;
    f.gw.add_fault("inst_900", beeos::sim::fault{.delay = 400ms});
    asio::io_context io;
    auto opts = f.options();
    opts.max_connections = 1;
    beeos::client c{io.get_executor(), opts};

    std::vector<int> order;  // completions: 0 for the slow call, i for inst_i
    std::vector<boost::system::error_code> results(6);
    std::vector<beeos::error_info> infos(6);
    c.async_get_instance("inst_900", [&](boost::system::error_code ec, beeos::instance) {
        BOOST_TEST(!ec);
        order.push_back(0);
    });
    asio::cancellation_signal cancel_3;
    for (int i = 1; i <= 5; ++i)
    {
        auto h = [&, i](boost::system::error_code ec, beeos::instance inst) {
            results[i] = ec;
            if (!ec)
                BOOST_TEST(inst.id == "inst_" + std::to_string(i));
            order.push_back(i);
        };
        auto id = "inst_" + std::to_string(i);
        if (i == 3)
            c.async_get_instance(id, infos[i], asio::bind_cancellation_slot(cancel_3.slot(), h));
        else
            c.async_get_instance(id, infos[i], h);
    }
    asio::steady_timer t(io, 100ms);
    t.async_wait([&](boost::system::error_code) { cancel_3.emit(asio::cancellation_type::terminal); });
    BOOST_REQUIRE(beeos::test::run_until(io, [&] { return order.size() == 6; }, 10s));

    // The cancelled call ends while the slow one still holds the only connection; the rest are
    // served in the order they were made.
    BOOST_TEST(order == (std::vector<int>{3, 0, 1, 2, 4, 5}), boost::test_tools::per_element());
    BOOST_TEST(results[3] == beeos::errc::cancelled);
    BOOST_TEST(infos[3].detail.find("cancelled while waiting for a free connection") != std::string::npos, infos[3].detail);
    for (int i : {1, 2, 4, 5})
        BOOST_TEST(!results[i], "inst_" << i << ": " << beeos::format_error(results[i], infos[i]));
    BOOST_TEST(f.gw.requests_for("inst_3") == 0u);
    BOOST_TEST(f.gw.get_stats().connections_accepted == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
