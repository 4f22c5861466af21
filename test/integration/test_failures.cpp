// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
//
// A hostile or broken server, a dead port, a slow peer, a caller who gives up: each ends in one
// clear beeos::error and leaves the client usable.
#include "gateway_fixture.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <thread>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using beeos::test::gateway_fixture;
using beeos::test::run_test_coroutine;

namespace {

struct outcome
{
    boost::system::error_code ec;
    beeos::error_info info;
    beeos::instance inst;
    std::chrono::steady_clock::duration took{};
};

outcome call(beeos::client& c, std::string id)
{
    auto& io = static_cast<asio::io_context&>(c.get_executor().context());
    io.restart();
    outcome out;
    auto start = std::chrono::steady_clock::now();
    bool done = false;
    c.async_get_instance(id, out.info, [&](boost::system::error_code ec, beeos::instance inst) {
        out.ec = ec;
        out.inst = std::move(inst);
        done = true;
    });
    io.run_for(30s);
    BOOST_REQUIRE_MESSAGE(done, "the call did not complete");
    out.took = std::chrono::steady_clock::now() - start;
    return out;
}

std::string what(const outcome& o) { return beeos::format_error(o.ec, o.info); }

}  // namespace

BOOST_AUTO_TEST_SUITE(failures)

BOOST_AUTO_TEST_CASE(oversized_body_fails_without_buffering_it)
{
    gateway_fixture f;
    beeos::sim::fault fault;
    fault.oversized_body_bytes = 64u * 1024u * 1024u;
    f.gw.add_fault("inst_1", fault);
    asio::io_context io;
    auto opts = f.options();
    opts.max_body_bytes = 64 * 1024;
    beeos::client c{io.get_executor(), opts};
    auto o = call(c, "inst_1");
    BOOST_TEST(o.ec == beeos::errc::body_too_large);
    BOOST_TEST(o.info.http_status == 200);
    BOOST_TEST(what(o).find("max_body_bytes") != std::string::npos, what(o));
    // The connection was discarded: the next call opens a new one and succeeds.
    auto next = call(c, "inst_2");
    BOOST_TEST(!next.ec);
    BOOST_TEST(f.gw.get_stats().connections_accepted == 2u);
}

BOOST_AUTO_TEST_CASE(truncated_body_is_a_connection_error_not_a_half_decode)
{
    gateway_fixture f;
    beeos::sim::fault fault;
    fault.truncate_body = true;
    f.gw.add_fault("inst_1", fault);
    asio::io_context io;
    auto opts = f.options();
    opts.retry.max_attempts = 1;  // the retry itself is covered by the fault matrix
    beeos::client c{io.get_executor(), opts};
    auto o = call(c, "inst_1");
    BOOST_TEST(o.ec == beeos::errc::connection);
    BOOST_TEST(o.info.http_status == 200);
    BOOST_TEST(o.inst.id.empty());
    BOOST_TEST(!call(c, "inst_1").ec);
}

BOOST_AUTO_TEST_CASE(invalid_json_in_a_200_is_a_decode_error)
{
    gateway_fixture f;
    beeos::sim::fault fault;
    fault.body = R"({"success":true,"data":{"id":"inst_1","totalRunSeconds":"many"}})";
    fault.status = 0;
    f.gw.add_fault("inst_1", fault);
    beeos::sim::fault garbage;
    garbage.body = "{not json";
    f.gw.add_fault("inst_2", garbage);
    asio::io_context io;
    beeos::client c{io.get_executor(), f.options()};

    auto wrong_type = call(c, "inst_1");
    BOOST_TEST(wrong_type.ec == beeos::errc::decode);
    BOOST_TEST(wrong_type.info.http_status == 200);
    BOOST_TEST(what(wrong_type).find("totalRunSeconds") != std::string::npos, what(wrong_type));

    auto not_json = call(c, "inst_2");
    BOOST_TEST(not_json.ec == beeos::errc::decode);
    BOOST_TEST(not_json.info.http_status == 200);
    BOOST_TEST(!not_json.info.request_id.empty());  // from X-Request-Id
}

BOOST_AUTO_TEST_CASE(html_502_from_a_proxy_is_a_clear_server_error)
{
    gateway_fixture f;
    beeos::sim::fault fault;
    fault.status = 502;
    fault.body = "<html><body><h1>502 Bad Gateway</h1></body></html>";
    fault.content_type = "text/html";
    f.gw.add_fault("inst_1", fault);
    asio::io_context io;
    auto opts = f.options();
    opts.retry.max_attempts = 1;
    beeos::client c{io.get_executor(), opts};
    auto o = call(c, "inst_1");
    BOOST_TEST(o.ec == beeos::errc::server_error);
    BOOST_TEST(o.info.http_status == 502);
    BOOST_TEST(o.info.api_code.empty());
    BOOST_TEST(what(o).find("not a BeeOS error envelope") != std::string::npos, what(o));
}

BOOST_AUTO_TEST_CASE(redirects_are_reported_not_followed)
{
    gateway_fixture f;
    beeos::sim::fault fault;
    fault.status = 302;
    fault.location = "https://evil.example:8443/steal?sig=abc";
    f.gw.add_fault("inst_1", fault);
    asio::io_context io;
    beeos::client c{io.get_executor(), f.options()};
    auto o = call(c, "inst_1");
    BOOST_TEST(o.ec == beeos::errc::http_error);
    BOOST_TEST(o.info.http_status == 302);
    BOOST_TEST(what(o).find("https://evil.example:8443") != std::string::npos, what(o));
    BOOST_TEST(what(o).find("sig=abc") == std::string::npos, what(o));
    BOOST_TEST(f.gw.get_stats().requests == 1u);
}

BOOST_AUTO_TEST_CASE(slow_response_past_the_request_timeout)
{
    gateway_fixture f;
    beeos::sim::fault fault;
    fault.delay = 3s;
    f.gw.add_fault("inst_1", fault);
    asio::io_context io;
    auto opts = f.options();
    opts.request_timeout = 300ms;
    opts.retry.max_attempts = 1;
    beeos::client c{io.get_executor(), opts};
    auto o = call(c, "inst_1");
    BOOST_TEST(o.ec == beeos::errc::timeout);
    BOOST_TEST((o.took >= 290ms));
    BOOST_TEST((o.took < 2s));
    BOOST_TEST(what(o).find("request_timeout") != std::string::npos, what(o));
}

BOOST_AUTO_TEST_CASE(tls_handshake_that_never_completes_hits_the_connect_timeout)
{
    auto cfg = beeos::test::default_gateway_config();
    cfg.stall_tls = true;
    gateway_fixture f(cfg);
    asio::io_context io;
    auto opts = f.options();
    opts.connect_timeout = 300ms;
    opts.retry.max_attempts = 1;
    beeos::client c{io.get_executor(), opts};
    auto o = call(c, "inst_1");
    BOOST_TEST(o.ec == beeos::errc::timeout);
    BOOST_TEST(o.info.http_status == 0);
    BOOST_TEST((o.took < 2s));
    BOOST_TEST(what(o).find("connect_timeout") != std::string::npos, what(o));
}

BOOST_AUTO_TEST_CASE(nothing_listening_is_a_connection_error)
{
    // Bind a port, then close it, so nothing listens there.
    unsigned short port;
    {
        asio::io_context tmp;
        asio::ip::tcp::acceptor a(tmp, {asio::ip::make_address("127.0.0.1"), 0});
        port = a.local_endpoint().port();
    }
    asio::io_context io;
    beeos::client c{io.get_executor(),
                    {.base_url = "https://127.0.0.1:" + std::to_string(port),
                     .token = std::string(beeos::test::secret_token),
                     .retry = {.max_attempts = 1}}};
    auto o = call(c, "inst_1");
    BOOST_TEST(o.ec == beeos::errc::connection);
    BOOST_TEST(o.info.cause == asio::error::connection_refused);
    BOOST_TEST(what(o).find("127.0.0.1:" + std::to_string(port)) != std::string::npos, what(o));
    beeos::test::check_no_token(what(o));
}

BOOST_AUTO_TEST_CASE(reset_before_any_response_byte_on_a_fresh_connection)
{
    gateway_fixture f;
    beeos::sim::fault fault;
    fault.reset_before_response = true;
    f.gw.add_fault("inst_1", fault);
    asio::io_context io;
    auto opts = f.options();
    opts.retry.max_attempts = 1;
    beeos::client c{io.get_executor(), opts};
    auto o = call(c, "inst_1");
    // A fresh connection failing is not the keep-alive race; retries belong to the retry policy.
    BOOST_TEST(o.ec == beeos::errc::connection);
    BOOST_TEST(o.info.http_status == 0);
    BOOST_TEST(f.gw.requests_for("inst_1") == 1u);
    BOOST_TEST(!call(c, "inst_1").ec);
}

BOOST_AUTO_TEST_CASE(cancelling_the_caller_ends_the_call_and_drops_its_connection)
{
    using namespace asio::experimental::awaitable_operators;
    gateway_fixture f;
    beeos::sim::fault fault;
    fault.delay = 5s;
    f.gw.add_fault("inst_1", fault);
    asio::io_context io;
    beeos::client c{io.get_executor(), f.options()};
    auto start = std::chrono::steady_clock::now();
    run_test_coroutine(io, [](beeos::client& c) -> asio::awaitable<void> {
        asio::steady_timer timer(co_await asio::this_coro::executor, 200ms);
        auto winner = co_await (c.get_instance("inst_1") || timer.async_wait(asio::use_awaitable));
        BOOST_TEST(winner.index() == 1u);
        // The pool still serves the next call, on a new connection.
        beeos::instance inst = co_await c.get_instance("inst_2");
        BOOST_TEST(inst.id == "inst_2");
    }(c));
    BOOST_TEST((std::chrono::steady_clock::now() - start < 3s));
    BOOST_TEST(f.gw.get_stats().connections_accepted == 2u);
}

BOOST_AUTO_TEST_CASE(cancellation_reports_cancelled_through_the_universal_model)
{
    gateway_fixture f;
    beeos::sim::fault fault;
    fault.delay = 5s;
    f.gw.add_fault("inst_1", fault);
    asio::io_context io;
    beeos::client c{io.get_executor(), f.options()};
    asio::cancellation_signal sig;
    boost::system::error_code got;
    beeos::error_info info;
    c.async_get_instance("inst_1", info, asio::bind_cancellation_slot(sig.slot(), [&](boost::system::error_code ec, beeos::instance) { got = ec; }));
    asio::steady_timer t(io, 100ms);
    t.async_wait([&](boost::system::error_code) { sig.emit(asio::cancellation_type::terminal); });
    io.run_for(5s);
    BOOST_TEST(got == beeos::errc::cancelled);
}

BOOST_AUTO_TEST_CASE(destroying_the_client_with_calls_in_flight_fails_them_cleanly)
{
    gateway_fixture f;
    beeos::sim::fault fault;
    fault.delay = 5s;
    fault.times = -1;
    f.gw.add_fault("", fault);
    asio::io_context io;
    std::vector<boost::system::error_code> results;
    {
        auto opts = f.options();
        opts.max_connections = 2;
        beeos::client c{io.get_executor(), opts};
        for (int i = 0; i < 6; ++i)  // 2 on the wire, 4 waiting for a connection
            c.async_get_instance("inst_" + std::to_string(i), [&](boost::system::error_code ec, beeos::instance) { results.push_back(ec); });
        io.run_for(300ms);
    }
    io.restart();
    io.run_for(3s);
    BOOST_REQUIRE_EQUAL(results.size(), 6u);
    for (auto& ec : results)
        BOOST_TEST(ec == beeos::errc::shut_down);
}

BOOST_AUTO_TEST_CASE(stopping_the_io_context_with_calls_in_flight_does_not_leak_or_crash)
{
    gateway_fixture f;
    beeos::sim::fault fault;
    fault.delay = 2s;
    fault.times = -1;
    f.gw.add_fault("", fault);
    int completed = 0;
    {
        asio::io_context io;
        beeos::client c{io.get_executor(), f.options()};
        for (int i = 0; i < 20; ++i)
            c.async_get_instance("inst_" + std::to_string(i), [&](boost::system::error_code, beeos::instance) { ++completed; });
        io.run_for(200ms);
        io.stop();
    }  // the io_context is destroyed with the operations still pending; ASan checks the rest
    BOOST_TEST(completed == 0);
}

BOOST_AUTO_TEST_SUITE_END()
