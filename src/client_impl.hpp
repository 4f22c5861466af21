// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#ifndef BEEOS_SRC_CLIENT_IMPL_HPP
#define BEEOS_SRC_CLIENT_IMPL_HPP

#include "connection_pool.hpp"
#include "rate_limiter.hpp"
#include "retry.hpp"

#include <beeos/client.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

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
struct instance_call;
struct park_wake;

/// The shared state behind a `client`: options, pool, retry budget, rate limiter and the calls
/// in flight. Every public operation of `client`, `instance_stream` and `instance_pager` starts
/// here. Thread-safe.
class client_impl : public std::enable_shared_from_this<client_impl>
{
public:
    client_impl(boost::asio::any_io_executor ex, client_options opts);
    ~client_impl();

    const boost::asio::any_io_executor& executor() const noexcept { return ex_; }

    /// Lookups in flight at once for batches and streams.
    std::size_t batch_concurrency() const noexcept { return batch_concurrency_; }

    /// `GET /api/v1/instances/{id}`. Joins a request in flight for the same id and policy when
    /// coalescing is on. `user_info` (may be null) is filled before `handler` runs.
    void start_get_instance(
        std::string id,
        std::optional<retry_policy> policy,
        error_info* user_info,
        boost::asio::any_completion_handler<client::get_instance_signature> handler
    );

    /// `GET /api/v1/instances?page=..`: never coalesced.
    void start_list_page(
        list_filter filter,
        std::uint32_t page,
        error_info* user_info,
        boost::asio::any_completion_handler<client::list_page_signature> handler
    );

    void start_shutdown(shutdown_mode mode, boost::asio::any_completion_handler<void(boost::system::error_code)> handler);

    void close();

private:
    friend struct call_state;
    friend struct instance_call;
    friend struct page_call;
    friend struct park_wake;

    boost::asio::any_io_executor make_call_strand() const;
    void launch(std::shared_ptr<call_state> call);
    bool admit(call_state& call) const;
    void start_on_strand(std::shared_ptr<call_state> call);
    void spawn(std::shared_ptr<call_state> call);
    void resume_parked(std::shared_ptr<call_state> call, boost::system::error_code wait_ec);
    void forget_parked(call_state& call) noexcept;
    void finish(call_state& call);
    void finish_instance_call(instance_call& call);
    void cancel_waiter(const std::shared_ptr<instance_call>& call, std::uint64_t waiter_seq);
    void cancel_calls();
    void unregister(call_state& call);

    static boost::asio::awaitable<void> run_call(std::shared_ptr<client_impl> self, std::shared_ptr<call_state> call);
    static boost::asio::awaitable<void> drain_and_close(std::shared_ptr<client_impl> self);

    boost::asio::awaitable<void> run_attempts(call_state& call);
    boost::asio::awaitable<void> attempt_once(call_state& call, clock_type::time_point call_deadline);
    boost::asio::awaitable<void> exchange_on_lease(call_state& call, connection_lease& lease, clock_type::time_point call_deadline);
    boost::asio::awaitable<void> sleep_before_retry(call_state& call, std::chrono::milliseconds delay, unsigned next_attempt, bool& slept);
    boost::asio::awaitable<void> wait_for_rate_limit(call_state& call, clock_type::time_point call_deadline);
    void observe(const call_state& call, unsigned attempt, clock_type::time_point started, std::optional<std::chrono::milliseconds> next_delay) const noexcept;

    boost::asio::any_io_executor ex_;
    std::shared_ptr<const connection_settings> settings_;
    std::string token_;
    std::string fixed_headers_;
    std::chrono::milliseconds request_timeout_;
    retry_policy default_policy_;
    retry_budget budget_;
    rate_limiter limiter_;
    attempt_observer observer_;
    bool coalesce_;
    std::size_t batch_concurrency_;
    connection_pool pool_;
    std::atomic<bool> closed_{false};

    std::mutex calls_mtx_;
    std::list<std::shared_ptr<call_state>> calls_;
    boost::asio::steady_timer* drain_timer_ = nullptr;  // guarded by calls_mtx_
    boost::asio::any_io_executor drain_strand_;         // guarded by calls_mtx_

    // Single-flight: the get_instance call in flight for each id, keyed by a view of the
    // call's own id. Also guards every call's list of waiters.
    std::mutex flights_mtx_;
    std::unordered_map<std::string_view, instance_call*> flights_;
    std::uint64_t next_waiter_seq_ = 0;  // guarded by flights_mtx_
};

}  // namespace beeos::detail

#endif
