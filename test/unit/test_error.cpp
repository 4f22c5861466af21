// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#include <beeos/error.hpp>

#include <boost/system/errc.hpp>
#include <boost/asio/error.hpp>
#include "error_mapping.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <set>
#include <stdexcept>
#include <string>

using namespace std::chrono_literals;
using beeos::errc;
using beeos::error_info;
using beeos::format_error;

namespace
{

error_info not_found_info()
{
    error_info info;
    info.id = "inst_1";
    info.http_status = 404;
    info.api_type = "not_found_error";
    info.api_code = "instance_not_found";
    info.message = "no such instance";
    info.request_id = "req_9";
    return info;
}

bool contains(const std::string& s, std::string_view part)
{
    return s.find(part) != std::string::npos;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(error_tests)

BOOST_AUTO_TEST_CASE(what_names_the_call_status_code_and_request_id)
{
    const beeos::error e(errc::not_found, not_found_info());
    BOOST_TEST(
        std::string(e.what()) == R"(beeos: get_instance("inst_1"): not found (HTTP 404, code "instance_not_found", request_id "req_9"): )"
                                 "no such instance"
    );
}

BOOST_AUTO_TEST_CASE(accessors_return_the_info)
{
    error_info info = not_found_info();
    info.retry_after = 30s;
    const beeos::error e(errc::rate_limited, info);
    BOOST_TEST(e.http_status() == 404);
    BOOST_TEST(e.api_code() == "instance_not_found");
    BOOST_TEST(e.request_id() == "req_9");
    BOOST_TEST_REQUIRE(e.retry_after().has_value());
    BOOST_TEST(e.retry_after()->count() == 30);
    BOOST_TEST(e.info().api_type == "not_found_error");
    BOOST_TEST(e.info().id == "inst_1");
    BOOST_TEST(std::string(e.what()) == format_error(errc::rate_limited, info));
    BOOST_TEST(contains(e.what(), "retry after 30s"));
}

BOOST_AUTO_TEST_CASE(code_compares_with_errc)
{
    const beeos::error e(errc::not_found, not_found_info());
    BOOST_TEST((e.code() == errc::not_found));
    BOOST_TEST((e.code() != errc::forbidden));
    BOOST_TEST(e.code().category().name() == std::string("beeos"));

    const boost::system::error_code ec = errc::timeout;  // is_error_code_enum allows this
    BOOST_TEST((ec == beeos::make_error_code(errc::timeout)));
    BOOST_TEST(!!ec);
    BOOST_TEST((ec == boost::system::errc::timed_out));  // the portable condition, as for Asio's timeouts
    BOOST_TEST((ec != boost::system::errc::operation_canceled));
}

// Code written for Asio tests cancellation through its portable condition; a beeos
// cancellation must pass the same test, and nothing else may.
BOOST_AUTO_TEST_CASE(cancelled_is_equivalent_to_asios_operation_aborted)
{
    const boost::system::error_code cancelled = errc::cancelled;
    const boost::system::error_code aborted = boost::asio::error::operation_aborted;
    BOOST_TEST((cancelled == boost::system::errc::operation_canceled));
    BOOST_TEST((cancelled == std::errc::operation_canceled));
    BOOST_TEST((cancelled.default_error_condition() == aborted.default_error_condition()));
    for (auto other : {errc::shut_down, errc::timeout, errc::connection, errc::not_found})
        BOOST_TEST((boost::system::error_code(other) != boost::system::errc::operation_canceled));
    BOOST_TEST((boost::system::error_code(errc::mismatched_response).message() == "response does not match the request"));
}

BOOST_AUTO_TEST_CASE(is_caught_as_system_error)
{
    try
    {
        throw beeos::error(errc::forbidden, error_info{});
    }
    catch (const boost::system::system_error& e)
    {
        BOOST_TEST((e.code() == errc::forbidden));
        return;
    }
    BOOST_FAIL("not caught as system_error");
}

BOOST_AUTO_TEST_CASE(every_errc_has_its_own_message)
{
    std::set<std::string> seen;
    for (int v = static_cast<int>(errc::invalid_argument); v <= static_cast<int>(errc::shut_down); ++v)
    {
        const std::string m = beeos::make_error_code(static_cast<errc>(v)).message();
        BOOST_TEST(!m.empty());
        BOOST_TEST(m != "unknown beeos error", "value " << v);
        BOOST_TEST(seen.insert(m).second, "duplicate message " << m);
    }
    BOOST_TEST(beeos::make_error_code(static_cast<errc>(999)).message() == "unknown beeos error");
    BOOST_TEST(beeos::make_error_code(errc::decode).message() == "response does not match the API contract");
}

BOOST_AUTO_TEST_CASE(control_characters_in_server_text_are_replaced)
{
    error_info info = not_found_info();
    info.message = "line one\nFAKE LOG LINE\r\x1b[31mred\x7f\t!";
    info.api_code = "bad\ncode";
    info.request_id = "req\r\n9";
    const std::string what = beeos::error(errc::not_found, info).what();
    BOOST_TEST(what.find_first_of("\n\r\x1b\x7f\t") == std::string::npos, what);
    BOOST_TEST(contains(what, "line one FAKE LOG LINE  [31mred  !"), what);
    BOOST_TEST(contains(what, R"(code "bad code")"), what);
    BOOST_TEST(contains(what, R"(request_id "req  9")"), what);
}

BOOST_AUTO_TEST_CASE(long_server_text_is_truncated)
{
    error_info info = not_found_info();
    info.message = std::string(300, 'm') + "TAIL";
    info.api_code = std::string(128, 'c') + "TAIL";
    info.id = std::string(140, 'i') + "TAIL";
    const std::string what = format_error(errc::not_found, info);
    BOOST_TEST(!contains(what, "TAIL"), what);
    BOOST_TEST(contains(what, std::string(300, 'm') + "..."));
    BOOST_TEST(contains(what, "\"" + std::string(128, 'c') + "...\""));
    BOOST_TEST(contains(what, "get_instance(\"" + std::string(140, 'i') + "...\")"));
    BOOST_TEST(what.size() < 1000);

    // At the limit exactly, nothing is cut and no ellipsis is added.
    info.message = std::string(300, 'm');
    const std::string exact = format_error(errc::not_found, info);
    BOOST_TEST(exact.size() >= 300);
    BOOST_TEST(exact.substr(exact.size() - 300) == std::string(300, 'm'));
}

BOOST_AUTO_TEST_CASE(no_response_is_said_when_no_status_arrived)
{
    error_info info;
    info.id = "inst_1";
    info.cause = make_error_code(boost::system::errc::connection_refused);
    const std::string what = format_error(errc::connection, info);
    BOOST_TEST(contains(what, "get_instance(\"inst_1\"): connection failed (no HTTP status received)"), what);
    BOOST_TEST(contains(what, "[generic: "), what);

    // Caller-side failures involve no server at all.
    info = error_info{};
    info.detail = "id is empty";
    BOOST_TEST(format_error(errc::invalid_argument, info) == R"(beeos: get_instance(""): invalid argument: id is empty)");
    BOOST_TEST(format_error(errc::cancelled, error_info{}) == R"(beeos: get_instance(""): cancelled)");
}

BOOST_AUTO_TEST_CASE(detail_and_server_message_are_kept_apart)
{
    error_info info;
    info.id = "inst_1";
    info.http_status = 200;
    info.detail = "data.totalRunSeconds: expected an integer, got a string";
    const std::string decode_what = format_error(errc::decode, info);
    BOOST_TEST(
        decode_what ==
        "beeos: get_instance(\"inst_1\"): response does not match the API contract (HTTP 200): "
        "data.totalRunSeconds: expected an integer, got a string"
    );

    info.http_status = 500;
    info.message = "boom";
    BOOST_TEST(contains(format_error(errc::server_error, info), "got a string; server says: boom"));
}

BOOST_AUTO_TEST_CASE(clear_resets_everything)
{
    error_info info = not_found_info();
    info.retry_after = 5s;
    info.cause = make_error_code(boost::system::errc::timed_out);
    info.detail = "x";
    info.clear();
    BOOST_TEST(info.id.empty());
    BOOST_TEST(info.http_status == 0);
    BOOST_TEST(info.api_code.empty());
    BOOST_TEST(info.request_id.empty());
    BOOST_TEST(!info.retry_after.has_value());
    BOOST_TEST(info.detail.empty());
    BOOST_TEST(!info.cause);
}

BOOST_AUTO_TEST_SUITE_END()

// Found by review: a secret that occurs inside "[redacted]" itself made the scrub loop forever.
BOOST_AUTO_TEST_CASE(scrubbing_ends_for_a_secret_inside_its_own_mark)
{
    for (std::string_view secret : {"red", "redacted", "act", "[", "]", "e"})
    {
        std::string text = "a red redacted [x] token";
        beeos::detail::scrub_secret(text, secret);
        BOOST_TEST(text.find("[redacted]") != std::string::npos, secret);
    }
}
