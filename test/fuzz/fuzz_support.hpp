// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#ifndef BEEOS_TEST_FUZZ_FUZZ_SUPPORT_HPP
#define BEEOS_TEST_FUZZ_FUZZ_SUPPORT_HPP

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace beeos::fuzz
{

/// Reports a broken invariant and aborts, which libFuzzer records as a crash with its input.
[[noreturn]] inline void fail(const char* file, int line, const char* what, std::string_view context)
{
    std::fprintf(stderr, "%s:%d: invariant broken: %s\n  %.*s\n", file, line, what, static_cast<int>(context.size()), context.data());
    std::abort();
}

/// The input of the decoder targets: a token to redact, then the body.
///   - byte 0: the token's length after its `oag_` prefix, modulo 32; 0 means no token;
///   - that many bytes, each mapped into [A-Za-z0-9_-], the alphabet of bearer tokens: no JSON or
///     quoting character can then make the token appear in a detail by itself;
///   - the rest is the body, in which every `$T` becomes the token, so the fuzzer can place it
///     in any value (at any distance from the 40-byte cut of a quoted value) cheaply.
struct decoder_input
{
    std::string redact;
    std::string body;
};

inline decoder_input split_decoder_input(const std::uint8_t* data, std::size_t size)
{
    static constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
    decoder_input in;
    if (size == 0)
        return in;
    std::size_t n = data[0] % 32;
    if (n > size - 1)
        n = size - 1;
    if (n > 0)
    {
        in.redact = "oag_";
        for (std::size_t i = 1; i <= n; ++i)
            in.redact += alphabet[data[i] & 63];
    }
    const std::string_view rest(reinterpret_cast<const char*>(data) + 1 + n, size - 1 - n);
    if (in.redact.empty())
    {
        in.body.assign(rest);
        return in;
    }
    for (std::size_t pos = 0;;)
    {
        const std::size_t hit = rest.find("$T", pos);
        in.body.append(rest.substr(pos, hit - pos));
        if (hit == std::string_view::npos)
            break;
        in.body += in.redact;
        pos = hit + 2;
    }
    return in;
}

}  // namespace beeos::fuzz

#define BEEOS_FUZZ_CHECK(cond, context)                                \
    do                                                                 \
    {                                                                  \
        if (!(cond))                                                   \
            ::beeos::fuzz::fail(__FILE__, __LINE__, #cond, (context)); \
    } while (false)

#endif
