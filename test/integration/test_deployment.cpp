// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
//
// What production deployments need: a real HTTP proxy from Debian (tinyproxy) in front of the
// simulator, connection aging, a dead first address, gzip, and stats() under concurrency.
#include "gateway_fixture.hpp"
#include "raw_server.hpp"
#include "tinyproxy.hpp"

#include "client_impl.hpp"

#include <beeos/client.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/test/unit_test.hpp>

#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <thread>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using beeos::errc;
using beeos::test::gateway_fixture;
using beeos::test::get;
using beeos::test::lookup;
using beeos::test::run_test_coroutine;
using beeos::test::run_until;
using clock_type = std::chrono::steady_clock;

namespace {

std::size_t count_starting(const std::vector<std::string>& lines, std::string_view prefix)
{
    return static_cast<std::size_t>(std::count_if(lines.begin(), lines.end(), [&](const std::string& l) { return l.starts_with(prefix); }));
}

// A fake environment for the proxy decision.
std::map<std::string, std::string>& env_vars()
{
    static std::map<std::string, std::string> vars;
    return vars;
}
std::string_view fake_env(const char* name)
{
    auto it = env_vars().find(name);
    return it == env_vars().end() ? std::string_view() : std::string_view(it->second);
}

beeos::client with_env(asio::io_context& io, beeos::client_options o)
{
    beeos::detail::client_hooks hooks;
    hooks.env = fake_env;
    return beeos::detail::client_access::make(io.get_executor(), std::move(o), hooks);
}

std::string gzip(std::string_view data)
{
    z_stream z{};
    deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY);
    std::string out(deflateBound(&z, data.size()), '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    z.avail_in = static_cast<uInt>(data.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    deflate(&z, Z_FINISH);
    out.resize(z.total_out);
    deflateEnd(&z);
    return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(deployment)

// HTTPS through tinyproxy: CONNECT, TLS to the simulator inside the tunnel with the
// simulator's certificate checked, and the tunnels pooled like direct connections.
BOOST_AUTO_TEST_CASE(https_through_a_real_proxy_with_pooled_tunnels)
{
    gateway_fixture f;
    beeos::test::tinyproxy proxy({.connect_ports = {f.gw.port()}, .user = {}, .password = {}});
    asio::io_context io;
    auto o = f.options();
    o.proxy = proxy.url();
    o.max_connections = 2;
    beeos::client c{io.get_executor(), o};
    run_test_coroutine(io, [](beeos::client& c) -> asio::awaitable<void> {
        for (int i = 0; i < 20; ++i)
        {
            lookup r = co_await get(c, "inst_" + std::to_string(i));
            BOOST_TEST(!r.ec, beeos::format_error(r.ec, r.info));
            BOOST_TEST(r.inst.id == "inst_" + std::to_string(i));
        }
    }(c));
    const auto logged = proxy.requests(1);
    BOOST_TEST(count_starting(logged, "CONNECT 127.0.0.1:" + std::to_string(f.gw.port())) == 1u);  // one tunnel, reused
    BOOST_TEST(f.gw.get_stats().tls_handshakes == 1u);
    BOOST_TEST(f.gw.get_stats().requests == 20u);
    // The proxy saw only the CONNECT line, never a request (the bearer token is in the tunnel).
    for (const auto& l : logged)
        BOOST_TEST(l.find("/api/v1") == std::string::npos, l);
}

BOOST_AUTO_TEST_CASE(proxy_credentials_come_from_the_url_and_a_refusal_says_it_is_the_proxy)
{
    gateway_fixture f;
    beeos::test::tinyproxy proxy({.connect_ports = {f.gw.port()}, .user = "alice", .password = "s3cret"});
    asio::io_context io;
    {
        auto o = f.options();
        o.proxy = "http://alice:s3cret@127.0.0.1:" + std::to_string(proxy.port());
        beeos::client c{io.get_executor(), o};
        run_test_coroutine(io, [](beeos::client& c) -> asio::awaitable<void> {
            lookup r = co_await get(c, "inst_1");
            BOOST_TEST(!r.ec, beeos::format_error(r.ec, r.info));
        }(c));
    }
    {
        auto o = f.options();
        o.proxy = "http://alice:wrong@127.0.0.1:" + std::to_string(proxy.port());
        beeos::client c{io.get_executor(), o};
        run_test_coroutine(io, [](beeos::client& c) -> asio::awaitable<void> {
            lookup r = co_await get(c, "inst_1");
            BOOST_TEST((r.ec == errc::proxy), r.ec.message());
            // 407 by the RFC; tinyproxy 1.11 answers a CONNECT without valid credentials with 401.
            BOOST_TEST((r.info.http_status == 407 || r.info.http_status == 401), r.info.http_status);
            BOOST_TEST(r.info.detail.find("proxy authentication") != std::string::npos, r.info.detail);
            BOOST_TEST(r.info.attempts == 1u);  // 407 is not retried
            const std::string what = beeos::error(r.ec, r.info).what();
            BOOST_TEST(what.find("proxy") != std::string::npos, what);
            BOOST_TEST(what.find("wrong") == std::string::npos, what);  // never the proxy password
            beeos::test::check_no_token(beeos::error(r.ec, r.info));
        }(c));
    }
    // A proxy that refuses the destination port.
    beeos::test::tinyproxy strict({.connect_ports = {443}, .user = {}, .password = {}});
    auto o = f.options();
    o.proxy = strict.url();
    beeos::client c{io.get_executor(), o};
    run_test_coroutine(io, [](beeos::client& c) -> asio::awaitable<void> {
        lookup r = co_await get(c, "inst_1");
        BOOST_TEST((r.ec == errc::proxy), r.ec.message());
        BOOST_TEST(r.info.http_status == 403);
        BOOST_TEST(r.info.detail.find("refused the tunnel") != std::string::npos, r.info.detail);
    }(c));
    BOOST_TEST(f.gw.get_stats().requests == 1u);  // only the one with the right credentials got through
}

// HTTPS_PROXY and NO_PROXY from the environment, and an explicit empty proxy that disables them.
BOOST_AUTO_TEST_CASE(the_environment_chooses_the_proxy_and_no_proxy_bypasses_it)
{
    gateway_fixture f;
    beeos::test::tinyproxy proxy({.connect_ports = {f.gw.port()}, .user = {}, .password = {}});
    asio::io_context io;
    env_vars().clear();
    env_vars()["HTTPS_PROXY"] = proxy.url();
    {
        beeos::client c = with_env(io, f.options());
        run_test_coroutine(io, [](beeos::client& c) -> asio::awaitable<void> { BOOST_TEST(!(co_await get(c, "inst_1")).ec); }(c));
    }
    BOOST_TEST(count_starting(proxy.requests(1), "CONNECT") == 1u);
    env_vars()["NO_PROXY"] = "localhost,127.0.0.0/8";
    {
        beeos::client c = with_env(io, f.options());
        run_test_coroutine(io, [](beeos::client& c) -> asio::awaitable<void> { BOOST_TEST(!(co_await get(c, "inst_1")).ec); }(c));
    }
    env_vars().erase("NO_PROXY");
    {
        auto o = f.options();
        o.proxy = "";  // direct, whatever the environment says
        beeos::client c = with_env(io, o);
        run_test_coroutine(io, [](beeos::client& c) -> asio::awaitable<void> { BOOST_TEST(!(co_await get(c, "inst_1")).ec); }(c));
    }
    BOOST_TEST(count_starting(proxy.requests(1), "CONNECT") == 1u);  // the last two went direct
    BOOST_TEST(f.gw.get_stats().requests == 3u);
    env_vars().clear();
}

// An http API through the proxy: absolute-form requests.
BOOST_AUTO_TEST_CASE(plain_http_through_a_real_proxy)
{
    auto cfg = beeos::test::default_gateway_config();
    cfg.tls = false;
    gateway_fixture f(cfg);
    beeos::test::tinyproxy proxy({.connect_ports = {}, .user = {}, .password = {}});
    asio::io_context io;
    auto o = f.options();
    o.ca_file.clear();
    o.proxy = proxy.url();
    beeos::client c{io.get_executor(), o};
    run_test_coroutine(io, [](beeos::client& c) -> asio::awaitable<void> {
        lookup r = co_await get(c, "inst_3");
        BOOST_TEST(!r.ec, beeos::format_error(r.ec, r.info));
        BOOST_TEST(r.inst.id == "inst_3");
    }(c));
    BOOST_TEST(count_starting(proxy.requests(1), "GET http://127.0.0.1:" + std::to_string(f.gw.port()) + "/api/v1/instances/inst_3") == 1u);
}

// Old connections are retired when handed back, so the pool follows DNS and load balancers.
BOOST_AUTO_TEST_CASE(connections_older_than_max_age_are_retired)
{
    gateway_fixture f;
    asio::io_context io;
    auto o = f.options();
    o.max_connections = 1;
    o.max_connection_age = 300ms;
    beeos::client c{io.get_executor(), o};
    run_test_coroutine(io, [](beeos::client& c) -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        for (int i = 0; i < 6; ++i)
        {
            lookup r = co_await get(c, "inst_1");
            BOOST_TEST(!r.ec);
            asio::steady_timer t(ex, 100ms);
            co_await t.async_wait(asio::use_awaitable);
        }
    }(c));
    const auto s = c.stats();
    BOOST_TEST(f.gw.get_stats().connections_accepted >= 2u);
    BOOST_TEST(f.gw.get_stats().connections_accepted <= 4u);
    BOOST_TEST(s.connections_closed.max_age >= 1u);
    BOOST_TEST(s.connections_opened == f.gw.get_stats().connections_accepted);

    // 0 disables it: one connection for everything.
    gateway_fixture g;
    auto o2 = g.options();
    o2.max_connections = 1;
    o2.max_connection_age = 0ms;
    beeos::client c2{io.get_executor(), o2};
    run_test_coroutine(io, [](beeos::client& c) -> asio::awaitable<void> {
        for (int i = 0; i < 5; ++i)
            BOOST_TEST(!(co_await get(c, "inst_1")).ec);
    }(c2));
    BOOST_TEST(g.gw.get_stats().connections_accepted == 1u);
}

// A dead first address costs the staggering delay, not the connect_timeout (RFC 8305). The dead
// address is a listener whose accept queue is full, so the kernel drops our SYNs.
BOOST_AUTO_TEST_CASE(a_dead_first_address_does_not_cost_the_connect_timeout)
{
    gateway_fixture f;
    asio::io_context blackhole_io;
    asio::ip::tcp::acceptor blackhole(blackhole_io);
    blackhole.open(asio::ip::tcp::v4());
    blackhole.bind({asio::ip::make_address("127.0.0.1"), 0});
    blackhole.listen(0);
    std::vector<asio::ip::tcp::socket> fillers;
    for (int i = 0; i < 4; ++i)
    {
        fillers.emplace_back(blackhole_io);
        // Started and never waited for (blackhole_io does not run): the kernel completes the
        // first handshakes into the accept queue, which then is full and drops further SYNs.
        fillers.back().async_connect(blackhole.local_endpoint(), [](boost::system::error_code) {});
    }
    const auto dead = blackhole.local_endpoint();
    const asio::ip::tcp::endpoint live(asio::ip::make_address("127.0.0.1"), f.gw.port());
    beeos::detail::client_hooks hooks;
    hooks.lookup = [dead, live](const std::string&, const std::string&, boost::system::error_code& ec) {
        ec = {};
        return beeos::detail::host_resolver::results_type{dead, live};
    };
    asio::io_context io;
    auto o = f.options();
    o.connect_timeout = 10s;
    o.retry.max_attempts = 1;
    auto c = beeos::detail::client_access::make(io.get_executor(), o, hooks);
    auto t = clock_type::now();
    run_test_coroutine(io, [](beeos::client& c) -> asio::awaitable<void> {
        lookup r = co_await get(c, "inst_1");
        BOOST_TEST(!r.ec, beeos::format_error(r.ec, r.info));
    }(c));
    BOOST_TEST((clock_type::now() - t < 3s), "took " << std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - t).count() << " ms");
}

// gzip: asked for, inflated, bounded (a bomb fails without inflating past the limit), and a
// broken stream is a clear error that leaves the connection usable.
BOOST_AUTO_TEST_CASE(gzip_bodies_are_inflated_and_bounded)
{
    const std::string bomb = gzip(std::string(64u << 20, '\0'));  // 64 MiB of zeros, ~64 KB
    std::atomic<bool> asked_gzip{false};
    beeos::test::raw_http_server server([&](const std::string& head, int) -> std::string {
        asked_gzip = asked_gzip || head.find("Accept-Encoding: gzip") != std::string::npos;
        const std::string id = beeos::test::requested_id(head);
        std::string body;
        if (id == "bomb")
            body = bomb;
        else if (id == "broken")
        {
            body = gzip(R"({"success":true,"data":{"id":"broken"}})");
            body[body.size() / 2] ^= 0x55;
        }
        else
            body = gzip(R"({"success":true,"data":{"id":")" + id + R"(","status":"running"}})");
        return "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    });
    asio::io_context io;
    beeos::client_options o;
    o.base_url = server.url();
    o.max_connections = 1;
    o.max_body_bytes = 1u << 20;
    o.retry.max_attempts = 1;
    beeos::client c{io.get_executor(), o};
    run_test_coroutine(io, [](beeos::client& c) -> asio::awaitable<void> {
        lookup a = co_await get(c, "inst_1");
        BOOST_TEST(!a.ec, beeos::format_error(a.ec, a.info));
        BOOST_TEST(a.inst.id == "inst_1");
        BOOST_TEST(a.inst.status_text == "running");
        lookup b = co_await get(c, "bomb");
        BOOST_TEST((b.ec == errc::body_too_large), b.ec.message());
        BOOST_TEST(b.info.detail.find("inflates") != std::string::npos, b.info.detail);
        lookup d = co_await get(c, "broken");
        BOOST_TEST((d.ec == errc::protocol), d.ec.message());
        BOOST_TEST(d.info.detail.find("gzip") != std::string::npos, d.info.detail);
        lookup e = co_await get(c, "inst_2");
        BOOST_TEST(e.inst.id == "inst_2");
    }(c));
    BOOST_TEST(asked_gzip.load());
    BOOST_TEST(server.connections() == 1);  // neither failure cost the connection

    // Switched off: not asked for, and a gzip body it did not ask for is refused.
    asked_gzip = false;
    o.accept_gzip = false;
    beeos::client plain{io.get_executor(), o};
    run_test_coroutine(io, [](beeos::client& c) -> asio::awaitable<void> {
        lookup a = co_await get(c, "inst_1");
        BOOST_TEST((a.ec == errc::protocol), a.ec.message());
    }(plain));
    BOOST_TEST(!asked_gzip.load());
}

// stats() from another thread while calls run on 4: gauges stay consistent, counters only
// grow, and the final counts match what the server saw.
BOOST_AUTO_TEST_CASE(stats_under_concurrency)
{
    gateway_fixture f;
    beeos::sim::fault slow;
    slow.delay = 2ms;
    slow.times = -1;
    f.gw.add_fault("", slow);
    asio::io_context io;
    auto o = f.options();
    o.max_connections = 8;
    o.coalesce_requests = true;
    beeos::client c{io.get_executor(), o};
    std::atomic<int> done{0};
    constexpr int calls = 400;
    for (int i = 0; i < calls; ++i)
        c.async_get_instance("inst_" + std::to_string(i % 150), [&](boost::system::error_code, beeos::instance) { ++done; });
    std::atomic<bool> stop{false};
    int inconsistent = 0, went_back = 0, samples = 0;
    std::thread reader([&] {
        beeos::client_stats last;
        while (!stop)
        {
            auto s = c.stats();
            ++samples;
            if (s.connections_open > 8 || s.connections_idle + s.connections_leased + s.connections_opening != s.connections_open)
                ++inconsistent;
            if (s.requests_sent < last.requests_sent || s.calls_started < last.calls_started || s.bytes_received < last.bytes_received ||
                s.connections_opened < last.connections_opened)
                ++went_back;
            last = s;
        }
    });
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; ++i)
        threads.emplace_back([&] { io.run_for(60s); });
    for (auto& t : threads)
        t.join();
    stop = true;
    reader.join();
    BOOST_TEST(done.load() == calls);
    BOOST_TEST(inconsistent == 0);
    BOOST_TEST(went_back == 0);
    BOOST_TEST(samples > 10);
    const auto s = c.stats();
    BOOST_TEST(s.requests_sent == f.gw.get_stats().requests);
    BOOST_TEST(s.connections_opened == f.gw.get_stats().connections_accepted);
    BOOST_TEST(s.calls_started + s.coalesced_joins == std::uint64_t(calls));
    BOOST_TEST(s.calls_in_flight == 0u);
    BOOST_TEST(s.calls_failed == 0u);
    BOOST_TEST(s.bytes_received > s.requests_sent * 1000);  // a fixture instance is ~2 KB
    BOOST_TEST(s.connections_open <= 8u);
}

// Found when the metrics example was tested under TSan: a handler that read stats() (or a
// server answering from it) could still see its own call in flight.
BOOST_AUTO_TEST_CASE(a_completed_call_is_not_in_flight_when_its_handler_runs)
{
    gateway_fixture f;
    asio::io_context io;
    beeos::client c{io.get_executor(), f.options()};
    constexpr int calls = 200;
    std::atomic<int> done{0}, seen_in_flight{0};
    std::function<void()> next = [&]
    {
        c.async_get_instance("inst_" + std::to_string(done.load()), [&](boost::system::error_code ec, beeos::instance) {
            BOOST_TEST(!ec);
            if (c.stats().calls_in_flight != 0)  // one call at a time, and this one is over
                ++seen_in_flight;
            if (++done < calls)
                next();
        });
    };
    next();
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; ++i)
        threads.emplace_back([&] { io.run_for(60s); });
    for (auto& t : threads)
        t.join();
    BOOST_TEST(done.load() == calls);
    BOOST_TEST(seen_in_flight.load() == 0);
}

BOOST_AUTO_TEST_SUITE_END()
