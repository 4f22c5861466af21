// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
//
// beeos-fuzz-error-envelope: decode_error_envelope against boost::json::parse and the lookups
// its documentation describes. Input: the body.
#include "fuzz_support.hpp"

#include "decode_instance.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    namespace json = boost::json;
    const std::string body(reinterpret_cast<const char*>(data), size);

    beeos::detail::api_error_body got{"stale", "stale", "stale", "stale"};
    const bool ok = beeos::detail::decode_error_envelope(body, got);

    beeos::detail::api_error_body expected;
    bool expected_ok = false;
    boost::system::error_code ec;
    const json::value root = json::parse(body, ec);
    if (!ec && root.is_object())
        if (const json::value* err = root.get_object().if_contains("error"); err && err->is_object())
        {
            expected_ok = true;
            auto copy = [err](std::string_view key, std::string& to)
            {
                if (const json::value* v = err->get_object().if_contains(key); v && v->is_string())
                    to.assign(v->get_string().data(), v->get_string().size());
            };
            copy("type", expected.type);
            copy("code", expected.code);
            copy("message", expected.message);
            copy("request_id", expected.request_id);
        }

    BEEOS_FUZZ_CHECK(ok == expected_ok, body);
    BEEOS_FUZZ_CHECK(got.type == expected.type, body);
    BEEOS_FUZZ_CHECK(got.code == expected.code, body);
    BEEOS_FUZZ_CHECK(got.message == expected.message, body);
    BEEOS_FUZZ_CHECK(got.request_id == expected.request_id, body);
    return 0;
}
