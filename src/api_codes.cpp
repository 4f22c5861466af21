// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#include "api_codes.hpp"

namespace beeos::detail
{
namespace
{

// From components/responses of the contract (info.version 1.1.0), as referenced by getInstance
// and listInstances. The wording of each response decides the two flags.
// Sized by its initialiser, so that removing a line leaves no empty entry behind.
constexpr api_code_info table[] = {
    // BadRequest (listInstances only): "Malformed request body, query parameter, or path parameter".
    {"invalid_json", 400, false, false},
    {"invalid_body", 400, false, false},
    {"invalid_param", 400, false, false},
    {"missing_param", 400, false, false},
    // Unauthorized: "Missing or invalid `Authorization` header". All three are the token's fault.
    {"unauthorized", 401, true, false},
    {"invalid_token", 401, true, false},
    {"missing_token", 401, true, false},
    // Forbidden: the token is valid, its owner may not see the resource; a new token of the same
    // owner changes nothing.
    {"forbidden", 403, false, false},
    // NotFound: the contract says "typically `agent_not_found`" for every resource.
    {"agent_not_found", 404, false, false},
    // What the gateway (and tools/gateway-sim) sends for an unknown instance; not in the contract.
    {"instance_not_found", 404, false, false, false},
    // RateLimited: "Honour `Retry-After` if present".
    {"rate_limited", 429, false, true},
    // ServerError. `internal_error` is "unexpected", which does not say it will pass (the retry
    // policy still retries a 500 by its status); the 503s and the 504 name a subsystem that is
    // unreachable or slow right now.
    {"internal_error", 500, false, false},
    {"agent_offline", 503, false, true},
    {"agent_service_unavailable", 503, false, true},
    // The auth service failed, not the token: retry with the same token.
    {"auth_unavailable", 503, false, true},
    {"auth_transient", 503, false, true},
    {"service_timeout", 504, false, true},
};

}  // namespace

std::span<const api_code_info> api_code_table() noexcept
{
    return table;
}

const api_code_info* find_api_code(std::string_view code) noexcept
{
    for (const auto& e : table)
        if (e.code == code)
            return &e;
    return nullptr;
}

bool is_credential_problem(std::string_view code) noexcept
{
    const auto* e = find_api_code(code);
    return e != nullptr && e->credential_problem;
}

}  // namespace beeos::detail
