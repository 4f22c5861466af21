// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
//
// The client's call path end to end without sockets: the driver, the pool, single-flight,
// shutdown and cancellation over fake connections (fake_connection.hpp).
#include "fake_connection.hpp"

#include <beeos/client.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <thread>
#include <vector>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using namespace asio::experimental::awaitable_operators;
using beeos::errc;
using beeos::test::fake_network;
using beeos::test::fake_reply;
using boost::system::error_code;
using clock_type = std::chrono::steady_clock;

namespace {

// Runs `io` until `pred()` holds or `limit` passes.
template <class Pred>
bool run_until(asio::io_context& io, Pred pred, clock_type::duration limit = 5s)
{
    auto deadline = clock_type::now() + limit;
    io.restart();
    while (!pred() && clock_type::now() < deadline)
        io.run_one_for(5ms);
    return pred();
}

struct outcome
{
    bool done = false;
    int completions = 0;
    error_code ec;
    beeos::instance value;
    beeos::error_info info;
};

void get(beeos::client& c, std::string id, outcome& o, std::optional<beeos::retry_policy> policy = std::nullopt)
{
    auto h = [&o](error_code ec, beeos::instance inst) {
        ++o.completions;
        o.done = true;
        o.ec = ec;
        o.value = std::move(inst);
    };
    if (policy)
        c.async_get_instance(id, *policy, o.info, h);
    else
        c.async_get_instance(id, o.info, h);
}

struct race_counts
{
    std::atomic<int> ok{0}, cancelled{0}, wrong{0}, finished{0};
};

// Parameters, not lambda captures: the coroutine outlives the expression that starts it.
asio::awaitable<void> race_against_timers(beeos::client& c, int k, int n, race_counts& counts)
{
    auto ex = co_await asio::this_coro::executor;
    for (int i = 0; i < n; ++i)
    {
        std::string id = "inst_" + std::to_string(k) + "_" + std::to_string(i);
        asio::steady_timer t(ex, std::chrono::microseconds((i * 37) % 2500));
        auto r = co_await (c.async_get_instance(id, asio::as_tuple(asio::use_awaitable)) || t.async_wait(asio::use_awaitable));
        if (r.index() == 0)
        {
            auto [ec, inst] = std::get<0>(std::move(r));
            if (!ec && inst.id == id)
                ++counts.ok;
            else if (ec == errc::cancelled)
                ++counts.cancelled;
            else
                ++counts.wrong;
        }
        else
        {
            ++counts.cancelled;
        }
    }
    ++counts.finished;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(call_path)

BOOST_AUTO_TEST_CASE(a_call_gets_its_own_instance)
{
    asio::io_context io;
    fake_network net;
    auto c = beeos::test::make_fake_client(io.get_executor(), net);
    std::vector<outcome> out(50);
    for (int i = 0; i < 50; ++i)
        get(c, "inst_" + std::to_string(i), out[i]);
    BOOST_REQUIRE(run_until(io, [&] { return std::all_of(out.begin(), out.end(), [](auto& o) { return o.done; }); }));
    for (int i = 0; i < 50; ++i)
    {
        BOOST_TEST(!out[i].ec);
        BOOST_TEST(out[i].value.id == "inst_" + std::to_string(i));
        BOOST_TEST(out[i].completions == 1);
    }
}

// No completion handler runs inside its initiating function, also when the call is refused at
// once (a bad id, a closed client).
BOOST_AUTO_TEST_CASE(refusals_complete_after_the_initiating_function_returned)
{
    asio::io_context io;
    fake_network net;
    auto c = beeos::test::make_fake_client(io.get_executor(), net);
    bool returned = false;
    bool inline_completion = false;
    int done = 0;
    auto check = [&](error_code, beeos::instance) {
        inline_completion = inline_completion || !returned;
        ++done;
    };
    // Run from inside a handler of the io_context, where a dispatch could run inline.
    asio::post(io, [&] {
        returned = false;
        c.async_get_instance("", check);
        c.async_get_instance("..", check);
        returned = true;
    });
    BOOST_REQUIRE(run_until(io, [&] { return done == 2; }));
    c.close();
    asio::post(io, [&] {
        returned = false;
        c.async_get_instance("inst_1", check);
        returned = true;
    });
    BOOST_REQUIRE(run_until(io, [&] { return done == 3; }));
    BOOST_TEST(!inline_completion);
}

// The last line of defence: a 200 for another id is never handed over as this one.
BOOST_AUTO_TEST_CASE(an_answer_for_another_id_is_refused_closed_and_retried)
{
    asio::io_context io;
    fake_network net;
    net.reply = [](std::string_view id, int conn, int) { return fake_network::ok(conn == 1 ? std::string_view("inst_other") : id); };
    beeos::client_options o;
    o.retry.initial_backoff = 1ms;
    auto c = beeos::test::make_fake_client(io.get_executor(), net, o);
    outcome r;
    get(c, "inst_1", r);
    BOOST_REQUIRE(run_until(io, [&] { return r.done; }));
    BOOST_TEST(!r.ec, r.ec.message());
    BOOST_TEST(r.value.id == "inst_1");
    BOOST_TEST(net.closed.load() == 1);  // the connection that answered for inst_other
    BOOST_TEST(net.connections.load() == 2);

    // Always wrong: the error names the id the server gave.
    fake_network bad;
    bad.reply = [](std::string_view, int, int) { return fake_network::ok("inst_evil"); };
    auto c2 = beeos::test::make_fake_client(io.get_executor(), bad, o);
    outcome r2;
    get(c2, "inst_1", r2);
    BOOST_REQUIRE(run_until(io, [&] { return r2.done; }));
    BOOST_TEST((r2.ec == errc::mismatched_response));
    BOOST_TEST(r2.value.id.empty());
    BOOST_TEST(r2.info.attempts == 3u);
    BOOST_TEST(r2.info.http_status == 200);
    const std::string what = beeos::error(r2.ec, r2.info).what();
    BOOST_TEST(what.find("inst_evil") != std::string::npos, what);
    BOOST_TEST(what.find("inst_1") != std::string::npos, what);
    BOOST_TEST(bad.closed.load() == 3);
}

BOOST_AUTO_TEST_CASE(an_answer_without_an_id_is_the_id_asked_for)
{
    asio::io_context io;
    fake_network net;
    net.reply = [](std::string_view, int, int) {
        fake_reply r;
        r.body = R"({"success":true,"data":{"status":"running"}})";
        return r;
    };
    auto c = beeos::test::make_fake_client(io.get_executor(), net);
    outcome r;
    get(c, "inst_9", r);
    BOOST_REQUIRE(run_until(io, [&] { return r.done; }));
    BOOST_TEST(!r.ec);
    BOOST_TEST(r.value.id == "inst_9");
}

// The keep-alive race: a pooled connection that fails before any response byte is replaced and
// the request sent again, without spending an attempt.
BOOST_AUTO_TEST_CASE(a_pooled_connection_closed_by_the_server_is_replaced_without_an_attempt)
{
    asio::io_context io;
    fake_network net;
    net.reply = [](std::string_view id, int conn, int n) {
        if (conn == 1 && n == 2)
        {
            fake_reply r;
            r.ec = errc::connection;
            r.response_started = false;
            return r;
        }
        return fake_network::ok(id);
    };
    beeos::client_options o;
    o.retry.max_attempts = 1;
    auto c = beeos::test::make_fake_client(io.get_executor(), net, o);
    outcome a, b;
    get(c, "inst_1", a);
    BOOST_REQUIRE(run_until(io, [&] { return a.done; }));
    get(c, "inst_2", b);
    BOOST_REQUIRE(run_until(io, [&] { return b.done; }));
    BOOST_TEST(!b.ec, b.ec.message());
    BOOST_TEST(b.info.attempts == 1u);
    BOOST_TEST(net.connections.load() == 2);
}

// Calls with different retry policies for one id do not share a request, and neither erases
// the other's entry: a third call with the first policy still joins the first.
BOOST_AUTO_TEST_CASE(coalescing_keys_on_the_policy_and_keeps_every_entry)
{
    asio::io_context io;
    fake_network net;
    net.reply = [](std::string_view id, int, int) {
        auto r = fake_network::ok(id);
        r.delay = 100ms;
        return r;
    };
    beeos::client_options o;
    o.max_connections = 4;
    auto c = beeos::test::make_fake_client(io.get_executor(), net, o);
    beeos::retry_policy other;
    other.max_attempts = 1;
    outcome a, b, a2;
    get(c, "inst_1", a);
    get(c, "inst_1", b, other);
    BOOST_REQUIRE(run_until(io, [&] { return net.exchanges.load() == 2; }));
    get(c, "inst_1", a2);  // joins a, whatever b did
    BOOST_REQUIRE(run_until(io, [&] { return a.done && b.done && a2.done; }));
    BOOST_TEST(net.exchanges.load() == 2);
    for (auto* r : {&a, &b, &a2})
    {
        BOOST_TEST(!r->ec);
        BOOST_TEST(r->value.id == "inst_1");
    }
}

BOOST_AUTO_TEST_CASE(every_graceful_shutdown_completes)
{
    asio::io_context io;
    fake_network net;
    net.reply = [](std::string_view id, int, int) {
        auto r = fake_network::ok(id);
        r.delay = 100ms;
        return r;
    };
    auto c = beeos::test::make_fake_client(io.get_executor(), net);
    outcome r;
    get(c, "inst_1", r);
    BOOST_REQUIRE(run_until(io, [&] { return net.exchanges.load() == 1; }));
    int shut = 0;
    c.async_shutdown(beeos::shutdown_mode::graceful, [&](error_code) { ++shut; });
    c.async_shutdown(beeos::shutdown_mode::graceful, [&](error_code) { ++shut; });
    BOOST_TEST(shut == 0);
    BOOST_REQUIRE(run_until(io, [&] { return shut == 2; }));
    BOOST_TEST(r.done);
    BOOST_TEST(!r.ec);  // graceful: the call in flight finished
    // One more after the end completes too, and io_context::run() has nothing left to do.
    c.async_shutdown(beeos::shutdown_mode::cancel, [&](error_code) { ++shut; });
    io.restart();
    auto t = clock_type::now();
    io.run();
    BOOST_TEST(shut == 3);
    BOOST_TEST((clock_type::now() - t < 2s));
}

BOOST_AUTO_TEST_CASE(a_cancelling_shutdown_ends_calls_and_completes)
{
    asio::io_context io;
    fake_network net;
    net.reply = [](std::string_view id, int, int) {
        auto r = fake_network::ok(id);
        r.delay = 10s;
        return r;
    };
    auto c = beeos::test::make_fake_client(io.get_executor(), net);
    outcome r;
    get(c, "inst_1", r);
    BOOST_REQUIRE(run_until(io, [&] { return net.exchanges.load() == 1; }));
    int shut = 0;
    c.async_shutdown(beeos::shutdown_mode::graceful, [&](error_code) { ++shut; });
    c.async_shutdown(beeos::shutdown_mode::cancel, [&](error_code) { ++shut; });
    BOOST_REQUIRE(run_until(io, [&] { return shut == 2; }, 3s));
    BOOST_TEST((r.ec == errc::shut_down));
}

// The queue for a connection is bounded by the call's deadline.
BOOST_AUTO_TEST_CASE(a_queued_call_fails_at_its_deadline)
{
    asio::io_context io;
    fake_network net;
    net.reply = [](std::string_view id, int, int) {
        auto r = fake_network::ok(id);
        r.delay = 2s;
        return r;
    };
    beeos::client_options o;
    o.max_connections = 1;
    auto c = beeos::test::make_fake_client(io.get_executor(), net, o);
    beeos::retry_policy p;
    p.total_timeout = 200ms;
    outcome busy, queued;
    get(c, "inst_1", busy);
    get(c, "inst_2", queued, p);
    auto t = clock_type::now();
    BOOST_REQUIRE(run_until(io, [&] { return queued.done; }));
    BOOST_TEST((queued.ec == errc::timeout));
    BOOST_TEST(queued.info.detail.find("max_connections") != std::string::npos, queued.info.detail);
    BOOST_TEST((clock_type::now() - t < 1500ms));  // a hang bound, not a timing assertion
}

// A batch cancelled before it could start anything still completes, at once, with every id
// reported as cancelled (the slot is installed by the initiating function).
BOOST_AUTO_TEST_CASE(a_batch_cancelled_at_once_completes_at_once)
{
    asio::io_context io;
    fake_network net;
    net.reply = [](std::string_view id, int, int) {
        auto r = fake_network::ok(id);
        r.delay = 5s;
        return r;
    };
    auto c = beeos::test::make_fake_client(io.get_executor(), net);
    std::vector<std::string> ids;
    for (int i = 0; i < 100; ++i)
        ids.push_back("inst_" + std::to_string(i));
    bool done = false;
    std::vector<beeos::lookup_result> results;
    asio::cancellation_signal sig;
    c.async_get_instances(ids, asio::bind_cancellation_slot(sig.slot(), [&](std::vector<beeos::lookup_result> r) {
                              results = std::move(r);
                              done = true;
                          }));
    sig.emit(asio::cancellation_type::terminal);  // before anything ran
    auto t = clock_type::now();
    BOOST_REQUIRE(run_until(io, [&] { return done; }));
    BOOST_TEST((clock_type::now() - t < 2s));
    BOOST_REQUIRE(results.size() == ids.size());
    for (auto& r : results)
        BOOST_TEST((r.ec == errc::cancelled), r.id << ": " << r.ec.message() << " " << r.info.detail);
}

BOOST_AUTO_TEST_CASE(a_concurrent_page_request_fails_and_the_first_goes_on)
{
    asio::io_context io;
    fake_network net;
    net.reply = [](std::string_view, int, int) {
        fake_reply r;
        r.body = R"({"success":true,"data":[],"total":0})";
        r.delay = 50ms;
        return r;
    };
    auto c = beeos::test::make_fake_client(io.get_executor(), net);
    auto pager = c.list_instances();
    beeos::error_info i1, i2;
    int done = 0;
    error_code e1, e2;
    pager.async_next_page(i1, [&](error_code ec, std::optional<beeos::instance_page>) { e1 = ec; ++done; });
    pager.async_next_page(i2, [&](error_code ec, std::optional<beeos::instance_page>) { e2 = ec; ++done; });
    BOOST_REQUIRE(run_until(io, [&] { return done == 2; }));
    BOOST_TEST(!e1);
    BOOST_TEST((e2 == errc::invalid_argument));
    BOOST_TEST(i2.detail.find("still being fetched") != std::string::npos);
}

// `get_instance || timer` with the timer near the latency, on 4 threads: the invariants of
// every call (one completion, its own id or cancelled) under ThreadSanitizer. The caller's
// slot is only ever touched by its owner. Each coroutine runs on a strand, as Asio requires of
// `||` on a multi-threaded io_context: the two operations' completions would otherwise run
// concurrently, and the operator's own cancellation would race with the completing one.
BOOST_AUTO_TEST_CASE(racing_calls_against_timers_on_four_threads)
{
    asio::io_context io;
    fake_network net;
    std::atomic<int> served{0};
    net.reply = [&](std::string_view id, int, int) {
        auto r = fake_network::ok(id);
        r.delay = std::chrono::milliseconds(served++ % 3);  // 0-2 ms, around the timers
        return r;
    };
    beeos::client_options o;
    o.max_connections = 8;
    auto c = beeos::test::make_fake_client(io.get_executor(), net, o);
    constexpr int coroutines = 16;
    constexpr int per_coroutine = 300;
    race_counts counts;
    for (int k = 0; k < coroutines; ++k)
        asio::co_spawn(asio::make_strand(io), race_against_timers(c, k, per_coroutine, counts), asio::detached);
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; ++i)
        threads.emplace_back([&] { io.run_for(60s); });
    for (auto& t : threads)
        t.join();
    BOOST_TEST(counts.finished.load() == coroutines);
    BOOST_TEST(counts.wrong.load() == 0);
    BOOST_TEST(counts.ok.load() + counts.cancelled.load() == coroutines * per_coroutine);
    BOOST_TEST(counts.ok.load() > 0);
    BOOST_TEST(counts.cancelled.load() > 0);
    BOOST_TEST_MESSAGE("get_instance || timer on 4 threads: " << counts.ok.load() << " ok, " << counts.cancelled.load() << " cancelled");
}

// Shutdowns (graceful, cancelling, close, destruction) in the middle of bursts, on 4 threads:
// every call and every shutdown completes exactly once, and the io_context runs dry.
BOOST_AUTO_TEST_CASE(shutdowns_during_bursts_on_four_threads)
{
    constexpr int rounds = 200;
    constexpr int calls = 100;
    std::atomic<int> completed{0}, shutdowns{0}, wrong{0};
    for (int round = 0; round < rounds; ++round)
    {
        asio::io_context io;
        fake_network net;
        std::atomic<int> served{0};
        net.reply = [&](std::string_view id, int, int) {
            auto r = fake_network::ok(id);
            r.delay = std::chrono::milliseconds(served++ % 4);
            return r;
        };
        beeos::client_options o;
        o.max_connections = 8;
        o.retry.initial_backoff = 1ms;
        std::optional<beeos::client> c(beeos::test::make_fake_client(io.get_executor(), net, o));
        std::atomic<int> this_round{0};
        for (int i = 0; i < calls; ++i)
        {
            std::string id = "inst_" + std::to_string(i % 30);  // some coalesce
            c->async_get_instance(id, [&, id](error_code ec, beeos::instance inst) {
                ++completed;
                ++this_round;
                if (!ec && inst.id != id)
                    ++wrong;
            });
        }
        // Kept busy until the shutdown is asked for, so that it meets calls in every state.
        auto guard = asio::make_work_guard(io);
        std::vector<std::thread> threads;
        for (int t = 0; t < 4; ++t)
            threads.emplace_back([&] { io.run_for(20s); });
        std::this_thread::sleep_for(std::chrono::microseconds(200 * (round % 10)));
        switch (round % 4)
        {
        case 0: c->async_shutdown(beeos::shutdown_mode::graceful, [&](error_code) { ++shutdowns; }); break;
        case 1:
            c->async_shutdown(beeos::shutdown_mode::cancel, [&](error_code) { ++shutdowns; });
            c->async_shutdown(beeos::shutdown_mode::graceful, [&](error_code) { ++shutdowns; });
            break;
        case 2:
            c->close();
            shutdowns += 1;
            break;
        case 3:
            asio::post(io, [&] { c.reset(); });  // destroyed mid-flight, from an io thread
            shutdowns += 1;
            break;
        }
        guard.reset();
        for (auto& t : threads)
            t.join();  // run_for returns once everything completed: nothing keeps it alive
        BOOST_TEST(this_round.load() == calls, "round " << round);
    }
    BOOST_TEST(completed.load() == rounds * calls);
    BOOST_TEST(shutdowns.load() == rounds + rounds / 4);
    BOOST_TEST(wrong.load() == 0);
}

BOOST_AUTO_TEST_SUITE_END()
