// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#include <beeos/timestamp.hpp>

#include "digits.hpp"

#include <charconv>
#include <cstdint>

namespace beeos
{
namespace
{

using detail::is_digit;
using detail::read_digits;

void put2(char* p, unsigned v) noexcept
{
    p[0] = static_cast<char>('0' + v / 10);
    p[1] = static_cast<char>('0' + v % 10);
}

}  // namespace

std::optional<timestamp> parse_timestamp(std::string_view s) noexcept
{
    using namespace std::chrono;

    // "YYYY-MM-DDTHH:MM:SS" then at least one character of zone.
    constexpr std::size_t fixed_len = 19;
    if (s.size() < fixed_len + 1)
        return std::nullopt;

    int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
    if (!read_digits(s, 0, 4, y) || s[4] != '-' || !read_digits(s, 5, 2, mo) || s[7] != '-' || !read_digits(s, 8, 2, d))
        return std::nullopt;
    // RFC 3339 section 5.6 allows a space for readability; some Go and SQL encoders emit it.
    if (s[10] != 'T' && s[10] != 't' && s[10] != ' ')
        return std::nullopt;
    if (!read_digits(s, 11, 2, h) || s[13] != ':' || !read_digits(s, 14, 2, mi) || s[16] != ':' || !read_digits(s, 17, 2, sec))
        return std::nullopt;

    std::size_t pos = fixed_len;
    std::int64_t micros = 0;
    if (s[pos] == '.')
    {
        const std::size_t first = ++pos;
        while (pos < s.size() && is_digit(s[pos]))
        {
            // Digits past the sixth are validated but dropped: truncation, not rounding, so a
            // time never moves into the next second (or day).
            if (pos - first < 6)
                micros = micros * 10 + (s[pos] - '0');
            ++pos;
        }
        const std::size_t n = pos - first;
        if (n == 0 || n > 9)
            return std::nullopt;
        for (std::size_t i = n; i < 6; ++i)
            micros *= 10;
    }

    if (pos == s.size())
        return std::nullopt;
    minutes offset{0};
    const char zone = s[pos];
    if (zone == 'Z' || zone == 'z')
    {
        ++pos;
    }
    else if (zone == '+' || zone == '-')
    {
        int oh = 0, om = 0;
        if (s.size() - pos < 6 || !read_digits(s, pos + 1, 2, oh) || s[pos + 3] != ':' || !read_digits(s, pos + 4, 2, om) || oh > 23 ||
            om > 59)
            return std::nullopt;
        offset = hours{oh} + minutes{om};
        if (zone == '-')
            offset = -offset;
        pos += 6;
    }
    else
    {
        return std::nullopt;
    }
    if (pos != s.size())
        return std::nullopt;

    // Year 0000 is legal RFC 3339 but not a year the API (or Go's zero time) produces; rejecting
    // it keeps every accepted date inside the proleptic Gregorian years 0001-9999.
    // Second 60 (leap second) is rejected as Go's time.Parse does: the server never sends it.
    if (y < 1 || h > 23 || mi > 59 || sec > 59)
        return std::nullopt;
    const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
    if (!ymd.ok())
        return std::nullopt;

    // Subtracting the offset converts local time to UTC: 10:00+02:00 is 08:00Z. An offset can
    // carry the first or last hours of the range into year 0000 or 10000: those are refused
    // too, so that every accepted time formats back (format_timestamp writes four digits).
    const timestamp t = timestamp{sys_days{ymd}} + hours{h} + minutes{mi} + seconds{sec} + microseconds{micros} - offset;
    constexpr auto first = sys_days{year{1} / January / 1};
    constexpr auto after_last = sys_days{year{10000} / January / 1};
    if (t < first || t >= after_last)
        return std::nullopt;
    return t;
}

std::string format_timestamp(timestamp t)
{
    using namespace std::chrono;

    // floor, not duration_cast: times before 1970 must land in the previous day, not in the
    // next one with a negative time of day.
    const auto day_start = floor<days>(t);
    const year_month_day ymd{day_start};
    const hh_mm_ss<microseconds> tod{t - day_start};

    // The sign and extra digits only matter outside 0001-9999, which the parser never yields.
    char buf[48];
    char* p = buf;
    int y = static_cast<int>(ymd.year());
    if (y < 0)
    {
        *p++ = '-';
        y = -y;
    }
    for (int scale = 1000; scale > 1 && y < scale; scale /= 10)
        *p++ = '0';
    p = std::to_chars(p, buf + sizeof buf, y).ptr;

    *p++ = '-';
    put2(p, static_cast<unsigned>(ymd.month()));
    p += 2;
    *p++ = '-';
    put2(p, static_cast<unsigned>(ymd.day()));
    p += 2;
    *p++ = 'T';
    put2(p, static_cast<unsigned>(tod.hours().count()));
    p += 2;
    *p++ = ':';
    put2(p, static_cast<unsigned>(tod.minutes().count()));
    p += 2;
    *p++ = ':';
    put2(p, static_cast<unsigned>(tod.seconds().count()));
    p += 2;
    *p++ = '.';
    auto us = static_cast<unsigned long>(tod.subseconds().count());
    for (int i = 5; i >= 0; --i)
    {
        p[i] = static_cast<char>('0' + us % 10);
        us /= 10;
    }
    p += 6;
    *p++ = 'Z';
    return std::string(buf, p);
}

}  // namespace beeos
