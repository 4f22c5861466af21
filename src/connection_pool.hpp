// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#ifndef BEEOS_SRC_CONNECTION_POOL_HPP
#define BEEOS_SRC_CONNECTION_POOL_HPP

#include "http_connection.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace beeos::detail {

/// What a waiter was given when a connection or a slot became free.
enum class grant_kind { none, connection, slot, shut_down };

/// A call waiting for a connection. The pool fills `grant`/`conn` and calls `notify()` under
/// its lock; `notify()` must only schedule the wake-up, never run the waiter inline.
class pool_waiter
{
public:
    virtual ~pool_waiter() = default;
    virtual void notify() = 0;

    grant_kind grant = grant_kind::none;
    std::unique_ptr<http_connection> conn;
};

/// A waiter parked on a timer that expires at its deadline. A grant cancels the timer through
/// the timer's executor, a strand: the waiter must start its wait on that strand in the same
/// handler that enqueued it, so the cancel can only run after the wait has begun.
class timed_waiter final : public pool_waiter, public std::enable_shared_from_this<timed_waiter>
{
public:
    timed_waiter(const boost::asio::any_io_executor& strand, clock_type::time_point deadline) : timer_(strand, deadline) {}

    void notify() override;

    boost::asio::steady_timer& timer() noexcept { return timer_; }

private:
    boost::asio::steady_timer timer_;
};

/// The pool's bookkeeping without I/O or locking: which idle connection to reuse, when a new one
/// may be opened, who waits next. Pure decisions, so the unit tests drive it with a fake clock.
///
/// Invariant: `open_slots()` = idle + leased connections + connections being opened, and never
/// exceeds `max_connections`.
class pool_state
{
public:
    /// `max_age` 0: connections are never retired for their age.
    pool_state(std::size_t max_connections, std::chrono::milliseconds idle_timeout, std::chrono::milliseconds max_age = {})
        : max_(max_connections), idle_timeout_(idle_timeout), max_age_(max_age)
    {
    }

    /// Connections closed so far, by cause (the pool's decisions; see `client_stats`).
    struct closed_counts
    {
        std::uint64_t idle_timeout = 0;
        std::uint64_t max_age = 0;
        std::uint64_t stale = 0;
        std::uint64_t not_reusable = 0;
        std::uint64_t shutdown = 0;
    };

    struct acquire_result
    {
        grant_kind grant = grant_kind::none;  ///< none: the caller must enqueue and wait
        std::unique_ptr<http_connection> conn;
    };

    /// Reuses the most recently used idle connection that has not been idle too long, else
    /// reserves a slot for a new connection when below the limit. Connections found idle for
    /// `idle_timeout` or more are moved to `to_close`.
    acquire_result try_acquire(clock_type::time_point now, std::vector<std::unique_ptr<http_connection>>& to_close);

    /// FIFO order: the first waiter enqueued is served first.
    void enqueue(pool_waiter* w) { waiters_.push_back(w); }

    /// Removes a waiter that gave up (deadline or cancellation). False when it was not queued.
    bool remove(pool_waiter* w);

    /// Takes back a leased connection. A reusable one goes to the first waiter or the idle list;
    /// any other, and one older than `max_age` (so that the pool follows DNS changes and load
    /// balancers), is moved to `to_close` and its slot goes to the first waiter or is freed.
    /// Returns the waiter to notify, if any.
    pool_waiter* release(std::unique_ptr<http_connection> conn, clock_type::time_point now, std::vector<std::unique_ptr<http_connection>>& to_close);

    /// A slot whose connection could not be opened: passed to the first waiter or freed.
    pool_waiter* release_slot();

    /// Counts a connection opened in the slot of one found closed (`slots_granted` stays
    /// truthful).
    void note_replacement() noexcept
    {
        ++slots_granted_;
        ++closed_.stale;
    }

    /// Refuses every later request; hands back the idle connections and the waiters to fail.
    void shut_down(std::vector<std::unique_ptr<http_connection>>& to_close, std::vector<pool_waiter*>& to_notify);

    bool is_shut_down() const noexcept { return shut_down_; }
    std::size_t open_slots() const noexcept { return slots_; }
    std::size_t idle_count() const noexcept { return idle_.size(); }
    std::size_t waiting_count() const noexcept { return waiters_.size(); }
    /// Connections opened so far: slots granted plus replacements.
    std::size_t slots_granted() const noexcept { return slots_granted_; }
    std::size_t max_connections() const noexcept { return max_; }
    const closed_counts& closed() const noexcept { return closed_; }

private:
    pool_waiter* grant_slot_to_first_waiter();
    void drop_expired(clock_type::time_point now, std::vector<std::unique_ptr<http_connection>>& to_close);

    std::size_t max_;
    std::chrono::milliseconds idle_timeout_;
    std::chrono::milliseconds max_age_;
    closed_counts closed_;
    std::size_t slots_ = 0;
    std::size_t slots_granted_ = 0;
    bool shut_down_ = false;
    std::deque<std::unique_ptr<http_connection>> idle_;  // oldest first; reuse takes the back
    std::deque<pool_waiter*> waiters_;
};

/// A leased connection: ready for an exchange, or new and still to be connected.
struct connection_lease
{
    std::unique_ptr<http_connection> conn;
    bool fresh = false;
};

/// Makes a new, unconnected connection. The client's makes real TCP/TLS connections; tests
/// pass one that makes fakes, so the pool and the call path run without sockets.
using connection_factory = std::function<std::unique_ptr<http_connection>()>;

/// The connection pool of one client: `pool_state` behind a mutex that is held for bookkeeping
/// only, never across I/O, so calls on several threads share it safely.
class connection_pool
{
public:
    connection_pool(connection_factory make, std::size_t max_connections, std::chrono::milliseconds idle_timeout,
                    std::chrono::milliseconds max_age = {});
    ~connection_pool();

    /// Leases a connection, in two halves so that a caller waits without a coroutine. Call on
    /// `strand`. Leases at once when a connection is idle or a slot is free, or fails with
    /// `errc::shut_down`; otherwise `waiter` is set to a queued waiter (FIFO) whose timer,
    /// expiring at `deadline`, the caller must start waiting on before it leaves the strand,
    /// then pass to `finish_wait`.
    void start_acquire(
        const boost::asio::any_io_executor& strand,
        clock_type::time_point deadline,
        connection_lease& lease,
        std::shared_ptr<timed_waiter>& waiter,
        boost::system::error_code& ec,
        error_info& info
    );

    /// Takes what a queued waiter was granted, once its timer wait completed with `wait_ec`.
    /// A waiter still queued (deadline or cancellation) leaves the queue in the same step, so a
    /// grant can never land on a waiter that has gone. A grant that raced with the caller's
    /// cancellation goes back to the pool.
    void finish_wait(
        timed_waiter& waiter,
        bool caller_cancelled,
        boost::system::error_code wait_ec,
        connection_lease& lease,
        boost::system::error_code& ec,
        error_info& info
    );

    /// Unlinks a waiter whose wait was abandoned because its io_context is being destroyed.
    void forget(pool_waiter& waiter) noexcept;

    /// Returns a leased connection; it is reused only when `conn->reusable()`.
    void release(std::unique_ptr<http_connection> conn);

    /// Gives up the slot of a connection that failed to connect.
    void release_slot();

    /// Replaces a connection that failed in its slot by a new unconnected one.
    std::unique_ptr<http_connection> replace(std::unique_ptr<http_connection> failed);

    /// Fails waiters with `errc::shut_down`, closes idle connections, refuses later acquires.
    void shut_down();

    /// Like `shut_down`, but hands the idle connections to the caller to close gracefully.
    std::vector<std::unique_ptr<http_connection>> take_idle_and_shut_down();

    /// Connections opened so far (slots granted for a new connection).
    std::size_t connections_opened() const;

    /// What `client::stats()` reports of the pool.
    struct snapshot
    {
        std::size_t open = 0;
        std::size_t idle = 0;
        std::size_t waiting = 0;
        std::size_t opened = 0;
        pool_state::closed_counts closed;
    };
    snapshot stats() const;

private:
    std::unique_ptr<http_connection> make_connection();
    void check_idle_health(connection_lease& lease);

    static void close_all(std::vector<std::unique_ptr<http_connection>>& conns) noexcept;

    connection_factory make_;
    std::size_t max_connections_;
    mutable std::mutex mtx_;
    pool_state state_;
};

}  // namespace beeos::detail

#endif
