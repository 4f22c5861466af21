// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
//
// Many tenants on one client and rotating tokens, against the simulator's tenants
// (`config::token_owners`: each tenant sees instances named "<owner>:sim-<id>") and its token
// rotation (`gateway::set_tokens`).
#include "gateway_fixture.hpp"

#include <beeos/client.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
namespace sim = beeos::sim;
using namespace std::chrono_literals;
using beeos::errc;
using beeos::test::gateway_fixture;
using beeos::test::run_until;

namespace {

constexpr std::string_view alice_token = "oag_alice_TENANT_SECRET_1";
constexpr std::string_view bob_token = "oag_bob_TENANT_SECRET_2";

sim::config tenant_config()
{
    auto cfg = beeos::test::default_gateway_config();
    cfg.token_owners = {{std::string(alice_token), "alice"}, {std::string(bob_token), "bob"}};
    return cfg;
}

struct outcome
{
    boost::system::error_code ec;
    beeos::instance inst;
    beeos::error_info info;
    bool done = false;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(credentials)

// Calls with different tokens for the same id at the same moment: each gets its own tenant's
// view (never a response fetched with the other token), while calls with the same token still
// share one request.
BOOST_AUTO_TEST_CASE(per_call_tokens_are_coalesced_only_with_the_same_token)
{
    gateway_fixture f{tenant_config()};
    f.gw.add_fault("inst_7", sim::fault{.delay = 300ms});
    asio::io_context io;
    beeos::client c{io.get_executor(), f.options()};

    constexpr int n = 30;
    std::vector<outcome> out(n);
    for (int i = 0; i < n; ++i)
    {
        beeos::call_options opts;
        opts.token = std::string(i % 3 == 0 ? alice_token : i % 3 == 1 ? bob_token : std::string_view{});
        c.async_get_instance("inst_7", opts, out[i].info, [&o = out[i]](boost::system::error_code ec, beeos::instance inst) {
            o.ec = ec;
            o.inst = std::move(inst);
            o.done = true;
        });
    }
    BOOST_REQUIRE(run_until(io, [&] { return std::all_of(out.begin(), out.end(), [](auto& o) { return o.done; }); }, 10s));
    for (int i = 0; i < n; ++i)
    {
        BOOST_TEST_REQUIRE(!out[i].ec, beeos::format_error(out[i].ec, out[i].info));
        const std::string expected = i % 3 == 0 ? "alice:sim-inst_7" : i % 3 == 1 ? "bob:sim-inst_7" : "sim-inst_7";
        BOOST_TEST(out[i].inst.name == expected, "call " << i);
    }
    // One request per token: three in all.
    BOOST_TEST(f.gw.requests_for("inst_7") == 3u);
    auto by_tag = f.gw.requests_by_token_tag();
    BOOST_TEST(by_tag[sim::token_tag(alice_token)] == 1u);
    BOOST_TEST(by_tag[sim::token_tag(bob_token)] == 1u);
    BOOST_TEST(by_tag[sim::token_tag(beeos::test::secret_token)] == 1u);
}

// A call's own token that the API rejects: the error names the token by its tag, and neither
// the error nor its formatted message contains the token.
BOOST_AUTO_TEST_CASE(an_error_names_a_per_call_token_by_its_tag_only)
{
    gateway_fixture f{tenant_config()};
    asio::io_context io;
    beeos::client c{io.get_executor(), f.options()};
    const std::string stranger = "oag_STRANGER_never_accepted_42";
    outcome o;
    c.async_get_instance("inst_1", beeos::call_options{.retry = std::nullopt, .token = stranger}, o.info,
                         [&](boost::system::error_code ec, beeos::instance) {
                             o.ec = ec;
                             o.done = true;
                         });
    BOOST_REQUIRE(run_until(io, [&] { return o.done; }, 10s));
    BOOST_TEST((o.ec == errc::unauthorized));
    BOOST_TEST(o.info.http_status == 401);
    BOOST_TEST(o.info.credential_tag == sim::token_tag(stranger));
    const std::string text = beeos::format_error(o.ec, o.info);
    BOOST_TEST(text.find(stranger) == std::string::npos, text);
    BOOST_TEST(text.find(o.info.credential_tag) != std::string::npos, text);
    BOOST_TEST(o.info.message.find(stranger) == std::string::npos);
    BOOST_TEST(o.info.detail.find(stranger) == std::string::npos);
}

// A token rotated at the server while 40 calls are under way on 2 io threads: every call sees
// its token rejected, the source is asked for a fresh one once for all of them, and every call
// succeeds with it without spending an attempt.
BOOST_AUTO_TEST_CASE(a_rotated_token_is_refreshed_once_for_every_waiting_call)
{
    auto cfg = beeos::test::default_gateway_config();
    cfg.tokens = {"oag_generation_1"};
    gateway_fixture f{cfg};
    asio::io_context io;
    auto opts = f.options();
    opts.token.clear();
    std::atomic<int> plain_asks{0}, refresh_asks{0};
    std::mutex mtx;
    std::string current = "oag_generation_1";
    opts.token_source = [&](const beeos::token_request& req, beeos::token_handler handler) {
        (req.refresh ? refresh_asks : plain_asks)++;
        std::string token;
        {
            std::lock_guard lock(mtx);
            if (req.refresh)
                current = "oag_generation_2";
            token = current;
        }
        // Answer from another thread, later, as a real identity provider's client would.
        std::thread([h = std::move(handler), token]() mutable {
            std::this_thread::sleep_for(20ms);
            std::move(h)(boost::system::error_code{}, token);
        }).detach();
    };
    opts.retry.max_attempts = 1;  // a refresh must not need a second attempt
    beeos::client c{io.get_executor(), opts};

    // Warm up with the first generation.
    outcome first;
    c.async_get_instance("inst_0", first.info, [&](boost::system::error_code ec, beeos::instance) {
        first.ec = ec;
        first.done = true;
    });
    BOOST_REQUIRE(run_until(io, [&] { return first.done; }, 10s));
    BOOST_TEST_REQUIRE(!first.ec, beeos::format_error(first.ec, first.info));

    f.gw.set_tokens({"oag_generation_2"});
    constexpr int n = 40;
    std::vector<outcome> out(n);
    std::atomic<int> finished{0};
    for (int i = 0; i < n; ++i)
        c.async_get_instance("inst_" + std::to_string(i + 1), out[i].info,
                             [&o = out[i], &finished](boost::system::error_code ec, beeos::instance inst) {
                                 o.ec = ec;
                                 o.inst = std::move(inst);
                                 o.done = true;
                                 finished.fetch_add(1, std::memory_order_release);
                             });
    io.restart();
    auto work = asio::make_work_guard(io);
    std::thread t1([&] { io.run(); }), t2([&] { io.run(); });
    const auto give_up = std::chrono::steady_clock::now() + 10s;
    while (finished.load(std::memory_order_acquire) < n && std::chrono::steady_clock::now() < give_up)
        std::this_thread::sleep_for(5ms);
    io.stop();
    t1.join();
    t2.join();
    BOOST_REQUIRE(finished.load() == n);
    for (int i = 0; i < n; ++i)
    {
        BOOST_TEST(!out[i].ec, beeos::format_error(out[i].ec, out[i].info));
        BOOST_TEST(out[i].inst.id == "inst_" + std::to_string(i + 1));
        BOOST_TEST(out[i].info.attempts == 1u);
    }
    BOOST_TEST(refresh_asks.load() == 1);
    BOOST_TEST(c.stats().token_refreshes == 1u);
}

// A token source that fails: the call fails with unauthorized and the source's error as its
// cause, and nothing is sent.
BOOST_AUTO_TEST_CASE(a_failing_token_source_fails_the_call_without_sending)
{
    gateway_fixture f;
    asio::io_context io;
    auto opts = f.options();
    opts.token_source = [](const beeos::token_request&, beeos::token_handler handler) {
        std::move(handler)(make_error_code(boost::system::errc::permission_denied), std::string());
    };
    beeos::client c{io.get_executor(), opts};
    outcome o;
    c.async_get_instance("inst_1", o.info, [&](boost::system::error_code ec, beeos::instance) {
        o.ec = ec;
        o.done = true;
    });
    BOOST_REQUIRE(run_until(io, [&] { return o.done; }, 10s));
    BOOST_TEST((o.ec == errc::unauthorized));
    BOOST_TEST((o.info.cause == boost::system::errc::permission_denied));
    BOOST_TEST(f.gw.get_stats().requests == 0u);
}

// A token source that never answers: the call fails at its deadline, and a second call is not
// stuck behind the first.
BOOST_AUTO_TEST_CASE(a_token_source_that_never_answers_fails_at_the_deadline)
{
    gateway_fixture f;
    // Declared before the client: the handlers held here outlive it, as a stuck identity
    // provider's would.
    std::vector<beeos::token_handler> held;
    std::mutex mtx;
    asio::io_context io;
    auto opts = f.options();
    opts.retry.total_timeout = 400ms;
    opts.token_source = [&](const beeos::token_request&, beeos::token_handler handler) {
        std::lock_guard lock(mtx);
        held.push_back(std::move(handler));
    };
    beeos::client c{io.get_executor(), opts};
    outcome a, b;
    c.async_get_instance("inst_1", a.info, [&](boost::system::error_code ec, beeos::instance) {
        a.ec = ec;
        a.done = true;
    });
    c.async_get_instance("inst_2", b.info, [&](boost::system::error_code ec, beeos::instance) {
        b.ec = ec;
        b.done = true;
    });
    BOOST_REQUIRE(run_until(io, [&] { return a.done && b.done; }, 10s));
    BOOST_TEST((a.ec == errc::timeout), beeos::format_error(a.ec, a.info));
    BOOST_TEST((b.ec == errc::timeout));
    BOOST_TEST(a.info.detail.find("token source") != std::string::npos, a.info.detail);
    BOOST_TEST(f.gw.get_stats().requests == 0u);
    // A late answer after the deadline changes nothing and does not crash.
    {
        std::lock_guard lock(mtx);
        for (auto& h : held)
            std::move(h)(boost::system::error_code{}, std::string(beeos::test::secret_token));
        held.clear();
    }
    run_until(io, [] { return false; }, 50ms);
}

// A refresh the source never answers: its call fails at its deadline, and a later rejection
// asks the source again instead of joining the lost refresh for good.
BOOST_AUTO_TEST_CASE(a_lost_refresh_does_not_starve_later_refreshes)
{
    auto cfg = beeos::test::default_gateway_config();
    cfg.tokens = {"oag_generation_1"};
    gateway_fixture f{cfg};
    std::vector<beeos::token_handler> held;  // outlives the client, as a stuck provider's would
    std::mutex mtx;
    std::string current = "oag_generation_1";
    int refresh_asks = 0;
    asio::io_context io;
    auto opts = f.options();
    opts.token.clear();
    opts.retry.total_timeout = 400ms;
    opts.token_source = [&](const beeos::token_request& req, beeos::token_handler handler) {
        std::unique_lock lock(mtx);
        if (req.refresh && ++refresh_asks == 1)
        {
            held.push_back(std::move(handler));  // the first refresh is lost
            return;
        }
        if (req.refresh)
            current = "oag_generation_2";
        std::string token = current;
        lock.unlock();
        std::move(handler)(boost::system::error_code{}, token);
    };
    beeos::client c{io.get_executor(), opts};
    auto lookup = [&](std::string id) {
        outcome o;
        c.async_get_instance(id, o.info, [&o](boost::system::error_code ec, beeos::instance inst) {
            o.ec = ec;
            o.inst = std::move(inst);
            o.done = true;
        });
        BOOST_REQUIRE(run_until(io, [&] { return o.done; }, 10s));
        return o;
    };
    auto warm = lookup("inst_0");
    BOOST_TEST_REQUIRE(!warm.ec, beeos::format_error(warm.ec, warm.info));

    f.gw.set_tokens({"oag_generation_2"});
    auto lost = lookup("inst_1");
    BOOST_TEST((lost.ec == errc::timeout), beeos::format_error(lost.ec, lost.info));
    auto later = lookup("inst_2");
    BOOST_TEST(!later.ec, beeos::format_error(later.ec, later.info));
    BOOST_TEST(later.inst.id == "inst_2");
    {
        std::lock_guard lock(mtx);
        BOOST_TEST(refresh_asks == 2);
        for (auto& h : held)
            std::move(h)(boost::system::error_code{}, std::string("oag_generation_2"));
        held.clear();
    }
    run_until(io, [] { return false; }, 50ms);
}

BOOST_AUTO_TEST_SUITE_END()
