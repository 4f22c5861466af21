// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
//
// Which proxy a client uses: proxy URLs, NO_PROXY in the curl/Go conventions, the environment.
#include "proxy_config.hpp"

#include <boost/test/unit_test.hpp>

#include <map>
#include <stdexcept>

using beeos::detail::decide_proxy;
using beeos::detail::no_proxy_list;
using beeos::detail::parse_proxy_url;

namespace {

std::map<std::string, std::string>& fake_env()
{
    static std::map<std::string, std::string> vars;
    return vars;
}

std::string_view lookup(const char* name)
{
    auto it = fake_env().find(name);
    return it == fake_env().end() ? std::string_view() : std::string_view(it->second);
}

struct env_fixture
{
    env_fixture() { fake_env().clear(); }
    ~env_fixture() { fake_env().clear(); }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(proxy_config)

BOOST_AUTO_TEST_CASE(proxy_urls)
{
    auto p = parse_proxy_url("http://proxy.corp:3128", "HTTPS_PROXY");
    BOOST_TEST(p.host == "proxy.corp");
    BOOST_TEST(p.port == "3128");
    BOOST_TEST(p.authorization.empty());
    BOOST_TEST(p.where == "proxy.corp:3128");
    BOOST_TEST(parse_proxy_url("proxy.corp:8080", "x").port == "8080");  // no scheme: http
    BOOST_TEST(parse_proxy_url("http://proxy.corp", "x").port == "80");
    BOOST_TEST(parse_proxy_url("http://[::1]:3128/", "x").where == "[::1]:3128");
    // RFC 7617: user-pass, percent-decoded from the URL. "alice:p@ss w" -> YWxpY2U6cEBzcyB3
    BOOST_TEST(parse_proxy_url("http://alice:p%40ss%20w@proxy:1", "x").authorization == "Basic YWxpY2U6cEBzcyB3");
    BOOST_CHECK_THROW(parse_proxy_url("https://proxy:443", "x"), std::invalid_argument);
    BOOST_CHECK_THROW(parse_proxy_url("socks5://proxy:1080", "x"), std::invalid_argument);
    BOOST_CHECK_THROW(parse_proxy_url("http://proxy:99999", "x"), std::invalid_argument);
    BOOST_CHECK_THROW(parse_proxy_url("http://proxy:1/path", "x"), std::invalid_argument);
    BOOST_CHECK_THROW(parse_proxy_url("http://pro%0d%0axy:1", "x"), std::invalid_argument);
    try
    {
        parse_proxy_url("ftp://bob:hunter2@proxy", "HTTPS_PROXY");
        BOOST_ERROR("accepted");
    }
    catch (const std::invalid_argument& e)
    {
        const std::string what = e.what();
        BOOST_TEST(what.find("HTTPS_PROXY") != std::string::npos);
        BOOST_TEST(what.find("hunter2") == std::string::npos);  // never the credentials
    }
}

BOOST_AUTO_TEST_CASE(no_proxy_names_suffixes_addresses_ranges_and_ports)
{
    no_proxy_list l("example.com, .corp.internal,10.0.0.0/8 ,::1,[fd00::]/8, api.beeos.ai:8443 192.168.1.7");
    BOOST_TEST(l.matches("example.com", "443"));
    BOOST_TEST(l.matches("API.Example.COM", "443"));  // suffix, case-insensitive
    BOOST_TEST(!l.matches("notexample.com", "443"));  // a suffix is a whole label
    BOOST_TEST(l.matches("corp.internal", "443"));
    BOOST_TEST(l.matches("a.b.corp.internal", "443"));
    BOOST_TEST(l.matches("10.1.2.3", "443"));
    BOOST_TEST(!l.matches("11.1.2.3", "443"));
    BOOST_TEST(l.matches("::1", "443"));
    BOOST_TEST(l.matches("fd12::5", "443"));
    BOOST_TEST(!l.matches("fe80::1", "443"));
    BOOST_TEST(l.matches("api.beeos.ai", "8443"));
    BOOST_TEST(!l.matches("api.beeos.ai", "443"));  // only that port
    BOOST_TEST(l.matches("192.168.1.7", "80"));
    BOOST_TEST(!l.matches("192.168.1.8", "80"));
    BOOST_TEST(!no_proxy_list("10.0.0.0/8").matches("10.example.com", "443"));  // a range never matches a name
    BOOST_TEST(no_proxy_list("*").matches("anything", "1"));
    BOOST_TEST(no_proxy_list("*.example.com").matches("a.example.com", "1"));
    BOOST_TEST(no_proxy_list("").empty());
    BOOST_TEST(!no_proxy_list("").matches("example.com", "443"));
}

BOOST_FIXTURE_TEST_CASE(the_environment_picks_the_proxy_by_scheme, env_fixture)
{
    fake_env()["HTTPS_PROXY"] = "http://tls-proxy:3128";
    fake_env()["http_proxy"] = "http://plain-proxy:3128";
    auto d = decide_proxy(true, "api.beeos.ai", "443", std::nullopt, std::nullopt, lookup);
    BOOST_REQUIRE(d.proxy);
    BOOST_TEST(d.proxy->host == "tls-proxy");
    BOOST_TEST(d.source == "HTTPS_PROXY");
    d = decide_proxy(false, "sim.local", "80", std::nullopt, std::nullopt, lookup);
    BOOST_REQUIRE(d.proxy);
    BOOST_TEST(d.proxy->host == "plain-proxy");
    BOOST_TEST(d.source == "http_proxy");

    fake_env()["NO_PROXY"] = ".beeos.ai";
    BOOST_TEST(!decide_proxy(true, "api.beeos.ai", "443", std::nullopt, std::nullopt, lookup).proxy);
    BOOST_TEST(decide_proxy(true, "other.example", "443", std::nullopt, std::nullopt, lookup).proxy.has_value());
    fake_env().erase("NO_PROXY");
    fake_env()["no_proxy"] = "*";
    BOOST_TEST(!decide_proxy(true, "other.example", "443", std::nullopt, std::nullopt, lookup).proxy);
}

BOOST_FIXTURE_TEST_CASE(an_explicit_option_overrides_or_disables_the_environment, env_fixture)
{
    fake_env()["HTTPS_PROXY"] = "http://env-proxy:3128";
    fake_env()["NO_PROXY"] = "*";
    // Empty: no proxy at all.
    BOOST_TEST(!decide_proxy(true, "api.beeos.ai", "443", std::string(), std::nullopt, lookup).proxy);
    // Set: that proxy, and the environment's NO_PROXY is not its business.
    auto d = decide_proxy(true, "api.beeos.ai", "443", std::string("http://mine:8080"), std::nullopt, lookup);
    BOOST_REQUIRE(d.proxy);
    BOOST_TEST(d.proxy->host == "mine");
    BOOST_TEST(d.source == "client_options.proxy");
    BOOST_TEST(!decide_proxy(true, "api.beeos.ai", "443", std::string("http://mine:8080"), std::string("beeos.ai"), lookup).proxy);
    // A bad proxy in the environment fails the construction, naming the variable.
    fake_env()["NO_PROXY"] = "";
    fake_env()["HTTPS_PROXY"] = "socks5://x:1";
    try
    {
        decide_proxy(true, "api.beeos.ai", "443", std::nullopt, std::nullopt, lookup);
        BOOST_ERROR("accepted");
    }
    catch (const std::invalid_argument& e)
    {
        BOOST_TEST(std::string(e.what()).find("HTTPS_PROXY") != std::string::npos);
    }
}

BOOST_AUTO_TEST_SUITE_END()
