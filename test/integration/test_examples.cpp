// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
//
// The examples newcomers copy, run as the programs they are against the in-process simulator:
// examples/metrics_server.cpp serves lookups through one shared client and exports its stats.
#include "child_process.hpp"
#include "gateway_fixture.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
namespace http = boost::beast::http;
using namespace std::chrono_literals;
using beeos::test::child_process;
using beeos::test::gateway_fixture;

namespace {

// One keep-alive HTTP/1.1 connection to the example, as curl or Prometheus would open.
class http_client
{
public:
    explicit http_client(unsigned short port) : socket_(io_)
    {
        socket_.connect({asio::ip::make_address("127.0.0.1"), port});
    }

    http::response<http::string_body> get(const std::string& target)
    {
        http::request<http::empty_body> req{http::verb::get, target, 11};
        req.set(http::field::host, "127.0.0.1");
        http::write(socket_, req);
        http::response<http::string_body> res;
        http::read(socket_, buffer_, res);
        return res;
    }

private:
    asio::io_context io_;
    asio::ip::tcp::socket socket_;
    boost::beast::flat_buffer buffer_;
};

// The value of an unlabelled sample `name value` in Prometheus text; nullopt when absent.
std::optional<double> sample(const std::string& text, const std::string& name)
{
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        if (line.starts_with(name + " "))
            return std::stod(line.substr(name.size() + 1));
    return std::nullopt;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(examples)

BOOST_AUTO_TEST_CASE(metrics_server_serves_lookups_and_the_clients_stats)
{
    gateway_fixture f;
    const std::string token(beeos::test::secret_token);
    child_process server("env", {"BEEOS_API_URL=" + f.gw.url(), "BEEOS_API_KEY=" + token,
                                 "BEEOS_CA_FILE=" + beeos::test::shared_ca_file(), BEEOS_METRICS_SERVER_PATH, "--listen",
                                 "127.0.0.1:0", "--threads", "4"});
    const std::string line = server.read_line(60s);
    const std::string prefix = "listening on http://127.0.0.1:";
    BOOST_REQUIRE_MESSAGE(line.starts_with(prefix), "the example printed '" << line << "'");
    const auto port = static_cast<unsigned short>(std::stoi(line.substr(prefix.size())));

    // Four callers at once, each on its own keep-alive connection, through the one client.
    constexpr int callers = 4, lookups = 25;
    std::atomic<int> right{0}, wrong{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < callers; ++t)
        threads.emplace_back(
            [&, t]
            {
                http_client c(port);
                for (int i = 0; i < lookups; ++i)
                {
                    const std::string id = "inst_" + std::to_string(t * lookups + i);
                    auto res = c.get("/instances/" + id);
                    const bool ok = res.result() == http::status::ok && boost::json::parse(res.body()).at("id").as_string() == id;
                    (ok ? right : wrong)++;
                }
            }
        );
    for (auto& t : threads)
        t.join();
    BOOST_TEST(right.load() == callers * lookups);
    BOOST_TEST(wrong.load() == 0);

    http_client c(port);
    auto missing = c.get("/instances/no_such_instance");
    BOOST_TEST(missing.result_int() == 404);
    BOOST_TEST(c.get("/nowhere").result_int() == 404);

    auto metrics = c.get("/metrics");
    BOOST_REQUIRE(metrics.result() == http::status::ok);
    BOOST_TEST(std::string(metrics[http::field::content_type]).starts_with("text/plain; version=0.0.4"));
    const std::string& text = metrics.body();
    BOOST_TEST(text.find(token) == std::string::npos);
    // What the client says it sent is what the gateway received: no retries, no re-sends here.
    const auto sent = sample(text, "beeos_requests_sent_total");
    BOOST_REQUIRE(sent);
    BOOST_TEST(*sent == double(f.gw.get_stats().requests));
    BOOST_TEST(*sent == double(callers * lookups + 1));
    BOOST_TEST(sample(text, "beeos_calls_started_total").value_or(-1) == double(callers * lookups + 1));
    BOOST_TEST(sample(text, "beeos_calls_failed_total").value_or(-1) == 1.0);  // the 404
    BOOST_TEST(sample(text, "beeos_retries_total").value_or(-1) == 0.0);
    BOOST_TEST(sample(text, "beeos_connections_open").value_or(0) >= 1.0);
    BOOST_TEST(sample(text, "beeos_calls_in_flight").value_or(-1) == 0.0);
    BOOST_TEST(text.find("# TYPE beeos_connections_closed_total counter") != std::string::npos);

    // SIGTERM: a graceful shutdown, and the process exits 0.
    BOOST_TEST(server.terminate() == 0);
}

BOOST_AUTO_TEST_SUITE_END()
