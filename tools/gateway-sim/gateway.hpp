// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#ifndef BEEOS_GATEWAY_SIM_GATEWAY_HPP
#define BEEOS_GATEWAY_SIM_GATEWAY_HPP

// A local stand-in for the BeeOS gateway: a real TLS HTTP/1.1 server that serves `getInstance`
// (`GET /api/v1/instances/{id}`) and `listInstances` (`GET /api/v1/instances`) as the OpenAPI
// contract describes them, moves instances through scripted lifecycles over time, and injects
// faults on demand. The integration tests run it in-process; `beeos-gateway-sim` runs it
// standalone.
//
// This header names no Asio, Beast or OpenSSL type, so tests that include it stay cheap to
// compile; all of that lives in gateway.cpp.

#include "test_pki.hpp"

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace beeos::sim {

/// The `add_fault` id whose faults apply to listing requests (`GET {prefix}/api/v1/instances`)
/// only. A getInstance request for an id spelled like this never takes them.
inline constexpr std::string_view list_route = "(list)";

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
    /// TCP connection (no TLS close_notify). With the raw-byte faults below (interim, framing,
    /// dribble, trailing, unsolicited) the cut is half of the framed body, and nothing follows.
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

    /// Interim (1xx) responses sent before the final one, in this order, e.g. {103} or
    /// {100, 103, 103}; each must be 100..199. Each is a complete HTTP/1.1 1xx response with
    /// a `Server` header; 103 Early Hints also carries `Link: </app.css>; rel=preload;
    /// as=style`, and 101 Switching Protocols `Connection: Upgrade` and `Upgrade: websocket`
    /// (a client must treat 101 as a protocol error). With `oversized_body_bytes` they go out
    /// before the streamed header, in a write (or writes) of their own.
    std::vector<int> interim_statuses;

    /// false: all interim responses and the final response leave in one write. true: every
    /// interim response is its own write and each write after the first follows a 5 ms pause,
    /// so a client sees the 1xx responses and the final one in separate reads.
    bool interim_split = false;

    /// getInstance only: answer 200 with the body getInstance would serve for the requested id
    /// (its `set_instance` data, its script's state or the fixture, `name` still
    /// `sim-<requested id>`; the fixture even for an id that would be a 404) but with
    /// `data.id` set to this value. `status` is ignored; `set_instance` data that is not a
    /// JSON object is served as it is. Listing requests ignore it. With
    /// `echo_authorization_at` too, `data.id` is `"x" * at + <token>` (the request's token
    /// alone) instead of this value.
    std::optional<std::string> wrong_id;

    /// The desynchronisation attack: after the real response, keep the connection open and
    /// write a second complete, valid 200 response (`Content-Length` framed, its own
    /// `X-Request-Id`) with the body getInstance would serve for this id at that moment, the
    /// fixture if it would not serve a 200. Nobody asked for it. The server reads the next
    /// request only after sending it; `connection_close` and `close_after_response` close
    /// after it.
    std::optional<std::string> unsolicited_id;

    /// 0: the unsolicited response goes in the same write as the real one (bytes after its
    /// body, after `trailing_bytes`). Otherwise it is written this long after the real
    /// response, so it arrives after the client has finished reading the first.
    std::chrono::milliseconds unsolicited_delay{0};

    /// Token echo: the request's `Authorization` value (`Bearer <token>`, verbatim) appears
    /// in every server-text place, preceded by 'x' filler so that the token's first byte (the
    /// byte after the scheme and its space) sits at this byte offset of the place's value:
    /// `error.type`, `error.code`, `error.message`, `error.request_id` (each exactly
    /// `"x" * (at - 7) + "Bearer <token>"`) and the `X-Request-Id` header (any status). With
    /// a 3xx-5xx `status` the body is that error envelope (3xx too); with a 3xx also
    /// `Location: https://` + `"x" * (at - 8)` + `<token>.evil.example/next` (token alone,
    /// replacing `location`). An offset smaller than what must precede the token (7 in the
    /// fields, 8 in `Location`) means no filler. Offset 1020 puts the token across a 1 KiB cut.
    std::optional<std::size_t> echo_authorization_at;

    /// Non-zero: the final response's header block (status line to the blank line) is
    /// written one byte per write with this pause between bytes; the body, `trailing_bytes`
    /// and a zero-delay unsolicited response follow in one write. Interim responses go before
    /// it as `interim_split` says (one write when false).
    std::chrono::milliseconds header_dribble{0};

    /// Two `Content-Length` fields with different values: the first the true body length N,
    /// the second N + 1.
    bool duplicate_content_length = false;

    /// A chunked body (as `chunked`) whose header also carries `Content-Length: N`, N the
    /// length of the unchunked body, before `Transfer-Encoding: chunked`. With
    /// `duplicate_content_length`, both of its fields are there too.
    bool content_length_with_chunked = false;

    /// Sent right after the body, in the same write; not counted in any framing.
    std::optional<std::string> trailing_bytes;

    /// The body is gzipped as `config::gzip` would, but whatever the request's
    /// `Accept-Encoding` and `config::gzip` say, for any status that may carry a body (not
    /// 1xx, 204, 304; an empty body too), and sent with `Content-Encoding: gzip` after the byte
    /// at offset `size / 2` of the gzip data is XORed with 0xff: the header promises gzip,
    /// inflating fails (a bad code or the CRC-32 check).
    bool gzip_corrupt = false;

    /// Non-zero, the decompression bomb: answer 200 (`status` and the other body faults
    /// ignored) whose body is this many zero bytes gzipped, with `Content-Encoding: gzip`,
    /// `Content-Type: application/json` and chunked transfer-encoding (the compressed length
    /// is not known up front), whatever the request's `Accept-Encoding`. deflate (level 9) is
    /// fed 64 KiB of zeros at a time and each piece of output goes out as a chunk of its own
    /// as it is produced, so neither the N bytes nor the whole compressed body are ever in
    /// memory; the server stops once the client goes away. 1 GiB compresses to about 1 MiB.
    std::size_t gzip_bomb_bytes = 0;

    /// Sent as `Content-Encoding` (e.g. "br", "gzip", "identity, gzip") with the body exactly
    /// as it would be without compression: `gzip_corrupt` and negotiated gzip are skipped.
    std::optional<std::string> content_encoding;

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

    /// Accepted bearer tokens, each without an owner. `gateway::set_tokens` replaces them at
    /// run time.
    std::vector<std::string> tokens = {"oag_test_token"};

    /// Tenants: token -> owner id. These tokens are accepted too (in addition to `tokens`;
    /// one listed in both counts as the owner's). A getInstance or listInstances request
    /// authorised by one of them is answered as that owner sees it: every served instance
    /// (fixture-based, scripted and `set_instance` data that is a JSON object) has `ownerId`
    /// set to the owner and `name` prefixed with `"<owner>:"` (the fixture-based name becomes
    /// `"<owner>:sim-<id>"`; verbatim data without a string `name` keeps what it has), so a
    /// client test can tell which token a response was fetched with. A plain token sees
    /// `name` `sim-<id>` and the fixture's `ownerId`. `gateway::set_token_owners` replaces
    /// the map at run time.
    std::map<std::string, std::string> token_owners;

    /// Owner -> ids only that owner may see. An id listed under one or more owners is, for a
    /// request authorised by any other owner's token, a 404 `instance_not_found` in
    /// getInstance (before `set_instance` data, scripts and the forbidden rule) and absent
    /// from listings (not counted in `total`). A plain token (without an owner) sees it
    /// normally.
    std::map<std::string, std::set<std::string>> owner_instances;

    /// Compress bodies the client accepts gzip for: when the request's `Accept-Encoding` lists
    /// `gzip` with a q-value other than 0 (or, without a `gzip` entry, `*` with such a
    /// q-value; `gzip;q=0` means no), the body of a 200 or 4xx/5xx response from the routes
    /// or from a fault's `status`/`body` is gzipped (deflate, windowBits 31) and sent with
    /// `Content-Encoding: gzip`. Not compressed: empty bodies, other statuses, the streamed
    /// `oversized_body_bytes`, the unsolicited response, and the 400/413/431 sent for a
    /// request that could not be parsed.
    bool gzip = false;

    /// Ids `inst_0` .. `inst_{instance_count - 1}` exist.
    std::size_t instance_count = 1000;

    /// Routes are served under `path_prefix + "/api/v1/..."`, e.g. "/gw". A trailing '/' is
    /// ignored.
    std::string path_prefix;

    /// Connections idle (or stuck mid-request) longer than this are closed by the server.
    std::chrono::milliseconds keep_alive_timeout{60000};

    /// Threads running the server's own io_context.
    int threads = 1;

    /// Non-zero: every synthetic `inst_<n>` without a lifecycle script flips `connectivity`
    /// between "online" and "offline" every `churn_period`, so that a watcher of many ids sees
    /// a steady trickle of changes. Id n has phase
    /// `p = ((n * 7919) % instance_count) * churn_period / instance_count` (the configured
    /// count, so `set_instance_count` does not reshuffle phases): measured from the gateway's
    /// construction, it is "online" while `floor((t + p) / churn_period)` is even. All start
    /// "online"; each flips first at `churn_period - p`. Only `connectivity` changes.
    std::chrono::milliseconds churn_period{0};
};

/// Fields of an instance that move over its life; std::nullopt keeps the value of the fixture
/// body. Each is the wire string (e.g. status "provisioning"); error_message "" means
/// absent/empty.
struct instance_state
{
    std::optional<std::string> status{};                // `status`
    std::optional<std::string> desired_status{};        // `desiredStatus`
    std::optional<std::string> connectivity{};          // `connectivity`
    std::optional<std::string> connectivity_reason{};   // `connectivityReason`
    std::optional<std::string> ms_connection_status{};  // `msConnectionStatus`
    std::optional<std::string> error_message{};         // `errorMessage`
    std::optional<std::string> endpoint{};              // `endpoint`

    friend bool operator==(const instance_state&, const instance_state&) = default;
};

/// One step of a lifecycle script: from `at` after `set_lifecycle()` on, `state` applies.
struct lifecycle_step
{
    std::chrono::milliseconds at{0};
    instance_state state{};
};

/// A step of a script whose time has passed.
struct transition
{
    std::size_t step;                          // index into the script
    std::chrono::steady_clock::time_point at;  // when it took effect
    instance_state state;                      // the merge of steps 0..step: what is served
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
    std::string accept_encoding;  // `Accept-Encoding` as sent, empty without one
    std::string host;
    std::chrono::steady_clock::time_point received;  // when the complete request was read

    /// `token_tag()` of the accepted token that authorised the request (checked when it was
    /// read, before any fault applies: faulted requests have one too); empty if the token was
    /// missing or not accepted.
    std::string token_tag;

    /// `token_tag()` of the token after `Bearer ` (trimmed), accepted or not; empty without a
    /// Bearer token. Tells which stale token a refused request carried.
    std::string presented_token_tag;

    /// The owner (`config::token_owners`) of the token that authorised it; empty for a plain
    /// token or none.
    std::string owner;
};

/// A short, non-secret name for a token: the first 8 hex digits (lowercase) of its SHA-256,
/// e.g. `token_tag("abc") == "ba7816bf"`. What `request_record` holds instead of the token.
std::string token_tag(std::string_view token);

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
/// getInstance routes, in order:
/// - a path other than `{prefix}/api/v1/instances/{one segment}` (or the listing path below):
///   404 `route_not_found`;
/// - a method other than GET: 405 `method_not_allowed`;
/// - no `Authorization`: 401 `missing_token`; not `Bearer <accepted token>`: 401
///   `invalid_token` (accepted: `config::tokens` or `set_tokens`, and `token_owners`' keys);
/// - an id over 128 characters, or one not valid after percent-decoding: 400 `invalid_param`;
/// - an id `config::owner_instances` keeps from the token's owner: 404 `instance_not_found`;
/// - an id given to `set_instance`: 200 with that data;
/// - an id with a lifecycle script (`set_lifecycle`, `set_state`): 200 with the fixture,
///   `data.id` set to the id, patched with the script's current state;
/// - `inst_forbidden...`: 403 `forbidden`;
/// - `inst_<n>` with n < instance count: 200 with the fixture, `data.id` set to the id
///   (`connectivity` churning if `config::churn_period` is set);
/// - anything else: 404 `instance_not_found`.
///
/// listInstances, `GET {prefix}/api/v1/instances` (query parameters percent-decoded, '+' as
/// space; unknown ones ignored):
/// - a method other than GET: 405 `method_not_allowed`; missing or bad token: 401 as above;
/// - `page` not an integer in 0..2^31-1, or `pageSize` not one in 0..200: 400 `invalid_param`
///   with `param` naming it (an empty value is not an integer);
/// - otherwise 200 `{"success":true,"data":[...],"total":N}`: the synthetic instances
///   `inst_0` .. `inst_{count-1}` in order of n, each exactly the `data` getInstance would
///   serve for it now, kept if `status`, `providerId`, `agentFramework` and `clusterId` (those
///   given) equal its fields exactly, then sliced to `[page*pageSize, page*pageSize+pageSize)`
///   (`page` defaults to 0, `pageSize` to 20, and 0 means 20). `total` counts all kept items.
///   Ids with a script but no synthetic number are not listed. The `search` parameter of the
///   contract is ignored.
///
/// A request authorised by a tenant token (`config::token_owners`) is served as its owner sees
/// it. A matching fault is applied before all of this. Every response has a unique
/// `X-Request-Id: req_<16 hex>`, repeated as `error.request_id` in error envelopes.
///
/// Lifecycle scripts, `set_state` and churn run on `std::chrono::steady_clock` from the moment
/// they are set (churn: from construction), independently of `start()`/`stop()`: they survive
/// a restart and keep moving while the server is stopped.
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

    /// Applies `f` to requests for `id` (percent-decoded). An empty id matches any request,
    /// listing included; `list_route` matches listing requests only. Faults for a specific id
    /// (or `list_route`) win over "any"; among faults for the same id, first added applies
    /// first. \throws std::invalid_argument if `status` is not 0 or 100..599, or an
    /// `interim_statuses` entry is not 100..199.
    void add_fault(std::string id, fault f);
    void clear_faults();

    /// Serves `data_json` verbatim as `data` for `id` (not validated, so it may be malformed
    /// on purpose). Overrides the synthetic instance, any lifecycle script or churn and the
    /// forbidden rule for that id, in getInstance and (for `inst_<n>` with n < count) in
    /// listings. Listing filters read its fields; malformed data matches no filter.
    void set_instance(std::string id, std::string data_json);

    /// Scripts `id` (which then exists even if it is not a synthetic inst_<n>, and even if it
    /// starts with `inst_forbidden`): before the first step's time the fixture values are
    /// served; from step i's time on, the fixture patched with the merge of steps 0..i (later
    /// steps override earlier ones field by field). Times count from this call. Replaces any
    /// earlier script for `id`; an empty `steps` removes it. A script overrides churn for
    /// `id` (before its first step, too).
    /// \throws std::invalid_argument if the steps' `at` decrease.
    void set_lifecycle(std::string id, std::vector<lifecycle_step> steps);

    /// Applies a state at once: replaces id's script with a one-step script at 0 whose state is
    /// `state` merged onto the state served now (the current script's merged state, or the
    /// churned `connectivity` of an unscripted synthetic id). Pending steps of an earlier
    /// script are dropped, and `transitions_for(id)` then lists just this step.
    void set_state(std::string id, instance_state state);

    /// The steps of id's script whose time has passed, in order: what the gateway has served
    /// from, so a test can compare a watcher's events with exactly these. Empty without a
    /// script.
    std::vector<transition> transitions_for(std::string_view id) const;

    /// Changes how many synthetic instances exist (`config::instance_count` at start): listing
    /// `total`s follow at once, and getInstance of `inst_<n>` with n >= count gives 404
    /// (unless it has data or a script).
    void set_instance_count(std::size_t n);

    /// Closes (TCP FIN, no TLS close_notify) every connection that is waiting for its next
    /// request with no byte of it received, like a server dropping idle keep-alive
    /// connections. Returns once those sockets are closed.
    void close_idle_connections();

    stats get_stats() const;

    /// Zeroes the counters, `requests_for`, `list_requests`, `requests_by_token_tag` and
    /// `recent_requests`; the high-water mark restarts from the connections open now. Scripts
    /// are kept.
    void reset_stats();

    /// Complete listing requests (`GET`, or any other method, on the listing path).
    std::size_t list_requests() const;

    /// Complete requests whose decoded id was `id`.
    std::size_t requests_for(std::string_view id) const;

    /// The last (up to) 10,000 complete requests, oldest first.
    std::vector<request_record> recent_requests() const;

    /// Token rotation: from now on the accepted plain tokens are exactly `tokens` (replacing
    /// `config::tokens` or the last call's; `token_owners` are unaffected). A request read
    /// afterwards with a token no longer accepted gets 401 `invalid_token`, one without any
    /// `missing_token`. Connections stay open; requests already read keep the verdict they had.
    void set_tokens(std::vector<std::string> tokens);

    /// Replaces `config::token_owners` (or the last call's map) the same way.
    void set_token_owners(std::map<std::string, std::string> token_owners);

    /// How many complete requests each accepted token authorised, keyed by `token_tag()`, since
    /// construction or `reset_stats()` (not capped like `recent_requests`). Refused requests
    /// are not counted.
    std::map<std::string, std::size_t> requests_by_token_tag() const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace beeos::sim

#endif
