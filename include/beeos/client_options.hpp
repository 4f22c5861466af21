// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#ifndef BEEOS_CLIENT_OPTIONS_HPP
#define BEEOS_CLIENT_OPTIONS_HPP

#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace beeos {

/// When and how a failed call is tried again. Part of `client_options`; a call may bring its own.
///
/// Only failures that say nothing about the request itself are retried: connection failures
/// before a complete response, TLS handshake failures other than certificate verification,
/// timeouts of one attempt, and HTTP 408, 429, 500, 502, 503 and 504. Everything else (other
/// 4xx, certificate failures, decode errors of a complete body, a body over the limit,
/// cancellation) fails at once.
struct retry_policy
{
    /// Attempts in total, the first included; 1 disables retries.
    unsigned max_attempts = 3;

    /// Backoff before the first retry; each later one is `multiplier` times longer, up to
    /// `max_backoff`.
    std::chrono::milliseconds initial_backoff{100};
    std::chrono::milliseconds max_backoff{5'000};
    double multiplier = 2.0;

    /// Full jitter: wait a uniformly random time between 0 and the backoff, so clients that
    /// failed together do not retry together. false waits the backoff exactly.
    bool jitter = true;

    /// A server's `Retry-After` wins over the computed backoff, up to this cap.
    std::chrono::milliseconds max_retry_after{30'000};

    /// The whole call's deadline: every attempt, the waits for a connection and the backoff
    /// sleeps. When the next attempt could not start before it, the call fails at once with
    /// the last error instead of sleeping uselessly.
    std::chrono::milliseconds total_timeout{30'000};

    friend bool operator==(const retry_policy&, const retry_policy&) = default;
};

/// The client-wide retry budget (a token bucket in the manner of gRPC retry throttling and
/// the AWS SDKs' standard mode): each retry spends `retry_cost` tokens, each successful call
/// returns `success_refill`, up to `capacity`. During an outage retries stop once the bucket is
/// empty, so the extra load the client adds is at most `capacity / retry_cost` requests, plus
/// `success_refill / retry_cost` per success (20% with the defaults).
struct retry_budget_options
{
    unsigned capacity = 500;
    unsigned retry_cost = 5;
    unsigned success_refill = 1;
};

/// A client-side limit on the rate of requests, so that a poller stays under its gateway quota
/// instead of meeting 429s. Every HTTP request counts: each attempt of a call, retries included.
///
/// Requests are paced in the manner of the generic cell rate algorithm: one request every
/// `1 / rate` seconds, with up to `burst` sent at once after a quiet spell. A call waits for
/// its turn (bounded by its `retry_policy::total_timeout`) before it asks for a connection.
///
/// With `adaptive`, a 429 from the gateway multiplies the current rate by `decrease_factor`
/// (at most once per `recovery_interval`, so one burst of 429s counts once) down to
/// `min_rate_fraction` of the limit; then every `recovery_interval` without a 429 adds
/// `recovery_step` of the limit back, up to the limit (additive increase, multiplicative
/// decrease, as TCP does).
struct rate_limit_options
{
    /// Most requests per second; 0 (the default) sets no limit and no adaptive behaviour.
    double requests_per_second = 0;

    /// Requests that may leave back to back; at least 1.
    unsigned burst = 1;

    bool adaptive = true;
    double decrease_factor = 0.5;
    double recovery_step = 0.1;
    std::chrono::milliseconds recovery_interval{1'000};
    double min_rate_fraction = 0.05;
};

/// What the observer hook sees after every attempt of every call.
struct attempt_event
{
    std::string_view id;               ///< the instance id of the call
    unsigned attempt = 1;              ///< 1 for the first attempt
    boost::system::error_code result;  ///< empty on success, else a `beeos::errc`
    int http_status = 0;               ///< 0 when no status line arrived
    std::string_view api_code;         ///< the error envelope's `error.code`, if any
    std::chrono::microseconds latency{};  ///< of this attempt, from start to outcome
    /// The sleep before the next attempt; `std::nullopt` when this was the last one.
    std::optional<std::chrono::milliseconds> next_delay;
};

/// Called once per attempt, on the thread running the call; it must be thread-safe when the
/// `io_context` runs on several threads, and should be quick (it runs inline). The library itself
/// never prints or logs anything. The event holds no token.
using attempt_observer = std::function<void(const attempt_event&)>;

/// How a `client` reaches the API. A plain aggregate: set what you need with designated
/// initialisers, e.g. `{.base_url = url, .token = key}`. The `client` constructor validates it
/// and throws `std::invalid_argument` naming the bad field.
struct client_options
{
    /// `scheme://host[:port][/path-prefix]`, `https` or `http` (plain HTTP is for local use).
    /// A path prefix goes before `/api/v1`; a trailing slash is ignored.
    std::string base_url = "https://openapi.beeos.ai";

    /// A user JWT or an `oag_` API key, sent as `Authorization: Bearer <token>`. It never
    /// appears in an error message. Empty sends no Authorization header.
    std::string token;

    /// A PEM file of extra trust anchors, added to the system store. Empty: system store only.
    std::string ca_file;

    /// Most keep-alive connections open at once to the API host. Calls beyond this wait in
    /// FIFO order for a free connection. 32 keeps a poller's throughput close to the server's
    /// limit on one TLS host while staying well below typical per-client connection caps of
    /// gateways and load balancers (HTTP/1.1 has one request in flight per connection).
    std::size_t max_connections = 32;

    /// Bounds resolving, TCP connect and the TLS handshake of one new connection.
    std::chrono::milliseconds connect_timeout{10'000};

    /// Bounds one attempt: connecting (if needed), sending and receiving. A call may make several
    /// attempts; `retry.total_timeout` bounds the whole call.
    std::chrono::milliseconds request_timeout{10'000};

    /// A connection unused for this long is closed instead of reused. Below the 60 s
    /// keep-alive that common servers and load balancers use, so we close first.
    std::chrono::milliseconds idle_timeout{50'000};

    /// Largest response body accepted; a larger one fails with `errc::body_too_large` without
    /// buffering the rest, and its connection is closed.
    std::size_t max_body_bytes = std::size_t{8} * 1024 * 1024;

    /// Largest response header block accepted (`errc::headers_too_large`).
    std::size_t max_header_bytes = std::size_t{64} * 1024;

    /// Prepended to the `User-Agent` header before the library's own `beeos-cpp/<version>`.
    std::string user_agent;

    /// Retries of every call that does not bring its own policy.
    retry_policy retry;

    /// The budget all calls of the client share.
    retry_budget_options retry_budget;

    /// Sees every attempt (for logs and metrics); empty for none.
    attempt_observer on_attempt;

    /// Concurrent `get_instance` calls for the same id (with the same retry policy) share one
    /// request in flight; each caller gets its own copy of the outcome (single-flight).
    /// A caller that cancels leaves; the request is cancelled only when no caller is left.
    bool coalesce_requests = true;

    /// Paces the client's requests; off by default.
    rate_limit_options rate_limit;

    /// Lookups in flight at once for `get_instances` and `stream_instances`; 0 means
    /// `max_connections` (more would only queue for a connection).
    std::size_t batch_concurrency = 0;
};

}  // namespace beeos

#endif
