// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
//
// The client's response reader, fed the fuzzer's bytes as everything a server sends on one
// connection, through the whole call path: two calls, for "a" then "b", on a pool of one
// connection whose stream is in memory (beast::test::stream) and runs exactly the exchange code
// of the real connections (src/http_exchange.hpp). The invariant of the library: each call
// completes exactly once, with its own id's instance or an error; never a crash, a hang, or
// an answer read from the bytes of another exchange. Connections opened after the first (the
// pool replaces one it closed) get well-formed answers, so the second call usually succeeds.
#include "fuzz_support.hpp"

#include "client_impl.hpp"
#include "http_exchange.hpp"

#include <beeos/client.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/beast/_experimental/test/stream.hpp>

#include <memory>
#include <string>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using beeos::detail::clock_type;

// What a well-behaved server sends for `id`: connections after the first use it.
std::string good_answer(std::string_view request)
{
    auto line = request.substr(0, request.find(' ', 4));
    std::string id(line.substr(line.rfind('/') + 1));
    std::string body = R"({"success":true,"data":{"id":")" + id + R"(","status":"running"}})";
    return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

class memory_connection final : public beeos::detail::http_connection
{
public:
    memory_connection(asio::io_context& io, std::string_view scripted, bool scripted_stream) : stream_(io), scripted_(scripted_stream)
    {
        if (scripted_)
            stream_.append(scripted);
        limits_.max_header_bytes = 8 * 1024;
        limits_.max_body_bytes = 64 * 1024;
    }

    asio::awaitable<void> async_connect(clock_type::time_point, boost::system::error_code& ec, beeos::error_info&) override
    {
        ec = {};
        co_return;
    }

    asio::awaitable<void> async_exchange(std::string_view request, clock_type::time_point, beeos::detail::http_response& res,
                                         boost::system::error_code& ec, beeos::error_info& info, beeos::detail::exchange_failure& failure) override
    {
        reusable_ = false;
        failure = {};
        if (!scripted_)
            stream_.append(good_answer(request));
        stream_.close_remote();  // once the bytes are read: end of stream, never a hang
        beeos::detail::exchange_report report;
        co_await beeos::detail::async_exchange_over(stream_, buffer_, parser_, request, limits_, res, report);
        failure.response_started = report.response_started;
        reusable_ = beeos::detail::classify_exchange(report, buffer_.size(), limits_, "fuzz:0", res, ec, info);
        if (ec)
            buffer_.clear();
        else
            ++completed_;
    }

    void close() noexcept override
    {
        reusable_ = false;
        stream_.close();
    }
    asio::awaitable<void> async_close_gracefully(clock_type::time_point) override
    {
        close();
        co_return;
    }
    bool unusable_while_idle() const noexcept override { return false; }

private:
    beast::test::stream stream_;
    bool scripted_;
    beast::flat_buffer buffer_;
    std::optional<beeos::detail::response_reader> parser_;
    beeos::detail::exchange_limits limits_;
};

struct outcome
{
    int completions = 0;
    boost::system::error_code ec;
    std::string id;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    asio::io_context io;
    int opened = 0;
    beeos::detail::client_hooks hooks;
    hooks.make_connection = [&](const asio::any_io_executor&, std::shared_ptr<const beeos::detail::connection_settings>) {
        return std::make_unique<memory_connection>(io, input, ++opened == 1);
    };
    beeos::client_options o;
    o.base_url = "http://fuzz.invalid";
    o.max_connections = 1;
    o.retry.max_attempts = 1;
    o.coalesce_requests = false;
    o.max_header_bytes = 8 * 1024;
    o.max_body_bytes = 64 * 1024;
    auto c = beeos::detail::client_access::make(io.get_executor(), o, std::move(hooks));

    outcome a, b;
    auto record = [](outcome& out) {
        return [&out](boost::system::error_code ec, beeos::instance inst) {
            ++out.completions;
            out.ec = ec;
            out.id = std::move(inst.id);
        };
    };
    c.async_get_instance("a", record(a));
    io.run_for(std::chrono::seconds(5));
    c.async_get_instance("b", record(b));
    io.restart();
    io.run_for(std::chrono::seconds(5));

    if (a.completions != 1 || b.completions != 1)
        beeos::fuzz::fail(__FILE__, __LINE__, "every call completes exactly once", input);
    if (!a.ec && a.id != "a")
        beeos::fuzz::fail(__FILE__, __LINE__, "call a got another id's instance", a.id);
    if (!b.ec && b.id != "b")
        beeos::fuzz::fail(__FILE__, __LINE__, "call b got another id's instance", b.id);
    return 0;
}
