// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
//
// listInstances: one page, and the pager walking every page exactly once.
#include "gateway_fixture.hpp"

#include <boost/asio/use_awaitable.hpp>

#include <map>
#include <vector>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using beeos::errc;
using beeos::sim::fault;
using beeos::test::gateway_fixture;
using boost::system::error_code;

namespace {

gateway_fixture with_instances(std::size_t n)
{
    auto cfg = beeos::test::default_gateway_config();
    cfg.instance_count = n;
    return gateway_fixture(cfg);
}

// How often the server saw each `page=` value in listing requests.
std::map<std::string, int> pages_requested(const beeos::sim::gateway& gw)
{
    std::map<std::string, int> pages;
    for (const auto& r : gw.recent_requests())
    {
        auto q = r.target.find("page=");
        if (r.target.find("/api/v1/instances?") == std::string::npos || q == std::string::npos)
            continue;
        auto end = r.target.find('&', q);
        ++pages[r.target.substr(q + 5, end == std::string::npos ? std::string::npos : end - q - 5)];
    }
    return pages;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(listing)

BOOST_AUTO_TEST_CASE(the_pager_walks_every_page_exactly_once)
{
    auto f = with_instances(450);
    asio::io_context io;
    beeos::client c{io.get_executor(), f.options()};
    std::vector<std::string> ids;
    int pages = 0;
    beeos::test::run_test_coroutine(io, [&]() -> asio::awaitable<void> {
        auto pager = c.list_instances({.page_size = 100});
        while (auto page = co_await pager.next_page())
        {
            BOOST_TEST(page->page == std::uint32_t(pages));
            BOOST_TEST(page->page_size == 100u);
            BOOST_TEST(page->total.value_or(-1) == 450);
            for (auto& inst : page->items)
                ids.push_back(inst.id);
            ++pages;
        }
        BOOST_TEST(pager.done());
        auto after = co_await pager.next_page();  // a finished pager asks nothing more
        BOOST_TEST(!after.has_value());
    }());
    BOOST_TEST(pages == 5);
    BOOST_REQUIRE_EQUAL(ids.size(), 450u);
    for (std::size_t i = 0; i < ids.size(); ++i)
        BOOST_TEST(ids[i] == "inst_" + std::to_string(i));
    BOOST_TEST(f.gw.list_requests() == 5u);
    auto seen = pages_requested(f.gw);
    BOOST_TEST(seen.size() == 5u);
    for (auto& [page, count] : seen)
        BOOST_TEST(count == 1, "page " << page << " requested " << count << " times");
}

BOOST_AUTO_TEST_CASE(a_shrinking_listing_ends_at_its_new_end_and_a_growing_one_is_followed)
{
    auto f = with_instances(450);
    asio::io_context io;
    beeos::client c{io.get_executor(), f.options()};
    beeos::test::run_test_coroutine(io, [&]() -> asio::awaitable<void> {
        auto pager = c.list_instances({.page_size = 100});
        auto p0 = co_await pager.next_page();
        BOOST_TEST(p0->total.value_or(-1) == 450);
        f.gw.set_instance_count(250);  // instances deleted meanwhile
        auto p1 = co_await pager.next_page();
        BOOST_TEST(p1->total.value_or(-1) == 250);
        auto p2 = co_await pager.next_page();
        BOOST_REQUIRE(p2.has_value());
        BOOST_TEST(p2->items.size() == 50u);  // inst_200..249
        BOOST_TEST(pager.done());
        auto p3 = co_await pager.next_page();
        BOOST_TEST(!p3.has_value());
    }());
    BOOST_TEST(f.gw.list_requests() == 3u);  // page 3 was never asked for

    f.gw.reset_stats();
    f.gw.set_instance_count(150);
    beeos::test::run_test_coroutine(io, [&]() -> asio::awaitable<void> {
        auto pager = c.list_instances({.page_size = 100});
        auto p0 = co_await pager.next_page();
        BOOST_TEST(p0->total.value_or(-1) == 150);
        f.gw.set_instance_count(350);  // instances created meanwhile
        int more = 0;
        while (auto p = co_await pager.next_page())
            ++more;
        BOOST_TEST(more == 3);  // pages 1, 2 and 3 of the grown listing
    }());
    BOOST_TEST(f.gw.list_requests() == 4u);
    for (auto& [page, count] : pages_requested(f.gw))
        BOOST_TEST(count == 1, "page " << page << " requested " << count << " times");
}

BOOST_AUTO_TEST_CASE(filters_reach_the_server_and_select_instances)
{
    auto f = with_instances(30);
    f.gw.set_state("inst_3", {.status = "stopped", .desired_status = "stopped"});
    f.gw.set_state("inst_17", {.status = "stopped", .desired_status = "stopped"});
    asio::io_context io;
    beeos::client c{io.get_executor(), f.options()};
    beeos::test::run_test_coroutine(io, [&]() -> asio::awaitable<void> {
        // Named filters: g++ 12 mishandles temporaries inside a co_await expression.
        beeos::list_filter stopped{.status = "stopped", .page_size = 10};
        auto page = co_await c.list_instances_page(stopped, 0);
        BOOST_TEST(page.total.value_or(-1) == 2);
        BOOST_REQUIRE_EQUAL(page.items.size(), 2u);
        BOOST_TEST(page.items[0].id == "inst_3");
        BOOST_TEST(page.items[1].id == "inst_17");
        BOOST_TEST(page.items[1].status == beeos::instance_status::stopped);

        beeos::list_filter all{.page_size = 10};
        auto second = co_await c.list_instances_page(all, 2);
        BOOST_TEST(second.items.size() == 10u);
        BOOST_TEST(second.items.front().id == "inst_20");
        BOOST_TEST(second.page == 2u);
    }());
    auto records = f.gw.recent_requests();
    BOOST_REQUIRE(!records.empty());
    BOOST_TEST(records.front().target.find("status=stopped") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_failed_page_is_retried_then_reported_and_the_pager_does_not_skip_it)
{
    auto f = with_instances(50);
    f.gw.add_fault(std::string(beeos::sim::list_route), fault{.status = 500, .times = -1});
    asio::io_context io;
    auto opts = f.options();
    opts.retry.initial_backoff = 1ms;
    beeos::client c{io.get_executor(), opts};
    auto pager = c.list_instances({.page_size = 20});

    beeos::error_info info;
    std::optional<error_code> result;
    pager.async_next_page(info, [&](error_code ec, std::optional<beeos::instance_page>) { result = ec; });
    BOOST_REQUIRE(beeos::test::run_until(io, [&] { return result.has_value(); }, 20s));
    BOOST_TEST(*result == errc::server_error);
    BOOST_TEST(info.attempts == 3u);
    BOOST_TEST(info.id == "list_instances(page 0)");
    BOOST_TEST(!info.request_id.empty());
    BOOST_TEST(!pager.done());

    f.gw.clear_faults();
    beeos::test::run_test_coroutine(io, [&]() -> asio::awaitable<void> {
        auto page = co_await pager.next_page();
        BOOST_REQUIRE(page.has_value());
        BOOST_TEST(page->page == 0u);  // the failed page, not the next one
        BOOST_TEST(page->items.front().id == "inst_0");
    }());
}

BOOST_AUTO_TEST_CASE(a_bad_page_size_fails_before_any_request)
{
    auto f = with_instances(5);
    asio::io_context io;
    beeos::client c{io.get_executor(), f.options()};
    beeos::test::run_test_coroutine(io, [&]() -> asio::awaitable<void> {
        try
        {
            beeos::list_filter too_big{.page_size = 500};
            co_await c.list_instances_page(too_big, 0);
            BOOST_ERROR("page_size 500 was accepted");
        }
        catch (const beeos::error& e)
        {
            BOOST_TEST(e.code() == errc::invalid_argument);
            BOOST_TEST(std::string_view(e.what()).find("page_size") != std::string_view::npos);
        }
    }());
    BOOST_TEST(f.gw.get_stats().requests == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
