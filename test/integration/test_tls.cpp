// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
//
// Peer verification: a certificate from an unknown CA and one for another host are both
// refused before any request (and so the token) is sent.
#include "gateway_fixture.hpp"

#include <boost/asio/use_awaitable.hpp>

namespace asio = boost::asio;
using beeos::test::gateway_fixture;
using beeos::test::run_test_coroutine;

namespace {

beeos::error handshake_error(beeos::sim::certificate cert)
{
    auto cfg = beeos::test::default_gateway_config();
    cfg.cert = cert;
    gateway_fixture f(cfg);
    asio::io_context io;
    beeos::client c{io.get_executor(), f.options()};
    std::optional<beeos::error> caught;
    run_test_coroutine(io, [](beeos::client& c, std::optional<beeos::error>& caught) -> asio::awaitable<void> {
        try
        {
            (void)co_await c.get_instance("inst_1");
        }
        catch (const beeos::error& e)
        {
            caught.emplace(e);
        }
    }(c, caught));
    BOOST_REQUIRE(caught.has_value());
    BOOST_TEST(f.gw.get_stats().requests == 0u);  // nothing, and so no token, reached the peer
    return *caught;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(tls)

BOOST_AUTO_TEST_CASE(unknown_ca_is_refused)
{
    auto e = handshake_error(beeos::sim::certificate::untrusted);
    BOOST_TEST(e.code() == beeos::errc::certificate);
    BOOST_TEST(e.http_status() == 0);
    BOOST_TEST(std::string_view(e.what()).find("certificate verification failed") != std::string_view::npos, e.what());
    beeos::test::check_no_token(e);
}

BOOST_AUTO_TEST_CASE(wrong_host_name_is_refused)
{
    auto e = handshake_error(beeos::sim::certificate::wrong_host);
    BOOST_TEST(e.code() == beeos::errc::certificate);
    BOOST_TEST(std::string_view(e.what()).find("mismatch") != std::string_view::npos, e.what());
}

BOOST_AUTO_TEST_CASE(host_name_is_checked_for_dns_names_too)
{
    // "localhost" is in the good certificate's SANs and resolves to loopback.
    gateway_fixture f;
    asio::io_context io;
    auto opts = f.options();
    opts.base_url = "https://localhost:" + std::to_string(f.gw.port());
    beeos::client c{io.get_executor(), opts};
    run_test_coroutine(io, [](beeos::client& c) -> asio::awaitable<void> {
        beeos::instance inst = co_await c.get_instance("inst_1");
        BOOST_TEST(inst.id == "inst_1");
    }(c));
}

BOOST_AUTO_TEST_CASE(without_the_ca_file_the_system_store_does_not_trust_the_gateway)
{
    gateway_fixture f;
    asio::io_context io;
    auto opts = f.options();
    opts.ca_file.clear();
    beeos::client c{io.get_executor(), opts};
    beeos::error_info info;
    boost::system::error_code ec;
    c.async_get_instance("inst_1", info, [&](boost::system::error_code e, beeos::instance) { ec = e; });
    io.run_for(std::chrono::seconds(10));
    BOOST_TEST(ec == beeos::errc::certificate);
}

BOOST_AUTO_TEST_CASE(bad_options_are_rejected_at_construction)
{
    asio::io_context io;
    auto make = [&](beeos::client_options o) { beeos::client c{io.get_executor(), std::move(o)}; };
    BOOST_CHECK_THROW(make({.base_url = "ftp://example.com"}), std::invalid_argument);
    BOOST_CHECK_THROW(make({.base_url = "not a url"}), std::invalid_argument);
    BOOST_CHECK_THROW(make({.base_url = "https://user:pw@example.com"}), std::invalid_argument);
    BOOST_CHECK_THROW(make({.base_url = "https://example.com", .ca_file = "/nonexistent/ca.pem"}), std::invalid_argument);
    BOOST_CHECK_THROW(make({.base_url = "https://example.com", .max_connections = 0}), std::invalid_argument);
    try
    {
        make({.base_url = "https://example.com", .token = "oag_secret\r\nX-Injected: 1"});
        BOOST_ERROR("a token with CR LF was accepted");
    }
    catch (const std::invalid_argument& e)
    {
        BOOST_TEST(std::string_view(e.what()).find("oag_secret") == std::string_view::npos);
    }
    BOOST_CHECK_NO_THROW(make({.base_url = "https://example.com/"}));
}

BOOST_AUTO_TEST_SUITE_END()
