// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#ifndef BEEOS_SRC_HOST_RESOLVER_HPP
#define BEEOS_SRC_HOST_RESOLVER_HPP

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace beeos::detail {

/// Name resolution that a caller can walk away from.
///
/// getaddrinfo(3) cannot be cancelled, and Asio runs it on one private thread per io_context
/// whose pending lookups count as work: a dead nameserver then holds every new connection past
/// its deadline and keeps `io_context::run()` from returning. Here each lookup runs on a
/// detached thread of its own that is not io_context work (curl's threaded resolver does the
/// same): a caller waits for it on its own timer and may leave at its deadline or on
/// cancellation; the lookup finishes later and its result goes to whoever still waits.
/// Concurrent lookups of one host and port share one thread (single-flight), so a burst of new
/// connections costs one lookup, and abandoned lookups cannot pile up threads. Nothing is
/// cached: the next lookup after one has finished asks again. Thread-safe.
class host_resolver : public std::enable_shared_from_this<host_resolver>
{
public:
    /// The addresses of a host, in the order getaddrinfo gives them (RFC 6724).
    using results_type = std::vector<boost::asio::ip::tcp::endpoint>;

    /// Runs on the lookup's thread; blocking is its job. The default asks getaddrinfo.
    using lookup_function = std::function<results_type(const std::string& host, const std::string& port, boost::system::error_code& ec)>;

    /// What a waiter is told, on its executor.
    using completion = std::function<void(boost::system::error_code, results_type)>;

    explicit host_resolver(lookup_function lookup = {});

    struct lookup;

    /// A caller's place in a lookup. Dropping it (at a deadline, on cancellation, or when the
    /// caller's coroutine frame is destroyed with its io_context) guarantees that the
    /// completion is never posted afterwards. Move-only.
    class ticket
    {
    public:
        ticket() = default;
        ticket(std::shared_ptr<lookup> l, std::uint64_t id) : lookup_(std::move(l)), id_(id) {}
        ticket(ticket&& other) noexcept : lookup_(std::move(other.lookup_)), id_(other.id_) {}
        ticket& operator=(ticket&& other) noexcept;
        ticket(const ticket&) = delete;
        ticket& operator=(const ticket&) = delete;
        ~ticket() { reset(); }

        /// Leaves the lookup now.
        void reset() noexcept;

    private:
        std::shared_ptr<lookup> lookup_;
        std::uint64_t id_ = 0;
    };

    /// Starts a lookup of `host`:`port`, or joins the one in flight. `done` is posted to `ex`
    /// once, with the outcome, unless the ticket is dropped first; never run inline.
    ticket resolve(const std::string& host, const std::string& port, boost::asio::any_io_executor ex, completion done);

    /// Lookups in flight now (threads still inside `lookup_function`), for tests.
    std::size_t lookups_in_flight() const;

private:
    void finished(const std::string& key, const std::shared_ptr<lookup>& l);

    lookup_function lookup_;
    mutable std::mutex mtx_;
    std::map<std::string, std::shared_ptr<lookup>> in_flight_;  // "host\nport"
};

}  // namespace beeos::detail

#endif
