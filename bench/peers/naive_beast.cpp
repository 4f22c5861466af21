// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
//
// Peer for bench/compare: the Boost.Beast client a developer would write in an afternoon.
// C coroutines, each with its own keep-alive ssl_stream<tcp_stream>; per request a fresh
// http::request, http::response<string_body> and boost::json::parse of the whole body, then a
// check of data.id. No pool, no timeouts, no retries, no error taxonomy: a floor for what a
// complete client must add, not a competitor.
#include "../bench_common.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/json.hpp>

#include <atomic>
#include <iostream>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using namespace beeos_bench;

namespace {

constexpr std::string_view usage = R"(usage: beeos-peer-naive-beast --url https://HOST:PORT --ca FILE [options]
  --token T  --requests N  --seconds S  --concurrency C (default 64)  --ids M (default 1000)
)";

struct shared_state
{
    std::string host, port, host_header, token_header;
    std::uint64_t limit = 0, ids = 1000;
    bool timed = false;
    clock_type::time_point stop_at{};
    std::atomic<std::uint64_t> next{0}, completed{0}, errors{0};
    histogram latency;
    long connections = 0;
};

bool check_body(const std::string& body, std::string_view expected)
{
    boost::system::error_code ec;
    json::value v = json::parse(body, ec);
    if (ec || !v.is_object())
        return false;
    const json::value* data = v.get_object().if_contains("data");
    if (!data || !data->is_object())
        return false;
    const json::value* id = data->get_object().if_contains("id");
    return id && id->is_string() && id->get_string() == expected;
}

asio::awaitable<void> worker(shared_state& s, asio::ssl::context& tls)
{
    auto ex = co_await asio::this_coro::executor;
    beast::ssl_stream<beast::tcp_stream> stream(ex, tls);
    try
    {
        asio::ip::tcp::resolver resolver(ex);
        auto results = co_await resolver.async_resolve(s.host, s.port, asio::use_awaitable);
        co_await beast::get_lowest_layer(stream).async_connect(results, asio::use_awaitable);
        beast::get_lowest_layer(stream).socket().set_option(asio::ip::tcp::no_delay(true));
        stream.set_verify_callback(asio::ssl::host_name_verification(s.host));
        co_await stream.async_handshake(asio::ssl::stream_base::client, asio::use_awaitable);
        ++s.connections;

        beast::flat_buffer buffer;
        char id[32];
        for (;;)
        {
            auto now = clock_type::now();
            if (s.timed && now >= s.stop_at)
                break;
            std::uint64_t n = s.next.fetch_add(1, std::memory_order_relaxed);
            if (n >= s.limit)
                break;
            std::string_view expected(id, format_id(id, n % s.ids));

            http::request<http::empty_body> req{http::verb::get, "/api/v1/instances/" + std::string(expected), 11};
            req.set(http::field::host, s.host_header);
            req.set(http::field::authorization, s.token_header);
            req.set(http::field::accept, "application/json");
            co_await http::async_write(stream, req, asio::use_awaitable);

            http::response<http::string_body> res;
            co_await http::async_read(stream, buffer, res, asio::use_awaitable);
            bool ok = res.result() == http::status::ok && check_body(res.body(), expected);
            s.latency.record(static_cast<std::uint64_t>((clock_type::now() - now).count()));
            s.completed.fetch_add(1, std::memory_order_relaxed);
            if (!ok)
            {
                if (s.errors.fetch_add(1, std::memory_order_relaxed) < 5)
                    std::cerr << "naive-beast: " << expected << ": HTTP " << res.result_int() << " or wrong body\n";
            }
            if (!res.keep_alive())
                throw std::runtime_error("server closed the connection");
        }
        boost::system::error_code ignored;
        beast::get_lowest_layer(stream).socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    }
    catch (const std::exception& e)
    {
        s.errors.fetch_add(1, std::memory_order_relaxed);
        std::cerr << "naive-beast: " << e.what() << '\n';
    }
}

}  // namespace

int main(int argc, char** argv)
{
    shared_state s;
    std::string url, ca;
    std::uint64_t concurrency = 0;
    double seconds = 0;
    try
    {
        args a(argc, argv, {"url", "ca", "token", "requests", "seconds", "concurrency", "ids"}, {"help"});
        if (a.has("help"))
        {
            std::cout << usage;
            return 0;
        }
        url = a.str("url");
        ca = a.str("ca");
        seconds = a.real("seconds", 0);
        s.limit = a.num("requests", seconds > 0 ? std::numeric_limits<std::uint64_t>::max() : 10000);
        concurrency = a.num("concurrency", 64);
        s.ids = a.num("ids", 1000);
        s.token_header = "Bearer " + token_from(a);
        // https://host[:port], nothing more: enough for the benchmark's own server.
        std::string_view rest = url;
        if (!rest.starts_with("https://"))
            throw usage_error("--url must be https://host[:port]");
        rest.remove_prefix(8);
        if (rest.ends_with('/'))
            rest.remove_suffix(1);
        auto colon = rest.rfind(':');
        s.host = std::string(rest.substr(0, colon));
        s.port = colon == std::string_view::npos ? "443" : std::string(rest.substr(colon + 1));
        s.host_header = std::string(rest);
        if (s.host.empty() || rest.find('/') != std::string_view::npos)
            throw usage_error("--url must be https://host[:port]");
        if (concurrency == 0 || s.ids == 0)
            throw usage_error("--concurrency and --ids must be at least 1");
    }
    catch (const usage_error& e)
    {
        std::cerr << "naive-beast: " << e.what() << '\n' << usage;
        return 2;
    }

    asio::ssl::context tls(asio::ssl::context::tls_client);
    tls.set_verify_mode(asio::ssl::verify_peer);
    if (!ca.empty())
        tls.load_verify_file(ca);
    else
        tls.set_default_verify_paths();

    asio::io_context io(1);
    if (seconds > 0)
    {
        s.timed = true;
        s.stop_at = clock_type::now() + std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(seconds));
    }
    const cpu_times cpu0 = process_cpu();
    const auto t0 = clock_type::now();
    for (std::uint64_t i = 0; i != concurrency; ++i)
        asio::co_spawn(io, worker(s, tls), asio::detached);
    io.run();
    const auto t1 = clock_type::now();
    const cpu_times cpu1 = process_cpu();

    result r;
    r.client = "naive-beast";
    r.requests = s.completed.load();
    r.errors = s.errors.load();
    r.wall_s = std::chrono::duration<double>(t1 - t0).count();
    r.cpu = {cpu1.user_s - cpu0.user_s, cpu1.sys_s - cpu0.sys_s};
    r.latency = s.latency;
    r.peak_rss_kb = peak_rss_kb();
    r.connections = s.connections;
    print_result(r);
    bool complete = seconds > 0 ? r.requests > 0 : r.requests == s.limit;
    return r.errors == 0 && complete ? 0 : 1;
}
