// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#include "retry_after.hpp"

#include "digits.hpp"

#include <array>
#include <cstdint>

namespace beeos::detail
{
namespace
{

using namespace std::chrono;

constexpr bool literal_at(std::string_view s, std::size_t pos, std::string_view lit) noexcept
{
    return pos <= s.size() && s.substr(pos, lit.size()) == lit;
}

constexpr std::array<std::string_view, 12> month_names = {
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
constexpr std::array<std::string_view, 7> short_day_names = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
constexpr std::array<std::string_view, 7> long_day_names = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"};

// The month number (1-12) of the three letters at `pos`, or 0.
unsigned read_month(std::string_view s, std::size_t pos) noexcept
{
    for (unsigned i = 0; i != month_names.size(); ++i)
        if (literal_at(s, pos, month_names[i]))
            return i + 1;
    return 0;
}

// `HH:MM:SS` at `pos`. RFC 9110 allows second 60 for a leap second; it is counted as the first
// second of the next minute, which is what a system_clock without leap seconds would show.
bool read_time_of_day(std::string_view s, std::size_t pos, seconds& out) noexcept
{
    int h = 0, m = 0, sec = 0;
    if (!read_digits(s, pos, 2, h) || !literal_at(s, pos + 2, ":") || !read_digits(s, pos + 3, 2, m) || !literal_at(s, pos + 5, ":") ||
        !read_digits(s, pos + 6, 2, sec))
        return false;
    if (h > 23 || m > 59 || sec > 60)
        return false;
    out = hours{h} + minutes{m} + seconds{sec};
    return true;
}

std::optional<sys_seconds> make_time(int y, unsigned mon, int d, seconds tod) noexcept
{
    const year_month_day ymd{year{y}, month{mon}, day{static_cast<unsigned>(d)}};
    if (!ymd.ok())
        return std::nullopt;
    return sys_days{ymd} + tod;
}

// IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT`, exactly 29 bytes.
std::optional<sys_seconds> parse_imf_fixdate(std::string_view s) noexcept
{
    if (s.size() != 29 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' || !literal_at(s, 25, " GMT"))
        return std::nullopt;
    bool day_ok = false;
    for (auto name : short_day_names)
        day_ok = day_ok || literal_at(s, 0, name);
    int d = 0, y = 0;
    seconds tod{};
    const unsigned mon = read_month(s, 8);
    if (!day_ok || mon == 0 || !read_digits(s, 5, 2, d) || !read_digits(s, 12, 4, y) || !read_time_of_day(s, 17, tod))
        return std::nullopt;
    return make_time(y, mon, d, tod);
}

// RFC 850: `Sunday, 06-Nov-94 08:49:37 GMT`.
std::optional<sys_seconds> parse_rfc850(std::string_view s, sys_seconds now) noexcept
{
    std::size_t pos = std::string_view::npos;
    for (auto name : long_day_names)
        if (literal_at(s, 0, name))
            pos = name.size();
    // After the day name: ", DD-Mon-YY HH:MM:SS GMT" is 24 bytes.
    if (pos == std::string_view::npos || s.size() != pos + 24 || !literal_at(s, pos, ", ") || s[pos + 4] != '-' || s[pos + 8] != '-' ||
        s[pos + 11] != ' ' || !literal_at(s, pos + 20, " GMT"))
        return std::nullopt;
    int d = 0, yy = 0;
    seconds tod{};
    const unsigned mon = read_month(s, pos + 5);
    if (mon == 0 || !read_digits(s, pos + 2, 2, d) || !read_digits(s, pos + 9, 2, yy) || !read_time_of_day(s, pos + 12, tod))
        return std::nullopt;

    // RFC 9110: a two-digit year that appears to be more than 50 years in the future is the
    // most recent past year with the same last two digits.
    const int this_year = static_cast<int>(year_month_day{floor<days>(now)}.year());
    int y = this_year - this_year % 100 + yy;
    if (y > this_year + 50)
        y -= 100;
    return make_time(y, mon, d, tod);
}

// asctime: `Sun Nov  6 08:49:37 1994` (day space-padded), exactly 24 bytes.
std::optional<sys_seconds> parse_asctime(std::string_view s) noexcept
{
    if (s.size() != 24 || s[3] != ' ' || s[7] != ' ' || s[10] != ' ' || s[19] != ' ')
        return std::nullopt;
    bool day_ok = false;
    for (auto name : short_day_names)
        day_ok = day_ok || literal_at(s, 0, name);
    int d = 0, y = 0;
    const unsigned mon = read_month(s, 4);
    if (s[8] == ' ')
    {
        if (!read_digits(s, 9, 1, d))
            return std::nullopt;
    }
    else if (!read_digits(s, 8, 2, d))
    {
        return std::nullopt;
    }
    seconds tod{};
    if (!day_ok || mon == 0 || !read_time_of_day(s, 11, tod) || !read_digits(s, 20, 4, y))
        return std::nullopt;
    return make_time(y, mon, d, tod);
}

std::string_view trim_ows(std::string_view s) noexcept
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

}  // namespace

std::optional<seconds> parse_retry_after(std::string_view value, system_clock::time_point now) noexcept
{
    value = trim_ows(value);
    if (value.empty())
        return std::nullopt;

    if (is_digit(value.front()))
    {
        // Saturate while reading: "99999999999999999999999" must clamp, not overflow.
        std::int64_t n = 0;
        for (char c : value)
        {
            if (!is_digit(c))
                return std::nullopt;
            if (n <= max_retry_after.count())
                n = n * 10 + (c - '0');
        }
        return seconds{n < max_retry_after.count() ? n : max_retry_after.count()};
    }

    const sys_seconds now_s = floor<seconds>(now);
    std::optional<sys_seconds> at = parse_imf_fixdate(value);
    if (!at)
        at = parse_rfc850(value, now_s);
    if (!at)
        at = parse_asctime(value);
    if (!at)
        return std::nullopt;

    // at - floor(now) is the wait rounded up, since `at` is a whole second: retrying a fraction
    // of a second before the date the server named would arrive early. Subtracting in seconds
    // also matters: system_clock counts nanoseconds, which overflow for dates after 2262.
    const seconds wait = *at - now_s;
    if (wait <= seconds{0})
        return seconds{0};
    return wait < max_retry_after ? wait : max_retry_after;
}

}  // namespace beeos::detail
