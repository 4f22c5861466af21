// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
//
// The pool over real connections: reuse, the keep-alive race, idle expiry, retirement.
#include "gateway_fixture.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <thread>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using beeos::test::gateway_fixture;
using beeos::test::run_test_coroutine;

namespace {

asio::awaitable<void> fetch_sequentially(beeos::client& c, int n)
{
    for (int i = 0; i < n; ++i)
    {
        beeos::instance inst = co_await c.get_instance("inst_" + std::to_string(i));
        BOOST_TEST(inst.id == "inst_" + std::to_string(i));
    }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(pool)

BOOST_AUTO_TEST_CASE(sequential_calls_reuse_one_connection)
{
    gateway_fixture f;
    asio::io_context io;
    beeos::client c{io.get_executor(), f.options()};
    run_test_coroutine(io, fetch_sequentially(c, 50));
    BOOST_TEST(f.gw.get_stats().requests == 50u);
    BOOST_TEST(f.gw.get_stats().connections_accepted == 1u);
    BOOST_TEST(f.gw.get_stats().tls_handshakes == 1u);
}

BOOST_AUTO_TEST_CASE(server_closing_idle_connections_is_invisible_to_callers)
{
    gateway_fixture f;
    asio::io_context io;
    beeos::client c{io.get_executor(), f.options()};
    run_test_coroutine(io, fetch_sequentially(c, 3));
    BOOST_TEST(f.gw.get_stats().connections_accepted == 1u);

    // The server drops the pooled connection while it is idle: the classic keep-alive race.
    // (Give the server a moment to go back to waiting for the next request first: only then
    // does the simulator count the connection as idle.)
    std::this_thread::sleep_for(50ms);
    f.gw.close_idle_connections();
    // Idle for over a second, so the pool checks the connection before using it (a connection
    // handed back more recently goes straight to the keep-alive re-send when stale, which
    // close_right_after_each_response_never_surfaces covers).
    std::this_thread::sleep_for(1100ms);
    io.restart();
    run_test_coroutine(io, fetch_sequentially(c, 3));
    BOOST_TEST(f.gw.get_stats().connections_accepted == 2u);
    BOOST_TEST(f.gw.get_stats().requests == 6u);  // the stale connection carried no request
}

BOOST_AUTO_TEST_CASE(close_right_after_each_response_never_surfaces)
{
    gateway_fixture f;
    beeos::sim::fault fault;
    fault.close_after_response = true;
    fault.times = -1;
    f.gw.add_fault("", fault);
    asio::io_context io;
    beeos::client c{io.get_executor(), f.options()};
    run_test_coroutine(io, fetch_sequentially(c, 10));
    BOOST_TEST(f.gw.get_stats().requests == 10u);
}

BOOST_AUTO_TEST_CASE(connection_close_retires_the_connection)
{
    gateway_fixture f;
    beeos::sim::fault fault;
    fault.connection_close = true;
    fault.times = -1;
    f.gw.add_fault("", fault);
    asio::io_context io;
    beeos::client c{io.get_executor(), f.options()};
    run_test_coroutine(io, fetch_sequentially(c, 5));
    BOOST_TEST(f.gw.get_stats().connections_accepted == 5u);
    BOOST_TEST(f.gw.get_stats().requests == 5u);
}

BOOST_AUTO_TEST_CASE(idle_connections_past_idle_timeout_are_not_reused)
{
    gateway_fixture f;
    asio::io_context io;
    auto opts = f.options();
    opts.idle_timeout = 100ms;
    beeos::client c{io.get_executor(), opts};
    run_test_coroutine(io, fetch_sequentially(c, 2));
    BOOST_TEST(f.gw.get_stats().connections_accepted == 1u);
    std::this_thread::sleep_for(250ms);
    io.restart();
    run_test_coroutine(io, fetch_sequentially(c, 2));
    BOOST_TEST(f.gw.get_stats().connections_accepted == 2u);
    // The expired connection was closed by us, not left open.
    std::this_thread::sleep_for(100ms);
    BOOST_TEST(f.gw.get_stats().open_connections == 1u);
}

BOOST_AUTO_TEST_CASE(chunked_responses_are_read_and_the_connection_reused)
{
    gateway_fixture f;
    beeos::sim::fault fault;
    fault.chunked = true;
    fault.times = -1;
    f.gw.add_fault("", fault);
    asio::io_context io;
    beeos::client c{io.get_executor(), f.options()};
    run_test_coroutine(io, fetch_sequentially(c, 4));
    BOOST_TEST(f.gw.get_stats().connections_accepted == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
