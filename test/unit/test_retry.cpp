// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
//
// Retry decisions as pure functions: which failures, how long to wait, when to give up.
#include "retry.hpp"

#include <boost/test/unit_test.hpp>

using namespace std::chrono_literals;
using beeos::errc;
using beeos::error_info;
using beeos::retry_policy;
using namespace beeos::detail;

namespace {

error_info with_status(int status, std::optional<std::chrono::seconds> retry_after = std::nullopt)
{
    error_info i;
    i.http_status = status;
    i.retry_after = retry_after;
    return i;
}

retry_policy no_jitter()
{
    retry_policy p;
    p.jitter = false;
    p.initial_backoff = 100ms;
    p.max_backoff = 1000ms;
    p.multiplier = 2.0;
    return p;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(retry)

BOOST_AUTO_TEST_CASE(only_failures_that_say_nothing_about_the_request_are_retryable)
{
    BOOST_TEST(is_retryable(errc::connection, {}));
    BOOST_TEST(is_retryable(errc::tls, {}));
    BOOST_TEST(is_retryable(errc::timeout, {}));
    for (int status : {408, 429, 500, 502, 503, 504})
    {
        auto kind = status == 429 ? errc::rate_limited : status == 408 ? errc::http_error : errc::server_error;
        BOOST_TEST(is_retryable(kind, with_status(status)), status);
    }
    BOOST_TEST(!is_retryable(errc::server_error, with_status(501)));
    BOOST_TEST(!is_retryable(errc::http_error, with_status(413)));
    BOOST_TEST(!is_retryable(errc::http_error, with_status(302)));
    for (auto kind : {errc::bad_request, errc::unauthorized, errc::forbidden, errc::not_found, errc::certificate, errc::decode,
                      errc::body_too_large, errc::headers_too_large, errc::protocol, errc::cancelled, errc::shut_down, errc::invalid_argument})
        BOOST_TEST(!is_retryable(kind, with_status(400)), kind);
    BOOST_TEST(!is_retryable(boost::system::errc::make_error_code(boost::system::errc::connection_reset), {}));
}

// As error.hpp documents: a proxy that cannot reach the API is retried, its refusals are not.
BOOST_AUTO_TEST_CASE(a_proxy_failure_is_retried_only_for_502_503_and_504)
{
    for (int status : {502, 503, 504})
        BOOST_TEST(is_retryable(errc::proxy, with_status(status)), status);
    for (int status : {400, 403, 407, 408, 429, 500})
        BOOST_TEST(!is_retryable(errc::proxy, with_status(status)), status);
}

BOOST_AUTO_TEST_CASE(backoff_grows_exponentially_up_to_the_cap)
{
    auto p = no_jitter();
    BOOST_TEST(backoff_delay(p, 1, 0.5).count() == 100);
    BOOST_TEST(backoff_delay(p, 2, 0.5).count() == 200);
    BOOST_TEST(backoff_delay(p, 3, 0.5).count() == 400);
    BOOST_TEST(backoff_delay(p, 4, 0.5).count() == 800);
    BOOST_TEST(backoff_delay(p, 5, 0.5).count() == 1000);
    BOOST_TEST(backoff_delay(p, 60, 0.5).count() == 1000);  // no overflow for large retry counts
}

BOOST_AUTO_TEST_CASE(full_jitter_scales_the_bound_by_the_random_draw)
{
    auto p = no_jitter();
    p.jitter = true;
    BOOST_TEST(backoff_delay(p, 3, 0.0).count() == 0);
    BOOST_TEST(backoff_delay(p, 3, 0.25).count() == 100);
    BOOST_TEST(backoff_delay(p, 3, 0.999).count() == 399);
    BOOST_TEST(backoff_delay(p, 9, 0.5).count() == 500);
}

BOOST_AUTO_TEST_CASE(gives_up_after_max_attempts)
{
    auto p = no_jitter();
    p.max_attempts = 3;
    auto d2 = decide_retry(p, 2, errc::server_error, with_status(503), 10s, 0.5);
    BOOST_TEST(d2.retry);
    BOOST_TEST(d2.delay.count() == 200);
    auto d3 = decide_retry(p, 3, errc::server_error, with_status(503), 10s, 0.5);
    BOOST_TEST(!d3.retry);
    BOOST_TEST(d3.why_not.find("3 attempts") != std::string::npos);
    auto single = no_jitter();
    single.max_attempts = 1;
    BOOST_TEST(!decide_retry(single, 1, errc::connection, {}, 10s, 0.5).retry);
}

BOOST_AUTO_TEST_CASE(retry_after_wins_over_backoff_up_to_its_cap)
{
    auto p = no_jitter();
    p.max_retry_after = 30s;
    auto d = decide_retry(p, 1, errc::rate_limited, with_status(429, 7s), 60s, 0.5);
    BOOST_TEST(d.retry);
    BOOST_TEST(d.delay.count() == 7000);
    auto capped = decide_retry(p, 1, errc::rate_limited, with_status(429, std::chrono::seconds(3600)), 120s, 0.5);
    BOOST_TEST(capped.delay.count() == 30000);
    auto zero = decide_retry(p, 1, errc::server_error, with_status(503, 0s), 10s, 0.5);
    BOOST_TEST(zero.retry);
    BOOST_TEST(zero.delay.count() == 0);
}

BOOST_AUTO_TEST_CASE(a_wait_past_the_deadline_fails_now)
{
    auto p = no_jitter();
    auto d = decide_retry(p, 1, errc::rate_limited, with_status(429, 5s), 2s, 0.5);
    BOOST_TEST(!d.retry);
    BOOST_TEST(d.why_not.find("Retry-After") != std::string::npos);
    auto b = decide_retry(p, 1, errc::connection, {}, 50ms, 0.5);
    BOOST_TEST(!b.retry);
    BOOST_TEST(b.why_not.find("deadline") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(not_retryable_failures_carry_no_reason)
{
    auto d = decide_retry(no_jitter(), 1, errc::not_found, with_status(404), 10s, 0.5);
    BOOST_TEST(!d.retry);
    BOOST_TEST(d.why_not.empty());
}

BOOST_AUTO_TEST_CASE(budget_bounds_retries_and_successes_refill_it)
{
    retry_budget b({.capacity = 20, .retry_cost = 5, .success_refill = 1});
    int spent = 0;
    while (b.try_spend())
        ++spent;
    BOOST_TEST(spent == 4);  // capacity / cost
    BOOST_TEST(b.tokens() == 0u);
    for (int i = 0; i < 4; ++i)
        b.on_success();
    BOOST_TEST(!b.try_spend());  // 4 tokens < cost 5
    b.on_success();
    BOOST_TEST(b.try_spend());
    for (int i = 0; i < 100; ++i)
        b.on_success();
    BOOST_TEST(b.tokens() == 20u);  // never above capacity
}

BOOST_AUTO_TEST_SUITE_END()
