// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#ifndef BEEOS_SRC_API_CODES_HPP
#define BEEOS_SRC_API_CODES_HPP

#include <span>
#include <string_view>

namespace beeos::detail
{

/// What the client knows about one `error.code` value of an error envelope.
///
/// The values are those the contract (test/contract/beeos-platform-v1.yaml) documents for the
/// error responses of `getInstance` and `listInstances`; test/contract checks the table against
/// the spec in both directions, so a code the vendor adds, moves or drops fails that test.
struct api_code_info
{
    std::string_view code;  ///< e.g. `invalid_token`
    int http_status;        ///< the status the contract sends it with
    /// The token is missing, invalid or expired: a fresh token may succeed where this one
    /// failed. False for a transient failure of the auth service (`auth_transient`), which a new
    /// token would not cure.
    bool credential_problem;
    /// The server says the condition passes: the same request may succeed later.
    bool transient;
    /// False for a code a server sends that the contract does not (yet) document; kept so the
    /// client recognises it, and checked by the contract test to stay undocumented.
    bool in_contract = true;
};

/// The whole table, one entry per code (codes are unique).
std::span<const api_code_info> api_code_table() noexcept;

/// The entry for `code` (exact, case-sensitive), or nullptr for a code the table does not know.
const api_code_info* find_api_code(std::string_view code) noexcept;

/// True when `code` says the bearer token is missing, invalid or expired; false for every
/// other code, including unknown ones (an unknown code alone is no reason to drop a token).
bool is_credential_problem(std::string_view code) noexcept;

}  // namespace beeos::detail

#endif
