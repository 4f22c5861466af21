// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#ifndef BEEOS_SRC_DIGITS_HPP
#define BEEOS_SRC_DIGITS_HPP

#include <cstddef>
#include <string_view>

namespace beeos::detail {

// Compared by hand rather than with std::isdigit, which depends on the global locale.
constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

// Reads exactly `n` decimal digits of `s` at `pos`; false when `s` is too short or a byte is
// not a digit. Used by the fixed-width date and time parsers.
constexpr bool read_digits(std::string_view s, std::size_t pos, std::size_t n, int& out) noexcept
{
    if (pos > s.size() || s.size() - pos < n)
        return false;
    int v = 0;
    for (std::size_t i = pos; i != pos + n; ++i)
    {
        if (!is_digit(s[i]))
            return false;
        v = v * 10 + (s[i] - '0');
    }
    out = v;
    return true;
}

}  // namespace beeos::detail

#endif
