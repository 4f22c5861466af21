// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#ifndef BEEOS_CLIENT_HPP
#define BEEOS_CLIENT_HPP

/// \file
/// The whole public API of beeos: `#include <beeos/client.hpp>`.

#include <beeos/config.hpp>
#include <beeos/batch.hpp>
#include <beeos/client_options.hpp>
#include <beeos/error.hpp>
#include <beeos/instance.hpp>
#include <beeos/listing.hpp>
#include <beeos/stats.hpp>
#include <beeos/timestamp.hpp>
#include <beeos/version.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/error_code.hpp>

#include <concepts>
#include <cstdint>
#include <memory>
#include <optional>
#include <ranges>
#include <string>
#include <string_view>
#include <vector>

namespace beeos {

namespace detail {
class client_impl;
struct client_access;
}

/// A range of instance ids: anything iterable whose elements convert to `std::string_view`
/// (`std::vector<std::string>`, `std::array<const char*, N>`, a view, ...).
template <class R>
concept id_range = std::ranges::input_range<R> && std::convertible_to<std::ranges::range_reference_t<R>, std::string_view>;

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
class BEEOS_DECL client
{
public:
    using executor_type = boost::asio::any_io_executor;  ///< the executor given at construction

    /// Completion signature of `async_get_instance`.
    using get_instance_signature = void(boost::system::error_code, instance);

    /// \throws std::invalid_argument when `options` is invalid (bad base_url, zero limits,
    /// unreadable `ca_file`), naming the field. Never opens a connection.
    client(executor_type ex, client_options options);

    /// Moving keeps the pool and the calls in flight; the moved-from client is empty.
    ///@{
    client(client&&) noexcept;
    client& operator=(client&&) noexcept;
    ///@}
    client(const client&) = delete;
    client& operator=(const client&) = delete;
    ~client();

    executor_type get_executor() const noexcept;  ///< the executor given at construction

    /// A snapshot of the client's connections, calls and counters (see `client_stats`).
    /// Thread-safe, cheap (a few locked reads, no I/O); counters only grow.
    client_stats stats() const;

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

    /// As above with this call's own options: retry policy, credentials (copied at once).
    boost::asio::awaitable<instance> get_instance(std::string_view id, const call_options& options);

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
            initiation{this}, token, std::string(id), call_options(), &info);
    }

    /// As above with this call's own retry policy (copied at initiation).
    template <class CompletionToken = boost::asio::deferred_t>
    auto async_get_instance(std::string_view id, const retry_policy& policy, error_info& info, CompletionToken&& token = {})
    {
        return boost::asio::async_initiate<CompletionToken, get_instance_signature>(
            initiation{this}, token, std::string(id), call_options{.retry = policy, .token = {}}, &info);
    }

    /// As above with this call's own options (copied at initiation).
    template <class CompletionToken = boost::asio::deferred_t>
    auto async_get_instance(std::string_view id, const call_options& options, error_info& info, CompletionToken&& token = {})
    {
        return boost::asio::async_initiate<CompletionToken, get_instance_signature>(
            initiation{this}, token, std::string(id), options, &info);
    }

    /// Universal-model form without details: the `error_code` alone says the kind of failure.
    /// Prefer the overload with `error_info` (or `get_instance`) where the status, API code and
    /// request id matter.
    template <class CompletionToken = boost::asio::deferred_t>
    auto async_get_instance(std::string_view id, CompletionToken&& token = {})
    {
        return boost::asio::async_initiate<CompletionToken, get_instance_signature>(
            initiation{this}, token, std::string(id), call_options(), static_cast<error_info*>(nullptr));
    }

    /// Completion signature of `async_get_instances`: one outcome per input id, in input order.
    using get_instances_signature = void(std::vector<lookup_result>);

    /// Fetches many instances concurrently, at most `client_options::batch_concurrency` in
    /// flight, and completes with one outcome per input id in input order: the instance or the
    /// error for that id. One failing id never fails the others. A duplicate id is fetched once
    /// and its outcome copied to each of its positions. The ids are copied at initiation.
    ///
    /// Never fails as a whole. Cancelling it (through the token's cancellation slot) cancels
    /// the lookups still running; their outcomes say `errc::cancelled`.
    template <id_range Ids, class CompletionToken = boost::asio::deferred_t>
        requires(!std::same_as<std::decay_t<CompletionToken>, call_options>)
    auto async_get_instances(Ids&& ids, CompletionToken&& token = {})
    {
        return boost::asio::async_initiate<CompletionToken, get_instances_signature>(
            batch_initiation{this}, token, collect_ids(std::forward<Ids>(ids)), call_options());
    }

    /// As above, every lookup with these options (e.g. one tenant's token).
    template <id_range Ids, class CompletionToken = boost::asio::deferred_t>
    auto async_get_instances(Ids&& ids, const call_options& options, CompletionToken&& token = {})
    {
        return boost::asio::async_initiate<CompletionToken, get_instances_signature>(
            batch_initiation{this}, token, collect_ids(std::forward<Ids>(ids)), options);
    }

    /// `co_await client.get_instances(ids)`: the coroutine form of `async_get_instances`.
    // Overloads rather than a defaulted `call_options`: g++ 12 destroys a default argument of
    // a call inside `co_await` twice (GCC PR 99576).
    template <id_range Ids>
    boost::asio::awaitable<std::vector<lookup_result>> get_instances(Ids&& ids)
    {
        return async_get_instances(std::forward<Ids>(ids), call_options(), boost::asio::use_awaitable);
    }

    /// As above, every lookup with these options.
    template <id_range Ids>
    boost::asio::awaitable<std::vector<lookup_result>> get_instances(Ids&& ids, const call_options& options)
    {
        return async_get_instances(std::forward<Ids>(ids), options, boost::asio::use_awaitable);
    }

    /// Fetches many instances like `get_instances`, but yields each outcome as soon as it is
    /// complete, so memory stays bounded by the concurrency, not by the number of ids. Each
    /// distinct id is yielded once. Lookups start at the first `async_next`.
    template <id_range Ids>
    instance_stream stream_instances(Ids&& ids)
    {
        return stream_instances_erased(collect_ids(std::forward<Ids>(ids)), call_options());
    }

    /// As above, every lookup with these options.
    template <id_range Ids>
    instance_stream stream_instances(Ids&& ids, const call_options& options)
    {
        return stream_instances_erased(collect_ids(std::forward<Ids>(ids)), options);
    }

    /// Completion signature of `async_list_instances_page`.
    using list_page_signature = void(boost::system::error_code, instance_page);

    /// One page of `GET /api/v1/instances` (0-based `page`), with the same retries, deadlines,
    /// rate limit and error details as `get_instance`. `info.id` names the page, e.g.
    /// `list_instances(page 3)`. The filter is copied at initiation.
    template <class CompletionToken = boost::asio::deferred_t>
    auto async_list_instances_page(const list_filter& filter, std::uint32_t page, error_info& info, CompletionToken&& token = {})
    {
        return boost::asio::async_initiate<CompletionToken, list_page_signature>(
            list_initiation{this}, token, filter, page, call_options(), &info);
    }

    /// As above with this call's own options (the retry policy and the token whose instances
    /// are listed).
    template <class CompletionToken = boost::asio::deferred_t>
    auto async_list_instances_page(const list_filter& filter, std::uint32_t page, const call_options& options, error_info& info,
                                   CompletionToken&& token = {})
    {
        return boost::asio::async_initiate<CompletionToken, list_page_signature>(
            list_initiation{this}, token, filter, page, options, &info);
    }

    /// `co_await client.list_instances_page(filter, page)`. \throws beeos::error on failure.
    boost::asio::awaitable<instance_page> list_instances_page(list_filter filter, std::uint32_t page);

    /// As above with this call's own options.
    boost::asio::awaitable<instance_page> list_instances_page(list_filter filter, std::uint32_t page, call_options options);

    /// A pager that walks every page of the listing on demand; see `instance_pager`.
    instance_pager list_instances(list_filter filter = {});

    /// As above, every page fetched with these options (e.g. one tenant's token).
    instance_pager list_instances(list_filter filter, call_options options);

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
    friend struct detail::client_access;
    explicit client(std::shared_ptr<detail::client_impl> impl) noexcept : impl_(std::move(impl)) {}

    struct initiation
    {
        client* self;
        executor_type get_executor() const noexcept { return self->get_executor(); }
        void operator()(
            boost::asio::any_completion_handler<get_instance_signature> handler,
            std::string id,
            call_options options,
            error_info* info
        ) const
        {
            self->async_get_instance_erased(std::move(id), std::move(options), info, std::move(handler));
        }
    };

    struct batch_initiation
    {
        client* self;
        executor_type get_executor() const noexcept { return self->get_executor(); }
        void operator()(boost::asio::any_completion_handler<get_instances_signature> handler, std::vector<std::string> ids,
                        call_options options) const
        {
            self->async_get_instances_erased(std::move(ids), std::move(options), std::move(handler));
        }
    };

    struct list_initiation
    {
        client* self;
        executor_type get_executor() const noexcept { return self->get_executor(); }
        void operator()(
            boost::asio::any_completion_handler<list_page_signature> handler,
            list_filter filter,
            std::uint32_t page,
            call_options options,
            error_info* info
        ) const
        {
            self->async_list_instances_page_erased(std::move(filter), page, std::move(options), info, std::move(handler));
        }
    };

    template <class Ids>
    static std::vector<std::string> collect_ids(Ids&& ids)
    {
        std::vector<std::string> out;
        if constexpr (std::ranges::sized_range<Ids>)
            out.reserve(std::ranges::size(ids));
        for (auto&& id : ids)
            out.emplace_back(std::string_view(id));
        return out;
    }

    void async_get_instances_erased(std::vector<std::string> ids, call_options options,
                                    boost::asio::any_completion_handler<get_instances_signature> handler);
    instance_stream stream_instances_erased(std::vector<std::string> ids, const call_options& options);
    void async_list_instances_page_erased(
        list_filter filter,
        std::uint32_t page,
        call_options options,
        error_info* info,
        boost::asio::any_completion_handler<list_page_signature> handler
    );

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
        call_options options,
        error_info* info,
        boost::asio::any_completion_handler<get_instance_signature> handler
    );
    void async_shutdown_erased(shutdown_mode mode, boost::asio::any_completion_handler<void(boost::system::error_code)> handler);

    std::shared_ptr<detail::client_impl> impl_;
};

}  // namespace beeos

#endif
