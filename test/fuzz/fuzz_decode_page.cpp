// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
//
// beeos-fuzz-decode-page: decode_instance_page against the DOM-based reference decoder, plus
// the invariants of a success and of a detail. Input: see split_decoder_input.
#include "fuzz_invariants.hpp"
#include "fuzz_support.hpp"
#include "reference_decoder.hpp"

#include "decode_instance.hpp"

#include <beeos/error.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    using namespace beeos;
    const fuzz::decoder_input in = fuzz::split_decoder_input(data, size);
    const std::string& body = in.body;

    const std::string untouched = "untouched";
    // Outputs that hold something already: the decoder clears them first.
    std::vector<instance> items{fuzz::full_instance(), fuzz::full_instance()};
    std::optional<std::int64_t> total = 99;
    std::string detail = untouched;
    const auto ec = detail::decode_instance_page(body, items, total, detail, in.redact);

    std::vector<instance> expected_items;
    std::optional<std::int64_t> expected_total;
    const fuzz::reference_result ref = fuzz::reference_decode_page(body, expected_items, expected_total, in.redact);
    if (!ref.ok)
    {
        BEEOS_FUZZ_CHECK(ec == errc::decode, body + "\n  expected: " + ref.detail);
        BEEOS_FUZZ_CHECK(detail == ref.detail, body + "\n  got:      " + detail + "\n  expected: " + ref.detail);
        fuzz::check_detail(detail, in.redact);
        return 0;
    }
    BEEOS_FUZZ_CHECK(!ec, body + "\n  got: " + detail);
    BEEOS_FUZZ_CHECK(detail == untouched, body);
    BEEOS_FUZZ_CHECK(total == expected_total, body);
    BEEOS_FUZZ_CHECK(items == expected_items, body);
    for (const instance& i : items)
        fuzz::check_decoded_instance(i, body);
    return 0;
}
