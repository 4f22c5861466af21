// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
//
// The decisions of a call (call_fsm) with a fake clock, a real rate limiter and a real retry
// budget, and no I/O: overload, deadlines, refusals, re-sends, backoff and cancellation.
#include "call_fsm.hpp"

#include <boost/test/unit_test.hpp>

#include <deque>
#include <memory>
#include <vector>

using namespace std::chrono_literals;
using beeos::errc;
using beeos::error_info;
using beeos::retry_policy;
using beeos::detail::call_fsm;
using beeos::detail::call_step;
using beeos::detail::exchange_outcome;
using beeos::detail::rate_limiter;
using beeos::detail::retry_budget;
using clock_type = call_fsm::clock_type;
using kind = call_step::kind;

namespace {

const clock_type::time_point t0 = clock_type::time_point{} + 1000s;

beeos::rate_limit_options limit(double rps, unsigned burst = 1)
{
    beeos::rate_limit_options o;
    o.requests_per_second = rps;
    o.burst = burst;
    o.adaptive = false;
    return o;
}

double ms_after_t0(clock_type::time_point t) { return std::chrono::duration<double, std::milli>(t - t0).count(); }

retry_policy policy(std::chrono::milliseconds total = 30s, unsigned attempts = 3)
{
    retry_policy p;
    p.total_timeout = total;
    p.max_attempts = attempts;
    p.jitter = false;
    return p;
}

// One call: its outcome and its machine, sharing the client's limiter and budget.
struct call
{
    call(const retry_policy& p, rate_limiter& rl, retry_budget& b, bool token_source = false)
        : pol(p), fsm(pol, 10s, rl, b, ec, info, token_source)
    {
        info.id = "inst_1";
    }
    retry_policy pol;
    boost::system::error_code ec;
    error_info info;
    call_fsm fsm;
    std::vector<call_step::report> reports;

    call_step note(call_step s)
    {
        if (s.observe)
            reports.push_back(*s.observe);
        return s;
    }
    call_step start(clock_type::time_point now) { return note(fsm.start(now)); }
    call_step waited(clock_type::time_point now, bool cancelled = false) { return note(fsm.on_waited(cancelled, now)); }
    call_step acquired(clock_type::time_point now) { return note(fsm.on_acquired(now)); }
    call_step acquire_failed(clock_type::time_point now, errc e)
    {
        ec = e;
        info.detail = "pool says no";
        return note(fsm.on_acquired(now));
    }
    call_step exchanged(clock_type::time_point now, int status, errc e = errc{}, exchange_outcome o = {true, true})
    {
        ec = e == errc{} ? boost::system::error_code{} : boost::system::error_code(e);
        info.http_status = status;
        return note(fsm.on_exchanged(o, now, 0.5));
    }
    call_step credential(clock_type::time_point now, errc e = errc{})
    {
        ec = e == errc{} ? boost::system::error_code{} : boost::system::error_code(e);
        return note(fsm.on_credential(now));
    }
    // From an `acquire` step to done with a 200.
    call_step succeed(clock_type::time_point now)
    {
        auto s = acquired(now);
        BOOST_REQUIRE(s.what == kind::exchange);
        return exchanged(now, 200);
    }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(call_decisions)

// The measured defect: at 20/s with a 1 s deadline, 200 calls at once used to keep the turns of
// the 179 refused ones, so the schedule ran minutes ahead and nothing was sent any more.
BOOST_AUTO_TEST_CASE(overload_refuses_what_cannot_go_in_time_and_keeps_sending_at_the_rate)
{
    rate_limiter rl(limit(20));
    retry_budget budget({});
    const auto tokens = budget.tokens();
    std::vector<std::unique_ptr<call>> calls;
    std::vector<call_step> first;
    for (int i = 0; i < 200; ++i)
    {
        calls.push_back(std::make_unique<call>(policy(1000ms), rl, budget));
        first.push_back(calls.back()->start(t0));
    }
    int sent = 0, refused = 0;
    clock_type::time_point last_turn = t0;
    for (std::size_t i = 0; i < calls.size(); ++i)
    {
        auto& c = *calls[i];
        auto s = first[i];
        if (s.what == kind::done)
        {
            ++refused;
            BOOST_TEST((c.ec == errc::timeout));
            BOOST_TEST(c.info.attempts == 0u);  // nothing was sent
            BOOST_TEST(c.info.detail.find("rate limit") != std::string::npos, c.info.detail);
            BOOST_TEST(c.reports.empty());      // not an attempt
            continue;
        }
        if (s.what == kind::wait)
        {
            BOOST_TEST((s.at <= c.fsm.deadline()));
            last_turn = std::max(last_turn, s.at);
            s = c.waited(s.at);
        }
        BOOST_REQUIRE(s.what == kind::acquire);
        BOOST_TEST((c.succeed(t0).what == kind::done));
        ++sent;
    }
    BOOST_TEST(sent == 21);  // t0, t0 + 50 ms, ..., t0 + 1000 ms
    BOOST_TEST(refused == 179);
    BOOST_TEST(ms_after_t0(last_turn) == 1000.0, boost::test_tools::tolerance(1e-6));
    BOOST_TEST(budget.tokens() == std::min(tokens + 21u, 500u));  // refusals spent no budget

    // After a pause, spaced calls go at once: the limiter did not lock itself out.
    auto t = t0 + 3500ms;
    for (int i = 0; i < 5; ++i, t += 200ms)
    {
        call c(policy(1000ms), rl, budget);
        auto s = c.start(t);
        BOOST_TEST((s.what == kind::acquire), "call " << i << " was not sent at once");
    }
}

// Callers that give up while waiting (their own timers, `||`) give their turns back, so new
// calls are sent at the rate instead of behind a schedule of turns nobody uses.
BOOST_AUTO_TEST_CASE(cancelled_waiters_give_their_turns_back)
{
    rate_limiter rl(limit(20));
    retry_budget budget({});
    std::vector<std::unique_ptr<call>> calls;
    std::vector<call_step> steps;
    for (int i = 0; i < 100; ++i)  // turns up to t0 + 4.95 s
    {
        calls.push_back(std::make_unique<call>(policy(), rl, budget));
        steps.push_back(calls.back()->start(t0));
    }
    // All but the first three give up at t0 + 100 ms.
    for (std::size_t i = 3; i < calls.size(); ++i)
    {
        BOOST_REQUIRE(steps[i].what == kind::wait);
        auto s = calls[i]->waited(t0 + 100ms, true);
        BOOST_TEST((s.what == kind::done));
        BOOST_TEST((calls[i]->ec == errc::cancelled));
    }
    // A newcomer takes the earliest turn given back, not one after t0 + 5 s.
    call late(policy(), rl, budget);
    auto s = late.start(t0 + 120ms);
    BOOST_REQUIRE(s.what == kind::wait);
    BOOST_TEST(ms_after_t0(s.at) == 150.0, boost::test_tools::tolerance(1e-6));
    // Turns passed unused are not handed out in the past.
    call later(policy(), rl, budget);
    auto s2 = later.start(t0 + 2010ms);
    BOOST_REQUIRE(s2.what == kind::wait);
    BOOST_TEST(ms_after_t0(s2.at) == 2050.0, boost::test_tools::tolerance(1e-6));
}

// A retry whose turn would come after the deadline is not made: the last failure stands, the
// reason is said, and the budget spent for it comes back.
BOOST_AUTO_TEST_CASE(a_retry_refused_by_the_rate_limit_keeps_the_failure_and_the_budget)
{
    rate_limiter rl(limit(1));
    retry_budget budget({});
    const auto tokens = budget.tokens();
    call c(policy(1500ms), rl, budget);
    auto s = c.start(t0);
    BOOST_REQUIRE(s.what == kind::acquire);
    s = c.acquired(t0);
    s = c.exchanged(t0 + 10ms, 503, errc::server_error);
    BOOST_REQUIRE(s.what == kind::wait);  // the backoff: 100 ms
    BOOST_TEST(c.reports.back().next_delay.has_value());
    s = c.waited(s.at);  // the next turn is at t0 + 1 s, within the deadline
    BOOST_REQUIRE(s.what == kind::wait);
    s = c.waited(s.at);
    BOOST_REQUIRE(s.what == kind::acquire);
    s = c.acquired(t0 + 1s);
    s = c.exchanged(t0 + 1010ms, 503, errc::server_error);
    BOOST_REQUIRE(s.what == kind::wait);  // the backoff: 200 ms
    s = c.waited(s.at);                   // the next turn, t0 + 2 s, is past t0 + 1.5 s
    BOOST_REQUIRE(s.what == kind::done);
    BOOST_TEST((c.ec == errc::server_error));
    BOOST_TEST(c.info.http_status == 503);
    BOOST_TEST(c.info.attempts == 2u);
    BOOST_TEST(c.info.detail.find("rate limit") != std::string::npos, c.info.detail);
    BOOST_TEST(budget.tokens() == tokens - 5);  // the first retry was made and paid for; the second was refunded
}

// The server closing an idle pooled connection is not the call's failure.
BOOST_AUTO_TEST_CASE(the_keep_alive_race_is_sent_again_once_without_an_attempt)
{
    rate_limiter rl(limit(0));
    retry_budget budget({});
    call c(policy(30s, 1), rl, budget);
    auto s = c.start(t0);
    s = c.acquired(t0);
    BOOST_REQUIRE(s.what == kind::exchange);
    auto exchange_deadline = s.at;
    s = c.exchanged(t0 + 1ms, 0, errc::connection, {false, true});
    BOOST_REQUIRE(s.what == kind::exchange);
    BOOST_TEST(s.on_new_connection);
    BOOST_TEST((s.at == exchange_deadline));  // the same bound for the re-send
    BOOST_TEST(!c.ec);
    BOOST_TEST(c.reports.empty());
    // A second such failure, now on the new connection, is a real one: with one attempt, final.
    s = c.exchanged(t0 + 2ms, 0, errc::connection, {false, false});
    BOOST_TEST((s.what == kind::done));
    BOOST_TEST((c.ec == errc::connection));
    BOOST_TEST(c.info.attempts == 1u);
}

BOOST_AUTO_TEST_CASE(a_failure_after_response_bytes_or_on_a_new_connection_is_not_sent_again)
{
    rate_limiter rl(limit(0));
    retry_budget budget({});
    for (exchange_outcome o : {exchange_outcome{true, true}, exchange_outcome{false, false}})
    {
        call c(policy(30s, 1), rl, budget);
        c.start(t0);
        c.acquired(t0);
        auto s = c.exchanged(t0, 0, errc::connection, o);
        BOOST_TEST((s.what == kind::done));
    }
}

BOOST_AUTO_TEST_CASE(the_deadline_bounds_the_exchange_and_ends_a_connection_wait)
{
    rate_limiter rl(limit(0));
    retry_budget budget({});
    call c(policy(2s), rl, budget);
    auto s = c.start(t0);
    BOOST_REQUIRE(s.what == kind::acquire);
    BOOST_TEST((s.at == t0 + 2s));
    // Leased late: the exchange gets what is left of the call, not a whole request_timeout.
    s = c.acquired(t0 + 1500ms);
    BOOST_REQUIRE(s.what == kind::exchange);
    BOOST_TEST((s.at == t0 + 2s));

    call q(policy(2s), rl, budget);
    q.start(t0);
    s = q.acquire_failed(t0 + 2s, errc::timeout);
    BOOST_TEST((s.what == kind::done));  // a timeout is retryable, but no time is left
    BOOST_TEST(q.info.detail.find("total_timeout passed") != std::string::npos, q.info.detail);
    BOOST_TEST(q.info.detail.find("no time left") != std::string::npos, q.info.detail);
}

BOOST_AUTO_TEST_CASE(a_backoff_past_the_deadline_is_not_slept)
{
    rate_limiter rl(limit(0));
    retry_budget budget({});
    auto p = policy(1s);
    p.initial_backoff = 2s;
    call c(p, rl, budget);
    c.start(t0);
    c.acquired(t0);
    auto s = c.exchanged(t0 + 10ms, 503, errc::server_error);
    BOOST_TEST((s.what == kind::done));
    BOOST_TEST((c.ec == errc::server_error));
    BOOST_TEST(c.info.detail.find("no time left") != std::string::npos, c.info.detail);
    BOOST_REQUIRE(c.reports.size() == 1u);
    BOOST_TEST(!c.reports[0].next_delay.has_value());
}

BOOST_AUTO_TEST_CASE(retries_stop_when_the_budget_is_spent)
{
    rate_limiter rl(limit(0));
    retry_budget budget({.capacity = 5, .retry_cost = 5, .success_refill = 1});
    call a(policy(), rl, budget);
    a.start(t0);
    a.acquired(t0);
    auto s = a.exchanged(t0, 503, errc::server_error);
    BOOST_TEST((s.what == kind::wait));  // the one retry the budget allows
    call b(policy(), rl, budget);
    b.start(t0);
    b.acquired(t0);
    s = b.exchanged(t0, 503, errc::server_error);
    BOOST_TEST((s.what == kind::done));
    BOOST_TEST(b.info.detail.find("retry budget") != std::string::npos, b.info.detail);
}

BOOST_AUTO_TEST_CASE(attempts_are_reported_with_their_delays_and_a_retry_starts_clean)
{
    rate_limiter rl(limit(0));
    retry_budget budget({});
    call c(policy(), rl, budget);
    c.info.credential_tag = "0a1b2c3d";  // a call's own token, named by its tag
    auto s = c.start(t0);
    s = c.acquired(t0 + 5ms);
    c.info.api_code = "internal_error";
    s = c.exchanged(t0 + 20ms, 500, errc::server_error);
    BOOST_REQUIRE(s.what == kind::wait);
    BOOST_TEST((s.at == t0 + 120ms));  // 100 ms, no jitter
    s = c.waited(s.at);
    BOOST_REQUIRE(s.what == kind::acquire);
    BOOST_TEST(!c.ec);  // the previous attempt's error must not look like this one's
    BOOST_TEST(c.info.api_code.empty());
    BOOST_TEST(c.info.id == "inst_1");
    BOOST_TEST(c.info.credential_tag == "0a1b2c3d");  // what names the call survives a retry
    s = c.succeed(t0 + 130ms);
    BOOST_TEST((s.what == kind::done));
    BOOST_REQUIRE(c.reports.size() == 2u);
    BOOST_TEST(c.reports[0].attempt == 1u);
    BOOST_TEST((c.reports[0].started == t0));  // the first attempt counts from admission
    BOOST_TEST((c.reports[0].next_delay == std::optional(100ms)));
    BOOST_TEST(c.reports[1].attempt == 2u);
    BOOST_TEST((c.reports[1].started == t0 + 120ms));
    BOOST_TEST(!c.reports[1].next_delay.has_value());
    BOOST_TEST(c.info.attempts == 2u);
}

BOOST_AUTO_TEST_CASE(cancellation_during_a_wait_ends_the_call_and_says_where)
{
    rate_limiter rl(limit(10));
    retry_budget budget({});
    call first(policy(), rl, budget);
    first.start(t0);  // takes the turn at t0
    call c(policy(), rl, budget);
    auto s = c.start(t0);
    BOOST_REQUIRE(s.what == kind::wait);
    s = c.waited(t0 + 10ms, true);
    BOOST_TEST((s.what == kind::done));
    BOOST_TEST((c.ec == errc::cancelled));
    BOOST_TEST(c.info.detail.find("rate limit") != std::string::npos, c.info.detail);

    rate_limiter none(limit(0));
    call b(policy(), none, budget);
    b.start(t0);
    b.acquired(t0);
    s = b.exchanged(t0, 503, errc::server_error);
    BOOST_REQUIRE(s.what == kind::wait);
    s = b.waited(t0 + 10ms, true);
    BOOST_TEST((b.ec == errc::cancelled));
    BOOST_TEST(b.info.detail.find("before attempt 2") != std::string::npos, b.info.detail);
}

BOOST_AUTO_TEST_CASE(a_429_slows_the_limiter_and_voids_the_turns_taken_at_the_old_rate)
{
    auto o = limit(100);
    o.adaptive = true;
    rate_limiter rl(o);
    retry_budget budget({});
    call a(policy(), rl, budget);
    a.start(t0);
    a.acquired(t0);
    call waiting(policy(), rl, budget);
    auto w = waiting.start(t0);  // its turn at t0 + 10 ms, at the old rate
    BOOST_REQUIRE(w.what == kind::wait);
    a.exchanged(t0 + 5ms, 429, errc::rate_limited);
    BOOST_TEST(rl.current_rate() == 50.0, boost::test_tools::tolerance(1e-9));
    // The waiter wakes at its old time and takes a new turn at the new rate.
    auto s = waiting.waited(w.at);
    BOOST_TEST((s.what == kind::wait || s.what == kind::acquire));
}

// Found by review: a retry cancelled in its backoff (or its rate-limit wait) kept the budget
// it had paid for.
BOOST_AUTO_TEST_CASE(a_retry_cancelled_while_waiting_gives_its_budget_back)
{
    rate_limiter none(limit(0));
    rate_limiter paced(limit(1));
    for (rate_limiter* rl : {&none, &paced})
    {
        retry_budget budget({.capacity = 5, .retry_cost = 5, .success_refill = 1});
        call c(policy(), *rl, budget);
        auto s = c.start(t0);
        if (s.what == kind::wait)
            s = c.waited(s.at);
        c.acquired(t0);
        s = c.exchanged(t0, 503, errc::server_error);
        BOOST_REQUIRE(s.what == kind::wait);  // the backoff, paid for
        BOOST_TEST(budget.tokens() == 0u);
        if (rl == &paced)
        {
            s = c.waited(s.at);  // then the turn, one second after the first
            BOOST_REQUIRE(s.what == kind::wait);
        }
        s = c.waited(s.at, true);
        BOOST_TEST((c.ec == errc::cancelled));
        BOOST_TEST(budget.tokens() == 5u);
    }
}

BOOST_AUTO_TEST_CASE(a_mismatched_response_is_retried)
{
    rate_limiter rl(limit(0));
    retry_budget budget({});
    call c(policy(), rl, budget);
    c.start(t0);
    c.acquired(t0);
    auto s = c.exchanged(t0, 200, errc::mismatched_response);
    BOOST_TEST((s.what == kind::wait));
}

// Found by review: a retry whose token source then failed had spent the budget for a request
// that was never sent.
BOOST_AUTO_TEST_CASE(a_retry_that_fails_at_the_token_source_gives_its_budget_back)
{
    rate_limiter rl(limit(0));
    retry_budget budget({.capacity = 5, .retry_cost = 5, .success_refill = 1});
    call c(policy(), rl, budget, true);
    c.info.credential_tag = "0a1b2c3d";
    auto s = c.start(t0);
    BOOST_REQUIRE(s.what == kind::credential);
    s = c.credential(t0);
    BOOST_REQUIRE(s.what == kind::acquire);
    c.acquired(t0);
    s = c.exchanged(t0, 503, errc::server_error);
    BOOST_REQUIRE(s.what == kind::wait);
    BOOST_TEST(budget.tokens() == 0u);
    s = c.waited(s.at);
    BOOST_REQUIRE(s.what == kind::credential);
    s = c.credential(s.at, errc::unauthorized);
    BOOST_TEST((s.what == kind::done));
    BOOST_TEST(budget.tokens() == 5u);
    BOOST_TEST(c.info.attempts == 1u);  // the second was never sent
}

// A refused token is renewed once and the attempt sent again; the call's credential tag
// stays on the error that follows.
BOOST_AUTO_TEST_CASE(a_rejected_token_is_refreshed_once_and_keeps_the_tag)
{
    rate_limiter rl(limit(0));
    retry_budget budget({});
    call c(policy(), rl, budget, true);
    c.info.credential_tag = "0a1b2c3d";
    c.start(t0);
    c.credential(t0);
    c.acquired(t0);
    c.info.api_code = "invalid_token";
    auto s = c.exchanged(t0, 401, errc::unauthorized);
    BOOST_REQUIRE(s.what == kind::credential);
    BOOST_TEST(s.refresh);
    BOOST_TEST(c.info.credential_tag == "0a1b2c3d");
    s = c.credential(t0);
    BOOST_REQUIRE(s.what == kind::acquire);  // a new request, so a new connection and turn
    s = c.acquired(t0);
    BOOST_REQUIRE(s.what == kind::exchange);
    c.info.api_code = "invalid_token";
    s = c.exchanged(t0, 401, errc::unauthorized);
    BOOST_TEST((s.what == kind::done));  // renewed once only
    BOOST_TEST(c.info.credential_tag == "0a1b2c3d");
}

// A proxy's 429 or 503 is the proxy's, not the API's: the limiter's rate is left alone.
BOOST_AUTO_TEST_CASE(a_proxy_status_does_not_steer_the_rate_limiter)
{
    auto o = limit(100);
    o.adaptive = true;
    rate_limiter rl(o);
    retry_budget budget({});
    call c(policy(), rl, budget);
    c.start(t0);
    c.acquired(t0);
    c.exchanged(t0 + 5ms, 429, errc::proxy);
    BOOST_TEST(rl.current_rate() == 100.0, boost::test_tools::tolerance(1e-9));
}

BOOST_AUTO_TEST_SUITE_END()
