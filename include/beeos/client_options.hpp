// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#ifndef BEEOS_CLIENT_OPTIONS_HPP
#define BEEOS_CLIENT_OPTIONS_HPP

#include <chrono>
#include <cstddef>
#include <string>

namespace beeos {

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

    /// Bounds one whole call: waiting for a connection, connecting, sending and receiving.
    std::chrono::milliseconds request_timeout{30'000};

    /// A connection unused for this long is closed instead of reused. Below the 60 s
    /// keep-alive that common servers and load balancers use, so we close first.
    std::chrono::milliseconds idle_timeout{50'000};

    /// Largest response body accepted; a larger one fails with `errc::body_too_large` without
    /// buffering the rest, and its connection is closed.
    std::size_t max_body_bytes = 8u * 1024u * 1024u;

    /// Largest response header block accepted (`errc::headers_too_large`).
    std::size_t max_header_bytes = 64u * 1024u;

    /// Prepended to the `User-Agent` header before the library's own `beeos-cpp/<version>`.
    std::string user_agent;
};

}  // namespace beeos

#endif
