// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
//
// The pool's decisions, driven with fake connections and a fake clock: no sockets.
#include "connection_pool.hpp"

#include <boost/test/unit_test.hpp>

using namespace std::chrono_literals;
using beeos::detail::clock_type;
using beeos::detail::grant_kind;
using beeos::detail::pool_state;

namespace {

class fake_connection final : public beeos::detail::http_connection
{
public:
    explicit fake_connection(int id, bool reusable = true) : id(id) { reusable_ = reusable; }
    boost::asio::awaitable<void> async_connect(clock_type::time_point, boost::system::error_code&, beeos::error_info&) override { co_return; }
    boost::asio::awaitable<void> async_exchange(std::string_view, clock_type::time_point, beeos::detail::http_response&, boost::system::error_code&,
                                                beeos::error_info&, beeos::detail::exchange_failure&) override
    {
        co_return;
    }
    void close() noexcept override { closed = true; }
    boost::asio::awaitable<void> async_close_gracefully(clock_type::time_point) override { co_return; }
    bool unusable_while_idle() const noexcept override { return false; }
    int id;
    bool closed = false;
};

class fake_waiter final : public beeos::detail::pool_waiter
{
public:
    void notify() override { ++notified; }
    int notified = 0;
};

int id_of(const std::unique_ptr<beeos::detail::http_connection>& c) { return static_cast<fake_connection&>(*c).id; }

using conn_list = std::vector<std::unique_ptr<beeos::detail::http_connection>>;
const clock_type::time_point t0{};

}  // namespace

BOOST_AUTO_TEST_SUITE(pool_bookkeeping)

BOOST_AUTO_TEST_CASE(grants_slots_up_to_the_limit_then_asks_to_wait)
{
    pool_state s(2, 50s);
    conn_list closed;
    BOOST_TEST((s.try_acquire(t0, closed).grant == grant_kind::slot));
    BOOST_TEST((s.try_acquire(t0, closed).grant == grant_kind::slot));
    BOOST_TEST((s.try_acquire(t0, closed).grant == grant_kind::none));
    BOOST_TEST(s.open_slots() == 2u);
    BOOST_TEST(s.slots_granted() == 2u);
}

BOOST_AUTO_TEST_CASE(reuses_the_most_recently_used_idle_connection)
{
    pool_state s(3, 50s);
    conn_list closed;
    for (int i = 0; i < 3; ++i)
        (void)s.try_acquire(t0, closed);
    BOOST_TEST(s.release(std::make_unique<fake_connection>(1), t0, closed) == nullptr);
    BOOST_TEST(s.release(std::make_unique<fake_connection>(2), t0 + 1s, closed) == nullptr);
    auto r = s.try_acquire(t0 + 2s, closed);
    BOOST_REQUIRE((r.grant == grant_kind::connection));
    BOOST_TEST(id_of(r.conn) == 2);
    BOOST_TEST(closed.empty());
}

BOOST_AUTO_TEST_CASE(idle_connections_expire_after_idle_timeout)
{
    pool_state s(2, 10s);
    conn_list closed;
    (void)s.try_acquire(t0, closed);
    (void)s.release(std::make_unique<fake_connection>(1), t0, closed);
    auto r = s.try_acquire(t0 + 10s, closed);
    // The expired one is handed back for closing and its slot reused for a new connection.
    BOOST_TEST((r.grant == grant_kind::slot));
    BOOST_REQUIRE_EQUAL(closed.size(), 1u);
    BOOST_TEST(id_of(closed[0]) == 1);
    BOOST_TEST(s.open_slots() == 1u);
}

BOOST_AUTO_TEST_CASE(a_released_connection_goes_to_the_first_waiter_in_fifo_order)
{
    pool_state s(1, 50s);
    conn_list closed;
    (void)s.try_acquire(t0, closed);
    fake_waiter a, b;
    s.enqueue(&a);
    s.enqueue(&b);
    // A newcomer may not overtake the queue even if a connection is idle.
    auto* w = s.release(std::make_unique<fake_connection>(7), t0, closed);
    BOOST_TEST(w == &a);
    BOOST_TEST((a.grant == grant_kind::connection));
    BOOST_TEST(id_of(a.conn) == 7);
    BOOST_TEST((b.grant == grant_kind::none));
    BOOST_TEST(s.waiting_count() == 1u);
}

BOOST_AUTO_TEST_CASE(a_broken_connection_frees_its_slot_for_the_next_waiter)
{
    pool_state s(1, 50s);
    conn_list closed;
    (void)s.try_acquire(t0, closed);
    fake_waiter a;
    s.enqueue(&a);
    auto* w = s.release(std::make_unique<fake_connection>(3, /*reusable=*/false), t0, closed);
    BOOST_TEST(w == &a);
    BOOST_TEST((a.grant == grant_kind::slot));
    BOOST_REQUIRE_EQUAL(closed.size(), 1u);
    BOOST_TEST(s.open_slots() == 1u);
    BOOST_TEST(s.slots_granted() == 2u);
}

BOOST_AUTO_TEST_CASE(a_failed_connect_frees_the_slot)
{
    pool_state s(1, 50s);
    conn_list closed;
    (void)s.try_acquire(t0, closed);
    BOOST_TEST(s.release_slot() == nullptr);
    BOOST_TEST(s.open_slots() == 0u);
    BOOST_TEST((s.try_acquire(t0, closed).grant == grant_kind::slot));
}

BOOST_AUTO_TEST_CASE(newcomers_wait_behind_queued_waiters)
{
    pool_state s(1, 50s);
    conn_list closed;
    (void)s.try_acquire(t0, closed);
    fake_waiter a;
    s.enqueue(&a);
    BOOST_TEST(s.release_slot() == &a);
    // The slot went to `a`; a newcomer finds the pool full.
    BOOST_TEST((s.try_acquire(t0, closed).grant == grant_kind::none));
}

BOOST_AUTO_TEST_CASE(removed_waiters_are_not_served)
{
    pool_state s(1, 50s);
    conn_list closed;
    (void)s.try_acquire(t0, closed);
    fake_waiter a, b;
    s.enqueue(&a);
    s.enqueue(&b);
    BOOST_TEST(s.remove(&a));
    BOOST_TEST(!s.remove(&a));
    BOOST_TEST(s.release(std::make_unique<fake_connection>(1), t0, closed) == &b);
}

BOOST_AUTO_TEST_CASE(shut_down_fails_waiters_and_closes_idle_connections)
{
    pool_state s(3, 50s);
    conn_list closed;
    for (int i = 0; i < 3; ++i)
        (void)s.try_acquire(t0, closed);
    (void)s.release(std::make_unique<fake_connection>(1), t0, closed);
    fake_waiter a;
    // Pool is not full (one idle), but a waiter can exist when others queued earlier.
    s.enqueue(&a);
    std::vector<beeos::detail::pool_waiter*> notify;
    s.shut_down(closed, notify);
    BOOST_TEST(closed.size() == 1u);
    BOOST_REQUIRE_EQUAL(notify.size(), 1u);
    BOOST_TEST((a.grant == grant_kind::shut_down));
    BOOST_TEST((s.try_acquire(t0, closed).grant == grant_kind::shut_down));
    // Connections still leased come back after shut-down and are closed, not pooled.
    BOOST_TEST(s.release(std::make_unique<fake_connection>(2), t0, closed) == nullptr);
    BOOST_TEST(closed.size() == 2u);
    BOOST_TEST(s.open_slots() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
