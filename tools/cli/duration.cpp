// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#include "duration.hpp"

#include <cstdint>
#include <stdexcept>

namespace beeos::cli
{

namespace
{

constexpr std::int64_t max_us = std::int64_t{30} * 24 * 3600 * 1'000'000;

[[noreturn]] void reject(std::string_view text, std::string_view why)
{
    throw std::invalid_argument(
        "invalid duration '" + std::string(text) + "': " + std::string(why) +
        " (expected a number and a unit ms, s, m or h, e.g. 500ms, 30s, 5m, 1h30m)"
    );
}

bool is_digit(char c) noexcept
{
    return c >= '0' && c <= '9';
}

}  // namespace

std::chrono::milliseconds parse_duration(std::string_view text)
{
    if (text.empty())
        reject(text, "empty");
    std::int64_t total_us = 0;
    std::size_t i = 0;
    while (i < text.size())
    {
        // Whole and fractional parts are kept as integers (microseconds at the end), so
        // `0.1s` is exactly 100 ms, not 99.999...
        std::int64_t whole = 0;
        std::size_t digits = 0;
        for (; i < text.size() && is_digit(text[i]); ++i, ++digits)
        {
            whole = whole * 10 + (text[i] - '0');
            if (whole > max_us)
                reject(text, "too long");
        }
        std::int64_t frac = 0;
        std::int64_t frac_scale = 1;
        if (i < text.size() && text[i] == '.')
        {
            ++i;
            for (; i < text.size() && is_digit(text[i]); ++i, ++digits)
                if (frac_scale < 1'000'000'000)  // further digits are below a nanosecond
                {
                    frac = frac * 10 + (text[i] - '0');
                    frac_scale *= 10;
                }
        }
        if (digits == 0)
            reject(text, "a number must come before each unit");
        std::size_t unit_at = i;
        while (i < text.size() && !is_digit(text[i]) && text[i] != '.')
            ++i;
        std::string_view unit = text.substr(unit_at, i - unit_at);
        std::int64_t unit_us = 0;
        if (unit == "ms")
            unit_us = 1'000;
        else if (unit == "s")
            unit_us = 1'000'000;
        else if (unit == "m")
            unit_us = 60'000'000;
        else if (unit == "h")
            unit_us = 3'600'000'000;
        else if (unit.empty())
            reject(text, "a unit is missing");
        else
            reject(text, "unknown unit '" + std::string(unit) + "'");
        if (whole > max_us / unit_us)
            reject(text, "too long");
        total_us += whole * unit_us + frac * unit_us / frac_scale;
        if (total_us > max_us)
            reject(text, "longer than 30 days");
    }
    if (total_us < 1'000)
        reject(text, "shorter than 1ms");
    return std::chrono::milliseconds(total_us / 1'000);
}

std::string format_duration(std::chrono::milliseconds d)
{
    std::int64_t ms = d.count();
    if (ms == 0)
        return "0s";
    std::string out;
    if (ms < 0)
    {
        out += '-';
        ms = -ms;
    }
    auto term = [&](std::int64_t unit, std::string_view name)
    {
        if (ms >= unit)
        {
            out += std::to_string(ms / unit);
            out += name;
            ms %= unit;
        }
    };
    term(3'600'000, "h");
    term(60'000, "m");
    term(1'000, "s");
    term(1, "ms");
    return out;
}

}  // namespace beeos::cli
