// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#ifndef BEEOS_SRC_CALL_FSM_HPP
#define BEEOS_SRC_CALL_FSM_HPP

#include "rate_limiter.hpp"
#include "retry.hpp"

#include <beeos/client_options.hpp>
#include <beeos/error.hpp>

#include <chrono>
#include <optional>

namespace beeos::detail {

/// What the driver of a call does next, as decided by `call_fsm`.
struct call_step
{
    enum class kind
    {
        wait,      ///< sleep until `at` (a rate-limit turn, a backoff, or both), then `on_waited`
        acquire,   ///< lease a connection, waiting no later than `at`, then `on_acquired`
        exchange,  ///< (connect if new, then) send and read, bounded by `at`, then `on_exchanged`
        credential,  ///< ask the token source (`refresh`: after a rejection), until `at` at most, then `on_credential`
        done,      ///< the outcome is in the call's `ec` and `info`
    };

    /// What the observer hook is told before the step is carried out.
    struct report
    {
        unsigned attempt = 0;
        std::chrono::steady_clock::time_point started;
        std::optional<std::chrono::milliseconds> next_delay;
    };

    kind what = kind::done;
    std::chrono::steady_clock::time_point at{};
    /// `exchange`: the leased connection failed in the keep-alive race; replace it by a new one
    /// and send the same request again (not an attempt). Otherwise the driver hands the lease
    /// back before the next step.
    bool on_new_connection = false;
    /// `credential`: the token was rejected; ask for a fresh one.
    bool refresh = false;
    /// `done`: the rate limiter refused the call (its turn would pass the deadline).
    bool rate_limit_refusal = false;
    std::optional<report> observe{};
};

/// What the driver saw of one exchange, beyond the `ec` and `info` it wrote.
struct exchange_outcome
{
    bool response_started = false;   ///< a byte of a response arrived
    bool reused_connection = false;  ///< the connection came from the pool, not opened for this exchange
};

/// The decisions of one call, without I/O, clock or randomness of its own: when to wait for a
/// rate-limit turn, when to lease, send, re-send, back off and give up. The driver
/// (`client_impl`) carries out each `call_step` and feeds the result back; the unit tests drive
/// it with a fake clock.
///
/// The rules it keeps:
/// - the call's deadline (`retry_policy::total_timeout` from `start`) bounds every step: a
///   connection is waited for until then, an exchange until then or `request_timeout`, a
///   backoff or rate-limit wait that would end after it is not begun;
/// - the rate limiter is asked for a turn before every request, retries included; a turn that
///   would come after the deadline is refused at once, reserves nothing, is not retried and
///   costs no retry budget; a turn given up (cancellation) goes back to the limiter;
/// - a retry costs `retry_cost` of the client's budget, taken only once its turn is granted;
/// - a request that fails on a pooled connection before any response byte arrived (the server
///   closed it while idle) is sent again at once on a new connection, once per attempt, and
///   this is not an attempt;
/// - with a token source, the token is asked for before every request; a 401 whose code says
///   the token is invalid or expired renews it once per call and sends the request again (a
///   new rate-limit turn, not a new attempt, no retry budget); a second 401 fails as any 401;
/// - the final error is the last attempt's, with the reason it was not retried appended.
class call_fsm
{
public:
    using clock_type = std::chrono::steady_clock;

    /// `ec` and `info` are the call's outcome, written by the driver and by the machine; they
    /// must outlive it. `label` goes into `info.id`.
    /// `token_source`: the call's token comes from the client's token source, asked before
    /// every request (a `credential` step), and renewed once on a rejection.
    call_fsm(const retry_policy& policy, clock_type::duration request_timeout, rate_limiter& limiter, retry_budget& budget,
             boost::system::error_code& ec, error_info& info, bool token_source = false) noexcept
        : policy_(&policy), request_timeout_(request_timeout), limiter_(&limiter), budget_(&budget), ec_(&ec), info_(&info),
          token_source_(token_source)
    {
    }

    /// The call was admitted at `now`; its deadline starts counting.
    call_step start(clock_type::time_point now);

    /// The wait of a `wait` step ended (`cancelled`: by the caller or a shutdown).
    call_step on_waited(bool cancelled, clock_type::time_point now);

    /// The `acquire` step ended: leased when `ec` is empty, else `ec`/`info` say why not.
    call_step on_acquired(clock_type::time_point now);

    /// The `exchange` step ended with the call's `ec`/`info` (a transport failure, or the
    /// interpretation of a complete response). `jitter_draw` is uniform in [0, 1).
    call_step on_exchanged(const exchange_outcome& outcome, clock_type::time_point now, double jitter_draw);

    /// The `credential` step ended: a token when `ec` is empty, else `ec`/`info` say why not.
    call_step on_credential(clock_type::time_point now);

    clock_type::time_point deadline() const noexcept { return deadline_; }

    /// Requests sent (or tried) so far, re-sends not counted.
    unsigned attempts() const noexcept { return attempt_; }

private:
    call_step begin_attempt(clock_type::time_point now);
    void forget_error();
    call_step after_failure(clock_type::time_point now, double jitter_draw);
    call_step wait_for_turn(clock_type::time_point now);
    call_step give_up(std::string_view why_not);
    call_step finish(std::optional<call_step::report> r = std::nullopt);
    std::string rate_text() const;

    const retry_policy* policy_;
    clock_type::duration request_timeout_;
    rate_limiter* limiter_;
    retry_budget* budget_;
    boost::system::error_code* ec_;
    error_info* info_;

    clock_type::time_point deadline_{};
    clock_type::time_point started_{};          // of the current attempt
    clock_type::time_point exchange_deadline_{};
    rate_limiter::reservation turn_{};
    bool holding_turn_ = false;  // a granted reservation not used yet
    bool retrying_ = false;      // waiting before a retry: the last failure is still in ec/info
    bool resent_ = false;        // this attempt already re-sent after the keep-alive race
    bool token_source_ = false;
    bool refreshed_ = false;     // the token was renewed once for this call
    bool reissue_ = false;       // the next request repeats this attempt with a fresh token
    bool asked_refresh_ = false; // the pending credential step is a refresh
    std::chrono::milliseconds backoff_{};  // of the wait before the pending retry
    unsigned attempt_ = 0;
};

}  // namespace beeos::detail

#endif
