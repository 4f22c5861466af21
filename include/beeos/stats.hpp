// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#ifndef BEEOS_STATS_HPP
#define BEEOS_STATS_HPP

/// \file
/// `client_stats`: what `client::stats()` reports, for logs and metrics exporters.

#include <beeos/config.hpp>

#include <cstddef>
#include <cstdint>

namespace beeos {

/// A snapshot of a client's state. Gauges say how things are now; counters only grow (since
/// the client was constructed), so they can be exported as Prometheus counters and rates
/// taken from them.
struct BEEOS_DECL client_stats
{
    // ---- gauges

    std::size_t connections_open = 0;     ///< idle + leased + being opened (at most `max_connections`)
    std::size_t connections_idle = 0;     ///< in the pool, ready for reuse
    std::size_t connections_leased = 0;   ///< carrying a request (connected)
    std::size_t connections_opening = 0;  ///< resolving, connecting, TLS handshake (or CONNECT through a proxy)
    std::size_t calls_in_flight = 0;      ///< calls started and not completed (joined callers not counted)
    std::size_t calls_queued = 0;         ///< calls waiting for a free connection
    unsigned retry_budget_tokens = 0;     ///< tokens left in the retry budget
    double rate_limit_current = 0;        ///< requests per second the rate limiter allows now; 0 without a limit

    // ---- counters

    std::uint64_t calls_started = 0;        ///< HTTP operations started (coalesced joins not counted)
    std::uint64_t calls_failed = 0;         ///< of those, the ones that completed with an error
    std::uint64_t requests_sent = 0;        ///< requests written to a connection, every attempt and re-send
    std::uint64_t retries = 0;              ///< attempts after the first
    std::uint64_t resends_after_stale = 0;  ///< requests sent again because a pooled connection had been closed by the server
    std::uint64_t coalesced_joins = 0;      ///< callers that joined a request already in flight
    std::uint64_t rate_limit_refusals = 0;  ///< calls refused because their turn would pass their deadline
    std::uint64_t token_refreshes = 0;      ///< fresh tokens asked of the token source after a rejection
    std::uint64_t bytes_received = 0;       ///< bytes of HTTP responses read (after TLS, before any content decoding)
    std::uint64_t connections_opened = 0;   ///< connections whose opening started

    /// Connections closed, by cause; their sum grows with `connections_opened`.
    struct closed_counts
    {
        std::uint64_t idle_timeout = 0;  ///< unused for `idle_timeout`
        std::uint64_t max_age = 0;       ///< older than `max_connection_age` when handed back
        std::uint64_t stale = 0;         ///< found closed by the server before reuse
        std::uint64_t not_reusable = 0;  ///< after a failure, `Connection: close`, HTTP/1.0, bytes after a response, a failed connect
        std::uint64_t shutdown = 0;      ///< by `close()`, `async_shutdown` or the destructor
    } connections_closed;  ///< connections closed, by cause
};

}  // namespace beeos

#endif
