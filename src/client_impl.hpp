// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#ifndef BEEOS_SRC_CLIENT_IMPL_HPP
#define BEEOS_SRC_CLIENT_IMPL_HPP

#include "call_fsm.hpp"
#include "completion.hpp"
#include "connection_pool.hpp"
#include "credential.hpp"
#include "host_resolver.hpp"
#include "proxy_config.hpp"
#include "rate_limiter.hpp"
#include "retry.hpp"
#include "token_manager.hpp"

#include <beeos/client.hpp>
#include <beeos/stats.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <atomic>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace beeos::detail {

struct call_state;
struct call_step;
struct instance_call;
struct page_call;
struct park_wake;

/// The seams the tests use to run the client without sockets or with a slow name service.
/// Empty members mean the real thing.
struct client_hooks
{
    /// Makes the pool's connections; given the client's executor and connection settings.
    std::function<std::unique_ptr<http_connection>(const boost::asio::any_io_executor&, std::shared_ptr<const connection_settings>)> make_connection;
    /// The blocking lookup the host resolver runs on its threads (default: getaddrinfo).
    host_resolver::lookup_function lookup;
    /// The environment the proxy decision reads (default: the process's).
    env_lookup env = nullptr;
};

/// The shared state behind a `client`: options, pool, retry budget, rate limiter and the calls
/// in flight. Every public operation of `client`, `instance_stream` and `instance_pager` starts
/// here. Thread-safe.
///
/// Locks, never held across I/O or while a handler of the user runs, and never nested except
/// in this order: `flights_mtx_` before `calls_mtx_`; the pool's, the limiter's and the budget's
/// own mutexes are leaves (nothing is locked while they are held).
class client_impl : public std::enable_shared_from_this<client_impl>
{
public:
    client_impl(boost::asio::any_io_executor ex, client_options opts, const client_hooks& hooks = {});
    ~client_impl();

    const boost::asio::any_io_executor& executor() const noexcept { return ex_; }

    /// Lookups in flight at once for batches and streams.
    std::size_t batch_concurrency() const noexcept { return batch_concurrency_; }

    /// `GET /api/v1/instances/{id}`. Joins a request in flight for the same id and policy when
    /// coalescing is on. `user_info` (may be null) is filled before `handler` runs.
    void start_get_instance(
        std::string id,
        call_options options,
        error_info* user_info,
        boost::asio::any_completion_handler<client::get_instance_signature> handler
    );

    /// `GET /api/v1/instances?page=..`: never coalesced.
    void start_list_page(
        list_filter filter,
        std::uint32_t page,
        call_options options,
        error_info* user_info,
        boost::asio::any_completion_handler<client::list_page_signature> handler
    );

    void start_shutdown(shutdown_mode mode, boost::asio::any_completion_handler<void(boost::system::error_code)> handler);

    void close();

    /// Replaces every occurrence of a credential of this client (its token, the tokens its
    /// token source gave last) in `text` with `[redacted]`.
    void redact(std::string& text) const;

    /// The credential of a call: its own token's, or the client's.
    std::shared_ptr<const credential> credential_for(const call_options& options) const;

    /// `client::stats()`: cheap, no I/O; the counters are relaxed atomics.
    client_stats stats() const;

    // For tests: the pool's count of connections opened so far.
    std::size_t connections_opened() const { return pool_.connections_opened(); }
    // For tests: the name lookups still running on their threads.
    std::size_t lookups_in_flight() const { return settings_->resolver->lookups_in_flight(); }

private:
    friend struct call_state;
    friend struct instance_call;
    friend struct page_call;
    friend struct park_wake;
    friend struct exchange_done;
    friend struct credential_wait;

    boost::asio::any_io_executor make_call_strand() const;
    void launch(std::shared_ptr<call_state> call);
    void begin(std::shared_ptr<call_state> call);
    bool admit(call_state& call) const;
    void run(std::shared_ptr<call_state> call, call_step step) noexcept;
    void resume_parked(std::shared_ptr<call_state> call, boost::system::error_code wait_ec) noexcept;
    void forget_parked(call_state& call) noexcept;
    void give_back_lease(call_state& call) noexcept;
    void finish(call_state& call) noexcept;
    void cancel_waiter(const std::shared_ptr<instance_call>& call, std::uint64_t waiter_seq);
    void cancel_calls();
    void register_call(const std::shared_ptr<call_state>& call);
    void unregister(call_state& call);
    void start_goodbye();
    void erase_flight_locked(instance_call& call);  // with flights_mtx_ held

    std::shared_ptr<const credential> make_credential(std::string token, std::uint64_t generation, bool tagged) const;
    static boost::asio::awaitable<void> exchange(std::shared_ptr<client_impl> self, std::shared_ptr<call_state> call,
                                                 clock_type::time_point deadline, bool on_new_connection);
    static boost::asio::awaitable<void> say_goodbye(std::shared_ptr<client_impl> self);
    void observe(const call_state& call, const call_step& step) const noexcept;

    boost::asio::any_io_executor ex_;
    std::shared_ptr<const connection_settings> settings_;
    std::string token_;                          // the fixed token of client_options
    std::string user_agent_;
    std::string proxy_authorization_;            // for an http API through a proxy
    std::shared_ptr<const credential> default_credential_;
    std::shared_ptr<token_manager> tokens_;      // null without a token source
    std::chrono::milliseconds request_timeout_;
    retry_policy default_policy_;
    retry_budget budget_;
    rate_limiter limiter_;
    attempt_observer observer_;
    bool coalesce_;
    std::size_t batch_concurrency_;
    connection_pool pool_;
    std::atomic<bool> closed_{false};

    // Counters of stats(), updated where the events happen; relaxed, as no decision reads them.
    struct counters
    {
        std::atomic<std::uint64_t> calls_started{0};
        std::atomic<std::uint64_t> calls_failed{0};
        // Counted before the handler is delivered, so a handler (or what it answers, as the
        // metrics example does) never sees its own call still in flight.
        std::atomic<std::uint64_t> calls_finished{0};
        std::atomic<std::uint64_t> requests_sent{0};
        std::atomic<std::uint64_t> retries{0};
        std::atomic<std::uint64_t> resends{0};
        std::atomic<std::uint64_t> joins{0};
        std::atomic<std::uint64_t> refusals{0};
        std::atomic<std::uint64_t> bytes_received{0};
        std::atomic<std::size_t> connecting{0};
    };
    mutable counters stats_;

    mutable std::mutex calls_mtx_;
    std::list<std::shared_ptr<call_state>> calls_;
    // Shutdown, guarded by calls_mtx_: every async_shutdown waits here until the calls have
    // drained and the goodbye on the idle connections is over; then all complete together.
    enum class shutdown_phase { open, draining, saying_goodbye, closed };
    shutdown_phase shutdown_ = shutdown_phase::open;
    std::list<handler_box<void(boost::system::error_code)>> shutdown_waiters_;

    // Single-flight: the get_instance calls in flight by id (several per id when their retry
    // policies differ), keyed by a view of the call's own id. Also guards every call's list of
    // waiters.
    std::mutex flights_mtx_;
    std::unordered_multimap<std::string_view, instance_call*> flights_;
    std::uint64_t next_waiter_seq_ = 0;  // guarded by flights_mtx_
};

/// How the tests reach a client's internals and build one with hooks.
struct client_access
{
    static client make(boost::asio::any_io_executor ex, client_options opts, const client_hooks& hooks);
    static client_impl& impl(const client& c) { return *c.impl_; }
    static std::shared_ptr<client_impl> shared_impl(const client& c) { return c.impl_; }
};

}  // namespace beeos::detail

#endif
