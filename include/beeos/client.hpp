// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#ifndef BEEOS_CLIENT_HPP
#define BEEOS_CLIENT_HPP

/// \file
/// The whole public API of beeos: `#include <beeos/client.hpp>`.

#include <beeos/client_options.hpp>
#include <beeos/error.hpp>
#include <beeos/instance.hpp>
#include <beeos/timestamp.hpp>
#include <beeos/version.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/system/error_code.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace beeos {

namespace detail {
class client_impl;
}

/// What `client::async_shutdown` does with calls in flight.
enum class shutdown_mode
{
    graceful,  ///< let calls in flight (and queued for a connection) finish, then close
    cancel,    ///< fail calls in flight with `errc::shut_down` at once, then close
};

/// A client of the BeeOS OpenAPI with its own pool of keep-alive connections.
///
/// \par Thread safety
/// Distinct objects: safe. Shared objects: safe. One client may serve many coroutines at once,
/// also on an `io_context` run by several threads; the pool's bookkeeping is guarded by a mutex
/// that is never held across I/O, and each call runs on a strand of its own.
///
/// \par Object lifetimes
/// The client is a handle to shared state: calls in flight keep it alive. Destroying (or
/// `close()`-ing) the client fails calls still waiting for a connection with `errc::shut_down`,
/// aborts calls on the wire and closes every connection. The client starts no background work,
/// so it never keeps `io_context::run()` from returning; idle connections are reaped when the
/// pool is next used. A moved-from client may only be assigned to or destroyed.
class client
{
public:
    using executor_type = boost::asio::any_io_executor;

    /// Completion signature of `async_get_instance`.
    using get_instance_signature = void(boost::system::error_code, instance);

    /// \throws std::invalid_argument when `options` is invalid (bad base_url, zero limits,
    /// unreadable `ca_file`), naming the field. Never opens a connection.
    client(executor_type ex, client_options options);

    client(client&&) noexcept;
    client& operator=(client&&) noexcept;
    client(const client&) = delete;
    client& operator=(const client&) = delete;
    ~client();

    executor_type get_executor() const noexcept;

    /// Fetches one instance (`GET /api/v1/instances/{id}`), retrying as `client_options::retry`
    /// says.
    ///
    /// The id is copied before the first suspension, so a temporary is safe to pass.
    /// \throws beeos::error with the kind (`code()`), HTTP status, API code, request id and the
    /// number of attempts of the last failure.
    /// \par Per-operation cancellation
    /// Terminal, partial and total cancellation end the call promptly with `errc::cancelled`,
    /// also during a backoff sleep, e.g.
    /// `co_await (c.get_instance(id) || timer.async_wait(use_awaitable))`. A connection with a
    /// cancelled exchange is closed, never reused.
    boost::asio::awaitable<instance> get_instance(std::string_view id);

    /// As above with this call's own retry policy instead of the client's.
    boost::asio::awaitable<instance> get_instance(std::string_view id, const retry_policy& policy);

    /// Universal-model form that fills `info` with the details of a failure.
    ///
    /// Completion signature: `void(boost::system::error_code, beeos::instance)`; on failure the
    /// code is a `beeos::errc` and `info` says the rest (`format_error(ec, info)` gives one line).
    /// `info` must outlive the operation. The id is copied at initiation. Cancellation as for
    /// `get_instance`, through the completion handler's cancellation slot.
    template <class CompletionToken = boost::asio::deferred_t>
    auto async_get_instance(std::string_view id, error_info& info, CompletionToken&& token = {})
    {
        return boost::asio::async_initiate<CompletionToken, get_instance_signature>(
            initiation{this}, token, std::string(id), std::optional<retry_policy>(), &info);
    }

    /// As above with this call's own retry policy (copied at initiation).
    template <class CompletionToken = boost::asio::deferred_t>
    auto async_get_instance(std::string_view id, const retry_policy& policy, error_info& info, CompletionToken&& token = {})
    {
        return boost::asio::async_initiate<CompletionToken, get_instance_signature>(
            initiation{this}, token, std::string(id), std::optional<retry_policy>(policy), &info);
    }

    /// Universal-model form without details: the `error_code` alone says the kind of failure.
    /// Prefer the overload with `error_info` (or `get_instance`) where the status, API code and
    /// request id matter.
    template <class CompletionToken = boost::asio::deferred_t>
    auto async_get_instance(std::string_view id, CompletionToken&& token = {})
    {
        return boost::asio::async_initiate<CompletionToken, get_instance_signature>(
            initiation{this}, token, std::string(id), std::optional<retry_policy>(), static_cast<error_info*>(nullptr));
    }

    /// Shuts the client down: later calls fail with `errc::shut_down` at once; calls in flight
    /// finish (`graceful`) or fail with `errc::shut_down` (`cancel`); then every connection is
    /// closed with a TLS close_notify (bounded by min(connect_timeout, 2 s)).
    ///
    /// Completion signature: `void(boost::system::error_code)`, always success. Not cancellable.
    template <class CompletionToken = boost::asio::deferred_t>
    auto async_shutdown(shutdown_mode mode, CompletionToken&& token = {})
    {
        return boost::asio::async_initiate<CompletionToken, void(boost::system::error_code)>(
            shutdown_initiation{this}, token, mode);
    }

    /// Closes every connection at once and fails calls in flight or queued with
    /// `errc::shut_down`; later calls fail the same way. Idempotent. The destructor does the
    /// same. Use `async_shutdown` for a graceful end.
    void close();

private:
    struct initiation
    {
        client* self;
        executor_type get_executor() const noexcept { return self->get_executor(); }
        void operator()(
            boost::asio::any_completion_handler<get_instance_signature> handler,
            std::string id,
            std::optional<retry_policy> policy,
            error_info* info
        ) const
        {
            self->async_get_instance_erased(std::move(id), std::move(policy), info, std::move(handler));
        }
    };

    struct shutdown_initiation
    {
        client* self;
        executor_type get_executor() const noexcept { return self->get_executor(); }
        void operator()(boost::asio::any_completion_handler<void(boost::system::error_code)> handler, shutdown_mode mode) const
        {
            self->async_shutdown_erased(mode, std::move(handler));
        }
    };

    void async_get_instance_erased(
        std::string id,
        std::optional<retry_policy> policy,
        error_info* info,
        boost::asio::any_completion_handler<get_instance_signature> handler
    );
    void async_shutdown_erased(shutdown_mode mode, boost::asio::any_completion_handler<void(boost::system::error_code)> handler);

    std::shared_ptr<detail::client_impl> impl_;
};

}  // namespace beeos

#endif
