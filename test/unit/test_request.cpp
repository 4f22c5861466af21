// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
//
// base_url parsing, id validation and the request bytes, without sockets.
#include "request.hpp"

#include <beeos/error.hpp>
#include <beeos/version.hpp>

#include <boost/test/unit_test.hpp>

#include <stdexcept>

using namespace beeos::detail;

namespace {

std::string target_for(std::string_view id, std::string_view prefix = "")
{
    std::string out;
    append_instance_target(out, prefix, id);
    return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(request)

BOOST_AUTO_TEST_CASE(base_url_forms)
{
    auto d = parse_base_url("https://openapi.beeos.ai");
    BOOST_TEST(d.tls);
    BOOST_TEST(d.host == "openapi.beeos.ai");
    BOOST_TEST(d.port == "443");
    BOOST_TEST(d.host_header == "openapi.beeos.ai");
    BOOST_TEST(d.path_prefix == "");
    BOOST_TEST(!d.host_is_ip);

    auto p = parse_base_url("http://127.0.0.1:8095/gw/v1///");
    BOOST_TEST(!p.tls);
    BOOST_TEST(p.port == "8095");
    BOOST_TEST(p.host_header == "127.0.0.1:8095");
    BOOST_TEST(p.path_prefix == "/gw/v1");
    BOOST_TEST(p.host_is_ip);

    auto v6 = parse_base_url("https://[::1]:9443/");
    BOOST_TEST(v6.host == "::1");
    BOOST_TEST(v6.host_header == "[::1]:9443");
    BOOST_TEST(v6.host_is_ip);

    auto explicit_default = parse_base_url("https://h.example:443");
    BOOST_TEST(explicit_default.host_header == "h.example");
}

BOOST_AUTO_TEST_CASE(bad_base_urls_throw_without_echoing_credentials)
{
    BOOST_CHECK_THROW(parse_base_url("openapi.beeos.ai"), std::invalid_argument);
    BOOST_CHECK_THROW(parse_base_url("wss://x.example"), std::invalid_argument);
    BOOST_CHECK_THROW(parse_base_url("https://x.example/?q=1"), std::invalid_argument);
    BOOST_CHECK_THROW(parse_base_url("https://x.example:0"), std::invalid_argument);
    BOOST_CHECK_THROW(parse_base_url("https://:443"), std::invalid_argument);
    try
    {
        parse_base_url("https://me:hunter2@x.example");
        BOOST_ERROR("userinfo accepted");
    }
    catch (const std::invalid_argument& e)
    {
        BOOST_TEST(std::string_view(e.what()).find("hunter2") == std::string_view::npos);
    }
}

BOOST_AUTO_TEST_CASE(ids_are_one_percent_encoded_segment)
{
    BOOST_TEST(target_for("inst_123") == "/api/v1/instances/inst_123");
    BOOST_TEST(target_for("a/b") == "/api/v1/instances/a%2Fb");
    BOOST_TEST(target_for("q?x=1#f") == "/api/v1/instances/q%3Fx%3D1%23f");
    BOOST_TEST(target_for("100%") == "/api/v1/instances/100%25");
    BOOST_TEST(target_for("sp ace") == "/api/v1/instances/sp%20ace");
    BOOST_TEST(target_for("...") == "/api/v1/instances/...");
    BOOST_TEST(target_for(".x") == "/api/v1/instances/.x");
    BOOST_TEST(target_for("a.b-c_d~e") == "/api/v1/instances/a.b-c_d~e");
    BOOST_TEST(target_for("\xc3\xbc") == "/api/v1/instances/%C3%BC");
    BOOST_TEST(target_for("x", "/gw") == "/gw/api/v1/instances/x");
}

BOOST_AUTO_TEST_CASE(id_validation_counts_code_points)
{
    std::string detail;
    BOOST_TEST(validate_id("", detail) == beeos::errc::invalid_argument);
    BOOST_TEST(!validate_id(std::string(128, 'a'), detail));
    BOOST_TEST(validate_id(std::string(129, 'a'), detail) == beeos::errc::invalid_argument);
    BOOST_TEST(detail.find("129") != std::string::npos);
    std::string wide;
    for (int i = 0; i < 128; ++i)
        wide += "\xe2\x82\xac";  // euro sign, 3 bytes
    BOOST_TEST(!validate_id(wide, detail));
    BOOST_TEST(validate_id(wide + "\xe2\x82\xac", detail) == beeos::errc::invalid_argument);
    BOOST_TEST(validate_id("\xff\xfe", detail) == beeos::errc::invalid_argument);
    BOOST_TEST(validate_id("\xe2\x82", detail) == beeos::errc::invalid_argument);  // truncated sequence
}

BOOST_AUTO_TEST_CASE(dot_segment_ids_are_refused)
{
    // Whole-segment "." and ".." would be resolved out of /instances/ by a normalising proxy.
    std::string detail;
    BOOST_TEST(validate_id(".", detail) == beeos::errc::invalid_argument);
    BOOST_TEST(detail.find("relative path segment") != std::string::npos);
    BOOST_TEST(validate_id("..", detail) == beeos::errc::invalid_argument);
    BOOST_TEST(!validate_id("...", detail));
    BOOST_TEST(!validate_id("..x", detail));
    BOOST_TEST(!validate_id("x..", detail));
}

// Found by fuzzing parse_base_url: text glued to the host or port, and ports past 65535.
BOOST_AUTO_TEST_CASE(text_after_the_authority_must_be_a_path_and_ports_fit_16_bits)
{
    BOOST_CHECK_THROW(parse_base_url("https://h:443abc/"), std::invalid_argument);
    BOOST_CHECK_THROW(parse_base_url("http://1.2.3.4.5/"), std::invalid_argument);
    BOOST_CHECK_THROW(parse_base_url("http://h:80443"), std::invalid_argument);
    BOOST_CHECK_THROW(parse_base_url("http://h:65536"), std::invalid_argument);
    BOOST_CHECK_THROW(parse_base_url("http://h:0"), std::invalid_argument);
    BOOST_TEST(parse_base_url("http://h:65535/gw").port == "65535");
    BOOST_TEST(parse_base_url("http://h:8080/gw").path_prefix == "/gw");
}

BOOST_AUTO_TEST_CASE(a_host_that_decodes_to_control_characters_is_refused)
{
    // Percent-decoding a reg-name can yield CR LF, which would split the Host header.
    BOOST_CHECK_THROW(parse_base_url("https://api.example%0d%0aX-Evil:%201/"), std::invalid_argument);
    BOOST_CHECK_THROW(parse_base_url("https://a%20b.example"), std::invalid_argument);
    BOOST_CHECK_THROW(parse_base_url("https://a%2fb.example"), std::invalid_argument);
    BOOST_CHECK_THROW(parse_base_url("https://a%00b.example"), std::invalid_argument);
    BOOST_TEST(parse_base_url("https://api-1.beeos_ai.example").host == "api-1.beeos_ai.example");
    BOOST_TEST(parse_base_url("https://%61pi.example").host == "api.example");  // decoded, then checked
}

BOOST_AUTO_TEST_CASE(list_request_encodes_filters_as_query_parameters)
{
    auto ep = parse_base_url("https://api.example/gw");
    auto fixed = make_fixed_headers(ep, "oag_t", "");
    beeos::list_filter f;
    f.page_size = 50;
    std::string req;
    build_list_instances_request(req, ep, fixed, f, 3);
    BOOST_TEST(req.substr(0, req.find("\r\n")) == "GET /gw/api/v1/instances?page=3&pageSize=50 HTTP/1.1");
    BOOST_TEST(req.find("Authorization: Bearer oag_t\r\n") != std::string::npos);

    // A value can never add a parameter, end the request line or open a fragment.
    f.status = "running";
    f.cluster_id = "c&page=9 x#y";
    f.provider_id = "p/1";
    build_list_instances_request(req, ep, fixed, f, 0);
    auto line = req.substr(0, req.find("\r\n"));
    BOOST_TEST(line.rfind("GET /gw/api/v1/instances?page=0&pageSize=50&status=running&providerId=p/1&clusterId=c%26page=9%20x%23y HTTP/1.1", 0) == 0);
    BOOST_TEST(line.find('#') == std::string::npos);
    BOOST_TEST(line.find(' ', 4) == line.size() - std::string(" HTTP/1.1").size());
}

BOOST_AUTO_TEST_CASE(list_page_size_must_be_within_the_contract)
{
    std::string detail;
    beeos::list_filter f;
    f.page_size = 0;
    BOOST_TEST(validate_list_filter(f, detail) == beeos::errc::invalid_argument);
    f.page_size = 201;
    BOOST_TEST(validate_list_filter(f, detail) == beeos::errc::invalid_argument);
    BOOST_TEST(detail.find("201") != std::string::npos);
    f.page_size = 200;
    BOOST_TEST(!validate_list_filter(f, detail));
    f.page_size = 1;
    BOOST_TEST(!validate_list_filter(f, detail));
}

BOOST_AUTO_TEST_CASE(request_is_one_buffer_with_the_contract_headers)
{
    auto ep = parse_base_url("https://api.example:8443/p");
    auto fixed = make_fixed_headers(ep, "oag_t", "app/1");
    std::string req;
    build_get_instance_request(req, ep, fixed, "i d");
    BOOST_TEST(req == "GET /p/api/v1/instances/i%20d HTTP/1.1\r\n"
                      "Host: api.example:8443\r\n"
                      "Authorization: Bearer oag_t\r\n"
                      "Accept: application/json\r\n"
                      "User-Agent: app/1 beeos-cpp/" BEEOS_VERSION_STRING "\r\n\r\n");
    auto anonymous = make_fixed_headers(ep, "", "");
    BOOST_TEST(anonymous.find("Authorization") == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
