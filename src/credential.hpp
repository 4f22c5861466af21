// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#ifndef BEEOS_SRC_CREDENTIAL_HPP
#define BEEOS_SRC_CREDENTIAL_HPP

#include <cstdint>
#include <string>
#include <string_view>

namespace beeos::detail {

/// One bearer token as requests carry it: the token (for scrubbing server text), the fixed
/// part of every request made with it (`Host`, `Authorization`, `Accept`, `User-Agent`, ...),
/// built once, and how errors may name it.
struct credential
{
    std::string token;
    std::string fixed_headers;
    /// For a call's own credentials: `credential_tag(token)`; empty for the client's own.
    std::string tag;
    /// The token source's count when it gave this token (0 for a fixed token).
    std::uint64_t generation = 0;
};

/// The first 8 hex digits of the SHA-256 of `token`: names a credential without revealing it.
std::string credential_tag(std::string_view token);

/// True when `token` may go into a header line (no CR, LF or other control characters).
bool is_valid_token(std::string_view token) noexcept;

}  // namespace beeos::detail

#endif
