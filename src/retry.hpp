// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#ifndef BEEOS_SRC_RETRY_HPP
#define BEEOS_SRC_RETRY_HPP

#include <beeos/client_options.hpp>
#include <beeos/error.hpp>

#include <chrono>
#include <mutex>
#include <string>

namespace beeos::detail {

/// What is wrong with a retry policy (one line naming the field), or nullptr.
const char* check_retry_policy(const retry_policy& p) noexcept;

/// Whether a failed attempt may be tried again at all (the policy, budget and deadline decide
/// the rest). GET is idempotent, so every failure that says nothing about the request qualifies.
bool is_retryable(const boost::system::error_code& ec, const error_info& info) noexcept;

/// The computed backoff before retry number `retry` (1 for the first retry): the exponential
/// bound `min(max_backoff, initial_backoff * multiplier^(retry-1))`, scaled by `unit_random`
/// in [0, 1) when the policy asks for jitter.
std::chrono::milliseconds backoff_delay(const retry_policy& policy, unsigned retry, double unit_random) noexcept;

/// What to do after a failed attempt.
struct retry_decision
{
    bool retry = false;
    std::chrono::milliseconds delay{};
    std::string why_not;  ///< when `retry` is false and the failure was retryable: the reason
};

/// Decides on a retry without side effects: `attempts` made so far, the last failure, the time
/// left before the call's deadline. `Retry-After` wins over the backoff (capped by the policy);
/// a wait that would pass the deadline means no retry.
retry_decision decide_retry(
    const retry_policy& policy,
    unsigned attempts,
    const boost::system::error_code& ec,
    const error_info& info,
    std::chrono::steady_clock::duration remaining,
    double unit_random
);

/// The client-wide retry budget: a token bucket that retries drain and successes refill.
/// Thread-safe.
class retry_budget
{
public:
    explicit retry_budget(const retry_budget_options& o) noexcept
        : capacity_(o.capacity), cost_(o.retry_cost), refill_(o.success_refill), tokens_(o.capacity)
    {
    }

    /// Spends the cost of one retry; false (and nothing spent) when too few tokens are left.
    bool try_spend() noexcept
    {
        std::lock_guard lock(mtx_);
        if (tokens_ < cost_)
            return false;
        tokens_ -= cost_;
        return true;
    }

    /// Gives back what `try_spend` took for a retry that was never made.
    void refund() noexcept
    {
        std::lock_guard lock(mtx_);
        tokens_ = std::min(capacity_, tokens_ + cost_);
    }

    void on_success() noexcept
    {
        std::lock_guard lock(mtx_);
        tokens_ = std::min(capacity_, tokens_ + refill_);
    }

    unsigned tokens() const noexcept
    {
        std::lock_guard lock(mtx_);
        return tokens_;
    }

private:
    const unsigned capacity_;
    const unsigned cost_;
    const unsigned refill_;
    mutable std::mutex mtx_;
    unsigned tokens_;
};

}  // namespace beeos::detail

#endif
