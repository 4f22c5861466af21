// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
//
// beeos-fuzz-timestamp: parse_timestamp never crashes, accepts only the RFC 3339 shape, and
// what it accepts round-trips through format_timestamp. Input: the text.
#include "fuzz_invariants.hpp"
#include "fuzz_support.hpp"

#include <beeos/timestamp.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const std::optional<beeos::timestamp> t = beeos::parse_timestamp(text);
    if (!t)
        return 0;
    const std::string input(text);
    // "YYYY-MM-DDTHH:MM:SS" and a zone at least.
    BEEOS_FUZZ_CHECK(text.size() >= 20, input);
    BEEOS_FUZZ_CHECK(text[4] == '-' && text[7] == '-' && text[13] == ':' && text[16] == ':', input);
    beeos::fuzz::check_round_trip(*t, input);
    // The canonical form is fixed-width and in UTC.
    if (beeos::fuzz::utc_year_in_range(*t))
    {
        const std::string canonical = beeos::format_timestamp(*t);
        BEEOS_FUZZ_CHECK(canonical.size() == 27 && canonical.back() == 'Z', canonical);
    }
    return 0;
}
