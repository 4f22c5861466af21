// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#include "print_timestamp.hpp"

#include <beeos/timestamp.hpp>

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <optional>
#include <ostream>
#include <string>

using namespace std::chrono;
using namespace std::chrono_literals;
using beeos::format_timestamp;
using beeos::parse_timestamp;
using beeos::timestamp;

namespace
{

// Built from calendar fields with <chrono>, independently of the parser.
timestamp at(year_month_day ymd, microseconds since_midnight = 0us)
{
    return sys_days{ymd} + since_midnight;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(timestamp_tests)

BOOST_AUTO_TEST_CASE(utc_with_microseconds)
{
    BOOST_TEST(parse_timestamp("2026-05-14T18:02:11.482913Z") == at(2026y / 5 / 14, 18h + 2min + 11s + 482913us));
}

BOOST_AUTO_TEST_CASE(no_fraction)
{
    BOOST_TEST(parse_timestamp("2026-03-02T09:15:42Z") == at(2026y / 3 / 2, 9h + 15min + 42s));
    BOOST_TEST(parse_timestamp("1970-01-01T00:00:00Z") == timestamp{});
}

BOOST_AUTO_TEST_CASE(lower_case_z_and_t_and_space)
{
    const auto expected = at(2026y / 5 / 14, 18h + 2min + 11s);
    BOOST_TEST(parse_timestamp("2026-05-14T18:02:11z") == expected);
    BOOST_TEST(parse_timestamp("2026-05-14t18:02:11Z") == expected);
    BOOST_TEST(parse_timestamp("2026-05-14t18:02:11z") == expected);
    BOOST_TEST(parse_timestamp("2026-05-14 18:02:11Z") == expected);
}

BOOST_AUTO_TEST_CASE(fraction_lengths_are_scaled_and_truncated)
{
    const auto base = at(2026y / 5 / 14, 18h + 2min + 11s);
    BOOST_TEST(parse_timestamp("2026-05-14T18:02:11.1Z") == base + 100000us);
    BOOST_TEST(parse_timestamp("2026-05-14T18:02:11.12Z") == base + 120000us);
    BOOST_TEST(parse_timestamp("2026-05-14T18:02:11.123Z") == base + 123000us);
    BOOST_TEST(parse_timestamp("2026-05-14T18:02:11.1234Z") == base + 123400us);
    BOOST_TEST(parse_timestamp("2026-05-14T18:02:11.12345Z") == base + 123450us);
    BOOST_TEST(parse_timestamp("2026-05-14T18:02:11.123456Z") == base + 123456us);
    // Truncated, never rounded: .9999999 must not become the next second.
    BOOST_TEST(parse_timestamp("2026-05-14T18:02:11.1234567Z") == base + 123456us);
    BOOST_TEST(parse_timestamp("2026-05-14T18:02:11.12345678Z") == base + 123456us);
    BOOST_TEST(parse_timestamp("2026-05-14T18:02:11.123456789Z") == base + 123456us);
    BOOST_TEST(parse_timestamp("2026-05-14T18:02:11.999999999Z") == base + 999999us);
    BOOST_TEST(parse_timestamp("2026-05-14T18:02:11.000001Z") == base + 1us);
    BOOST_TEST(parse_timestamp("2026-05-14T18:02:11.0Z") == base);
}

BOOST_AUTO_TEST_CASE(offsets_are_converted_to_utc)
{
    const auto expected = at(2026y / 5 / 14, 18h + 2min + 11s + 500000us);
    BOOST_TEST(parse_timestamp("2026-05-14T20:02:11.5+02:00") == expected);
    BOOST_TEST(parse_timestamp("2026-05-14T13:32:11.5-04:30") == expected);
    BOOST_TEST(parse_timestamp("2026-05-14T18:02:11.5+00:00") == expected);
    BOOST_TEST(parse_timestamp("2026-05-14T18:02:11.5-00:00") == expected);
    // Offsets move the date across day, month and year boundaries.
    BOOST_TEST(parse_timestamp("2026-01-01T01:00:00+03:00") == at(2025y / 12 / 31, 22h));
    BOOST_TEST(parse_timestamp("2025-12-31T22:30:00-23:59") == at(2026y / 1 / 1, 22h + 29min));
    BOOST_TEST(parse_timestamp("2026-05-14T00:00:00+23:59") == at(2026y / 5 / 13, 1min));
}

BOOST_AUTO_TEST_CASE(go_zero_time_is_that_instant)
{
    const auto zero = parse_timestamp("0001-01-01T00:00:00Z");
    BOOST_TEST(zero == at(1y / 1 / 1));
    BOOST_REQUIRE(zero);
    // 719162 days from 0001-01-01 to 1970-01-01 in the proleptic Gregorian calendar.
    BOOST_TEST(zero->time_since_epoch() == duration_cast<microseconds>(days{-719162}));
    BOOST_TEST(format_timestamp(*zero) == "0001-01-01T00:00:00.000000Z");
}

BOOST_AUTO_TEST_CASE(year_range)
{
    BOOST_TEST(parse_timestamp("9999-12-31T23:59:59.999999Z") == at(9999y / 12 / 31, 23h + 59min + 59s + 999999us));
    BOOST_TEST(format_timestamp(*parse_timestamp("9999-12-31T23:59:59.999999Z")) == "9999-12-31T23:59:59.999999Z");
    BOOST_TEST(!parse_timestamp("0000-01-01T00:00:00Z"));
    BOOST_TEST(!parse_timestamp("10000-01-01T00:00:00Z"));
    BOOST_TEST(!parse_timestamp("-001-01-01T00:00:00Z"));
}

BOOST_AUTO_TEST_CASE(leap_days)
{
    BOOST_TEST(parse_timestamp("2024-02-29T12:00:00Z") == at(2024y / 2 / 29, 12h));
    BOOST_TEST(parse_timestamp("2000-02-29T00:00:00Z") == at(2000y / 2 / 29));
    BOOST_TEST(!parse_timestamp("2023-02-29T12:00:00Z"));
    BOOST_TEST(!parse_timestamp("1900-02-29T00:00:00Z"));  // divisible by 100, not by 400
    BOOST_TEST(!parse_timestamp("2024-02-30T00:00:00Z"));
}

BOOST_AUTO_TEST_CASE(field_ranges)
{
    BOOST_TEST(parse_timestamp("2026-12-31T23:59:59Z") == at(2026y / 12 / 31, 23h + 59min + 59s));
    BOOST_TEST(!parse_timestamp("2026-00-10T00:00:00Z"));
    BOOST_TEST(!parse_timestamp("2026-13-10T00:00:00Z"));
    BOOST_TEST(!parse_timestamp("2026-01-00T00:00:00Z"));
    BOOST_TEST(!parse_timestamp("2026-01-32T00:00:00Z"));
    BOOST_TEST(!parse_timestamp("2026-04-31T00:00:00Z"));
    BOOST_TEST(!parse_timestamp("2026-01-10T24:00:00Z"));
    BOOST_TEST(!parse_timestamp("2026-01-10T00:60:00Z"));
    BOOST_TEST(!parse_timestamp("2026-01-10T00:00:60Z"));
    BOOST_TEST(!parse_timestamp("2026-01-10T00:00:00+24:00"));
    BOOST_TEST(!parse_timestamp("2026-01-10T00:00:00+01:60"));
}

BOOST_AUTO_TEST_CASE(bad_forms_are_rejected)
{
    const char* bad[] = {
        "",
        "2026-05-14",
        "2026-05-14T18:02:11",              // no zone
        "2026-05-14T18:02Z",                // no seconds
        "2026-05-14T18:02:11.Z",            // empty fraction
        "2026-05-14T18:02:11.1234567890Z",  // ten fraction digits
        "2026-05-14T18:02:11,5Z",           // comma fraction
        "2026-5-14T18:02:11Z",              // unpadded month
        "2026-05-14T8:02:11Z",
        "26-05-14T18:02:11Z",
        "2026/05/14T18:02:11Z",
        "2026-05-14X18:02:11Z",
        "2026-05-14  18:02:11Z",
        "2026-05-14T18:02:11ZZ",
        "2026-05-14T18:02:11Z ",
        " 2026-05-14T18:02:11Z",
        "2026-05-14T18:02:11+0200",  // offset without colon
        "2026-05-14T18:02:11+02",
        "2026-05-14T18:02:11+2:00",
        "2026-05-14T18:02:11+02:00:00",
        "2026-05-14T18:02:11UTC",
        "2026-05-14T18:02:11GMT",
        "2026-05-14T18:02:11.5",
        "2026-0a-14T18:02:11Z",
        "2026-05-14T18:02:1aZ",
        "2026-05-14T18:02:11.12a4Z",
        "+2026-05-14T18:02:11Z",
        "2026-05-14T18:02:11Z\n",
        "1747245740",
    };
    for (const char* s : bad)
        BOOST_TEST(!parse_timestamp(s), "accepted: \"" << s << '"');
    // An embedded NUL must not end the parse early.
    BOOST_TEST(!parse_timestamp(std::string_view("2026-05-14T18:02:11Z\0junk", 25)));
}

BOOST_AUTO_TEST_CASE(format_pads_every_field)
{
    BOOST_TEST(format_timestamp(at(2026y / 5 / 14, 18h + 2min + 11s + 482913us)) == "2026-05-14T18:02:11.482913Z");
    BOOST_TEST(format_timestamp(at(2026y / 1 / 2, 3h + 4min + 5s + 6us)) == "2026-01-02T03:04:05.000006Z");
    BOOST_TEST(format_timestamp(timestamp{}) == "1970-01-01T00:00:00.000000Z");
    BOOST_TEST(format_timestamp(at(987y / 6 / 7)) == "0987-06-07T00:00:00.000000Z");
    // Before the epoch the time of day must still be positive.
    BOOST_TEST(format_timestamp(timestamp{} - 1us) == "1969-12-31T23:59:59.999999Z");
}

BOOST_AUTO_TEST_CASE(format_then_parse_round_trips)
{
    for (auto t :
         {at(2026y / 5 / 14, 18h + 2min + 11s + 482913us),
          at(1y / 1 / 1),
          at(2024y / 2 / 29, 23h + 59min),
          at(1969y / 7 / 20, 20h + 17min + 40s + 1us)})
        BOOST_TEST(parse_timestamp(format_timestamp(t)) == t);
}

BOOST_AUTO_TEST_SUITE_END()
