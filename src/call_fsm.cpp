// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#include "call_fsm.hpp"

#include "api_codes.hpp"

#include <algorithm>
#include <cmath>
#include <string>

namespace beeos::detail {

call_step call_fsm::start(clock_type::time_point now)
{
    deadline_ = now + policy_->total_timeout;
    started_ = now;
    attempt_ = 0;
    return wait_for_turn(now);
}

std::string call_fsm::rate_text() const
{
    // Whole requests per second read best; a backed-off rate below 1/s keeps its fraction.
    double r = limiter_->current_rate();
    std::string s = r >= 10 ? std::to_string(std::llround(r)) : std::to_string(r);
    return "the client-side rate limit (" + s + " requests/s)";
}

call_step call_fsm::wait_for_turn(clock_type::time_point now)
{
    if (limiter_->enabled())
    {
        auto r = limiter_->reserve(now, deadline_);
        if (!r.granted)
        {
            if (retrying_)
            {
                // The retry never happens, so it costs nothing: the last failure stands.
                budget_->refund();
                auto s = give_up("not retried: " + rate_text() + " would delay the retry past the call's total_timeout");
                s.rate_limit_refusal = true;
                return s;
            }
            *ec_ = errc::timeout;
            info_->detail = rate_text() + " would delay this request past the call's total_timeout";
            info_->attempts = 0;
            auto s = finish();
            s.rate_limit_refusal = true;
            return s;
        }
        if (r.send_at > now)
        {
            turn_ = r;
            holding_turn_ = true;
            return {.what = call_step::kind::wait, .at = r.send_at};
        }
    }
    return begin_attempt(now);
}

void call_fsm::forget_error()
{
    // What names the call (its id, its credential) stays; what described the failure goes.
    std::string id = std::move(info_->id);
    std::string tag = std::move(info_->credential_tag);
    *ec_ = {};
    *info_ = error_info{};
    info_->id = std::move(id);
    info_->credential_tag = std::move(tag);
}

call_step call_fsm::begin_attempt(clock_type::time_point now)
{
    if (reissue_)
    {
        // The same attempt again, with the token just renewed.
        reissue_ = false;
        return {.what = call_step::kind::acquire, .at = deadline_};
    }
    ++attempt_;
    if (retrying_)
    {
        // The previous attempt's error must not look like this one's.
        forget_error();
        retrying_ = false;
        started_ = now;
    }
    resent_ = false;
    if (token_source_)
    {
        asked_refresh_ = false;
        call_step s{.what = call_step::kind::credential, .at = deadline_};
        return s;
    }
    return {.what = call_step::kind::acquire, .at = deadline_};
}

call_step call_fsm::on_credential(clock_type::time_point now)
{
    if (*ec_)
    {
        // Nothing was sent with this attempt: a retry that the budget paid for is never made,
        // so it costs nothing (a refresh is not paid for).
        if (!asked_refresh_ && attempt_ > 1)
            budget_->refund();
        info_->attempts = attempt_ - (asked_refresh_ ? 0 : 1);
        return finish();
    }
    if (asked_refresh_)
    {
        asked_refresh_ = false;
        reissue_ = true;
        return wait_for_turn(now);
    }
    return {.what = call_step::kind::acquire, .at = deadline_};
}

call_step call_fsm::on_waited(bool cancelled, clock_type::time_point now)
{
    if (holding_turn_)
    {
        holding_turn_ = false;
        if (cancelled)
        {
            limiter_->release(turn_, now);
            if (retrying_)
                budget_->refund();  // the retry it paid for is never made
            *ec_ = errc::cancelled;
            info_->detail = "cancelled while waiting for the client-side rate limit";
            info_->attempts = attempt_;
            return finish();
        }
        // The gateway asked us to slow down while we waited: take a turn at the new rate.
        if (!limiter_->still_valid(turn_.generation))
            return wait_for_turn(now);
        return begin_attempt(now);
    }
    // The backoff before a retry.
    if (cancelled)
    {
        budget_->refund();  // the retry it paid for is never made
        *ec_ = errc::cancelled;
        info_->detail = "cancelled while waiting " + std::to_string(backoff_.count()) + " ms before attempt " + std::to_string(attempt_ + 1);
        info_->attempts = attempt_;
        return finish();
    }
    return wait_for_turn(now);
}

call_step call_fsm::on_acquired(clock_type::time_point now)
{
    if (*ec_)
        return after_failure(now, 0.0);
    exchange_deadline_ = std::min(deadline_, now + request_timeout_);
    return {.what = call_step::kind::exchange, .at = exchange_deadline_};
}

call_step call_fsm::on_exchanged(const exchange_outcome& outcome, clock_type::time_point now, double jitter_draw)
{
    if (*ec_ == errc::connection && !outcome.response_started && outcome.reused_connection && !resent_)
    {
        // GET is idempotent, but re-send only when no response byte arrived on a pooled
        // connection: that is the server closing it while idle, not a failure of this call.
        resent_ = true;
        *ec_ = {};
        info_->detail.clear();
        info_->cause = {};
        call_step s{.what = call_step::kind::exchange, .at = exchange_deadline_};
        s.on_new_connection = true;
        return s;
    }
    // A proxy's status says nothing of the API's load: only the API's answers steer the limiter.
    if (info_->http_status != 0 && *ec_ != errc::proxy)
    {
        if (info_->http_status == 429)
            limiter_->on_throttled(now);
        else
            limiter_->on_accepted(now);
    }
    if (token_source_ && !refreshed_ && *ec_ == errc::unauthorized && is_credential_problem(info_->api_code))
    {
        // The token was rejected as invalid or expired: renew it once and send again.
        refreshed_ = true;
        asked_refresh_ = true;
        forget_error();
        call_step s{.what = call_step::kind::credential, .at = deadline_};
        s.refresh = true;
        return s;
    }
    info_->attempts = attempt_;
    if (!*ec_)
    {
        budget_->on_success();
        return finish(call_step::report{attempt_, started_, std::nullopt});
    }
    return after_failure(now, jitter_draw);
}

call_step call_fsm::after_failure(clock_type::time_point now, double jitter_draw)
{
    info_->attempts = attempt_;
    if (*ec_ == errc::timeout && now >= deadline_)
        info_->detail += info_->detail.empty() ? "the call's total_timeout passed" : " (the call's total_timeout passed)";
    auto decision = decide_retry(*policy_, attempt_, *ec_, *info_, deadline_ - now, jitter_draw);
    if (decision.retry && !budget_->try_spend())
    {
        decision.retry = false;
        decision.why_not = "not retried: the client's retry budget is spent (too many failures)";
    }
    const call_step::report r{attempt_, started_, decision.retry ? std::optional(decision.delay) : std::nullopt};
    if (!decision.retry)
    {
        auto s = give_up(decision.why_not);
        s.observe = r;
        return s;
    }
    retrying_ = true;
    backoff_ = decision.delay;
    call_step s{.what = call_step::kind::wait, .at = now + decision.delay};
    s.observe = r;
    return s;
}

call_step call_fsm::give_up(std::string_view why_not)
{
    if (!why_not.empty())
    {
        if (!info_->detail.empty())
            info_->detail += "; ";
        info_->detail += why_not;
    }
    return finish();
}

call_step call_fsm::finish(std::optional<call_step::report> r)
{
    call_step s;
    s.what = call_step::kind::done;
    s.observe = r;
    return s;
}

}  // namespace beeos::detail
