// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#ifndef BEEOS_TEST_UNIT_FAKE_CONNECTION_HPP
#define BEEOS_TEST_UNIT_FAKE_CONNECTION_HPP

// A connection without a socket for the client's pool: connecting and exchanging take a
// scripted time on a timer and produce a scripted response, so the whole call path (driver,
// pool, coalescing, shutdown, cancellation) runs in-process and fast enough to loop under the
// sanitizers.

#include "client_impl.hpp"
#include "http_connection.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

namespace beeos::test {

/// What one exchange of a fake connection answers. `ec` set: a transport failure instead.
struct fake_reply
{
    int status = 200;
    std::string body;
    boost::system::error_code ec;      ///< e.g. errc::connection
    bool response_started = true;      ///< with `ec`: whether a response byte "arrived"
    bool keep_alive = true;
    std::chrono::milliseconds delay{0};  ///< before the reply (cancellable)
};

/// The script shared by every fake connection of one client, and what they saw.
struct fake_network
{
    /// Answers a request for `id` on connection number `conn` (1, 2, ...), its `n`th exchange.
    std::function<fake_reply(std::string_view id, int conn, int n)> reply = [](std::string_view id, int, int) {
        return ok(id);
    };
    std::chrono::milliseconds connect_delay{0};

    std::atomic<int> connections{0};
    std::atomic<int> exchanges{0};
    std::atomic<int> closed{0};
    std::atomic<int> in_flight{0};
    std::atomic<int> max_in_flight{0};

    static fake_reply ok(std::string_view id)
    {
        fake_reply r;
        r.body = R"({"success":true,"data":{"id":")" + std::string(id) + R"(","status":"running"}})";
        return r;
    }

    beeos::detail::client_hooks hooks();
};

class fake_connection final : public beeos::detail::http_connection
{
public:
    fake_connection(fake_network& net, int number) : net_(net), number_(number) {}
    ~fake_connection() override { close(); }

    boost::asio::awaitable<void> async_connect(beeos::detail::clock_type::time_point deadline, boost::system::error_code& ec, error_info& info) override
    {
        auto ex = co_await boost::asio::this_coro::executor;
        boost::asio::steady_timer t(ex, std::min(deadline, beeos::detail::clock_type::now() + net_.connect_delay));
        boost::system::error_code wait_ec;
        co_await t.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, wait_ec));
        if (wait_ec)
        {
            ec = errc::cancelled;
            info.detail = "cancelled while connecting (fake)";
        }
        else if (beeos::detail::clock_type::now() >= deadline)
        {
            ec = errc::timeout;
            info.detail = "connect deadline (fake)";
        }
        else
        {
            ec = {};
        }
    }

    boost::asio::awaitable<void> async_exchange(std::string_view request, beeos::detail::clock_type::time_point deadline,
                                                beeos::detail::http_response& res, boost::system::error_code& ec, error_info& info,
                                                beeos::detail::exchange_failure& failure) override
    {
        reusable_ = false;
        res.clear();
        failure = {};
        // "GET {prefix}/api/v1/instances/{id} HTTP/1.1": the id is the last segment.
        auto line = request.substr(0, request.find(' ', 4));
        auto id = line.substr(line.rfind('/') + 1);
        const int n = ++exchanges_;
        ++net_.exchanges;
        const int now_in = ++net_.in_flight;
        for (int m = net_.max_in_flight.load(); now_in > m && !net_.max_in_flight.compare_exchange_weak(m, now_in);)
        {
        }
        fake_reply r = net_.reply(id, number_, n);
        auto ex = co_await boost::asio::this_coro::executor;
        boost::asio::steady_timer t(ex, std::min(deadline, beeos::detail::clock_type::now() + r.delay));
        boost::system::error_code wait_ec;
        co_await t.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, wait_ec));
        --net_.in_flight;
        if (wait_ec)
        {
            ec = errc::cancelled;
            info.detail = "cancelled while waiting for the response (fake)";
            failure.response_started = true;
            co_return;
        }
        if (beeos::detail::clock_type::now() >= deadline && r.delay.count() > 0)
        {
            ec = errc::timeout;
            info.detail = "request deadline (fake)";
            failure.response_started = true;
            co_return;
        }
        if (r.ec)
        {
            ec = r.ec;
            info.detail = "scripted failure (fake)";
            failure.response_started = r.response_started;
            co_return;
        }
        ec = {};
        res.status = r.status;
        res.keep_alive = r.keep_alive;
        res.body = std::move(r.body);
        reusable_ = r.keep_alive;
        ++completed_;
    }

    void close() noexcept override
    {
        if (!closed_)
        {
            closed_ = true;
            ++net_.closed;
        }
        reusable_ = false;
    }

    boost::asio::awaitable<void> async_close_gracefully(beeos::detail::clock_type::time_point) override
    {
        close();
        co_return;
    }

    bool unusable_while_idle() const noexcept override { return closed_; }

private:
    fake_network& net_;
    int number_;
    int exchanges_ = 0;
    bool closed_ = false;
};

inline beeos::detail::client_hooks fake_network::hooks()
{
    beeos::detail::client_hooks h;
    h.make_connection = [this](const boost::asio::any_io_executor&, std::shared_ptr<const beeos::detail::connection_settings>) {
        return std::make_unique<fake_connection>(*this, ++connections);
    };
    return h;
}

/// A client over `net`; plain http, so no TLS context is made.
inline beeos::client make_fake_client(boost::asio::any_io_executor ex, fake_network& net, beeos::client_options o = {})
{
    o.base_url = "http://fake.invalid";
    return beeos::detail::client_access::make(std::move(ex), std::move(o), net.hooks());
}

}  // namespace beeos::test

#endif
