// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#include "connection_pool.hpp"

#include <boost/asio/post.hpp>

#include <algorithm>

namespace asio = boost::asio;
using boost::system::error_code;

namespace beeos::detail {

// ---------------------------------------------------------------------------------------------
// pool_state

void pool_state::drop_expired(clock_type::time_point now, std::vector<std::unique_ptr<http_connection>>& to_close)
{
    // Servers drop keep-alive connections after their own idle limit; closing ours first
    // avoids sending a request into a connection the server is closing.
    while (!idle_.empty() && now - idle_.front()->idle_since >= idle_timeout_)
    {
        to_close.push_back(std::move(idle_.front()));
        idle_.pop_front();
        --slots_;
        ++closed_.idle_timeout;
    }
}

pool_state::acquire_result pool_state::try_acquire(clock_type::time_point now, std::vector<std::unique_ptr<http_connection>>& to_close)
{
    acquire_result r;
    if (shut_down_)
    {
        r.grant = grant_kind::shut_down;
        return r;
    }
    drop_expired(now, to_close);
    // Waiters come first: a newcomer never overtakes a queued call.
    if (!waiters_.empty())
        return r;
    if (!idle_.empty())
    {
        r.grant = grant_kind::connection;
        r.conn = std::move(idle_.back());
        idle_.pop_back();
        return r;
    }
    if (slots_ < max_)
    {
        ++slots_;
        ++slots_granted_;
        r.grant = grant_kind::slot;
    }
    return r;
}

bool pool_state::remove(pool_waiter* w)
{
    auto it = std::find(waiters_.begin(), waiters_.end(), w);
    if (it == waiters_.end())
        return false;
    waiters_.erase(it);
    return true;
}

pool_waiter* pool_state::grant_slot_to_first_waiter()
{
    if (waiters_.empty())
    {
        --slots_;
        return nullptr;
    }
    pool_waiter* w = waiters_.front();
    waiters_.pop_front();
    w->grant = grant_kind::slot;
    ++slots_granted_;
    return w;
}

pool_waiter* pool_state::release(std::unique_ptr<http_connection> conn, clock_type::time_point now, std::vector<std::unique_ptr<http_connection>>& to_close)
{
    const bool too_old = max_age_.count() > 0 && conn->created_at != clock_type::time_point{} && now - conn->created_at >= max_age_;
    if (!conn->reusable() || shut_down_ || too_old)
    {
        to_close.push_back(std::move(conn));
        if (shut_down_)
        {
            ++closed_.shutdown;
            --slots_;
            return nullptr;
        }
        if (too_old && to_close.back()->reusable())
            ++closed_.max_age;
        else
            ++closed_.not_reusable;
        return grant_slot_to_first_waiter();
    }
    conn->idle_since = now;
    if (!waiters_.empty())
    {
        pool_waiter* w = waiters_.front();
        waiters_.pop_front();
        w->grant = grant_kind::connection;
        w->conn = std::move(conn);
        return w;
    }
    idle_.push_back(std::move(conn));
    drop_expired(now, to_close);
    return nullptr;
}

pool_waiter* pool_state::release_slot()
{
    if (shut_down_)
    {
        --slots_;
        return nullptr;
    }
    return grant_slot_to_first_waiter();
}

void pool_state::shut_down(std::vector<std::unique_ptr<http_connection>>& to_close, std::vector<pool_waiter*>& to_notify)
{
    shut_down_ = true;
    closed_.shutdown += idle_.size();
    for (auto& c : idle_)
        to_close.push_back(std::move(c));
    slots_ -= idle_.size();
    idle_.clear();
    for (pool_waiter* w : waiters_)
    {
        w->grant = grant_kind::shut_down;
        to_notify.push_back(w);
    }
    waiters_.clear();
}

// ---------------------------------------------------------------------------------------------
// connection_pool

void timed_waiter::notify()
{
    asio::post(timer_.get_executor(), [self = shared_from_this()] { self->timer_.cancel(); });
}

connection_pool::connection_pool(connection_factory make, std::size_t max_connections, std::chrono::milliseconds idle_timeout,
                                 std::chrono::milliseconds max_age)
    : make_(std::move(make)), max_connections_(max_connections), state_(max_connections, idle_timeout, max_age)
{
}

connection_pool::~connection_pool() { shut_down(); }

std::unique_ptr<http_connection> connection_pool::make_connection()
{
    auto c = make_();
    c->created_at = clock_type::now();
    return c;
}

void connection_pool::close_all(std::vector<std::unique_ptr<http_connection>>& conns) noexcept
{
    for (auto& c : conns)
        c->close();
    conns.clear();
}

void connection_pool::start_acquire(
    const asio::any_io_executor& strand,
    clock_type::time_point deadline,
    connection_lease& lease,
    std::shared_ptr<timed_waiter>& waiter,
    error_code& ec,
    error_info& info
)
{
    ec = {};
    std::vector<std::unique_ptr<http_connection>> to_close;
    const auto now = clock_type::now();
    {
        std::lock_guard lock(mtx_);
        auto r = state_.try_acquire(now, to_close);
        switch (r.grant)
        {
        case grant_kind::connection:
            lease = {std::move(r.conn), false};
            break;
        case grant_kind::slot:
            lease = {nullptr, true};
            break;
        case grant_kind::shut_down:
            ec = errc::shut_down;
            info.detail = "the client was closed";
            break;
        case grant_kind::none:
            waiter = std::make_shared<timed_waiter>(strand, deadline);
            state_.enqueue(waiter.get());
            break;
        }
    }
    close_all(to_close);
    if (waiter || ec)
        return;
    if (lease.fresh)
        lease.conn = make_connection();
    check_idle_health(lease);
}

void connection_pool::finish_wait(timed_waiter& waiter, bool caller_cancelled, error_code wait_ec, connection_lease& lease, error_code& ec, error_info& info)
{
    ec = {};
    grant_kind grant;
    std::unique_ptr<http_connection> granted;
    {
        std::lock_guard lock(mtx_);
        grant = waiter.grant;
        if (grant == grant_kind::none)
            state_.remove(&waiter);
        waiter.grant = grant_kind::none;  // taken: `forget` has nothing left to return
        granted = std::move(waiter.conn);
    }

    if (grant == grant_kind::shut_down)
    {
        ec = errc::shut_down;
        info.detail = "the client was closed while the call waited for a connection";
        return;
    }
    if (grant == grant_kind::none || caller_cancelled)
    {
        if (grant == grant_kind::connection)
            release(std::move(granted));
        else if (grant == grant_kind::slot)
            release_slot();
        if (caller_cancelled || wait_ec == asio::error::operation_aborted)
        {
            ec = errc::cancelled;
            info.detail = "cancelled while waiting for a free connection";
        }
        else
        {
            ec = errc::timeout;
            info.detail = "no connection became free before the call's deadline (all " + std::to_string(max_connections_) +
                          " of max_connections busy)";
        }
        return;
    }
    if (grant == grant_kind::connection)
        lease = {std::move(granted), false};
    else
        lease = {make_connection(), true};
    check_idle_health(lease);
}

void connection_pool::forget(pool_waiter& waiter) noexcept
{
    // Only reached while the io_context is being destroyed: a grant that arrived meanwhile is
    // dropped with its connection rather than handed on, since waking another waiter would post
    // to an io_context that is shutting down.
    std::lock_guard lock(mtx_);
    state_.remove(&waiter);
}

void connection_pool::check_idle_health(connection_lease& lease)
{
    // Catch a connection the server already closed, or that received bytes nobody asked for
    // (an unsolicited response, which the next call would read as its own answer), before
    // sending into it: one poll(2) per reuse. The re-send on the keep-alive race covers a close
    // still in flight; the id check of the response covers bytes arriving after the poll.
    if (lease.conn && !lease.fresh && lease.conn->unusable_while_idle())
    {
        lease.conn = replace(std::move(lease.conn));
        lease.fresh = true;
    }
}

void connection_pool::release(std::unique_ptr<http_connection> conn)
{
    std::vector<std::unique_ptr<http_connection>> to_close;
    pool_waiter* w;
    {
        // Notify under the lock: once it is released, a granted waiter may wake, finish and
        // be destroyed.
        std::lock_guard lock(mtx_);
        w = state_.release(std::move(conn), clock_type::now(), to_close);
        if (w)
            w->notify();
    }
    close_all(to_close);
}

void connection_pool::release_slot()
{
    pool_waiter* w;
    {
        std::lock_guard lock(mtx_);
        w = state_.release_slot();
        if (w)
            w->notify();
    }
}

std::unique_ptr<http_connection> connection_pool::replace(std::unique_ptr<http_connection> failed)
{
    failed->close();
    failed.reset();
    {
        std::lock_guard lock(mtx_);
        state_.note_replacement();
    }
    return make_connection();
}

void connection_pool::shut_down()
{
    auto idle = take_idle_and_shut_down();
    close_all(idle);
}

std::vector<std::unique_ptr<http_connection>> connection_pool::take_idle_and_shut_down()
{
    std::vector<std::unique_ptr<http_connection>> idle;
    std::vector<pool_waiter*> to_notify;
    std::lock_guard lock(mtx_);
    if (state_.is_shut_down())
        return idle;
    state_.shut_down(idle, to_notify);
    for (pool_waiter* w : to_notify)
        w->notify();
    return idle;
}

std::size_t connection_pool::connections_opened() const
{
    std::lock_guard lock(mtx_);
    return state_.slots_granted();
}

connection_pool::snapshot connection_pool::stats() const
{
    std::lock_guard lock(mtx_);
    snapshot s;
    s.open = state_.open_slots();
    s.idle = state_.idle_count();
    s.waiting = state_.waiting_count();
    s.opened = state_.slots_granted();
    s.closed = state_.closed();
    return s;
}

}  // namespace beeos::detail
