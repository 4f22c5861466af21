// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#ifndef BEEOS_CLIENT_OPTIONS_HPP
#define BEEOS_CLIENT_OPTIONS_HPP

#include <beeos/config.hpp>

#include <boost/asio/any_completion_handler.hpp>
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
struct BEEOS_DECL retry_policy
{
    /// Attempts in total, the first included; 1 disables retries.
    unsigned max_attempts = 3;

    /// Backoff before the first retry; each later one is `multiplier` times longer, up to
    /// `max_backoff`.
    std::chrono::milliseconds initial_backoff{100};
    std::chrono::milliseconds max_backoff{5'000};  ///< the longest backoff between two attempts
    double multiplier = 2.0;  ///< growth of the backoff from one retry to the next

    /// Full jitter: wait a uniformly random time between 0 and the backoff, so clients that
    /// failed together do not retry together. false waits the backoff exactly.
    bool jitter = true;

    /// A server's `Retry-After` wins over the computed backoff, up to this cap.
    std::chrono::milliseconds max_retry_after{30'000};

    /// The whole call's deadline: every attempt, the waits for a connection and the backoff
    /// sleeps. When the next attempt could not start before it, the call fails at once with
    /// the last error instead of sleeping uselessly.
    std::chrono::milliseconds total_timeout{30'000};

    /// Member-wise; calls coalesce only when their policies are equal.
    friend bool operator==(const retry_policy&, const retry_policy&) = default;
};

/// The client-wide retry budget (a token bucket in the manner of gRPC retry throttling and
/// the AWS SDKs' standard mode): each retry spends `retry_cost` tokens, each successful call
/// returns `success_refill`, up to `capacity`. During an outage retries stop once the bucket is
/// empty, so the extra load the client adds is at most `capacity / retry_cost` requests, plus
/// `success_refill / retry_cost` per success (20% with the defaults).
struct BEEOS_DECL retry_budget_options
{
    unsigned capacity = 500;      ///< tokens in a full bucket (and at start)
    unsigned retry_cost = 5;      ///< tokens one retry spends; no retry without them
    unsigned success_refill = 1;  ///< tokens a successful call gives back
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
struct BEEOS_DECL rate_limit_options
{
    /// The smallest limit (one request in about 11.6 days) that `requests_per_second` may be.
    static constexpr double min_requests_per_second = 1e-6;

    /// Most requests per second; 0 (the default) sets no limit and no adaptive behaviour.
    double requests_per_second = 0;

    /// Requests that may leave back to back; at least 1.
    unsigned burst = 1;

    bool adaptive = true;  ///< follow the gateway's 429s (see above)
    double decrease_factor = 0.5;  ///< a 429 multiplies the current rate by this
    double recovery_step = 0.1;  ///< fraction of the limit added back per quiet interval
    std::chrono::milliseconds recovery_interval{1'000};  ///< quiet time per recovery step; also the 429 dead time
    double min_rate_fraction = 0.05;  ///< the rate never falls below this fraction of the limit
};

/// What the observer hook sees after every attempt of every call.
struct BEEOS_DECL attempt_event
{
    std::string_view id;               ///< the instance id of the call
    unsigned attempt = 1;              ///< 1 for the first attempt
    boost::system::error_code result;  ///< empty on success, else a `beeos::errc`
    int http_status = 0;               ///< 0 when no status line arrived
    std::string_view api_code;         ///< the error envelope's `error.code`, if any
    /// For a call with its own credentials (`call_options::token`): the first 8 hex digits of
    /// the SHA-256 of its token, to tell tenants apart without the token. Empty otherwise.
    std::string_view credential_tag;
    std::chrono::microseconds latency{};  ///< of this attempt, from start to outcome
    /// The sleep before the next attempt; `std::nullopt` when this was the last one.
    std::optional<std::chrono::milliseconds> next_delay;
};

/// Called once per attempt, on the thread running the call; it must be thread-safe when the
/// `io_context` runs on several threads, and should be quick (it runs inline). The library itself
/// never prints or logs anything. The event holds no token.
using attempt_observer = std::function<void(const attempt_event&)>;

/// What a `token_source` is asked for.
struct BEEOS_DECL token_request
{
    /// True when the API rejected the token given last as invalid or expired (HTTP 401 with a
    /// credential error code): give a fresh one, not a cached one.
    bool refresh = false;
};

/// Completes a `token_source` request: a token, or an error (the call then fails with
/// `errc::unauthorized` and this error as its cause, without sending anything).
using token_handler = boost::asio::any_completion_handler<void(boost::system::error_code, std::string)>;

/// Gives the bearer token to use, asked each time a request is built, so that a rotating JWT
/// needs no new client. Asynchronous in Asio's universal model: complete `handler` once, from
/// any thread, now or later (an async function taking a completion token can be handed the
/// handler as its token). Concurrent calls that all see their token rejected share one
/// `refresh` request. Bounded by each call's deadline: a source that never answers fails the
/// calls that wait for it at their deadlines.
using token_source = std::function<void(const token_request& request, token_handler handler)>;

/// A `token_source` from a synchronous function, for tokens read from a file, the environment
/// or a cache.
BEEOS_DECL token_source sync_token_source(std::function<std::string(const token_request&)> get);

/// Per-call options, next to the client's: one call's retry policy and credentials. A plain
/// aggregate, e.g. `{.token = user_jwt}`.
struct BEEOS_DECL call_options
{
    /// This call's retry policy; `std::nullopt`: the client's `retry`.
    std::optional<retry_policy> retry;

    /// This call's bearer token, for a server acting for many users on one pool of
    /// connections. Empty: the client's `token` (or `token_source`). A call never receives a
    /// response fetched with another token: requests are shared (coalesced) only between calls
    /// with the same token. Never printed; errors and observer events name it by
    /// `credential_tag` only.
    std::string token;
};

/// How a `client` reaches the API. A plain aggregate: set what you need with designated
/// initialisers, e.g. `{.base_url = url, .token = key}`. The `client` constructor validates it
/// and throws `std::invalid_argument` naming the bad field.
struct BEEOS_DECL client_options
{
    /// `scheme://host[:port][/path-prefix]`, `https` or `http` (plain HTTP is for local use).
    /// A path prefix goes before `/api/v1`; a trailing slash is ignored.
    std::string base_url = "https://openapi.beeos.ai";

    /// A user JWT or an `oag_` API key, sent as `Authorization: Bearer <token>`. It never
    /// appears in an error message. Empty sends no Authorization header.
    std::string token;

    /// Asked for the token instead, when set (see `token_source`); `token` is then unused. On a
    /// 401 whose code says the token is invalid or expired, the source is asked once for a
    /// fresh token and the request sent again, without spending an attempt or retry budget; a
    /// second 401 fails as usual.
    beeos::token_source token_source;

    /// A PEM file of extra trust anchors, added to the system store. Empty: system store only.
    std::string ca_file;

    /// An HTTP proxy, `http://[user:password@]host[:port]` (`Proxy-Authorization: Basic` from the
    /// userinfo, which never appears in a message). For an https API the client opens a tunnel
    /// with `CONNECT host:port` and speaks TLS to the API inside it, the certificate and host
    /// name checked against the API's; the bearer token only travels inside the tunnel. For an
    /// http API requests go to the proxy in absolute form. `std::nullopt` (the default) reads
    /// `HTTPS_PROXY`/`https_proxy` (https APIs) or `HTTP_PROXY`/`http_proxy` (http APIs) when the
    /// client is constructed; an empty string connects directly whatever the environment says.
    std::optional<std::string> proxy;

    /// Hosts reached directly, in `NO_PROXY` syntax (`*`, domain suffixes, IP literals, CIDR
    /// ranges, each optionally with `:port`). `std::nullopt`: `NO_PROXY`/`no_proxy` from the
    /// environment when the proxy comes from the environment, nothing when `proxy` is set.
    std::optional<std::string> no_proxy;

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

    /// A connection older than this is closed when handed back instead of being reused, so
    /// the pool follows DNS changes and load-balancer rebalancing without a restart (curl's
    /// `CURLOPT_MAXLIFETIME_CONN`). 0 keeps connections for as long as they stay usable.
    std::chrono::milliseconds max_connection_age{300'000};

    /// Largest response body accepted; a larger one fails with `errc::body_too_large` without
    /// buffering the rest, and its connection is closed.
    std::size_t max_body_bytes = std::size_t{8} * 1024 * 1024;

    /// Ask for gzip (`Accept-Encoding: gzip`) and inflate gzip bodies, as Go's transport does.
    /// `max_body_bytes` bounds the inflated size too: a body that would inflate past it fails
    /// with `errc::body_too_large`, having inflated no more than the limit. A broken gzip stream
    /// is `errc::protocol`. Worth it on slow or metered links; on a fast one the inflate costs
    /// more CPU than the bytes saved (see bench/README.md).
    bool accept_gzip = true;

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
