// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
//
// The client against peers and networks that misbehave in ways a well-kept server never does:
// a name service that hangs, interim responses, answers for another request, echoed tokens,
// framing conflicts, dribbled headers. Real TLS to the simulator on 127.0.0.1.
#include "gateway_fixture.hpp"
#include "raw_server.hpp"

#include "client_impl.hpp"

#include <beeos/client.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <limits>
#include <thread>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using beeos::errc;
using beeos::test::gateway_fixture;
using beeos::test::run_test_coroutine;
using beeos::test::run_until;
using clock_type = std::chrono::steady_clock;

namespace {

// A name service that answers after `delay`, as a dead first nameserver makes getaddrinfo do.
struct slow_dns
{
    std::chrono::milliseconds delay;
    std::shared_ptr<std::atomic<int>> lookups = std::make_shared<std::atomic<int>>(0);

    beeos::detail::host_resolver::lookup_function function() const
    {
        return [delay = delay, lookups = lookups](const std::string& host, const std::string& port, boost::system::error_code& ec) {
            ++*lookups;
            std::this_thread::sleep_for(delay);
            asio::io_context private_context;
            asio::ip::tcp::resolver r(private_context);
            return r.resolve(host, port, ec);
        };
    }
};

beeos::client slow_dns_client(asio::io_context& io, const gateway_fixture& f, const slow_dns& dns, beeos::client_options o)
{
    beeos::detail::client_hooks hooks;
    hooks.lookup = dns.function();
    return beeos::detail::client_access::make(io.get_executor(), std::move(o), std::move(hooks));
}

struct result
{
    bool done = false;
    boost::system::error_code ec;
    beeos::error_info info;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(hostile)

// getaddrinfo cannot be cancelled: the call must end at its deadline anyway.
BOOST_AUTO_TEST_CASE(a_hanging_name_lookup_ends_at_the_deadline)
{
    gateway_fixture f;
    slow_dns dns{8s};
    asio::io_context io;
    auto o = f.options();
    o.connect_timeout = 500ms;
    o.retry.total_timeout = 1s;
    auto c = slow_dns_client(io, f, dns, o);
    result r;
    auto t = clock_type::now();
    c.async_get_instance("inst_1", r.info, [&](boost::system::error_code ec, beeos::instance) {
        r.ec = ec;
        r.done = true;
    });
    BOOST_REQUIRE(run_until(io, [&] { return r.done; }, 5s));
    auto took = clock_type::now() - t;
    BOOST_TEST((r.ec == errc::timeout), r.ec.message());
    BOOST_TEST(r.info.detail.find("resolving") != std::string::npos, r.info.detail);
    BOOST_TEST((took < 3s), "took " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms; the lookup takes 8 s");
    // The lookup is still running on its thread, and it keeps nothing of the io_context busy.
    BOOST_TEST(beeos::detail::client_access::impl(c).lookups_in_flight() == 1u);
    io.restart();
    auto t2 = clock_type::now();
    io.run();
    BOOST_TEST((clock_type::now() - t2 < 1s));
}

BOOST_AUTO_TEST_CASE(close_does_not_wait_for_a_hanging_lookup)
{
    gateway_fixture f;
    slow_dns dns{8s};
    asio::io_context io;
    auto c = slow_dns_client(io, f, dns, f.options());
    result r;
    c.async_get_instance("inst_1", r.info, [&](boost::system::error_code ec, beeos::instance) {
        r.ec = ec;
        r.done = true;
    });
    BOOST_REQUIRE(run_until(io, [&] { return dns.lookups->load() == 1; }, 5s));
    auto t = clock_type::now();
    c.close();
    io.restart();
    io.run();  // returns once the call completed: the lookup is not io_context work
    BOOST_TEST(r.done);
    BOOST_TEST((r.ec == errc::shut_down), r.ec.message());
    BOOST_TEST((clock_type::now() - t < 2s));

    // A graceful shutdown with the lookup still hanging completes too.
    slow_dns dns2{8s};
    auto c2 = slow_dns_client(io, f, dns2, f.options());
    result r2;
    bool shut = false;
    c2.async_get_instance("inst_1", r2.info, [&](boost::system::error_code ec, beeos::instance) {
        r2.ec = ec;
        r2.done = true;
    });
    BOOST_REQUIRE(run_until(io, [&] { return dns2.lookups->load() == 1; }, 5s));
    c2.async_shutdown(beeos::shutdown_mode::cancel, [&](boost::system::error_code) { shut = true; });
    BOOST_REQUIRE(run_until(io, [&] { return shut && r2.done; }, 3s));
}

// A burst of new connections asks the name service once, not once per connection.
BOOST_AUTO_TEST_CASE(concurrent_connections_share_one_lookup)
{
    gateway_fixture f;
    slow_dns dns{300ms};
    asio::io_context io;
    auto o = f.options();
    o.max_connections = 8;
    o.coalesce_requests = false;
    auto c = slow_dns_client(io, f, dns, o);
    int done = 0, ok = 0;
    for (int i = 0; i < 8; ++i)
        c.async_get_instance("inst_" + std::to_string(i), [&](boost::system::error_code ec, beeos::instance) {
            ++done;
            ok += !ec;
        });
    BOOST_REQUIRE(run_until(io, [&] { return done == 8; }, 10s));
    BOOST_TEST(ok == 8);
    BOOST_TEST(dns.lookups->load() == 1);
    BOOST_TEST(f.gw.get_stats().tls_handshakes == 8u);
}

// A Content-Length that no allocator can satisfy must not throw out of a parser callback (the
// exception would escape io_context::run() and leave the call hanging with its pool slot).
BOOST_AUTO_TEST_CASE(a_body_too_large_for_memory_is_an_error_not_an_exception)
{
    beeos::test::raw_http_server server([](const std::string& head, int n) -> std::string {
        if (n == 1)
            return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 4611686018427387903\r\n\r\n{";
        return beeos::test::instance_response(beeos::test::requested_id(head));
    });
    asio::io_context io;
    beeos::client_options o;
    o.base_url = server.url();
    o.max_body_bytes = std::numeric_limits<std::size_t>::max();  // "no limit": only memory is
    o.max_connections = 1;
    beeos::client c{io.get_executor(), o};
    run_test_coroutine(io, [](beeos::client& c) -> asio::awaitable<void> {
        beeos::error_info info;
        auto [ec, inst] = co_await c.async_get_instance("inst_1", info, asio::as_tuple(asio::use_awaitable));
        BOOST_TEST((ec == errc::body_too_large), ec.message());
        BOOST_TEST(info.detail.find("memory") != std::string::npos, info.detail);
        // The pool slot came back: the next call gets a connection (a new one) and its answer.
        beeos::instance next = co_await c.get_instance("inst_2");
        BOOST_TEST(next.id == "inst_2");
    }(c));
    BOOST_TEST(server.connections() == 2);
}

BOOST_AUTO_TEST_SUITE_END()
