// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
//
// Many lookups in flight on one io_context, counted on the server side.
#include "gateway_fixture.hpp"

#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <future>
#include <iostream>

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

BOOST_AUTO_TEST_CASE(pool_wait_is_bounded_by_the_request_timeout)
{
    gateway_fixture f;
    beeos::sim::fault slow;
    slow.delay = 2s;
    f.gw.add_fault("inst_slow", slow);
    asio::io_context io;
    auto opts = f.options();
    opts.max_connections = 1;
    opts.retry.total_timeout = 500ms;  // bounds the wait for a connection too
    opts.retry.max_attempts = 1;
    beeos::client c{io.get_executor(), opts};
    boost::system::error_code first, second;
    beeos::error_info info;
    c.async_get_instance("inst_slow", [&](boost::system::error_code ec, beeos::instance) { first = ec; });
    c.async_get_instance("inst_1", info, [&](boost::system::error_code ec, beeos::instance) { second = ec; });
    io.run_for(10s);
    BOOST_TEST(first == beeos::errc::timeout);
    BOOST_TEST(second == beeos::errc::timeout);
    // Whether it timed out in the queue or just after being handed the freed slot, it ends at
    // its deadline with a timeout rather than waiting behind the slow call.
    BOOST_TEST(!info.detail.empty());
}

BOOST_AUTO_TEST_SUITE_END()
