// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
//
// get_instance end to end over TLS: success, every error status of the contract, ids that need
// encoding, the headers on the wire, and the token kept out of every error.
#include "gateway_fixture.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include <thread>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using beeos::test::gateway_fixture;
using beeos::test::run_test_coroutine;

namespace {

// Calls get_instance and returns the beeos::error it throws; fails the test if it succeeds.
beeos::error expect_error(beeos::client& c, std::string id)
{
    asio::io_context& io = static_cast<asio::io_context&>(c.get_executor().context());
    std::optional<beeos::error> caught;
    run_test_coroutine(io, [](beeos::client& c, std::string id, std::optional<beeos::error>& caught) -> asio::awaitable<void> {
        try
        {
            beeos::instance inst = co_await c.get_instance(id);
            BOOST_ERROR("expected an error for id " << id << ", got instance " << inst.id);
        }
        catch (const beeos::error& e)
        {
            caught.emplace(e);
        }
    }(c, std::move(id), caught));
    BOOST_REQUIRE(caught.has_value());
    return *caught;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(get_instance)

BOOST_AUTO_TEST_CASE(success_decodes_every_field)
{
    gateway_fixture f;
    asio::io_context io;
    beeos::client c{io.get_executor(), f.options()};
    beeos::instance inst;
    run_test_coroutine(io, [](beeos::client& c, beeos::instance& out) -> asio::awaitable<void> {
        out = co_await c.get_instance("inst_42");
    }(c, inst));

    BOOST_TEST(inst.id == "inst_42");
    BOOST_TEST(inst.status == beeos::instance_status::running);
    BOOST_TEST(inst.status_text == "running");
    BOOST_TEST(inst.desired_status == beeos::desired_state::running);
    BOOST_TEST(inst.connectivity == beeos::connectivity_state::online);
    BOOST_TEST(inst.ms_connection_status == beeos::ms_connection_state::connected);
    BOOST_TEST(inst.total_run_seconds == 1843275);
    BOOST_TEST(inst.models.size() == 3u);
    BOOST_TEST(inst.provider_config.at("storageGi").as_int64() == 20);
    BOOST_TEST(inst.capabilities.has_value());
    BOOST_REQUIRE(inst.started_at.has_value());
    BOOST_TEST(beeos::format_timestamp(*inst.started_at) == "2026-05-14T18:02:11.482913Z");
    BOOST_TEST(f.gw.requests_for("inst_42") == 1u);
}

BOOST_AUTO_TEST_CASE(request_carries_the_contract_headers)
{
    gateway_fixture f;
    asio::io_context io;
    auto opts = f.options();
    opts.user_agent = "poller/2.1";
    beeos::client c{io.get_executor(), opts};
    run_test_coroutine(io, [](beeos::client& c) -> asio::awaitable<void> { (void)co_await c.get_instance("inst_1"); }(c));

    auto recs = f.gw.recent_requests();
    BOOST_REQUIRE_EQUAL(recs.size(), 1u);
    BOOST_TEST(recs[0].target == "/api/v1/instances/inst_1");
    BOOST_TEST(recs[0].had_authorization);
    BOOST_TEST(recs[0].authorization_scheme == "Bearer");
    BOOST_TEST(recs[0].accept == "application/json");
    BOOST_TEST(recs[0].user_agent == "poller/2.1 beeos-cpp/" BEEOS_VERSION_STRING);
    BOOST_TEST(recs[0].host == "127.0.0.1:" + std::to_string(f.gw.port()));
}

BOOST_AUTO_TEST_CASE(ids_that_need_encoding_arrive_intact_as_one_segment)
{
    gateway_fixture f;
    const std::vector<std::string> ids = {"a/b", "q?x=1", "frag#x", "100%", "...", ".x", "sp ace", "ünï", "a/../../admin"};
    for (const auto& id : ids)
        f.gw.set_instance(id, R"({"name":"custom"})");

    asio::io_context io;
    beeos::client c{io.get_executor(), f.options()};
    run_test_coroutine(io, [](beeos::client& c, const std::vector<std::string>& ids) -> asio::awaitable<void> {
        for (const auto& id : ids)
        {
            beeos::instance inst = co_await c.get_instance(id);
            (void)inst;
        }
    }(c, ids));

    auto recs = f.gw.recent_requests();
    BOOST_REQUIRE_EQUAL(recs.size(), ids.size());
    for (std::size_t i = 0; i < ids.size(); ++i)
    {
        BOOST_TEST(recs[i].id == ids[i]);
        // One segment: nothing after /instances/ may contain a raw slash, query or fragment.
        auto seg = recs[i].target.substr(std::string("/api/v1/instances/").size());
        BOOST_TEST(seg.find_first_of("/?# ") == std::string::npos, "segment " << seg);
    }
}

// "." and ".." as a whole path segment are resolved away by any proxy that normalises paths,
// percent-encoded or not (RFC 3986 section 6.2.2.2 decodes unreserved octets first): they are
// refused before anything is sent.
BOOST_AUTO_TEST_CASE(dot_segments_are_refused_and_nothing_is_sent)
{
    gateway_fixture f;
    asio::io_context io;
    beeos::client c{io.get_executor(), f.options()};
    run_test_coroutine(io, [](beeos::client& c) -> asio::awaitable<void> {
        for (std::string_view id : {".", ".."})
        {
            try
            {
                beeos::instance inst = co_await c.get_instance(id);
                BOOST_ERROR("the id " << id << " was accepted");
            }
            catch (const beeos::error& e)
            {
                BOOST_TEST(e.code() == beeos::errc::invalid_argument);
                BOOST_TEST(e.http_status() == 0);
                BOOST_TEST(std::string_view(e.what()).find("relative path segment") != std::string_view::npos, e.what());
            }
        }
    }(c));
    BOOST_TEST(f.gw.get_stats().requests == 0u);
    BOOST_TEST(f.gw.get_stats().connections_accepted == 0u);
}

BOOST_AUTO_TEST_CASE(path_prefix_and_trailing_slash)
{
    auto cfg = beeos::test::default_gateway_config();
    cfg.path_prefix = "/gw/v2";
    gateway_fixture f(cfg);
    asio::io_context io;
    auto opts = f.options();
    opts.base_url = "https://127.0.0.1:" + std::to_string(f.gw.port()) + "/gw/v2/";
    beeos::client c{io.get_executor(), opts};
    run_test_coroutine(io, [](beeos::client& c) -> asio::awaitable<void> {
        beeos::instance inst = co_await c.get_instance("inst_7");
        BOOST_TEST(inst.id == "inst_7");
    }(c));
    BOOST_TEST(f.gw.recent_requests().at(0).target == "/gw/v2/api/v1/instances/inst_7");
}

BOOST_AUTO_TEST_CASE(invalid_ids_fail_before_any_io)
{
    gateway_fixture f;
    asio::io_context io;
    beeos::client c{io.get_executor(), f.options()};

    auto empty = expect_error(c, "");
    BOOST_TEST(empty.code() == beeos::errc::invalid_argument);
    BOOST_TEST(empty.http_status() == 0);

    std::string at_limit(128, 'x');
    std::string too_long(129, 'x');
    auto long_err = expect_error(c, too_long);
    BOOST_TEST(long_err.code() == beeos::errc::invalid_argument);
    BOOST_TEST(std::string_view(long_err.what()).find("129") != std::string_view::npos);

    // 128 characters counted as code points, as JSON Schema counts: 128 two-byte characters pass.
    std::string wide;
    for (int i = 0; i < 128; ++i)
        wide += "\u00e9";
    auto not_found = expect_error(c, wide);
    BOOST_TEST(not_found.code() == beeos::errc::not_found);

    BOOST_TEST(f.gw.get_stats().requests == 1u);  // only the valid 128-character id was sent
    BOOST_TEST(f.gw.get_stats().connections_accepted == 1u);
    (void)at_limit;
}

BOOST_AUTO_TEST_CASE(each_error_status_maps_to_its_kind_with_code_and_request_id)
{
    gateway_fixture f;
    asio::io_context io;
    auto opts = f.options();
    opts.retry.max_attempts = 1;  // one scripted failure each; retries are the fault matrix's
    beeos::client c{io.get_executor(), opts};

    auto nf = expect_error(c, "inst_does_not_exist");
    BOOST_TEST(nf.code() == beeos::errc::not_found);
    BOOST_TEST(nf.http_status() == 404);
    BOOST_TEST(nf.api_code() == "instance_not_found");
    BOOST_TEST(nf.request_id().substr(0, 4) == "req_");
    BOOST_TEST(std::string_view(nf.what()).find("inst_does_not_exist") != std::string_view::npos);
    BOOST_TEST(std::string_view(nf.what()).find("404") != std::string_view::npos);

    auto fb = expect_error(c, "inst_forbidden_1");
    BOOST_TEST(fb.code() == beeos::errc::forbidden);
    BOOST_TEST(fb.http_status() == 403);
    BOOST_TEST(fb.api_code() == "forbidden");

    struct scripted
    {
        int status;
        std::string code;
        beeos::errc kind;
    };
    for (const scripted& s : {scripted{400, "invalid_param", beeos::errc::bad_request}, scripted{429, "rate_limited", beeos::errc::rate_limited},
                              scripted{500, "internal_error", beeos::errc::server_error}, scripted{503, "auth_transient", beeos::errc::server_error},
                              scripted{504, "service_timeout", beeos::errc::server_error}, scripted{409, "conflict", beeos::errc::http_error}})
    {
        beeos::sim::fault fault;
        fault.status = s.status;
        fault.code = s.code;
        if (s.status == 429)
            fault.retry_after = "7";
        f.gw.add_fault("inst_5", fault);
        auto e = expect_error(c, "inst_5");
        BOOST_TEST(e.code() == s.kind, "status " << s.status);
        BOOST_TEST(e.http_status() == s.status);
        BOOST_TEST(e.api_code() == s.code);
        BOOST_TEST(!e.request_id().empty());
        if (s.status == 429)
        {
            BOOST_REQUIRE(e.retry_after().has_value());
            BOOST_TEST(e.retry_after()->count() == 7);
        }
        beeos::test::check_no_token(e);
    }
}

BOOST_AUTO_TEST_CASE(unauthorized_without_or_with_a_wrong_token)
{
    gateway_fixture f;
    asio::io_context io;
    auto opts = f.options();
    opts.token = "oag_wrong_but_also_secret";
    beeos::client wrong{io.get_executor(), opts};
    auto e1 = expect_error(wrong, "inst_1");
    BOOST_TEST(e1.code() == beeos::errc::unauthorized);
    BOOST_TEST(e1.http_status() == 401);
    BOOST_TEST(e1.api_code() == "invalid_token");
    BOOST_TEST(std::string_view(e1.what()).find("oag_wrong_but_also_secret") == std::string_view::npos);

    opts.token.clear();
    beeos::client none{io.get_executor(), opts};
    auto e2 = expect_error(none, "inst_1");
    BOOST_TEST(e2.code() == beeos::errc::unauthorized);
    BOOST_TEST(e2.api_code() == "missing_token");
    BOOST_TEST(!f.gw.recent_requests().back().had_authorization);
}

BOOST_AUTO_TEST_CASE(token_echoed_by_a_server_is_scrubbed)
{
    gateway_fixture f;
    beeos::sim::fault fault;
    fault.status = 401;
    fault.body = R"({"success":false,"error":{"code":"invalid_token","message":"bad token Bearer )" + std::string(beeos::test::secret_token) +
                 R"(","request_id":"req_echo"}})";
    f.gw.add_fault("inst_1", fault);
    asio::io_context io;
    beeos::client c{io.get_executor(), f.options()};
    auto e = expect_error(c, "inst_1");
    BOOST_TEST(e.code() == beeos::errc::unauthorized);
    BOOST_TEST(e.request_id() == "req_echo");
    BOOST_TEST(e.info().message.find("[redacted]") != std::string::npos);
    beeos::test::check_no_token(e);
}

BOOST_AUTO_TEST_CASE(plain_http_for_local_use)
{
    auto cfg = beeos::test::default_gateway_config();
    cfg.tls = false;
    gateway_fixture f(cfg);
    BOOST_TEST(f.gw.url().rfind("http://", 0) == 0u);
    asio::io_context io;
    beeos::client c{io.get_executor(), f.options()};
    run_test_coroutine(io, [](beeos::client& c) -> asio::awaitable<void> {
        beeos::instance inst = co_await c.get_instance("inst_3");
        BOOST_TEST(inst.id == "inst_3");
    }(c));
}

BOOST_AUTO_TEST_CASE(universal_model_callbacks_deferred_and_error_info)
{
    gateway_fixture f;
    asio::io_context io;
    beeos::client c{io.get_executor(), f.options()};

    // Plain callback, with the details in error_info.
    beeos::error_info info;
    boost::system::error_code got_ec;
    std::string got_id = "unset";
    int calls = 0;
    c.async_get_instance("inst_missing", info, [&](boost::system::error_code ec, beeos::instance inst) {
        ++calls;
        got_ec = ec;
        got_id = inst.id;
    });
    // Deferred: nothing happens until it is launched.
    auto op = c.async_get_instance(std::string("inst_9"), asio::deferred);
    beeos::instance from_deferred;
    std::move(op)([&](boost::system::error_code ec, beeos::instance inst) {
        BOOST_TEST(!ec);
        from_deferred = std::move(inst);
    });
    io.run_for(10s);
    BOOST_TEST(calls == 1);
    BOOST_TEST(got_ec == beeos::errc::not_found);
    BOOST_TEST(got_id.empty());
    BOOST_TEST(info.http_status == 404);
    BOOST_TEST(info.api_code == "instance_not_found");
    BOOST_TEST(info.id == "inst_missing");
    BOOST_TEST(from_deferred.id == "inst_9");

    // as_tuple inside a coroutine.
    io.restart();
    run_test_coroutine(io, [](beeos::client& c) -> asio::awaitable<void> {
        auto [ec, inst] = co_await c.async_get_instance("inst_11", asio::as_tuple(asio::use_awaitable));
        BOOST_TEST(!ec);
        BOOST_TEST(inst.id == "inst_11");
    }(c));
}

BOOST_AUTO_TEST_CASE(use_future_from_another_thread)
{
    gateway_fixture f;
    asio::io_context io;
    auto guard = asio::make_work_guard(io);
    std::thread runner([&] { io.run(); });
    {
        beeos::client c{io.get_executor(), f.options()};
        std::future<beeos::instance> fut = c.async_get_instance("inst_12", asio::use_future);
        BOOST_REQUIRE(fut.wait_for(10s) == std::future_status::ready);
        BOOST_TEST(fut.get().id == "inst_12");
    }
    guard.reset();
    io.stop();
    runner.join();
}

BOOST_AUTO_TEST_CASE(temporary_id_is_copied_before_suspension)
{
    gateway_fixture f;
    asio::io_context io;
    beeos::client c{io.get_executor(), f.options()};
    run_test_coroutine(io, [](beeos::client& c) -> asio::awaitable<void> {
        // The awaitable outlives the temporary string it was created from.
        auto op = c.get_instance(std::string("inst_") + std::to_string(77));
        std::string clobber(64, 'z');
        beeos::instance inst = co_await std::move(op);
        BOOST_TEST(inst.id == "inst_77");
    }(c));
}

BOOST_AUTO_TEST_SUITE_END()
