// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
//
// The client against peers and networks that misbehave in ways a well-kept server never does:
// a name service that hangs, interim responses, answers for another request, echoed tokens,
// framing conflicts, dribbled headers. Real TLS to the simulator on 127.0.0.1.
#include "child_process.hpp"
#include "gateway_fixture.hpp"
#include "raw_server.hpp"

#include "client_impl.hpp"

#include <beeos/client.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <filesystem>
#include <limits>
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
            beeos::detail::host_resolver::results_type out;
            for (const auto& e : r.resolve(host, port, ec))
                out.push_back(e.endpoint());
            return out;
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

// One connection, so that whatever one call leaves on it is what the next call reads.
beeos::client_options one_connection(const gateway_fixture& f, unsigned attempts = 3)
{
    auto o = f.options();
    o.max_connections = 1;
    o.retry.max_attempts = attempts;
    o.retry.initial_backoff = std::chrono::milliseconds(1);
    o.coalesce_requests = false;
    return o;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(hostile)

// The outside report: a 103 before the 200 failed the call with "HTTP 103" and handed the
// real 200 to the next call on the connection.
BOOST_AUTO_TEST_CASE(interim_responses_are_skipped_in_one_write_or_split)
{
    for (bool split : {false, true})
    {
        gateway_fixture f;
        beeos::sim::fault hints;
        hints.interim_statuses = {100, 103, 103};
        hints.interim_split = split;
        hints.times = -1;
        f.gw.add_fault("", hints);
        asio::io_context io;
        beeos::client c{io.get_executor(), one_connection(f, 1)};
        run_test_coroutine(io, [](beeos::client& c) -> asio::awaitable<void> {
            for (const char* id : {"inst_1", "inst_2", "inst_3"})
            {
                lookup r = co_await get(c, id);
                BOOST_TEST(!r.ec, id << ": " << beeos::format_error(r.ec, r.info));
                BOOST_TEST(r.inst.id == id);
            }
        }(c));
        BOOST_TEST(f.gw.get_stats().connections_accepted == 1u);  // one connection carried all three
    }
}

BOOST_AUTO_TEST_CASE(switching_protocols_is_a_protocol_error_and_the_next_call_is_unharmed)
{
    gateway_fixture f;
    beeos::sim::fault upgrade;
    upgrade.interim_statuses = {101};
    f.gw.add_fault("inst_1", upgrade);
    asio::io_context io;
    beeos::client c{io.get_executor(), one_connection(f, 1)};
    run_test_coroutine(io, [](beeos::client& c) -> asio::awaitable<void> {
        lookup a = co_await get(c, "inst_1");
        BOOST_TEST((a.ec == errc::protocol), a.ec.message());
        BOOST_TEST(a.info.detail.find("101") != std::string::npos, a.info.detail);
        lookup b = co_await get(c, "inst_2");
        BOOST_TEST(!b.ec);
        BOOST_TEST(b.inst.id == "inst_2");
    }(c));
}

BOOST_AUTO_TEST_CASE(an_answer_for_another_id_is_refused_with_both_ids)
{
    gateway_fixture f;
    beeos::sim::fault wrong;
    wrong.wrong_id = "inst_999";
    wrong.times = -1;
    f.gw.add_fault("inst_1", wrong);
    asio::io_context io;
    beeos::client c{io.get_executor(), one_connection(f, 2)};
    run_test_coroutine(io, [](beeos::client& c) -> asio::awaitable<void> {
        lookup a = co_await get(c, "inst_1");
        BOOST_TEST((a.ec == errc::mismatched_response), a.ec.message());
        BOOST_TEST(a.info.attempts == 2u);  // retried once, on a new connection
        const std::string what = beeos::error(a.ec, a.info).what();
        BOOST_TEST(what.find("inst_999") != std::string::npos, what);
        BOOST_TEST(what.find("\"inst_1\"") != std::string::npos, what);
        lookup b = co_await get(c, "inst_2");
        BOOST_TEST(b.inst.id == "inst_2");
    }(c));
    BOOST_TEST(f.gw.get_stats().connections_accepted == 3u);  // each wrong answer closed its connection
}

// The desynchronisation attack: a response nobody asked for waits on an idle connection. The
// next call on it reads it, sees an answer for another id, and asks again on a new connection.
BOOST_AUTO_TEST_CASE(an_unsolicited_response_never_reaches_the_next_call)
{
    for (auto delay : {0ms, 30ms})
    {
        gateway_fixture f;
        beeos::sim::fault extra;
        extra.unsolicited_id = "inst_7";
        extra.unsolicited_delay = delay;
        f.gw.add_fault("inst_1", extra);
        asio::io_context io;
        beeos::client c{io.get_executor(), one_connection(f)};
        run_test_coroutine(io, [](beeos::client& c) -> asio::awaitable<void> {
            lookup a = co_await get(c, "inst_1");
            BOOST_TEST(a.inst.id == "inst_1");
            auto ex = co_await asio::this_coro::executor;
            asio::steady_timer t(ex, 100ms);  // the unsolicited response is in by now
            co_await t.async_wait(asio::use_awaitable);
            lookup b = co_await get(c, "inst_2");
            BOOST_TEST(!b.ec, beeos::format_error(b.ec, b.info));
            BOOST_TEST(b.inst.id == "inst_2");  // never inst_7
        }(c));
        BOOST_TEST(f.gw.get_stats().connections_accepted == 2u, "delay " << delay.count() << " ms");
    }
}

// The token echoed by a server across the 1 KiB cut of server text: scrubbed first, cut after.
BOOST_AUTO_TEST_CASE(an_echoed_token_is_scrubbed_from_every_field_before_any_cut)
{
    for (int status : {500, 404, 302})
    {
        for (std::size_t at : {std::size_t{10}, std::size_t{1000}, std::size_t{1020}, std::size_t{1030}})
        {
            gateway_fixture f;
            beeos::sim::fault echo;
            echo.status = status;
            echo.echo_authorization_at = at;
            echo.times = -1;
            f.gw.add_fault("inst_1", echo);
            asio::io_context io;
            beeos::client c{io.get_executor(), one_connection(f, 1)};
            run_test_coroutine(io, [](beeos::client& c, int status) -> asio::awaitable<void> {
                lookup a = co_await get(c, "inst_1");
                BOOST_TEST(a.info.http_status == status);
                beeos::test::check_no_token(beeos::error(a.ec, a.info));
                // Not even the token's first half survives.
                const std::string what = beeos::error(a.ec, a.info).what();
                const std::string head(beeos::test::secret_token.substr(0, beeos::test::secret_token.size() / 2));
                BOOST_TEST(what.find(head) == std::string::npos);
                for (const std::string* field : {&a.info.message, &a.info.api_code, &a.info.api_type, &a.info.request_id, &a.info.detail})
                    BOOST_TEST(field->find(head) == std::string::npos);
            }(c, status));
        }
    }
}

// Found by review: a wrong id that carries a call's own token across the 140-byte cut of the
// detail left the token's head in it (only the client's tokens were scrubbed before the cut).
BOOST_AUTO_TEST_CASE(a_wrong_id_echoing_a_per_call_token_is_scrubbed_before_the_cut)
{
    const std::string own = "oag_per_call_TENANT_SECRET_77";
    auto cfg = beeos::test::default_gateway_config();
    cfg.token_owners = {{own, "carol"}};
    gateway_fixture f{cfg};
    beeos::sim::fault echo;
    echo.wrong_id = "unused";
    echo.echo_authorization_at = 120;
    echo.times = -1;
    f.gw.add_fault("inst_1", echo);
    asio::io_context io;
    beeos::client c{io.get_executor(), one_connection(f, 1)};
    lookup a;
    bool done = false;
    c.async_get_instance("inst_1", beeos::call_options{.retry = std::nullopt, .token = own}, a.info,
                         [&](boost::system::error_code ec, beeos::instance) {
                             a.ec = ec;
                             done = true;
                         });
    BOOST_REQUIRE(run_until(io, [&] { return done; }, 10s));
    BOOST_TEST((a.ec == errc::mismatched_response), beeos::format_error(a.ec, a.info));
    const std::string head = own.substr(0, 12);
    BOOST_TEST(a.info.detail.find(head) == std::string::npos, a.info.detail);
    const std::string what = beeos::error(a.ec, a.info).what();
    BOOST_TEST(what.find(head) == std::string::npos, what);
}

BOOST_AUTO_TEST_CASE(a_dribbled_header_is_read_and_its_deadline_holds)
{
    gateway_fixture f;
    beeos::sim::fault dribble;
    dribble.header_dribble = 1ms;
    f.gw.add_fault("inst_1", dribble);
    beeos::sim::fault slow = dribble;
    slow.header_dribble = 20ms;  // ~150 bytes: about 3 s
    f.gw.add_fault("inst_2", slow);
    asio::io_context io;
    auto o = one_connection(f, 1);
    o.request_timeout = 1s;
    beeos::client c{io.get_executor(), o};
    run_test_coroutine(io, [](beeos::client& c) -> asio::awaitable<void> {
        lookup a = co_await get(c, "inst_1");
        BOOST_TEST(!a.ec, beeos::format_error(a.ec, a.info));
        auto t = clock_type::now();
        lookup b = co_await get(c, "inst_2");
        BOOST_TEST((b.ec == errc::timeout), b.ec.message());
        BOOST_TEST((clock_type::now() - t < 2500ms));  // the request_timeout, not the dribble
    }(c));
}

BOOST_AUTO_TEST_CASE(framing_conflicts_are_protocol_errors_and_bytes_after_the_body_end_reuse)
{
    gateway_fixture f;
    beeos::sim::fault dup;
    dup.duplicate_content_length = true;
    f.gw.add_fault("inst_1", dup);
    beeos::sim::fault both;
    both.content_length_with_chunked = true;
    f.gw.add_fault("inst_2", both);
    beeos::sim::fault trailing;
    trailing.trailing_bytes = "HTTP/1.1 200 OK\r\n";
    f.gw.add_fault("inst_3", trailing);
    asio::io_context io;
    beeos::client c{io.get_executor(), one_connection(f, 1)};
    run_test_coroutine(io, [](beeos::client& c) -> asio::awaitable<void> {
        lookup a = co_await get(c, "inst_1");
        BOOST_TEST((a.ec == errc::protocol), a.ec.message());
        lookup b = co_await get(c, "inst_2");
        BOOST_TEST((b.ec == errc::protocol), b.ec.message());
        lookup d = co_await get(c, "inst_3");
        BOOST_TEST(!d.ec);  // the response itself is fine...
        lookup e = co_await get(c, "inst_4");
        BOOST_TEST(e.inst.id == "inst_4");  // ...but its connection is not reused
    }(c));
    BOOST_TEST(f.gw.get_stats().connections_accepted == 4u);
}

// Node's own HTTPS server sends 103 Early Hints before every answer, as web frameworks do for
// preloads. The outside report measured 0 of 400 correct over 4 connections.
BOOST_AUTO_TEST_CASE(a_real_server_sending_early_hints)
{
    beeos::test::temp_dir dir;
    const auto& pki = beeos::test::shared_pki();
    const auto cert = dir.write("server.pem", pki.server_cert_pem);
    const auto key = dir.write("server.key", pki.server_key_pem);
    const auto script = std::filesystem::path(__FILE__).parent_path() / "node" / "early_hints_server.mjs";
    beeos::test::child_process node("node", {script.string(), "--port", "0", "--cert", cert, "--key", key, "--token",
                                             std::string(beeos::test::secret_token), "--count", "1000"});
    const std::string line = node.read_line(15s);
    BOOST_REQUIRE_MESSAGE(line.starts_with("LISTENING "), "node printed '" << line << "'");
    asio::io_context io;
    beeos::client_options o;
    o.base_url = "https://127.0.0.1:" + line.substr(10);
    o.token = std::string(beeos::test::secret_token);
    o.ca_file = beeos::test::shared_ca_file();
    o.max_connections = 4;
    o.coalesce_requests = false;
    o.retry.max_attempts = 1;
    beeos::client c{io.get_executor(), o};
    int done = 0, correct = 0;
    std::string first_failure;
    for (int i = 0; i < 400; ++i)
    {
        std::string id = "inst_" + std::to_string(i);
        c.async_get_instance(id, [&, id](boost::system::error_code ec, beeos::instance inst) {
            ++done;
            if (!ec && inst.id == id)
                ++correct;
            else if (first_failure.empty())
                first_failure = id + ": " + (ec ? ec.message() : "got " + inst.id);
        });
    }
    BOOST_REQUIRE(run_until(io, [&] { return done == 400; }, 60s));
    BOOST_TEST(correct == 400, "first failure: " << first_failure);
}

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

// A Content-Length that no allocator can satisfy, announced by a peer that then sends one byte
// and hangs up: nothing is reserved up front (the body grows as bytes arrive), nothing throws
// out of a parser callback, the call fails with a clear error and its pool slot comes back.
BOOST_AUTO_TEST_CASE(an_impossible_content_length_reserves_nothing_and_fails_cleanly)
{
    beeos::test::raw_http_server server([](const std::string& head, int n) -> std::string {
        if (n == 1)
            return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 4611686018427387903\r\n\r\n{" +
                   std::string(beeos::test::raw_http_server::then_close);
        return beeos::test::instance_response(beeos::test::requested_id(head));
    });
    asio::io_context io;
    beeos::client_options o;
    o.base_url = server.url();
    o.max_body_bytes = std::numeric_limits<std::size_t>::max();  // "no limit": only memory is
    o.max_connections = 1;
    o.retry.max_attempts = 1;
    beeos::client c{io.get_executor(), o};
    run_test_coroutine(io, [](beeos::client& c) -> asio::awaitable<void> {
        beeos::error_info info;
        auto [ec, inst] = co_await c.async_get_instance("inst_1", info, asio::as_tuple(asio::use_awaitable));
        BOOST_TEST(static_cast<bool>(ec));
        BOOST_TEST(inst.id.empty());
        BOOST_TEST_MESSAGE("truncated huge body: " << beeos::format_error(ec, info));
        BOOST_TEST(!info.detail.empty());
        beeos::instance next = co_await c.get_instance("inst_2");
        BOOST_TEST(next.id == "inst_2");
    }(c));
    BOOST_TEST(server.connections() == 2);
}

// Found by review: a cancellation that reached the call's strand just behind the name lookup's
// result met no pending operation, and the call went on to connect and handshake until
// connect_timeout. The lookup hook arranges exactly that order on one io thread.
BOOST_AUTO_TEST_CASE(a_cancellation_between_two_steps_of_a_connect_is_not_lost)
{
    // A TLS peer that never answers the ClientHello: without the fix the handshake runs to 4 s.
    beeos::test::raw_http_server silent([](const std::string&, int) -> std::string {
        std::this_thread::sleep_for(3s);
        return {};
    });
    asio::io_context io;
    asio::cancellation_signal sig;
    std::atomic<bool> x_running{false};
    beeos::detail::client_hooks hooks;
    hooks.lookup = [&](const std::string& host, const std::string& port, boost::system::error_code& ec) {
        // Occupy the io thread with a handler that emits the cancellation once this lookup's
        // completion has been posted to the call's strand.
        asio::post(io, [&] {
            x_running = true;
            std::this_thread::sleep_for(200ms);
            sig.emit(asio::cancellation_type::terminal);
        });
        while (!x_running)
            std::this_thread::yield();
        asio::io_context private_io;
        asio::ip::tcp::resolver r(private_io);
        beeos::detail::host_resolver::results_type out;
        for (const auto& e : r.resolve(host, port, asio::ip::resolver_base::numeric_host, ec))
            out.push_back(e.endpoint());
        return out;
    };
    beeos::client_options o;
    o.base_url = "https://" + silent.url().substr(7);
    o.connect_timeout = 4s;
    o.retry.max_attempts = 1;
    auto c = beeos::detail::client_access::make(io.get_executor(), o, hooks);
    result r;
    auto t = clock_type::now();
    c.async_get_instance("inst_1", r.info, asio::bind_cancellation_slot(sig.slot(), [&](boost::system::error_code ec, beeos::instance) {
        r.ec = ec;
        r.done = true;
    }));
    BOOST_REQUIRE(run_until(io, [&] { return r.done; }, 10s));
    BOOST_TEST((r.ec == errc::cancelled), r.ec.message() << ": " << r.info.detail);
    BOOST_TEST((clock_type::now() - t < 2s));
}

// Found by review: an unsolicited copy of page 0 arriving on the idle connection was read as
// the answer to the request for page 1 (pages have no id to check). Every reuse now polls the
// connection first, and finds the bytes nobody asked for.
BOOST_AUTO_TEST_CASE(an_unsolicited_page_is_never_taken_for_the_next_page)
{
    auto page_response = [](int page) {
        std::string body = R"({"success":true,"data":[{"id":"p)" + std::to_string(page) + R"(_a"},{"id":"p)" + std::to_string(page) +
                           R"(_b"}],"total":6})";
        return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    };
    // The answer to page 0, then after a pause a copy of it nobody asked for; a second
    // connection serves the page asked again after the first was found unusable.
    asio::io_context sio;
    asio::ip::tcp::acceptor acc(sio, {asio::ip::make_address("127.0.0.1"), 0});
    const auto port = acc.local_endpoint().port();
    std::thread peer([&] {
        boost::system::error_code ec;
        asio::ip::tcp::socket s(sio);
        acc.accept(s, ec);
        asio::streambuf in;
        for (int requests = 0; !ec; )
        {
            std::size_t n = asio::read_until(s, in, "\r\n\r\n", ec);
            if (ec)
                break;
            std::string head(asio::buffers_begin(in.data()), asio::buffers_begin(in.data()) + static_cast<std::ptrdiff_t>(n));
            in.consume(n);
            const int page = std::stoi(head.substr(head.find("page=") + 5));
            asio::write(s, asio::buffer(page_response(page)), ec);
            if (++requests == 1)
            {
                std::this_thread::sleep_for(30ms);
                asio::write(s, asio::buffer(page_response(0)), ec);
            }
        }
        // A second connection, for the page asked again after the first was dropped.
        asio::ip::tcp::socket s2(sio);
        acc.accept(s2, ec);
        std::size_t n = asio::read_until(s2, in, "\r\n\r\n", ec);
        if (!ec)
        {
            std::string head(asio::buffers_begin(in.data()), asio::buffers_begin(in.data()) + static_cast<std::ptrdiff_t>(n));
            const int page = std::stoi(head.substr(head.find("page=") + 5));
            asio::write(s2, asio::buffer(page_response(page)), ec);
            std::this_thread::sleep_for(500ms);
        }
    });
    asio::io_context io;
    beeos::client_options o;
    o.base_url = "http://127.0.0.1:" + std::to_string(port);
    o.max_connections = 1;
    beeos::client c{io.get_executor(), o};
    run_test_coroutine(io, [](beeos::client& c) -> asio::awaitable<void> {
        beeos::list_filter f;
        f.page_size = 2;
        auto pager = c.list_instances(f);
        auto p0 = co_await pager.next_page();
        BOOST_REQUIRE(p0);
        BOOST_TEST(p0->items.at(0).id == "p0_a");
        auto ex = co_await asio::this_coro::executor;
        asio::steady_timer t(ex, 100ms);
        co_await t.async_wait(asio::use_awaitable);
        auto p1 = co_await pager.next_page();
        BOOST_REQUIRE(p1);
        BOOST_TEST(p1->items.at(0).id == "p1_a");
    }(c));
    c.close();
    peer.join();
}

BOOST_AUTO_TEST_SUITE_END()
