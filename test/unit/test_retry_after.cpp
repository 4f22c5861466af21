// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#include "retry_after.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <optional>
#include <ostream>
#include <string>

using namespace std::chrono;
using namespace std::chrono_literals;
using beeos::detail::max_retry_after;
using beeos::detail::parse_retry_after;

template <>
struct boost::test_tools::tt_detail::print_log_value<std::optional<seconds>>
{
    void operator()(std::ostream& os, const std::optional<seconds>& s)
    {
        if (s)
            os << s->count() << "s";
        else
            os << "nullopt";
    }
};

namespace
{

// Thursday 2026-05-14 12:00:00.5 UTC. The half second checks that waits round up.
const system_clock::time_point now = sys_days{2026y / 5 / 14} + 12h + 500ms;

// What a rejected value gives; a named optional so that BOOST_TEST can print it.
const std::optional<seconds> rejected;

std::optional<seconds> parse(std::string_view v)
{
    return parse_retry_after(v, now);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(retry_after_tests)

BOOST_AUTO_TEST_CASE(delta_seconds)
{
    BOOST_TEST(parse("0") == std::optional<seconds>(0s));
    BOOST_TEST(parse("1") == std::optional<seconds>(1s));
    BOOST_TEST(parse("120") == std::optional<seconds>(120s));
    BOOST_TEST(parse("007") == std::optional<seconds>(7s));
    BOOST_TEST(parse(" \t30 \t") == std::optional<seconds>(30s));
}

BOOST_AUTO_TEST_CASE(delta_seconds_are_capped)
{
    BOOST_TEST(max_retry_after == 24h);
    BOOST_TEST(parse("86399") == std::optional<seconds>(86399s));
    BOOST_TEST(parse("86400") == std::optional<seconds>(86400s));
    BOOST_TEST(parse("86401") == std::optional<seconds>(max_retry_after));
    BOOST_TEST(parse("9223372036854775807") == std::optional<seconds>(max_retry_after));
    BOOST_TEST(parse("99999999999999999999999999999999999999") == std::optional<seconds>(max_retry_after));
}

BOOST_AUTO_TEST_CASE(imf_fixdate)
{
    // 12:01:00 is 59.5 s after `now`: rounded up to 60.
    BOOST_TEST(parse("Thu, 14 May 2026 12:01:00 GMT") == std::optional<seconds>(60s));
    BOOST_TEST(parse("Fri, 15 May 2026 11:00:00 GMT") == std::optional<seconds>(23h));
    BOOST_TEST(parse("Fri, 15 May 2026 12:00:00 GMT") == std::optional<seconds>(24h));
    BOOST_TEST(parse("Sun, 01 Jan 2027 00:00:00 GMT") == std::optional<seconds>(max_retry_after));
    // Year 9999 must clamp, not overflow a nanosecond clock (UBSan checks this).
    BOOST_TEST(parse("Fri, 31 Dec 9999 23:59:59 GMT") == std::optional<seconds>(max_retry_after));
    // Leap second: the first second of the next minute.
    BOOST_TEST(parse("Thu, 14 May 2026 12:00:60 GMT") == std::optional<seconds>(60s));
    // Leap day.
    BOOST_TEST(parse("Thu, 29 Feb 2024 00:00:00 GMT") == std::optional<seconds>(0s));
    // The day name is checked for spelling, not against the date.
    BOOST_TEST(parse("Mon, 14 May 2026 12:01:00 GMT") == std::optional<seconds>(60s));
}

BOOST_AUTO_TEST_CASE(dates_in_the_past_give_zero)
{
    BOOST_TEST(parse("Sun, 06 Nov 1994 08:49:37 GMT") == std::optional<seconds>(0s));
    BOOST_TEST(parse("Thu, 14 May 2026 11:59:59 GMT") == std::optional<seconds>(0s));
    // Half a second before `now`.
    BOOST_TEST(parse("Thu, 14 May 2026 12:00:00 GMT") == std::optional<seconds>(0s));
}

BOOST_AUTO_TEST_CASE(rfc850_date)
{
    BOOST_TEST(parse("Thursday, 14-May-26 12:01:00 GMT") == std::optional<seconds>(60s));
    BOOST_TEST(parse("Sunday, 06-Nov-94 08:49:37 GMT") == std::optional<seconds>(0s));
    BOOST_TEST(parse("Wednesday, 13-May-26 12:00:00 GMT") == std::optional<seconds>(0s));
    // Two-digit years: up to 50 years ahead is this century (2076), beyond is the last (1977).
    BOOST_TEST(parse("Saturday, 14-May-76 12:00:00 GMT") == std::optional<seconds>(max_retry_after));
    BOOST_TEST(parse("Friday, 14-May-77 12:00:00 GMT") == std::optional<seconds>(0s));
    BOOST_TEST(parse("Monday, 29-Feb-27 12:00:00 GMT") == rejected);  // 2027 is not a leap year
}

BOOST_AUTO_TEST_CASE(asctime_date)
{
    BOOST_TEST(parse("Thu May 14 12:01:00 2026") == std::optional<seconds>(60s));
    BOOST_TEST(parse("Sun Nov  6 08:49:37 1994") == std::optional<seconds>(0s));
    BOOST_TEST(parse("Fri May 15 11:00:00 2026") == std::optional<seconds>(23h));
    // Single-digit day, space padded.
    BOOST_TEST(parse("Mon Jun  1 12:00:00 2026") == std::optional<seconds>(max_retry_after));
    BOOST_TEST(parse("Sun Nov 6 08:49:37 1994") == rejected);
    BOOST_TEST(parse("Sun Nov 06 08:49:37 1994") == std::optional<seconds>(0s));
}

BOOST_AUTO_TEST_CASE(garbage_is_rejected)
{
    const char* bad[] = {
        "",
        "   ",
        "-1",
        "+5",
        "1.5",
        "12a",
        "0x10",
        "1 2",
        "1e3",
        "soon",
        "\xd9\xa3",  // ARABIC-INDIC DIGIT THREE: not an ASCII digit
        "Thu, 14 May 2026 12:01:00 UTC",
        "Thu, 14 May 2026 12:01:00",
        "Thu, 14 May 2026 12:01:00 GMT+1",
        "thu, 14 may 2026 12:01:00 gmt",  // HTTP-date is case-sensitive
        "Thx, 14 May 2026 12:01:00 GMT",
        "Thu, 14 Mai 2026 12:01:00 GMT",
        "Thu, 4 May 2026 12:01:00 GMT",
        "Thu 14 May 2026 12:01:00 GMT",
        "Thu, 30 Feb 2026 12:01:00 GMT",
        "Thu, 31 Apr 2026 12:01:00 GMT",
        "Thu, 00 May 2026 12:01:00 GMT",
        "Thu, 14 May 2026 24:00:00 GMT",
        "Thu, 14 May 2026 12:60:00 GMT",
        "Thu, 14 May 2026 12:00:61 GMT",
        "Thu, 14 May 2026 1:01:00 GMT",
        "Thu, 14 May 26 12:01:00 GMT",
        "Thursday, 14-May-2026 12:01:00 GMT",
        "Thurs, 14-May-26 12:01:00 GMT",
        "Thu, 14-May-26 12:01:00 GMT",
        "Thursday, 14 May 26 12:01:00 GMT",
        "Thu May 14 12:01:00 26",
        "Thu May 14 12:01:00 2026 GMT",
        "2026-05-14T12:01:00Z",
        "Thu, 14 May 2026 12:01:00 GMT, Thu, 14 May 2026 12:02:00 GMT",
    };
    for (const char* v : bad)
        BOOST_TEST(parse(v) == rejected, "accepted: \"" << v << '"');
    // An embedded NUL is not whitespace and not a digit.
    BOOST_TEST(parse(std::string_view("12\0", 3)) == rejected);
}

BOOST_AUTO_TEST_CASE(now_is_honoured)
{
    // The same date, seen from two moments.
    const auto date = "Thu, 14 May 2026 12:01:00 GMT";
    BOOST_TEST(parse_retry_after(date, sys_days{2026y / 5 / 14} + 11h + 59min) == std::optional<seconds>(120s));
    BOOST_TEST(parse_retry_after(date, sys_days{2026y / 5 / 14} + 12h + 1min) == std::optional<seconds>(0s));
    BOOST_TEST(parse_retry_after(date, sys_days{2026y / 5 / 14} + 12h + 2min) == std::optional<seconds>(0s));
}

BOOST_AUTO_TEST_SUITE_END()
