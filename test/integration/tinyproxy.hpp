// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#ifndef BEEOS_TEST_INTEGRATION_TINYPROXY_HPP
#define BEEOS_TEST_INTEGRATION_TINYPROXY_HPP

// Debian's tinyproxy on 127.0.0.1, configured and started by a test: the real HTTP proxy the
// client's CONNECT tunnels and proxy credentials are tested against.

#include "child_process.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace beeos::test {

/// A port nobody listens on right now (bind to 0, read, close).
inline unsigned short free_port()
{
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    return a.local_endpoint().port();
}

struct tinyproxy_options
{
    std::vector<unsigned short> connect_ports;  ///< CONNECT allowed only to these
    std::string user, password;                 ///< BasicAuth when set
};

class tinyproxy
{
public:
    explicit tinyproxy(const tinyproxy_options& o) : port_(free_port())
    {
        std::string conf = "Port " + std::to_string(port_) + "\nListen 127.0.0.1\nTimeout 30\nMaxClients 200\nAllow 127.0.0.1\nLogLevel Connect\n";
        for (auto p : o.connect_ports)
            conf += "ConnectPort " + std::to_string(p) + "\n";
        if (!o.user.empty())
            conf += "BasicAuth " + o.user + " " + o.password + "\n";
        const auto path = dir_.write("tinyproxy.conf", conf);
        process_.emplace("tinyproxy", std::vector<std::string>{"-d", "-c", path}, true);
        // Ready once it accepts a TCP connection.
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        for (;;)
        {
            boost::asio::io_context io;
            boost::asio::ip::tcp::socket s(io);
            boost::system::error_code ec;
            s.connect({boost::asio::ip::make_address("127.0.0.1"), port_}, ec);
            if (!ec)
                break;
            BOOST_REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline, "tinyproxy did not start listening on " << port_);
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        reader_ = std::thread([this] { read_log(); });
    }
    ~tinyproxy()
    {
        process_->terminate();  // its log pipe ends, and the reader with it
        if (reader_.joinable())
            reader_.join();
    }
    tinyproxy(const tinyproxy&) = delete;
    tinyproxy& operator=(const tinyproxy&) = delete;

    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
    unsigned short port() const { return port_; }

    /// Requests it logged ("CONNECT 127.0.0.1:443 HTTP/1.1", "GET http://... HTTP/1.1"), once
    /// at least `at_least` have been (or 10 s passed): its log reaches the reader thread a little
    /// after the request itself was answered, later still on a loaded machine.
    std::vector<std::string> requests(std::size_t at_least = 0) const
    {
        std::unique_lock lock(mtx_);
        logged_.wait_for(lock, std::chrono::seconds(10), [&] { return requests_.size() >= at_least; });
        return requests_;
    }

private:
    void read_log()
    {
        std::string line;
        while (process_->try_read_line(std::chrono::hours(1), line))
        {
            auto at = line.find("): ");
            if (line.find("Request (file descriptor") != std::string::npos && at != std::string::npos)
            {
                {
                    std::lock_guard lock(mtx_);
                    requests_.push_back(line.substr(at + 3));
                }
                logged_.notify_all();
            }
        }
    }

    temp_dir dir_;
    unsigned short port_;
    std::optional<child_process> process_;
    std::thread reader_;
    mutable std::mutex mtx_;
    mutable std::condition_variable logged_;
    std::vector<std::string> requests_;
};

}  // namespace beeos::test

#endif
