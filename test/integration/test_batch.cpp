// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
//
// Batch lookups and streams: order, per-id errors, duplicates, bounds and cancellation.
#include "gateway_fixture.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <array>
#include <set>
#include <vector>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using beeos::errc;
using beeos::sim::fault;
using beeos::test::gateway_fixture;
using boost::system::error_code;

BOOST_AUTO_TEST_SUITE(batch)

BOOST_AUTO_TEST_CASE(outcomes_come_in_input_order_with_errors_per_id)
{
    gateway_fixture f;
    asio::io_context io;
    beeos::client c{io.get_executor(), f.options()};
    std::vector<std::string> ids = {"inst_5", "no_such_instance", "inst_forbidden_1", "", "inst_7", "inst_5"};

    beeos::test::run_test_coroutine(io, [&]() -> asio::awaitable<void> {
        auto results = co_await c.get_instances(ids);
        BOOST_REQUIRE_EQUAL(results.size(), ids.size());
        for (std::size_t i = 0; i < ids.size(); ++i)
            BOOST_TEST(results[i].id == ids[i]);
        BOOST_TEST(results[0].ok());
        BOOST_TEST(results[0].value.id == "inst_5");
        BOOST_TEST(results[1].ec == errc::not_found);
        BOOST_TEST(results[1].info.http_status == 404);
        BOOST_TEST(results[1].info.api_code == "instance_not_found");
        BOOST_CHECK_THROW(results[1].get(), beeos::error);
        BOOST_TEST(results[2].ec == errc::forbidden);
        BOOST_TEST(results[3].ec == errc::invalid_argument);
        BOOST_TEST(results[4].get().id == "inst_7");
        BOOST_TEST(results[5].ok());
        BOOST_TEST((results[5].value == results[0].value));  // the duplicate got a full copy
    }());
    BOOST_TEST(f.gw.requests_for("inst_5") == 1u);  // duplicates are fetched once
    BOOST_TEST(f.gw.get_stats().requests == 4u);    // the empty id never left the client
}

BOOST_AUTO_TEST_CASE(any_range_of_string_views_works_and_an_empty_batch_completes)
{
    gateway_fixture f;
    asio::io_context io;
    beeos::client c{io.get_executor(), f.options()};
    std::array<const char*, 2> ids = {"inst_1", "inst_2"};
    beeos::test::run_test_coroutine(io, [&]() -> asio::awaitable<void> {
        auto results = co_await c.get_instances(ids);
        BOOST_REQUIRE_EQUAL(results.size(), 2u);
        BOOST_TEST(results[1].value.id == "inst_2");
        auto none = co_await c.get_instances(std::vector<std::string>{});
        BOOST_TEST(none.empty());
    }());
}

BOOST_AUTO_TEST_CASE(lookups_in_flight_are_bounded_by_batch_concurrency)
{
    gateway_fixture f;
    f.gw.add_fault("", fault{.delay = 20ms, .times = -1});
    asio::io_context io;
    auto opts = f.options();
    opts.max_connections = 16;
    opts.batch_concurrency = 4;
    beeos::client c{io.get_executor(), opts};
    std::vector<std::string> ids;
    for (int i = 0; i < 60; ++i)
        ids.push_back("inst_" + std::to_string(i));

    beeos::test::run_test_coroutine(io, [&]() -> asio::awaitable<void> {
        auto results = co_await c.get_instances(ids);
        BOOST_TEST(std::all_of(results.begin(), results.end(), [](const beeos::lookup_result& r) { return r.ok(); }));
    }());
    auto st = f.gw.get_stats();
    BOOST_TEST(st.requests == 60u);
    BOOST_TEST(st.max_open_connections <= 4u);
    BOOST_TEST(st.max_open_connections >= 2u);  // and they did overlap
}

BOOST_AUTO_TEST_CASE(cancelling_a_batch_reports_every_unfinished_id_as_cancelled)
{
    gateway_fixture f;
    f.gw.add_fault("", fault{.delay = 2s, .times = -1});
    asio::io_context io;
    auto opts = f.options();
    opts.batch_concurrency = 5;
    beeos::client c{io.get_executor(), opts};
    std::vector<std::string> ids;
    for (int i = 0; i < 50; ++i)
        ids.push_back("inst_" + std::to_string(i));

    asio::cancellation_signal cancel;
    std::optional<std::vector<beeos::lookup_result>> results;
    c.async_get_instances(ids, asio::bind_cancellation_slot(cancel.slot(), [&](std::vector<beeos::lookup_result> r) { results = std::move(r); }));
    asio::steady_timer t(io, 100ms);
    t.async_wait([&](error_code) { cancel.emit(asio::cancellation_type::terminal); });
    auto started = std::chrono::steady_clock::now();
    BOOST_REQUIRE(beeos::test::run_until(io, [&] { return results.has_value(); }, 20s));

    BOOST_TEST((std::chrono::steady_clock::now() - started < 1500ms));
    BOOST_REQUIRE_EQUAL(results->size(), 50u);
    for (std::size_t i = 0; i < 50; ++i)
    {
        BOOST_TEST((*results)[i].id == ids[i]);
        BOOST_TEST((*results)[i].ec == errc::cancelled);
    }
    BOOST_TEST(f.gw.get_stats().requests <= 5u);  // nothing beyond the first five ever started
}

BOOST_AUTO_TEST_CASE(a_stream_yields_each_distinct_id_once_and_runs_ahead_only_by_the_concurrency)
{
    gateway_fixture f;
    asio::io_context io;
    auto opts = f.options();
    opts.batch_concurrency = 8;
    beeos::client c{io.get_executor(), opts};
    std::vector<std::string> ids;
    for (int i = 0; i < 300; ++i)
        ids.push_back("inst_" + std::to_string(i % 250));  // 50 duplicates
    ids.push_back("no_such_instance");

    auto stream = c.stream_instances(ids);
    BOOST_TEST(stream.size() == 251u);
    beeos::test::run_test_coroutine(io, [&]() -> asio::awaitable<void> {
        auto first = co_await stream.next();
        BOOST_REQUIRE(first.has_value());
        // The consumer pauses: the stream must not run ahead by more than the concurrency.
        asio::steady_timer pause(co_await asio::this_coro::executor, 300ms);
        co_await pause.async_wait(asio::use_awaitable);
        BOOST_TEST(f.gw.get_stats().requests <= 1u + 8u);

        std::set<std::string> seen{first->id};
        std::size_t errors = first->ok() ? 0 : 1;
        for (;;)
        {
            auto item = co_await stream.next();
            if (!item)
                break;
            BOOST_TEST(seen.insert(item->id).second, "yielded twice: " << item->id);
            if (!item->ok())
            {
                ++errors;
                BOOST_TEST(item->id == "no_such_instance");
                BOOST_TEST(item->ec == errc::not_found);
            }
            else
            {
                BOOST_TEST(item->value.id == item->id);
            }
        }
        BOOST_TEST(seen.size() == 251u);
        BOOST_TEST(errors == 1u);
        auto after_end = co_await stream.next();
        BOOST_TEST(!after_end.has_value());
    }());
    BOOST_TEST(f.gw.get_stats().requests == 251u);
}

BOOST_AUTO_TEST_CASE(destroying_a_stream_cancels_its_lookups)
{
    gateway_fixture f;
    f.gw.add_fault("", fault{.delay = 2s, .times = -1});
    asio::io_context io;
    auto opts = f.options();
    opts.batch_concurrency = 4;
    beeos::client c{io.get_executor(), opts};
    std::vector<std::string> ids;
    for (int i = 0; i < 100; ++i)
        ids.push_back("inst_" + std::to_string(i));

    bool got = false;
    std::optional<beeos::lookup_result> item;
    {
        auto stream = c.stream_instances(ids);
        stream.async_next([&](std::optional<beeos::lookup_result> r) {
            got = true;
            item = std::move(r);
        });
        io.run_for(100ms);  // the first four lookups are on the wire
    }
    auto started = std::chrono::steady_clock::now();
    BOOST_REQUIRE(beeos::test::run_until(io, [&] { return got; }, 10s));
    BOOST_TEST(!item.has_value());  // cancelled streams end
    io.restart();
    io.run_for(200ms);
    BOOST_TEST((std::chrono::steady_clock::now() - started < 1500ms));
    BOOST_TEST(f.gw.get_stats().requests <= 4u);
}

BOOST_AUTO_TEST_SUITE_END()
