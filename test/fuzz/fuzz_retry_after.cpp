// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
//
// beeos-fuzz-retry-after: detail::parse_retry_after never crashes and never reports a wait
// below zero or above max_retry_after. Input: 8 bytes of `now` (nanoseconds since the epoch,
// little-endian, any value system_clock can hold), then the header value.
#include "fuzz_support.hpp"

#include "retry_after.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    using namespace std::chrono;
    using beeos::detail::max_retry_after;
    using beeos::detail::parse_retry_after;

    // Without 8 bytes of clock, a time in 2026 so that plain header values are worth a try.
    std::int64_t ns = 1'780'000'000'000'000'000;
    if (size >= 8)
    {
        std::uint64_t raw = 0;
        for (int i = 7; i >= 0; --i)
            raw = raw << 8 | data[i];
        std::memcpy(&ns, &raw, sizeof ns);
        data += 8;
        size -= 8;
    }
    const system_clock::time_point now{duration_cast<system_clock::duration>(nanoseconds{ns})};
    const std::string value(reinterpret_cast<const char*>(data), size);

    const std::optional<seconds> wait = parse_retry_after(value, now);
    if (!wait)
        return 0;
    BEEOS_FUZZ_CHECK(*wait >= seconds{0}, value);
    BEEOS_FUZZ_CHECK(*wait <= max_retry_after, value);
    // Surrounding spaces and tabs do not matter.
    BEEOS_FUZZ_CHECK(parse_retry_after(" \t" + value + "\t ", now) == wait, value);
    return 0;
}
