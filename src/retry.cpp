// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#include "retry.hpp"

#include <algorithm>
#include <cmath>

namespace beeos::detail {

const char* check_retry_policy(const retry_policy& p) noexcept
{
    if (p.max_attempts == 0)
        return "retry_policy.max_attempts must be at least 1";
    if (p.initial_backoff.count() < 0 || p.max_backoff.count() < 0 || p.max_retry_after.count() < 0)
        return "retry_policy backoffs and max_retry_after must not be negative";
    if (!(p.multiplier >= 1.0))
        return "retry_policy.multiplier must be at least 1";
    if (p.total_timeout.count() <= 0)
        return "retry_policy.total_timeout must be positive";
    return nullptr;
}

bool is_retryable(const boost::system::error_code& ec, const error_info& info) noexcept
{
    if (ec.category() != error_category())
        return false;
    switch (static_cast<errc>(ec.value()))
    {
    // No complete response arrived: the request may not even have reached the server.
    case errc::connection:
    case errc::tls:
    case errc::timeout:
    // An answer to another request: the connection is closed, and the next attempt asks again.
    case errc::mismatched_response: return true;
    case errc::rate_limited:
    case errc::server_error:
    case errc::http_error:
        switch (info.http_status)
        {
        case 408:
        case 429:
        case 500:
        case 502:
        case 503:
        case 504: return true;
        default: return false;
        }
    // The proxy could not reach the API, or was briefly unavailable; its other refusals
    // (407, 403) stand until its configuration changes.
    case errc::proxy: return info.http_status == 502 || info.http_status == 503 || info.http_status == 504;
    default: return false;
    }
}

std::chrono::milliseconds backoff_delay(const retry_policy& policy, unsigned retry, double unit_random) noexcept
{
    double bound = static_cast<double>(policy.initial_backoff.count());
    double cap = static_cast<double>(policy.max_backoff.count());
    for (unsigned i = 1; i < retry && bound < cap; ++i)
        bound *= policy.multiplier;
    bound = std::min(bound, cap);
    if (policy.jitter)
        bound *= std::clamp(unit_random, 0.0, 1.0);
    return std::chrono::milliseconds(static_cast<std::int64_t>(bound));
}

retry_decision decide_retry(
    const retry_policy& policy,
    unsigned attempts,
    const boost::system::error_code& ec,
    const error_info& info,
    std::chrono::steady_clock::duration remaining,
    double unit_random
)
{
    retry_decision d;
    if (!is_retryable(ec, info))
        return d;
    if (attempts >= policy.max_attempts)
    {
        d.why_not = "gave up after " + std::to_string(attempts) + (attempts == 1 ? " attempt" : " attempts");
        return d;
    }
    d.delay = info.retry_after ? std::min<std::chrono::milliseconds>(*info.retry_after, policy.max_retry_after)
                               : backoff_delay(policy, attempts, unit_random);
    if (d.delay >= remaining)
    {
        d.why_not = info.retry_after ? "not retried: Retry-After passes the call's deadline"
                                     : "not retried: no time left before the call's deadline";
        return d;
    }
    d.retry = true;
    return d;
}

}  // namespace beeos::detail
