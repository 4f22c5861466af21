// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#ifndef BEEOS_TEST_INTEGRATION_RAW_SERVER_HPP
#define BEEOS_TEST_INTEGRATION_RAW_SERVER_HPP

// A plain-TCP HTTP/1.1 peer that answers each request with bytes a test writes by hand: for
// what no well-behaved server (the simulator included) would ever send.

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <atomic>
#include <functional>
#include <string>
#include <string_view>
#include <thread>

namespace beeos::test {

class raw_http_server
{
public:
    /// `answer(request_head, n)`: the bytes to send for the `n`th request (from 1) of all
    /// connections; an empty answer closes the connection, and so does an answer that ends
    /// with `then_close`, once the bytes before it are written.
    explicit raw_http_server(std::function<std::string(const std::string& request_head, int n)> answer)
        : answer_(std::move(answer)), acceptor_(io_, {boost::asio::ip::make_address("127.0.0.1"), 0})
    {
        boost::asio::co_spawn(io_, accept_loop(this), boost::asio::detached);
        thread_ = std::thread([this] { io_.run(); });
    }
    ~raw_http_server()
    {
        io_.stop();
        thread_.join();
    }
    raw_http_server(const raw_http_server&) = delete;
    raw_http_server& operator=(const raw_http_server&) = delete;

    static constexpr std::string_view then_close{"\0<close>", 8};

    std::string url() const { return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()); }
    int requests() const { return requests_.load(); }
    int connections() const { return connections_.load(); }

private:
    static boost::asio::awaitable<void> accept_loop(raw_http_server* self)
    {
        for (;;)
        {
            boost::system::error_code ec;
            auto socket = co_await self->acceptor_.async_accept(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
            if (ec)
                co_return;
            ++self->connections_;
            boost::asio::co_spawn(self->io_, serve(self, std::move(socket)), boost::asio::detached);
        }
    }

    static boost::asio::awaitable<void> serve(raw_http_server* self, boost::asio::ip::tcp::socket socket)
    {
        boost::asio::streambuf in;
        for (;;)
        {
            boost::system::error_code ec;
            std::size_t n = co_await boost::asio::async_read_until(socket, in, "\r\n\r\n", boost::asio::redirect_error(boost::asio::use_awaitable, ec));
            if (ec)
                co_return;
            std::string head(boost::asio::buffers_begin(in.data()), boost::asio::buffers_begin(in.data()) + static_cast<std::ptrdiff_t>(n));
            in.consume(n);
            std::string out = self->answer_(head, ++self->requests_);
            if (out.empty())
                co_return;
            const bool close_after = out.size() >= then_close.size() && out.ends_with(then_close);
            if (close_after)
                out.resize(out.size() - then_close.size());
            co_await boost::asio::async_write(socket, boost::asio::buffer(out), boost::asio::redirect_error(boost::asio::use_awaitable, ec));
            if (ec || close_after)
                co_return;
        }
    }

    std::function<std::string(const std::string&, int)> answer_;
    boost::asio::io_context io_;
    boost::asio::ip::tcp::acceptor acceptor_;
    std::thread thread_;
    std::atomic<int> requests_{0};
    std::atomic<int> connections_{0};
};

/// The id of a getInstance request head, percent-encoding left as sent.
inline std::string requested_id(const std::string& head)
{
    auto start = head.find("/instances/") + 11;
    return head.substr(start, head.find(' ', start) - start);
}

inline std::string instance_response(const std::string& id, std::string_view extra_headers = {})
{
    std::string body = R"({"success":true,"data":{"id":")" + id + R"(","status":"running"}})";
    return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" +
           std::string(extra_headers) + "\r\n" + body;
}

}  // namespace beeos::test

#endif
