// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
//
// beeos-fuzz-decode-instance: decode_instance_envelope against a DOM-based reference decoder
// written from its documented rules, plus the invariants of a success and of a detail.
// Input: see split_decoder_input (a token to redact, then the body).
#include "fuzz_invariants.hpp"
#include "fuzz_support.hpp"
#include "reference_decoder.hpp"

#include "decode_instance.hpp"

#include <beeos/error.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    using namespace beeos;
    const fuzz::decoder_input in = fuzz::split_decoder_input(data, size);
    const std::string& body = in.body;

    const std::string untouched = "untouched";
    instance out;
    std::string detail = untouched;
    const auto ec = detail::decode_instance_envelope(body, out, detail, in.redact);

    // Into an instance with every member set: the result must not depend on what was there.
    instance reused = fuzz::full_instance();
    std::string reused_detail = untouched;
    const auto reused_ec = detail::decode_instance_envelope(body, reused, reused_detail, in.redact);
    BEEOS_FUZZ_CHECK(reused_ec == ec, body);
    BEEOS_FUZZ_CHECK(reused_detail == detail, body);
    if (!ec)
        BEEOS_FUZZ_CHECK(reused == out, body);

    instance expected;
    const fuzz::reference_result ref = fuzz::reference_decode_envelope(body, expected, in.redact);
    if (!ref.ok)
    {
        BEEOS_FUZZ_CHECK(ec == errc::decode, body + "\n  expected: " + ref.detail);
        BEEOS_FUZZ_CHECK(detail == ref.detail, body + "\n  got:      " + detail + "\n  expected: " + ref.detail);
        fuzz::check_detail(detail, in.redact);
        return 0;
    }
    BEEOS_FUZZ_CHECK(!ec, body + "\n  got: " + detail);
    BEEOS_FUZZ_CHECK(detail == untouched, body);
    BEEOS_FUZZ_CHECK(out == expected, body);
    fuzz::check_decoded_instance(out, body);
    return 0;
}
