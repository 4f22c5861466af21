// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
//
// Self-test of the gateway simulator's lifecycle scripts, churn and listing, spoken to with raw
// Beast requests over verified TLS: it does not use the beeos client, so it checks the
// simulator on its own terms.
#include <gateway.hpp>
#include <test_pki.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <exception>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
namespace ssl = asio::ssl;
namespace sim = beeos::sim;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {

constexpr std::string_view token = "oag_sim_self_test";

const sim::test_pki& pki()
{
    static const sim::test_pki p = sim::make_test_pki();
    return p;
}

sim::config make_config(std::size_t instances)
{
    sim::config cfg;
    cfg.tokens = {std::string(token)};
    cfg.instance_count = instances;
    return cfg;
}

struct reply
{
    unsigned status = 0;
    std::string body;
    std::string request_id;
    std::string allow;
};

asio::awaitable<void> exchange(ssl::context& ctx, unsigned short port,
                               http::request<http::string_body> req, reply& out)
{
    auto ex = co_await asio::this_coro::executor;
    ssl::stream<beast::tcp_stream> stream(ex, ctx);
    stream.set_verify_mode(ssl::verify_peer);
    stream.set_verify_callback(ssl::host_name_verification("127.0.0.1"));
    auto& tcp = stream.next_layer();
    tcp.expires_after(5s);
    co_await tcp.async_connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
                               asio::use_awaitable);
    co_await stream.async_handshake(ssl::stream_base::client, asio::use_awaitable);
    co_await http::async_write(stream, req, asio::use_awaitable);
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::response_parser<http::string_body> parser;
    parser.body_limit(16 * 1024 * 1024);
    co_await http::async_read(stream, buffer, parser, asio::use_awaitable);
    res = parser.release();
    out.status = res.result_int();
    out.body = std::move(res.body());
    out.request_id = res["X-Request-Id"];
    out.allow = res[http::field::allow];
    // No close_notify: the server treats a vanished client as the end of the connection.
    tcp.close();
}

// One request on a fresh verified TLS connection; fails the test if it takes over 10 s.
reply send(const sim::gateway& gw, std::string target, http::verb method = http::verb::get,
           std::string_view auth = "Bearer oag_sim_self_test")
{
    asio::io_context io;
    ssl::context ctx(ssl::context::tls_client);
    ctx.add_certificate_authority(asio::buffer(pki().ca_cert_pem));
    http::request<http::string_body> req{method, target, 11};
    req.set(http::field::host, "127.0.0.1");
    if (!auth.empty())
        req.set(http::field::authorization, auth);
    req.prepare_payload();
    reply out;
    bool done = false;
    std::exception_ptr failure;
    asio::co_spawn(io, exchange(ctx, gw.port(), std::move(req), out),
                   [&](std::exception_ptr e) {
                       failure = e;
                       done = true;
                   });
    io.run_for(10s);
    BOOST_REQUIRE_MESSAGE(done, "request " << target << " did not finish in time");
    if (failure)
        std::rethrow_exception(failure);
    return out;
}

json::object get_data(const sim::gateway& gw, std::string_view id)
{
    reply r = send(gw, "/api/v1/instances/" + std::string(id));
    BOOST_REQUIRE_MESSAGE(r.status == 200, id << ": status " << r.status << " " << r.body);
    return json::parse(r.body).at("data").as_object();
}

struct page
{
    std::vector<json::value> items;
    std::int64_t total = -1;
    std::vector<std::string> ids() const
    {
        std::vector<std::string> out;
        for (const auto& i : items)
            out.emplace_back(i.at("id").as_string());
        return out;
    }
};

page list(const sim::gateway& gw, std::string_view query = {})
{
    std::string target = "/api/v1/instances";
    if (!query.empty())
        target += "?" + std::string(query);
    reply r = send(gw, target);
    BOOST_REQUIRE_MESSAGE(r.status == 200, target << ": status " << r.status << " " << r.body);
    json::object env = json::parse(r.body).as_object();
    BOOST_TEST(env.at("success").as_bool());
    page p;
    for (const auto& v : env.at("data").as_array())
        p.items.push_back(v);
    p.total = env.at("total").as_int64();
    return p;
}

std::vector<std::string> inst_ids(std::initializer_list<int> ns)
{
    std::vector<std::string> out;
    for (int n : ns)
        out.push_back("inst_" + std::to_string(n));
    return out;
}

std::vector<std::string> inst_range(int from, int to)
{
    std::vector<std::string> out;
    for (int n = from; n < to; ++n)
        out.push_back("inst_" + std::to_string(n));
    return out;
}

sim::fault status_fault(int status, std::optional<std::string> retry_after = std::nullopt)
{
    sim::fault f;
    f.status = status;
    f.retry_after = std::move(retry_after);
    return f;
}

std::string str(const json::object& o, std::string_view key)
{
    return std::string(o.at(key).as_string());
}

// The error envelope of a 4xx, checked against the contract's shape.
json::object expect_error(const reply& r, unsigned status, std::string_view code)
{
    BOOST_TEST(r.status == status);
    json::object env = json::parse(r.body).as_object();
    BOOST_TEST(!env.at("success").as_bool());
    json::object err = env.at("error").as_object();
    BOOST_TEST(str(err, "code") == code);
    BOOST_TEST(str(err, "request_id") == r.request_id);
    BOOST_TEST(r.request_id.starts_with("req_"));
    return err;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(gateway_sim)

BOOST_AUTO_TEST_CASE(lifecycle_moves_at_the_scripted_times)
{
    sim::gateway gw(make_config(50), pki());
    gw.start();
    const auto before = clock_type::now();
    gw.set_lifecycle("inst_3", {
        {0ms, {.status = "pending", .desired_status = "running", .connectivity = "offline",
               .connectivity_reason = "instance_disconnected"}},
        {250ms, {.status = "provisioning", .ms_connection_status = "connecting"}},
        {500ms, {.status = "running", .connectivity = "online", .connectivity_reason = "",
                 .ms_connection_status = "connected"}},
    });
    const auto after = clock_type::now();
    const std::string statuses[] = {"running" /* fixture */, "pending", "provisioning", "running"};

    // Each served body must come from a step that had passed when it was served.
    std::vector<std::string> seen;
    const auto deadline = clock_type::now() + 3s;
    for (;;)
    {
        std::size_t k0 = gw.transitions_for("inst_3").size();
        json::object d = get_data(gw, "inst_3");
        std::size_t k1 = gw.transitions_for("inst_3").size();
        BOOST_TEST(k0 >= 1u);  // a step at 0 takes effect at once
        std::string s = str(d, "status");
        BOOST_TEST((s == statuses[k0] || s == statuses[k1]), s << " not from steps " << k0 << ".." << k1);
        if (seen.empty() || seen.back() != s)
            seen.push_back(s);
        if (s == "provisioning")
        {
            // Merged: step 0's fields persist until overridden.
            BOOST_TEST(str(d, "connectivity") == "offline");
            BOOST_TEST(str(d, "connectivityReason") == "instance_disconnected");
            BOOST_TEST(str(d, "msConnectionStatus") == "connecting");
        }
        if (k0 == 3 || clock_type::now() > deadline)
            break;
        std::this_thread::sleep_for(10ms);
    }
    BOOST_TEST(seen == (std::vector<std::string>{"pending", "provisioning", "running"}),
               boost::test_tools::per_element());

    json::object d = get_data(gw, "inst_3");
    BOOST_TEST(str(d, "connectivity") == "online");
    BOOST_TEST(str(d, "connectivityReason") == "");
    BOOST_TEST(str(d, "desiredStatus") == "running");
    BOOST_TEST(str(d, "endpoint") == "https://inst-7f3a9c2e.us-east-1.run.beeos.ai");  // fixture
    BOOST_TEST(str(d, "id") == "inst_3");

    auto ts = gw.transitions_for("inst_3");
    BOOST_REQUIRE_EQUAL(ts.size(), 3u);
    for (std::size_t i = 0; i < ts.size(); ++i)
        BOOST_TEST(ts[i].step == i);
    BOOST_TEST((ts[0].at >= before && ts[0].at <= after));
    BOOST_TEST((ts[1].at - ts[0].at == 250ms));
    BOOST_TEST((ts[2].at - ts[0].at == 500ms));
    sim::instance_state provisioning{.status = "provisioning", .desired_status = "running",
                                     .connectivity = "offline",
                                     .connectivity_reason = "instance_disconnected",
                                     .ms_connection_status = "connecting"};
    BOOST_TEST((ts[1].state == provisioning));
    BOOST_TEST((ts[2].state.connectivity == std::optional<std::string>("online")));
    BOOST_TEST((ts[2].state.error_message == std::nullopt));
}

BOOST_AUTO_TEST_CASE(fixture_before_the_first_step_and_other_rules)
{
    sim::gateway gw(make_config(50), pki());
    gw.start();
    gw.set_lifecycle("inst_4", {{10s, {.status = "stopped"}}});
    json::object d = get_data(gw, "inst_4");
    BOOST_TEST(str(d, "status") == "running");
    BOOST_TEST(gw.transitions_for("inst_4").empty());
    BOOST_TEST(gw.transitions_for("inst_never_scripted").empty());

    // A script makes any id exist.
    gw.set_lifecycle("dev_abc", {{0ms, {.status = "stopped", .error_message = "oom"}}});
    d = get_data(gw, "dev_abc");
    BOOST_TEST(str(d, "id") == "dev_abc");
    BOOST_TEST(str(d, "status") == "stopped");
    BOOST_TEST(str(d, "errorMessage") == "oom");
    // An empty script removes it.
    gw.set_lifecycle("dev_abc", {});
    expect_error(send(gw, "/api/v1/instances/dev_abc"), 404, "instance_not_found");

    // set_instance wins over a script.
    gw.set_instance("inst_5", R"({"id":"inst_5","status":"verbatim"})");
    gw.set_lifecycle("inst_5", {{0ms, {.status = "stopped"}}});
    BOOST_TEST(str(get_data(gw, "inst_5"), "status") == "verbatim");

    // set_state merges onto what is served and replaces the script.
    gw.set_lifecycle("inst_6", {{0ms, {.status = "stopped", .desired_status = "stopped"}},
                                {10s, {.status = "terminated"}}});
    gw.set_state("inst_6", {.status = "running", .endpoint = "https://x.example"});
    d = get_data(gw, "inst_6");
    BOOST_TEST(str(d, "status") == "running");
    BOOST_TEST(str(d, "desiredStatus") == "stopped");
    BOOST_TEST(str(d, "endpoint") == "https://x.example");
    auto ts = gw.transitions_for("inst_6");
    BOOST_REQUIRE_EQUAL(ts.size(), 1u);
    BOOST_TEST((ts[0].state == sim::instance_state{.status = "running", .desired_status = "stopped",
                                                    .endpoint = "https://x.example"}));

    BOOST_CHECK_THROW((gw.set_lifecycle("inst_7", {{20ms, {}}, {10ms, {}}})), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(lifecycle_survives_a_restart)
{
    sim::gateway gw(make_config(50), pki());
    gw.start();
    const auto port = gw.port();
    gw.set_lifecycle("inst_1", {{0ms, {.status = "pending"}}, {150ms, {.status = "running"}}});
    gw.set_state("inst_2", {.status = "stopped"});
    BOOST_TEST(str(get_data(gw, "inst_1"), "status") == "pending");
    gw.stop();
    std::this_thread::sleep_for(200ms);  // the clock keeps running while stopped
    BOOST_TEST(gw.transitions_for("inst_1").size() == 2u);
    gw.start();
    BOOST_TEST(gw.port() == port);
    BOOST_TEST(str(get_data(gw, "inst_1"), "status") == "running");
    BOOST_TEST(str(get_data(gw, "inst_2"), "status") == "stopped");
}

BOOST_AUTO_TEST_CASE(listing_pages_and_total)
{
    sim::gateway gw(make_config(45), pki());
    gw.start();
    page p = list(gw);
    BOOST_TEST(p.total == 45);
    BOOST_TEST(p.ids() == inst_range(0, 20), boost::test_tools::per_element());
    p = list(gw, "page=2");
    BOOST_TEST(p.total == 45);
    BOOST_TEST(p.ids() == inst_range(40, 45), boost::test_tools::per_element());
    BOOST_TEST(list(gw, "pageSize=0").items.size() == 20u);
    BOOST_TEST(list(gw, "pageSize=200").ids() == inst_range(0, 45), boost::test_tools::per_element());
    BOOST_TEST(list(gw, "page=1&pageSize=7").ids() == inst_range(7, 14), boost::test_tools::per_element());
    p = list(gw, "page=3");
    BOOST_TEST(p.items.empty());
    BOOST_TEST(p.total == 45);
    BOOST_TEST(list(gw, "page=2147483647&pageSize=200").items.empty());
    // Unknown parameters, `search` included, are ignored.
    BOOST_TEST(list(gw, "foo=bar&search=atlas&pageSize=3").ids() == inst_range(0, 3),
               boost::test_tools::per_element());

    // Items are exactly what getInstance serves, lifecycle applied.
    gw.set_state("inst_8", {.status = "stopped", .connectivity = "offline"});
    p = list(gw, "page=1&pageSize=4");
    BOOST_REQUIRE_EQUAL(p.items.size(), 4u);
    BOOST_TEST(json::serialize(p.items[0]) == json::serialize(get_data(gw, "inst_4")));
    BOOST_TEST(json::serialize(p.items[3]) == json::serialize(get_data(gw, "inst_7")));
    p = list(gw, "page=2&pageSize=4");
    BOOST_TEST(json::serialize(p.items[0]) == json::serialize(get_data(gw, "inst_8")));
    BOOST_TEST(p.items[0].at("status").as_string() == "stopped");

    // A 200-item page.
    sim::gateway big(make_config(1000), pki());
    big.start();
    p = list(big, "page=4&pageSize=200");
    BOOST_TEST(p.total == 1000);
    BOOST_TEST(p.ids() == inst_range(800, 1000), boost::test_tools::per_element());
    BOOST_TEST(big.list_requests() == 1u);
}

BOOST_AUTO_TEST_CASE(listing_filters)
{
    sim::gateway gw(make_config(45), pki());
    gw.start();
    BOOST_TEST(list(gw, "status=running").total == 45);
    BOOST_TEST(list(gw, "providerId=openclaw-k8s&agentFramework=openclaw&clusterId=cluster_use1_a").total == 45);
    BOOST_TEST(list(gw, "providerId=nope").total == 0);
    BOOST_TEST(list(gw, "agentFramework=openclaw+x").total == 0);
    BOOST_TEST(list(gw, "status=stopped").total == 0);

    gw.set_state("inst_3", {.status = "stopped"});
    gw.set_lifecycle("inst_10", {{0ms, {.status = "stopped"}}});
    gw.set_lifecycle("inst_11", {{10s, {.status = "stopped"}}});  // not yet
    page p = list(gw, "status=st%6Fpped");
    BOOST_TEST(p.total == 2);
    BOOST_TEST(p.ids() == inst_ids({3, 10}), boost::test_tools::per_element());
    p = list(gw, "status=running&pageSize=5");
    BOOST_TEST(p.total == 43);
    BOOST_TEST(p.ids() == inst_ids({0, 1, 2, 4, 5}), boost::test_tools::per_element());
    p = list(gw, "status=running&page=1&pageSize=5");
    BOOST_TEST(p.ids() == inst_ids({6, 7, 8, 9, 11}), boost::test_tools::per_element());
    p = list(gw, "status=running&page=8&pageSize=5");
    BOOST_TEST(p.ids() == inst_ids({42, 43, 44}), boost::test_tools::per_element());

    // Verbatim data is filtered by its own fields and listed as it is.
    const std::string verbatim = R"({"id":"inst_20","status":"stopped","providerId":"other"})";
    gw.set_instance("inst_20", verbatim);
    gw.set_instance("inst_21", "{not json");
    p = list(gw, "providerId=other");
    BOOST_TEST(p.total == 1);
    BOOST_REQUIRE_EQUAL(p.items.size(), 1u);
    BOOST_TEST(json::serialize(p.items[0]) == json::serialize(json::parse(verbatim)));
    BOOST_TEST(list(gw, "status=stopped").ids() == inst_ids({3, 10, 20}), boost::test_tools::per_element());
    BOOST_TEST(list(gw, "status=running").total == 41);
    BOOST_TEST(list(gw, "status=").total == 0);
    // Unfiltered, malformed data is served in place as it is.
    reply raw = send(gw, "/api/v1/instances?page=1&pageSize=20");
    BOOST_TEST(raw.body.find(",{not json,") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(listing_validation_and_auth)
{
    sim::gateway gw(make_config(10), pki());
    gw.start();
    for (std::string q : {"page=-1", "page=abc", "page=", "page", "page=2147483648", "page=1.0"})
    {
        BOOST_TEST_CONTEXT(q)
        {
            auto err = expect_error(send(gw, "/api/v1/instances?" + q), 400, "invalid_param");
            BOOST_TEST(str(err, "param") == "page");
        }
    }
    for (std::string q : {"pageSize=201", "pageSize=-1", "pageSize=x", "pageSize=%zz", "page=0&pageSize=1e2"})
    {
        BOOST_TEST_CONTEXT(q)
        {
            auto err = expect_error(send(gw, "/api/v1/instances?" + q), 400, "invalid_param");
            BOOST_TEST(str(err, "param") == "pageSize");
        }
    }
    BOOST_TEST(list(gw, "page=%31&pageSize=3").ids() == inst_range(3, 6), boost::test_tools::per_element());

    reply r = send(gw, "/api/v1/instances", http::verb::post);
    expect_error(r, 405, "method_not_allowed");
    BOOST_TEST(r.allow == "GET");
    expect_error(send(gw, "/api/v1/instances", http::verb::get, ""), 401, "missing_token");
    expect_error(send(gw, "/api/v1/instances", http::verb::get, "Bearer nope"), 401, "invalid_token");
    expect_error(send(gw, "/api/v1/instances/"), 404, "route_not_found");
    BOOST_TEST(gw.list_requests() == 15u);  // the trailing-slash one is off-route

    // Records carry the receive time and the target with its query.
    const auto before = clock_type::now();
    list(gw, "page=1&status=running");
    const auto after = clock_type::now();
    auto rec = gw.recent_requests().back();
    BOOST_TEST(rec.target == "/api/v1/instances?page=1&status=running");
    BOOST_TEST(rec.id.empty());
    BOOST_TEST((rec.received >= before && rec.received <= after));
    gw.reset_stats();
    BOOST_TEST(gw.list_requests() == 0u);
}

BOOST_AUTO_TEST_CASE(instance_count_changes_at_runtime)
{
    sim::gateway gw(make_config(30), pki());
    gw.start();
    BOOST_TEST(list(gw).total == 30);
    gw.set_instance_count(10);
    page p = list(gw);
    BOOST_TEST(p.total == 10);
    BOOST_TEST(p.ids() == inst_range(0, 10), boost::test_tools::per_element());
    expect_error(send(gw, "/api/v1/instances/inst_15"), 404, "instance_not_found");
    gw.set_instance_count(40);
    p = list(gw, "page=1");
    BOOST_TEST(p.total == 40);
    BOOST_TEST(p.ids() == inst_range(20, 40), boost::test_tools::per_element());
    BOOST_TEST(str(get_data(gw, "inst_39"), "id") == "inst_39");
}

BOOST_AUTO_TEST_CASE(list_fault_route)
{
    sim::gateway gw(make_config(10), pki());
    gw.start();
    gw.add_fault(std::string(sim::list_route), status_fault(503, "1"));
    // getInstance does not take it, not even for an id spelled like the route.
    BOOST_TEST(str(get_data(gw, "inst_1"), "id") == "inst_1");
    expect_error(send(gw, "/api/v1/instances/(list)"), 404, "instance_not_found");
    expect_error(send(gw, "/api/v1/instances?page=0"), 503, "auth_transient");
    BOOST_TEST(list(gw).total == 10);

    // "Any" faults apply to listing too; the list route wins over them.
    gw.add_fault("", status_fault(500));
    gw.add_fault(std::string(sim::list_route), status_fault(429));
    expect_error(send(gw, "/api/v1/instances"), 429, "rate_limited");
    expect_error(send(gw, "/api/v1/instances"), 500, "internal_error");
    BOOST_TEST(list(gw).total == 10);
    BOOST_TEST(gw.list_requests() == 5u);
    BOOST_TEST(gw.requests_for("(list)") == 1u);  // the getInstance one
}

BOOST_AUTO_TEST_CASE(churn_flips_connectivity)
{
    auto cfg = make_config(8);
    cfg.churn_period = 120ms;
    sim::gateway gw(cfg, pki());
    gw.start();
    gw.set_lifecycle("inst_2", {{0ms, {.status = "running"}}});  // a script overrides churn

    std::vector<std::set<std::string>> seen(8);
    std::size_t mixed = 0;
    const auto end = clock_type::now() + 420ms;
    while (clock_type::now() < end)
    {
        page p = list(gw);
        BOOST_REQUIRE_EQUAL(p.items.size(), 8u);
        std::set<std::string> now;
        for (std::size_t i = 0; i < 8; ++i)
        {
            std::string c(p.items[i].at("connectivity").as_string());
            seen[i].insert(c);
            now.insert(c);
        }
        mixed += now.size() == 2;
        std::this_thread::sleep_for(15ms);
    }
    BOOST_TEST(seen[2] == (std::set<std::string>{"online"}));
    std::size_t flipped = 0;
    for (std::size_t i = 0; i < 8; ++i)
        flipped += i != 2 && seen[i].size() == 2;
    BOOST_TEST(flipped >= 6u);
    BOOST_TEST(mixed >= 1u);  // phases are spread, not in lockstep

    // set_state on a churning id freezes the connectivity served at that moment.
    gw.set_state("inst_5", {.status = "stopped"});
    auto ts = gw.transitions_for("inst_5");
    BOOST_REQUIRE_EQUAL(ts.size(), 1u);
    BOOST_REQUIRE(ts[0].state.connectivity.has_value());
    for (int i = 0; i < 3; ++i)
    {
        BOOST_TEST(str(get_data(gw, "inst_5"), "connectivity") == *ts[0].state.connectivity);
        std::this_thread::sleep_for(50ms);
    }
}

BOOST_AUTO_TEST_SUITE_END()
