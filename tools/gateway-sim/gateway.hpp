// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#ifndef BEEOS_GATEWAY_SIM_GATEWAY_HPP
#define BEEOS_GATEWAY_SIM_GATEWAY_HPP

// A local stand-in for the BeeOS gateway: a real TLS HTTP/1.1 server that serves `getInstance`
// (`GET /api/v1/instances/{id}`) as the OpenAPI contract describes it and injects faults on
// demand. The integration tests run it in-process; `beeos-gateway-sim` runs it standalone.
//
// This header names no Asio, Beast or OpenSSL type, so tests that include it stay cheap to
// compile; all of that lives in gateway.cpp.

#include "test_pki.hpp"

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace beeos::sim {

/// Which certificate the server presents.
enum class certificate
{
    good,        ///< `test_pki::server_cert_pem`: verifies against the CA for 127.0.0.1/localhost
    wrong_host,  ///< `test_pki::wrong_host_cert_pem`: trusted chain, wrong name
    untrusted,   ///< `test_pki::untrusted_cert_pem`: right names, unknown issuer
};

/// A scripted misbehaviour for matching requests. Fields combine; a default `fault` changes
/// nothing but still counts against `times`.
struct fault
{
    /// Sleep this long after reading the request, before sending anything.
    std::chrono::milliseconds delay{0};

    /// Non-zero: answer with this status. 4xx/5xx carry an `ErrorResponse` envelope with
    /// `code`; other statuses have an empty body (unless `body` is set).
    int status = 0;

    /// `error.code`; empty picks the usual one for `status` (400 invalid_param,
    /// 401 unauthorized, 403 forbidden, 404 instance_not_found, 429 rate_limited,
    /// 500/502 internal_error, 503 auth_transient, 504 service_timeout, ...).
    std::string code;

    /// `Retry-After` header value, sent verbatim.
    std::optional<std::string> retry_after;

    /// `Location` header value, sent verbatim (3xx tests).
    std::optional<std::string> location;

    /// Replaces the body verbatim (invalid JSON, an HTML 502 page, ...), whatever the status.
    std::optional<std::string> body;

    /// Replaces `Content-Type` (otherwise `application/json`).
    std::optional<std::string> content_type;

    /// Abort the TCP connection with RST (SO_LINGER 0) right after reading the request (and
    /// after `delay`): no response byte is sent.
    bool reset_before_response = false;

    /// Send the full header (true Content-Length) but only half of the body, then close the
    /// TCP connection (no TLS close_notify).
    bool truncate_body = false;

    /// Respond normally (keep-alive) and then close the TCP connection, so that the client's
    /// next reuse of it meets a closed connection: the keep-alive race.
    bool close_after_response = false;

    /// Respond with `Connection: close` and close afterwards.
    bool connection_close = false;

    /// Send the body with chunked transfer-encoding, in several chunks.
    bool chunked = false;

    /// Non-zero: answer 200 with `Content-Length` of this many bytes and stream the body in
    /// 64 KiB writes until done or the client goes away; it is never buffered whole. With
    /// `chunked`, the same bytes go out as 64 KiB chunks without a Content-Length.
    std::size_t oversized_body_bytes = 0;

    /// How many matching requests this fault applies to; -1 means forever (0 is ignored).
    int times = 1;
};

/// How to run a `gateway`. Fixed for the gateway's lifetime.
struct config
{
    std::string address = "127.0.0.1";

    /// 0 picks an ephemeral port on the first `start()`; later starts reuse it.
    unsigned short port = 0;

    /// false serves plain HTTP.
    bool tls = true;

    certificate cert = certificate::good;

    /// Accept TCP but never answer the TLS handshake: the socket stays open and whatever the
    /// client sends is read and discarded (connect/handshake timeout tests).
    bool stall_tls = false;

    /// Accepted bearer tokens.
    std::vector<std::string> tokens = {"oag_test_token"};

    /// Ids `inst_0` .. `inst_{instance_count - 1}` exist.
    std::size_t instance_count = 1000;

    /// Routes are served under `path_prefix + "/api/v1/..."`, e.g. "/gw". A trailing '/' is
    /// ignored.
    std::string path_prefix;

    /// Connections idle (or stuck mid-request) longer than this are closed by the server.
    std::chrono::milliseconds keep_alive_timeout{60000};

    /// Threads running the server's own io_context.
    int threads = 1;
};

/// What the server saw of one complete request. Never holds a credential.
struct request_record
{
    std::string target;                // request-target as sent
    std::string id;                    // the `{id}` segment percent-decoded; empty off-route
    std::string authorization_scheme;  // e.g. "Bearer": the text before the first space only
    bool had_authorization = false;
    std::string user_agent;
    std::string accept;
    std::string host;
};

struct stats
{
    std::size_t connections_accepted = 0;  // TCP accepts
    std::size_t tls_handshakes = 0;        // completed handshakes
    std::size_t requests = 0;              // complete requests read, faulted ones included
    std::size_t open_connections = 0;      // now
    std::size_t max_open_connections = 0;  // high-water mark since start() or reset_stats()
};

/// The simulator. All members are thread-safe: the server runs on its own threads while a
/// test thread calls these. The mutex guarding shared state is never held across I/O.
///
/// Routes, in order:
/// - a path other than `{prefix}/api/v1/instances/{one segment}`: 404 `route_not_found`;
/// - a method other than GET: 405 `method_not_allowed`;
/// - no `Authorization`: 401 `missing_token`; not `Bearer <accepted token>`: 401
///   `invalid_token`;
/// - an id over 128 characters, or one not valid after percent-decoding: 400 `invalid_param`;
/// - an id given to `set_instance`: 200 with that data;
/// - `inst_forbidden...`: 403 `forbidden`;
/// - `inst_<n>` with n < instance_count: 200 with the fixture, `data.id` set to the id;
/// - anything else: 404 `instance_not_found`.
/// A matching fault is applied before all of this. Every response has a unique
/// `X-Request-Id: req_<16 hex>`, repeated as `error.request_id` in error envelopes.
class gateway
{
public:
    /// Makes its own `test_pki`.
    explicit gateway(config cfg = {});
    gateway(config cfg, test_pki pki);
    gateway(gateway&&) noexcept;
    gateway& operator=(gateway&&) noexcept;
    /// Stops and joins.
    ~gateway();

    /// Binds (SO_REUSEADDR), listens, and runs the server on `config::threads` threads.
    /// Returns once listening. \throws std::system_error if binding fails,
    /// std::logic_error if already running.
    void start();

    /// Closes the acceptor and every connection (clients mid-request or stuck in a TLS
    /// handshake included) and joins the threads. Idempotent. `start()` may be called again
    /// afterwards and listens on the same port.
    void stop();

    /// The listening port (the ephemeral one once started); 0 before the first start().
    unsigned short port() const;

    /// "https://127.0.0.1:PORT" (http:// without TLS), plus the path prefix.
    std::string url() const;

    const test_pki& pki() const;

    /// Applies `f` to requests for `id` (percent-decoded). An empty id matches any request.
    /// Faults for a specific id win over "any"; among faults for the same id, first added
    /// applies first.
    void add_fault(std::string id, fault f);
    void clear_faults();

    /// Serves `data_json` verbatim as `data` for `id` (not validated, so it may be malformed
    /// on purpose). Overrides the synthetic instance and the forbidden rule for that id.
    void set_instance(std::string id, std::string data_json);

    /// Closes (TCP FIN, no TLS close_notify) every connection that is waiting for its next
    /// request with no byte of it received, like a server dropping idle keep-alive
    /// connections. Returns once those sockets are closed.
    void close_idle_connections();

    stats get_stats() const;

    /// Zeroes the counters, `requests_for` and `recent_requests`; the high-water mark
    /// restarts from the connections open now.
    void reset_stats();

    /// Complete requests whose decoded id was `id`.
    std::size_t requests_for(std::string_view id) const;

    /// The last (up to) 10,000 complete requests, oldest first.
    std::vector<request_record> recent_requests() const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace beeos::sim

#endif
