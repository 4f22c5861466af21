// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
//
// Self-test of the gateway simulator's lifecycle scripts, churn, listing and hostile faults,
// spoken to with raw Beast requests (or raw bytes) over verified TLS: it does not use the beeos
// client, so it checks the simulator on its own terms. One case checks the Node.js Early Hints
// server in test/integration/node/ the same way.
#include "child_process.hpp"

#include <gateway.hpp>
#include <test_pki.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/test/unit_test.hpp>

#include <zlib.h>

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
namespace ssl = asio::ssl;
namespace sim = beeos::sim;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {

constexpr std::string_view token = "oag_sim_self_test";

const sim::test_pki& pki()
{
    static const sim::test_pki p = sim::make_test_pki();
    return p;
}

sim::config make_config(std::size_t instances)
{
    sim::config cfg;
    cfg.tokens = {std::string(token)};
    cfg.instance_count = instances;
    return cfg;
}

struct reply
{
    unsigned status = 0;
    std::string body;
    std::string request_id;
    std::string allow;
    std::string location;
    std::string content_encoding;  // empty: no such field
    bool chunked = false;
};

asio::awaitable<void> exchange(ssl::context& ctx, unsigned short port,
                               http::request<http::string_body> req, reply& out)
{
    auto ex = co_await asio::this_coro::executor;
    ssl::stream<beast::tcp_stream> stream(ex, ctx);
    stream.set_verify_mode(ssl::verify_peer);
    stream.set_verify_callback(ssl::host_name_verification("127.0.0.1"));
    auto& tcp = stream.next_layer();
    tcp.expires_after(5s);
    co_await tcp.async_connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
                               asio::use_awaitable);
    co_await stream.async_handshake(ssl::stream_base::client, asio::use_awaitable);
    co_await http::async_write(stream, req, asio::use_awaitable);
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::response_parser<http::string_body> parser;
    parser.body_limit(16 * 1024 * 1024);
    co_await http::async_read(stream, buffer, parser, asio::use_awaitable);
    res = parser.release();
    out.status = res.result_int();
    out.body = std::move(res.body());
    out.request_id = res["X-Request-Id"];
    out.allow = res[http::field::allow];
    out.location = res[http::field::location];
    out.content_encoding = res[http::field::content_encoding];
    out.chunked = res.chunked();
    // No close_notify: the server treats a vanished client as the end of the connection.
    tcp.close();
}

// One request on a fresh verified TLS connection; fails the test if it takes over 10 s.
reply send(const sim::gateway& gw, std::string target, http::verb method = http::verb::get,
           std::string_view auth = "Bearer oag_sim_self_test",
           std::optional<std::string_view> accept_encoding = std::nullopt)
{
    asio::io_context io;
    ssl::context ctx(ssl::context::tls_client);
    ctx.add_certificate_authority(asio::buffer(pki().ca_cert_pem));
    http::request<http::string_body> req{method, target, 11};
    req.set(http::field::host, "127.0.0.1");
    if (!auth.empty())
        req.set(http::field::authorization, auth);
    if (accept_encoding)
        req.set(http::field::accept_encoding, *accept_encoding);
    req.prepare_payload();
    reply out;
    bool done = false;
    std::exception_ptr failure;
    asio::co_spawn(io, exchange(ctx, gw.port(), std::move(req), out),
                   [&](std::exception_ptr e) {
                       failure = e;
                       done = true;
                   });
    io.run_for(10s);
    BOOST_REQUIRE_MESSAGE(done, "request " << target << " did not finish in time");
    if (failure)
        std::rethrow_exception(failure);
    return out;
}

json::object get_data(const sim::gateway& gw, std::string_view id)
{
    reply r = send(gw, "/api/v1/instances/" + std::string(id));
    BOOST_REQUIRE_MESSAGE(r.status == 200, id << ": status " << r.status << " " << r.body);
    return json::parse(r.body).at("data").as_object();
}

struct page
{
    std::vector<json::value> items;
    std::int64_t total = -1;
    std::vector<std::string> ids() const
    {
        std::vector<std::string> out;
        for (const auto& i : items)
            out.emplace_back(i.at("id").as_string());
        return out;
    }
};

page list(const sim::gateway& gw, std::string_view query = {})
{
    std::string target = "/api/v1/instances";
    if (!query.empty())
        target += "?" + std::string(query);
    reply r = send(gw, target);
    BOOST_REQUIRE_MESSAGE(r.status == 200, target << ": status " << r.status << " " << r.body);
    json::object env = json::parse(r.body).as_object();
    BOOST_TEST(env.at("success").as_bool());
    page p;
    for (const auto& v : env.at("data").as_array())
        p.items.push_back(v);
    p.total = env.at("total").as_int64();
    return p;
}

std::vector<std::string> inst_ids(std::initializer_list<int> ns)
{
    std::vector<std::string> out;
    for (int n : ns)
        out.push_back("inst_" + std::to_string(n));
    return out;
}

std::vector<std::string> inst_range(int from, int to)
{
    std::vector<std::string> out;
    for (int n = from; n < to; ++n)
        out.push_back("inst_" + std::to_string(n));
    return out;
}

sim::fault status_fault(int status, std::optional<std::string> retry_after = std::nullopt)
{
    sim::fault f;
    f.status = status;
    f.retry_after = std::move(retry_after);
    return f;
}

std::string str(const json::object& o, std::string_view key)
{
    return std::string(o.at(key).as_string());
}

// The error envelope of a 4xx, checked against the contract's shape.
json::object expect_error(const reply& r, unsigned status, std::string_view code)
{
    BOOST_TEST(r.status == status);
    json::object env = json::parse(r.body).as_object();
    BOOST_TEST(!env.at("success").as_bool());
    json::object err = env.at("error").as_object();
    BOOST_TEST(str(err, "code") == code);
    BOOST_TEST(str(err, "request_id") == r.request_id);
    BOOST_TEST(r.request_id.starts_with("req_"));
    return err;
}


// ---- raw exchanges ----------------------------------------------------------------------

// One read of a raw client, as it arrived.
struct chunk
{
    std::string bytes;
    clock_type::time_point at;
};

// A verified TLS connection spoken to in raw bytes, recording every read: the faults below are
// about which bytes arrive in which read and when. Each step fails the test after 5 s.
class raw_client
{
public:
    explicit raw_client(unsigned short port)
    {
        ctx_.add_certificate_authority(asio::buffer(pki().ca_cert_pem));
        stream_.set_verify_mode(ssl::verify_peer);
        stream_.set_verify_callback(ssl::host_name_verification("127.0.0.1"));
        run(connect_op(port), "connect and TLS handshake");
    }

    void send(std::string bytes)
    {
        sent_ = clock_type::now();
        run(write_op(std::move(bytes)), "write");
    }

    // Reads until `done(all bytes received so far)` holds.
    void read_until(std::function<bool(std::string_view)> done)
    {
        run(read_op(std::move(done)), "read");
    }

    const std::string& bytes() const { return bytes_; }
    const std::vector<chunk>& reads() const { return reads_; }
    clock_type::time_point sent() const { return sent_; }

    // The index of the read that carried stream byte `offset`.
    std::size_t read_of(std::size_t offset) const
    {
        for (std::size_t i = 0, end = 0; i < reads_.size(); ++i)
        {
            end += reads_[i].bytes.size();
            if (offset < end)
                return i;
        }
        BOOST_FAIL("byte " << offset << " was never read");
        return 0;
    }

private:
    template <class Op>
    void run(Op op, std::string_view what)
    {
        bool finished = false;
        std::exception_ptr failure;
        asio::co_spawn(io_, std::move(op), [&](std::exception_ptr e) {
            failure = e;
            finished = true;
        });
        io_.restart();
        io_.run_for(5s);
        BOOST_REQUIRE_MESSAGE(finished, what << " did not finish in 5 s; received so far: "
                                             << bytes_.size() << " bytes");
        if (failure)
            std::rethrow_exception(failure);
    }

    asio::awaitable<void> connect_op(unsigned short port)
    {
        auto& tcp = stream_.next_layer();
        tcp.expires_after(4s);
        co_await tcp.async_connect(
            asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
            asio::use_awaitable);
        co_await stream_.async_handshake(ssl::stream_base::client, asio::use_awaitable);
    }

    asio::awaitable<void> write_op(std::string bytes)
    {
        stream_.next_layer().expires_after(4s);
        co_await asio::async_write(stream_, asio::buffer(bytes), asio::use_awaitable);
    }

    asio::awaitable<void> read_op(std::function<bool(std::string_view)> done)
    {
        // Larger than a TLS record, so that one read returns a whole record.
        std::vector<char> buf(64 * 1024);
        while (!done(bytes_))
        {
            stream_.next_layer().expires_after(4s);
            std::size_t n = co_await stream_.async_read_some(asio::buffer(buf), asio::use_awaitable);
            reads_.push_back({std::string(buf.data(), n), clock_type::now()});
            bytes_.append(buf.data(), n);
        }
    }

    asio::io_context io_;
    ssl::context ctx_{ssl::context::tls_client};
    ssl::stream<beast::tcp_stream> stream_{io_, ctx_};
    std::string bytes_;
    std::vector<chunk> reads_;
    clock_type::time_point sent_;
};

std::string get_request(std::string_view target, std::string_view auth = "Bearer oag_sim_self_test")
{
    std::string out = "GET " + std::string(target) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    if (!auth.empty())
        out += "Authorization: " + std::string(auth) + "\r\n";
    out += "\r\n";
    return out;
}

// One complete response found in a byte stream.
struct message
{
    http::response<http::string_body> res;
    std::size_t begin = 0;  // stream offsets: [begin, end)
    std::size_t header_end = 0;
    std::size_t end = 0;
    unsigned status() const { return res.result_int(); }
};

// The complete, well-formed responses at the start of `bytes`, in order; stops at the first
// incomplete or malformed one.
std::vector<message> parse_responses(std::string_view bytes)
{
    std::vector<message> out;
    std::size_t at = 0;
    while (at < bytes.size())
    {
        http::response_parser<http::string_body> p;
        p.eager(true);
        p.body_limit(16 * 1024 * 1024);
        std::size_t used = 0;
        while (!p.is_done() && at + used < bytes.size())
        {
            beast::error_code ec;
            std::size_t n = p.put(asio::buffer(bytes.data() + at + used, bytes.size() - at - used), ec);
            used += n;
            if (ec || n == 0)
                break;
        }
        if (!p.is_done())
            break;
        message m;
        m.begin = at;
        m.header_end = bytes.find("\r\n\r\n", at) + 4;
        m.end = at + used;
        m.res = p.release();
        out.push_back(std::move(m));
        at += used;
    }
    return out;
}

// A `read_until` condition: `n` complete responses have arrived (1xx ones count if `interim`).
std::function<bool(std::string_view)> has_responses(std::size_t n, bool interim = false)
{
    return [n, interim](std::string_view bytes) {
        std::size_t count = 0;
        for (const auto& m : parse_responses(bytes))
            count += interim || m.status() >= 200;
        return count >= n;
    };
}

std::string data_id(const message& m)
{
    return std::string(json::parse(m.res.body()).at("data").at("id").as_string());
}

// The values of every `name:` field of a raw header block, in order.
std::vector<std::string> raw_fields(std::string_view head, std::string_view name)
{
    std::vector<std::string> out;
    const std::string key = "\r\n" + std::string(name) + ": ";
    for (std::size_t at = head.find(key); at != std::string_view::npos; at = head.find(key, at + 1))
    {
        std::size_t from = at + key.size();
        out.emplace_back(head.substr(from, head.find("\r\n", from) - from));
    }
    return out;
}

// ---- tenants, tokens and gzip ----------------------------------------------------------------

reply send_as(const sim::gateway& gw, std::string target, std::string_view token_value)
{
    return send(gw, std::move(target), http::verb::get, "Bearer " + std::string(token_value));
}

json::object data_as(const sim::gateway& gw, std::string_view id, std::string_view token_value)
{
    reply r = send_as(gw, "/api/v1/instances/" + std::string(id), token_value);
    BOOST_REQUIRE_MESSAGE(r.status == 200, id << ": status " << r.status << " " << r.body);
    return json::parse(r.body).at("data").as_object();
}

page list_as(const sim::gateway& gw, std::string_view query, std::string_view token_value)
{
    reply r = send_as(gw, "/api/v1/instances?" + std::string(query), token_value);
    BOOST_REQUIRE_MESSAGE(r.status == 200, query << ": status " << r.status << " " << r.body);
    json::object env = json::parse(r.body).as_object();
    page p;
    for (const auto& v : env.at("data").as_array())
        p.items.push_back(v);
    p.total = env.at("total").as_int64();
    return p;
}

// What zlib made of a gzip body. `text` keeps the first 16 MiB of the output.
struct inflated
{
    bool ok = false;  // one complete gzip member, CRC and length checked, nothing after it
    std::size_t bytes = 0;
    bool all_zero = true;
    std::string text;
};

inflated gunzip(std::string_view in)
{
    inflated out;
    z_stream zs{};
    BOOST_REQUIRE(inflateInit2(&zs, 31) == Z_OK);
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    zs.avail_in = static_cast<uInt>(in.size());
    std::vector<unsigned char> buf(64 * 1024);
    int rc = Z_OK;
    while (rc == Z_OK)
    {
        zs.next_out = buf.data();
        zs.avail_out = static_cast<uInt>(buf.size());
        rc = inflate(&zs, Z_NO_FLUSH);
        const std::size_t n = buf.size() - zs.avail_out;
        out.bytes += n;
        out.all_zero = out.all_zero && std::all_of(buf.begin(), buf.begin() + n, [](unsigned char c) { return c == 0; });
        if (out.text.size() < 16 * 1024 * 1024)
            out.text.append(reinterpret_cast<const char*>(buf.data()), n);
    }
    out.ok = rc == Z_STREAM_END && zs.avail_in == 0;
    inflateEnd(&zs);
    return out;
}

// The data of a chunked body, decoded by hand from `b` (the header ends at `head_end`);
// `chunks` counts the non-empty chunks.
std::string dechunk(const std::string& b, std::size_t head_end, std::size_t& chunks)
{
    std::string body;
    chunks = 0;
    for (std::size_t at = head_end;;)
    {
        std::size_t eol = b.find("\r\n", at);
        BOOST_REQUIRE(eol != std::string::npos);
        std::size_t n = std::stoul(b.substr(at, eol - at), nullptr, 16);
        if (n == 0)
            break;
        body += b.substr(eol + 2, n);
        BOOST_REQUIRE(b.substr(eol + 2 + n, 2) == "\r\n");
        at = eol + 4 + n;
        ++chunks;
    }
    return body;
}

// ---- the Node.js Early Hints server -------------------------------------------------------

// Files holding the simulator's server certificate and key, removed afterwards.
struct temp_pki_files
{
    temp_pki_files()
    {
        cert_ = dir.write("server.pem", pki().server_cert_pem);
        key_ = dir.write("server.key", pki().server_key_pem);
    }
    const std::string& cert() const { return cert_; }
    const std::string& key() const { return key_; }
    beeos::test::temp_dir dir;
    std::string cert_, key_;
};

// `node early_hints_server.mjs ...`.
struct node_server : beeos::test::child_process
{
    explicit node_server(const std::vector<std::string>& args) : child_process("node", with_script(args)) {}

    static std::vector<std::string> with_script(const std::vector<std::string>& args)
    {
        const auto script = std::filesystem::path(__FILE__).parent_path() / "node" / "early_hints_server.mjs";
        BOOST_REQUIRE_MESSAGE(std::filesystem::exists(script), "the Node.js peer is missing: " << script);
        std::vector<std::string> out{script.string()};
        out.insert(out.end(), args.begin(), args.end());
        return out;
    }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(gateway_sim)

BOOST_AUTO_TEST_CASE(lifecycle_moves_at_the_scripted_times)
{
    sim::gateway gw(make_config(50), pki());
    gw.start();
    const auto before = clock_type::now();
    gw.set_lifecycle("inst_3", {
        {0ms, {.status = "pending", .desired_status = "running", .connectivity = "offline",
               .connectivity_reason = "instance_disconnected"}},
        {250ms, {.status = "provisioning", .ms_connection_status = "connecting"}},
        {500ms, {.status = "running", .connectivity = "online", .connectivity_reason = "",
                 .ms_connection_status = "connected"}},
    });
    const auto after = clock_type::now();
    const std::string statuses[] = {"running" /* fixture */, "pending", "provisioning", "running"};

    // Each served body must come from a step that had passed when it was served.
    std::vector<std::string> seen;
    const auto deadline = clock_type::now() + 3s;
    for (;;)
    {
        std::size_t k0 = gw.transitions_for("inst_3").size();
        json::object d = get_data(gw, "inst_3");
        std::size_t k1 = gw.transitions_for("inst_3").size();
        BOOST_TEST(k0 >= 1u);  // a step at 0 takes effect at once
        std::string s = str(d, "status");
        BOOST_TEST((s == statuses[k0] || s == statuses[k1]), s << " not from steps " << k0 << ".." << k1);
        if (seen.empty() || seen.back() != s)
            seen.push_back(s);
        if (s == "provisioning")
        {
            // Merged: step 0's fields persist until overridden.
            BOOST_TEST(str(d, "connectivity") == "offline");
            BOOST_TEST(str(d, "connectivityReason") == "instance_disconnected");
            BOOST_TEST(str(d, "msConnectionStatus") == "connecting");
        }
        if (k0 == 3 || clock_type::now() > deadline)
            break;
        std::this_thread::sleep_for(10ms);
    }
    BOOST_TEST(seen == (std::vector<std::string>{"pending", "provisioning", "running"}),
               boost::test_tools::per_element());

    json::object d = get_data(gw, "inst_3");
    BOOST_TEST(str(d, "connectivity") == "online");
    BOOST_TEST(str(d, "connectivityReason") == "");
    BOOST_TEST(str(d, "desiredStatus") == "running");
    BOOST_TEST(str(d, "endpoint") == "https://inst-7f3a9c2e.us-east-1.run.beeos.ai");  // fixture
    BOOST_TEST(str(d, "id") == "inst_3");

    auto ts = gw.transitions_for("inst_3");
    BOOST_REQUIRE_EQUAL(ts.size(), 3u);
    for (std::size_t i = 0; i < ts.size(); ++i)
        BOOST_TEST(ts[i].step == i);
    BOOST_TEST((ts[0].at >= before && ts[0].at <= after));
    BOOST_TEST((ts[1].at - ts[0].at == 250ms));
    BOOST_TEST((ts[2].at - ts[0].at == 500ms));
    sim::instance_state provisioning{.status = "provisioning", .desired_status = "running",
                                     .connectivity = "offline",
                                     .connectivity_reason = "instance_disconnected",
                                     .ms_connection_status = "connecting"};
    BOOST_TEST((ts[1].state == provisioning));
    BOOST_TEST((ts[2].state.connectivity == std::optional<std::string>("online")));
    BOOST_TEST((ts[2].state.error_message == std::nullopt));
}

BOOST_AUTO_TEST_CASE(fixture_before_the_first_step_and_other_rules)
{
    sim::gateway gw(make_config(50), pki());
    gw.start();
    gw.set_lifecycle("inst_4", {{10s, {.status = "stopped"}}});
    json::object d = get_data(gw, "inst_4");
    BOOST_TEST(str(d, "status") == "running");
    BOOST_TEST(gw.transitions_for("inst_4").empty());
    BOOST_TEST(gw.transitions_for("inst_never_scripted").empty());

    // A script makes any id exist.
    gw.set_lifecycle("dev_abc", {{0ms, {.status = "stopped", .error_message = "oom"}}});
    d = get_data(gw, "dev_abc");
    BOOST_TEST(str(d, "id") == "dev_abc");
    BOOST_TEST(str(d, "status") == "stopped");
    BOOST_TEST(str(d, "errorMessage") == "oom");
    // An empty script removes it.
    gw.set_lifecycle("dev_abc", {});
    expect_error(send(gw, "/api/v1/instances/dev_abc"), 404, "instance_not_found");

    // set_instance wins over a script.
    gw.set_instance("inst_5", R"({"id":"inst_5","status":"verbatim"})");
    gw.set_lifecycle("inst_5", {{0ms, {.status = "stopped"}}});
    BOOST_TEST(str(get_data(gw, "inst_5"), "status") == "verbatim");

    // set_state merges onto what is served and replaces the script.
    gw.set_lifecycle("inst_6", {{0ms, {.status = "stopped", .desired_status = "stopped"}},
                                {10s, {.status = "terminated"}}});
    gw.set_state("inst_6", {.status = "running", .endpoint = "https://x.example"});
    d = get_data(gw, "inst_6");
    BOOST_TEST(str(d, "status") == "running");
    BOOST_TEST(str(d, "desiredStatus") == "stopped");
    BOOST_TEST(str(d, "endpoint") == "https://x.example");
    auto ts = gw.transitions_for("inst_6");
    BOOST_REQUIRE_EQUAL(ts.size(), 1u);
    BOOST_TEST((ts[0].state == sim::instance_state{.status = "running", .desired_status = "stopped",
                                                    .endpoint = "https://x.example"}));

    BOOST_CHECK_THROW((gw.set_lifecycle("inst_7", {{20ms, {}}, {10ms, {}}})), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(lifecycle_survives_a_restart)
{
    sim::gateway gw(make_config(50), pki());
    gw.start();
    const auto port = gw.port();
    gw.set_lifecycle("inst_1", {{0ms, {.status = "pending"}}, {150ms, {.status = "running"}}});
    gw.set_state("inst_2", {.status = "stopped"});
    BOOST_TEST(str(get_data(gw, "inst_1"), "status") == "pending");
    gw.stop();
    std::this_thread::sleep_for(200ms);  // the clock keeps running while stopped
    BOOST_TEST(gw.transitions_for("inst_1").size() == 2u);
    gw.start();
    BOOST_TEST(gw.port() == port);
    BOOST_TEST(str(get_data(gw, "inst_1"), "status") == "running");
    BOOST_TEST(str(get_data(gw, "inst_2"), "status") == "stopped");
}

BOOST_AUTO_TEST_CASE(listing_pages_and_total)
{
    sim::gateway gw(make_config(45), pki());
    gw.start();
    page p = list(gw);
    BOOST_TEST(p.total == 45);
    BOOST_TEST(p.ids() == inst_range(0, 20), boost::test_tools::per_element());
    p = list(gw, "page=2");
    BOOST_TEST(p.total == 45);
    BOOST_TEST(p.ids() == inst_range(40, 45), boost::test_tools::per_element());
    BOOST_TEST(list(gw, "pageSize=0").items.size() == 20u);
    BOOST_TEST(list(gw, "pageSize=200").ids() == inst_range(0, 45), boost::test_tools::per_element());
    BOOST_TEST(list(gw, "page=1&pageSize=7").ids() == inst_range(7, 14), boost::test_tools::per_element());
    p = list(gw, "page=3");
    BOOST_TEST(p.items.empty());
    BOOST_TEST(p.total == 45);
    BOOST_TEST(list(gw, "page=2147483647&pageSize=200").items.empty());
    // Unknown parameters, `search` included, are ignored.
    BOOST_TEST(list(gw, "foo=bar&search=atlas&pageSize=3").ids() == inst_range(0, 3),
               boost::test_tools::per_element());

    // Items are exactly what getInstance serves, lifecycle applied.
    gw.set_state("inst_8", {.status = "stopped", .connectivity = "offline"});
    p = list(gw, "page=1&pageSize=4");
    BOOST_REQUIRE_EQUAL(p.items.size(), 4u);
    BOOST_TEST(json::serialize(p.items[0]) == json::serialize(get_data(gw, "inst_4")));
    BOOST_TEST(json::serialize(p.items[3]) == json::serialize(get_data(gw, "inst_7")));
    p = list(gw, "page=2&pageSize=4");
    BOOST_TEST(json::serialize(p.items[0]) == json::serialize(get_data(gw, "inst_8")));
    BOOST_TEST(p.items[0].at("status").as_string() == "stopped");

    // A 200-item page.
    sim::gateway big(make_config(1000), pki());
    big.start();
    p = list(big, "page=4&pageSize=200");
    BOOST_TEST(p.total == 1000);
    BOOST_TEST(p.ids() == inst_range(800, 1000), boost::test_tools::per_element());
    BOOST_TEST(big.list_requests() == 1u);
}

BOOST_AUTO_TEST_CASE(listing_filters)
{
    sim::gateway gw(make_config(45), pki());
    gw.start();
    BOOST_TEST(list(gw, "status=running").total == 45);
    BOOST_TEST(list(gw, "providerId=openclaw-k8s&agentFramework=openclaw&clusterId=cluster_use1_a").total == 45);
    BOOST_TEST(list(gw, "providerId=nope").total == 0);
    BOOST_TEST(list(gw, "agentFramework=openclaw+x").total == 0);
    BOOST_TEST(list(gw, "status=stopped").total == 0);

    gw.set_state("inst_3", {.status = "stopped"});
    gw.set_lifecycle("inst_10", {{0ms, {.status = "stopped"}}});
    gw.set_lifecycle("inst_11", {{10s, {.status = "stopped"}}});  // not yet
    page p = list(gw, "status=st%6Fpped");
    BOOST_TEST(p.total == 2);
    BOOST_TEST(p.ids() == inst_ids({3, 10}), boost::test_tools::per_element());
    p = list(gw, "status=running&pageSize=5");
    BOOST_TEST(p.total == 43);
    BOOST_TEST(p.ids() == inst_ids({0, 1, 2, 4, 5}), boost::test_tools::per_element());
    p = list(gw, "status=running&page=1&pageSize=5");
    BOOST_TEST(p.ids() == inst_ids({6, 7, 8, 9, 11}), boost::test_tools::per_element());
    p = list(gw, "status=running&page=8&pageSize=5");
    BOOST_TEST(p.ids() == inst_ids({42, 43, 44}), boost::test_tools::per_element());

    // Verbatim data is filtered by its own fields and listed as it is.
    const std::string verbatim = R"({"id":"inst_20","status":"stopped","providerId":"other"})";
    gw.set_instance("inst_20", verbatim);
    gw.set_instance("inst_21", "{not json");
    p = list(gw, "providerId=other");
    BOOST_TEST(p.total == 1);
    BOOST_REQUIRE_EQUAL(p.items.size(), 1u);
    BOOST_TEST(json::serialize(p.items[0]) == json::serialize(json::parse(verbatim)));
    BOOST_TEST(list(gw, "status=stopped").ids() == inst_ids({3, 10, 20}), boost::test_tools::per_element());
    BOOST_TEST(list(gw, "status=running").total == 41);
    BOOST_TEST(list(gw, "status=").total == 0);
    // Unfiltered, malformed data is served in place as it is.
    reply raw = send(gw, "/api/v1/instances?page=1&pageSize=20");
    BOOST_TEST(raw.body.find(",{not json,") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(listing_validation_and_auth)
{
    sim::gateway gw(make_config(10), pki());
    gw.start();
    for (std::string q : {"page=-1", "page=abc", "page=", "page", "page=2147483648", "page=1.0"})
    {
        BOOST_TEST_CONTEXT(q)
        {
            auto err = expect_error(send(gw, "/api/v1/instances?" + q), 400, "invalid_param");
            BOOST_TEST(str(err, "param") == "page");
        }
    }
    for (std::string q : {"pageSize=201", "pageSize=-1", "pageSize=x", "pageSize=%zz", "page=0&pageSize=1e2"})
    {
        BOOST_TEST_CONTEXT(q)
        {
            auto err = expect_error(send(gw, "/api/v1/instances?" + q), 400, "invalid_param");
            BOOST_TEST(str(err, "param") == "pageSize");
        }
    }
    BOOST_TEST(list(gw, "page=%31&pageSize=3").ids() == inst_range(3, 6), boost::test_tools::per_element());

    reply r = send(gw, "/api/v1/instances", http::verb::post);
    expect_error(r, 405, "method_not_allowed");
    BOOST_TEST(r.allow == "GET");
    expect_error(send(gw, "/api/v1/instances", http::verb::get, ""), 401, "missing_token");
    expect_error(send(gw, "/api/v1/instances", http::verb::get, "Bearer nope"), 401, "invalid_token");
    expect_error(send(gw, "/api/v1/instances/"), 404, "route_not_found");
    BOOST_TEST(gw.list_requests() == 15u);  // the trailing-slash one is off-route

    // Records carry the receive time and the target with its query.
    const auto before = clock_type::now();
    list(gw, "page=1&status=running");
    const auto after = clock_type::now();
    auto rec = gw.recent_requests().back();
    BOOST_TEST(rec.target == "/api/v1/instances?page=1&status=running");
    BOOST_TEST(rec.id.empty());
    BOOST_TEST((rec.received >= before && rec.received <= after));
    gw.reset_stats();
    BOOST_TEST(gw.list_requests() == 0u);
}

BOOST_AUTO_TEST_CASE(instance_count_changes_at_runtime)
{
    sim::gateway gw(make_config(30), pki());
    gw.start();
    BOOST_TEST(list(gw).total == 30);
    gw.set_instance_count(10);
    page p = list(gw);
    BOOST_TEST(p.total == 10);
    BOOST_TEST(p.ids() == inst_range(0, 10), boost::test_tools::per_element());
    expect_error(send(gw, "/api/v1/instances/inst_15"), 404, "instance_not_found");
    gw.set_instance_count(40);
    p = list(gw, "page=1");
    BOOST_TEST(p.total == 40);
    BOOST_TEST(p.ids() == inst_range(20, 40), boost::test_tools::per_element());
    BOOST_TEST(str(get_data(gw, "inst_39"), "id") == "inst_39");
}

BOOST_AUTO_TEST_CASE(list_fault_route)
{
    sim::gateway gw(make_config(10), pki());
    gw.start();
    gw.add_fault(std::string(sim::list_route), status_fault(503, "1"));
    // getInstance does not take it, not even for an id spelled like the route.
    BOOST_TEST(str(get_data(gw, "inst_1"), "id") == "inst_1");
    expect_error(send(gw, "/api/v1/instances/(list)"), 404, "instance_not_found");
    expect_error(send(gw, "/api/v1/instances?page=0"), 503, "auth_transient");
    BOOST_TEST(list(gw).total == 10);

    // "Any" faults apply to listing too; the list route wins over them.
    gw.add_fault("", status_fault(500));
    gw.add_fault(std::string(sim::list_route), status_fault(429));
    expect_error(send(gw, "/api/v1/instances"), 429, "rate_limited");
    expect_error(send(gw, "/api/v1/instances"), 500, "internal_error");
    BOOST_TEST(list(gw).total == 10);
    BOOST_TEST(gw.list_requests() == 5u);
    BOOST_TEST(gw.requests_for("(list)") == 1u);  // the getInstance one
}

BOOST_AUTO_TEST_CASE(churn_flips_connectivity)
{
    auto cfg = make_config(8);
    cfg.churn_period = 120ms;
    sim::gateway gw(cfg, pki());
    gw.start();
    gw.set_lifecycle("inst_2", {{0ms, {.status = "running"}}});  // a script overrides churn

    std::vector<std::set<std::string>> seen(8);
    std::size_t mixed = 0;
    const auto end = clock_type::now() + 420ms;
    while (clock_type::now() < end)
    {
        page p = list(gw);
        BOOST_REQUIRE_EQUAL(p.items.size(), 8u);
        std::set<std::string> now;
        for (std::size_t i = 0; i < 8; ++i)
        {
            std::string c(p.items[i].at("connectivity").as_string());
            seen[i].insert(c);
            now.insert(c);
        }
        mixed += now.size() == 2;
        std::this_thread::sleep_for(15ms);
    }
    BOOST_TEST(seen[2] == (std::set<std::string>{"online"}));
    std::size_t flipped = 0;
    for (std::size_t i = 0; i < 8; ++i)
        flipped += i != 2 && seen[i].size() == 2;
    BOOST_TEST(flipped >= 6u);
    BOOST_TEST(mixed >= 1u);  // phases are spread, not in lockstep

    // set_state on a churning id freezes the connectivity served at that moment.
    gw.set_state("inst_5", {.status = "stopped"});
    auto ts = gw.transitions_for("inst_5");
    BOOST_REQUIRE_EQUAL(ts.size(), 1u);
    BOOST_REQUIRE(ts[0].state.connectivity.has_value());
    for (int i = 0; i < 3; ++i)
    {
        BOOST_TEST(str(get_data(gw, "inst_5"), "connectivity") == *ts[0].state.connectivity);
        std::this_thread::sleep_for(50ms);
    }
}

BOOST_AUTO_TEST_CASE(interim_responses_in_one_write)
{
    sim::gateway gw(make_config(10), pki());
    gw.start();
    sim::fault f;
    f.interim_statuses = {100, 103, 103};
    gw.add_fault("inst_3", f);

    raw_client client(gw.port());
    client.send(get_request("/api/v1/instances/inst_3"));
    client.read_until(has_responses(1));
    auto msgs = parse_responses(client.bytes());
    BOOST_REQUIRE_EQUAL(msgs.size(), 4u);
    BOOST_TEST(client.bytes().starts_with("HTTP/1.1 100 Continue\r\n"));
    BOOST_TEST(msgs[0].status() == 100u);
    BOOST_TEST(msgs[0].res.count(http::field::link) == 0u);
    for (std::size_t i : {1u, 2u})
    {
        BOOST_TEST(msgs[i].status() == 103u);
        BOOST_TEST(msgs[i].res.reason() == "Early Hints");
        BOOST_TEST(msgs[i].res[http::field::link] == "</app.css>; rel=preload; as=style");
    }
    BOOST_TEST(msgs[3].status() == 200u);
    BOOST_TEST(data_id(msgs[3]) == "inst_3");
    BOOST_TEST(msgs[3].end == client.bytes().size());
    // One write: all four in one TLS record, so in one read.
    BOOST_TEST(client.reads().size() == 1u);

    // `times` is spent: the next request on the connection gets the plain 200.
    client.send(get_request("/api/v1/instances/inst_3"));
    client.read_until(has_responses(2));
    msgs = parse_responses(client.bytes());
    BOOST_REQUIRE_EQUAL(msgs.size(), 5u);
    BOOST_TEST(msgs[4].status() == 200u);

    sim::fault bad;
    bad.interim_statuses = {103, 200};
    BOOST_CHECK_THROW(gw.add_fault("inst_1", bad), std::invalid_argument);
    bad.interim_statuses = {99};
    BOOST_CHECK_THROW(gw.add_fault("inst_1", bad), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(interim_responses_split_over_writes)
{
    sim::gateway gw(make_config(10), pki());
    gw.start();
    sim::fault f;
    f.interim_statuses = {101, 103};
    f.interim_split = true;
    f.chunked = true;  // combines: the final response is chunked
    gw.add_fault("inst_3", f);

    raw_client client(gw.port());
    client.send(get_request("/api/v1/instances/inst_3"));
    client.read_until(has_responses(1));
    auto msgs = parse_responses(client.bytes());
    BOOST_REQUIRE_EQUAL(msgs.size(), 3u);
    BOOST_TEST(msgs[0].status() == 101u);
    BOOST_TEST(msgs[0].res[http::field::upgrade] == "websocket");
    BOOST_TEST(msgs[1].status() == 103u);
    BOOST_TEST(msgs[1].res[http::field::link] == "</app.css>; rel=preload; as=style");
    BOOST_TEST(msgs[2].status() == 200u);
    BOOST_TEST(msgs[2].res.chunked());
    BOOST_TEST(data_id(msgs[2]) == "inst_3");
    // Each response in reads of its own: every read holds bytes of one response only.
    const std::size_t r0 = client.read_of(msgs[0].end - 1);
    const std::size_t r1 = client.read_of(msgs[1].begin);
    const std::size_t r1_end = client.read_of(msgs[1].end - 1);
    const std::size_t r2 = client.read_of(msgs[2].begin);
    BOOST_TEST(client.reads()[0].bytes == std::string_view(client.bytes()).substr(0, msgs[0].end));
    BOOST_TEST(r0 < r1);
    BOOST_TEST(r1_end < r2);
    // A 5 ms pause before each write after the first (lower bounds: the server slept them).
    BOOST_TEST((client.reads()[r1].at - client.sent() >= 5ms));
    BOOST_TEST((client.reads()[r2].at - client.sent() >= 10ms));
}

BOOST_AUTO_TEST_CASE(wrong_id)
{
    sim::gateway gw(make_config(10), pki());
    gw.start();
    gw.set_state("inst_3", {.status = "stopped"});
    sim::fault f;
    f.wrong_id = "inst_999";
    f.status = 503;  // ignored: a wrong id comes in a 200
    gw.add_fault("inst_3", f);

    reply r = send(gw, "/api/v1/instances/inst_3");
    BOOST_TEST(r.status == 200u);
    json::object wrong = json::parse(r.body).at("data").as_object();
    json::object right = get_data(gw, "inst_3");
    BOOST_TEST(str(wrong, "id") == "inst_999");
    BOOST_TEST(str(wrong, "name") == "sim-inst_3");
    BOOST_TEST(str(wrong, "status") == "stopped");
    wrong["id"] = "inst_3";
    BOOST_TEST(json::serialize(wrong) == json::serialize(right));

    // set_instance data keeps its fields; an id that would be a 404 still gets a 200.
    gw.set_instance("inst_5", R"({"id":"inst_5","status":"verbatim"})");
    gw.add_fault("inst_5", f);
    json::object verbatim = json::parse(send(gw, "/api/v1/instances/inst_5").body).at("data").as_object();
    BOOST_TEST(json::serialize(verbatim) == R"({"id":"inst_999","status":"verbatim"})");
    gw.add_fault("dev_unknown", f);
    BOOST_TEST(str(get_data(gw, "dev_unknown"), "id") == "inst_999");
    expect_error(send(gw, "/api/v1/instances/dev_unknown"), 404, "instance_not_found");
}

BOOST_AUTO_TEST_CASE(unsolicited_response_in_the_same_write)
{
    sim::gateway gw(make_config(10), pki());
    gw.start();
    sim::fault f;
    f.unsolicited_id = "inst_7";
    gw.add_fault("inst_3", f);

    raw_client client(gw.port());
    client.send(get_request("/api/v1/instances/inst_3"));
    client.read_until(has_responses(2));
    auto msgs = parse_responses(client.bytes());
    BOOST_REQUIRE_EQUAL(msgs.size(), 2u);
    BOOST_TEST(msgs[0].status() == 200u);
    BOOST_TEST(data_id(msgs[0]) == "inst_3");
    BOOST_TEST(msgs[1].status() == 200u);
    BOOST_TEST(msgs[1].begin == msgs[0].end);
    BOOST_TEST(msgs[1].end == client.bytes().size());
    BOOST_TEST(json::serialize(json::parse(msgs[1].res.body()).at("data")) ==
               json::serialize(get_data(gw, "inst_7")));
    BOOST_TEST(std::string(msgs[1].res["X-Request-Id"]).starts_with("req_"));
    BOOST_TEST(msgs[1].res["X-Request-Id"] != msgs[0].res["X-Request-Id"]);
    BOOST_TEST(client.reads().size() == 1u);  // one write

    // The connection serves on.
    client.send(get_request("/api/v1/instances/inst_1"));
    client.read_until(has_responses(3));
    msgs = parse_responses(client.bytes());
    BOOST_REQUIRE_EQUAL(msgs.size(), 3u);
    BOOST_TEST(data_id(msgs[2]) == "inst_1");
}

BOOST_AUTO_TEST_CASE(unsolicited_response_after_a_delay)
{
    sim::gateway gw(make_config(10), pki());
    gw.start();
    sim::fault f;
    f.unsolicited_id = "inst_7";
    f.unsolicited_delay = 80ms;
    gw.add_fault("inst_3", f);

    raw_client client(gw.port());
    client.send(get_request("/api/v1/instances/inst_3"));
    const auto first_sent = client.sent();
    client.read_until(has_responses(1));
    auto msgs = parse_responses(client.bytes());
    BOOST_REQUIRE_EQUAL(msgs.size(), 1u);
    BOOST_TEST(data_id(msgs[0]) == "inst_3");
    BOOST_TEST(client.bytes().size() == msgs[0].end);  // nothing after it yet

    // The client asks for inst_1 meanwhile; the answer it reads next is inst_7's.
    client.send(get_request("/api/v1/instances/inst_1"));
    client.read_until(has_responses(3));
    msgs = parse_responses(client.bytes());
    BOOST_REQUIRE_EQUAL(msgs.size(), 3u);
    BOOST_TEST(msgs[1].status() == 200u);
    BOOST_TEST(data_id(msgs[1]) == "inst_7");
    BOOST_TEST(data_id(msgs[2]) == "inst_1");
    BOOST_TEST(client.read_of(msgs[1].begin) > client.read_of(msgs[0].end - 1));
    BOOST_TEST((client.reads()[client.read_of(msgs[1].begin)].at - first_sent >= 80ms));
}

BOOST_AUTO_TEST_CASE(token_echo)
{
    sim::gateway gw(make_config(10), pki());
    gw.start();
    const std::string auth = "Bearer " + std::string(token);

    sim::fault f;
    f.status = 401;
    f.echo_authorization_at = 1020;
    gw.add_fault("inst_3", f);
    reply r = send(gw, "/api/v1/instances/inst_3");
    BOOST_TEST(r.status == 401u);
    json::object err = json::parse(r.body).at("error").as_object();
    const std::string expected = std::string(1020 - 7, 'x') + auth;
    for (std::string_view key : {"type", "code", "message", "request_id"})
    {
        BOOST_TEST_CONTEXT(key)
        {
            BOOST_TEST(str(err, key) == expected);
            BOOST_TEST(str(err, key).find(token) == 1020u);
        }
    }
    BOOST_TEST(r.request_id == expected);
    BOOST_TEST(r.request_id.find(token) == 1020u);

    // 3xx: the envelope and a Location whose host holds the token.
    f.status = 302;
    f.location = "https://ignored.example/";
    gw.add_fault("inst_3", f);
    r = send(gw, "/api/v1/instances/inst_3");
    BOOST_TEST(r.status == 302u);
    BOOST_TEST(r.location == "https://" + std::string(1020 - 8, 'x') + std::string(token) +
                                 ".evil.example/next");
    BOOST_TEST(r.location.find(token) == 1020u);
    BOOST_TEST(str(json::parse(r.body).at("error").as_object(), "message") == expected);
    BOOST_TEST(r.request_id == expected);

    // Below the minimum offset: no filler, the token as early as it can be.
    f.status = 500;
    f.location.reset();
    f.echo_authorization_at = 0;
    gw.add_fault("inst_3", f);
    r = send(gw, "/api/v1/instances/inst_3");
    BOOST_TEST(r.status == 500u);
    BOOST_TEST(str(json::parse(r.body).at("error").as_object(), "code") == auth);
    BOOST_TEST(r.request_id == auth);
}

BOOST_AUTO_TEST_CASE(header_dribble)
{
    sim::gateway gw(make_config(10), pki());
    gw.start();
    sim::fault f;
    f.header_dribble = 1ms;
    gw.add_fault("inst_3", f);

    raw_client client(gw.port());
    client.send(get_request("/api/v1/instances/inst_3"));
    client.read_until(has_responses(1));
    auto msgs = parse_responses(client.bytes());
    BOOST_REQUIRE_EQUAL(msgs.size(), 1u);
    BOOST_TEST(data_id(msgs[0]) == "inst_3");
    const std::size_t header_bytes = msgs[0].header_end;
    BOOST_TEST_REQUIRE(header_bytes > 100u);
    const auto& reads = client.reads();
    // One byte per read for the whole header, then the body in one piece.
    BOOST_REQUIRE_EQUAL(reads.size(), header_bytes + 1);
    for (std::size_t i = 0; i < header_bytes; ++i)
        BOOST_TEST_REQUIRE(reads[i].bytes.size() == 1u, "read " << i);
    BOOST_TEST(reads.back().bytes == msgs[0].res.body());
    BOOST_TEST((reads[header_bytes - 1].at - client.sent() >= (header_bytes - 1) * 1ms));
}

BOOST_AUTO_TEST_CASE(framing_conflicts_and_trailing_bytes)
{
    sim::gateway gw(make_config(10), pki());
    gw.start();

    {
        sim::fault f;
        f.duplicate_content_length = true;
        gw.add_fault("inst_3", f);
        raw_client client(gw.port());
        client.send(get_request("/api/v1/instances/inst_3"));
        client.read_until([](std::string_view b) {
            std::size_t end = b.find("\r\n\r\n");
            auto cl = raw_fields(b.substr(0, end + 2), "Content-Length");
            return end != std::string_view::npos && !cl.empty() &&
                   b.size() >= end + 4 + std::stoul(cl[0]);
        });
        const std::string& b = client.bytes();
        const std::size_t head_end = b.find("\r\n\r\n") + 4;
        const std::string body = b.substr(head_end);
        auto cl = raw_fields(std::string_view(b).substr(0, head_end - 2), "Content-Length");
        BOOST_REQUIRE_EQUAL(cl.size(), 2u);
        BOOST_TEST(cl[0] == std::to_string(body.size()));  // the first is true
        BOOST_TEST(cl[1] == std::to_string(body.size() + 1));
        BOOST_TEST(std::string(json::parse(body).at("data").at("id").as_string()) == "inst_3");
    }
    {
        sim::fault f;
        f.content_length_with_chunked = true;
        gw.add_fault("inst_3", f);
        raw_client client(gw.port());
        client.send(get_request("/api/v1/instances/inst_3"));
        client.read_until([](std::string_view b) { return b.ends_with("\r\n0\r\n\r\n"); });
        const std::string& b = client.bytes();
        const std::size_t head_end = b.find("\r\n\r\n") + 4;
        const std::string_view head = std::string_view(b).substr(0, head_end - 2);
        BOOST_TEST(raw_fields(head, "Transfer-Encoding") == std::vector<std::string>{"chunked"});
        auto cl = raw_fields(head, "Content-Length");
        BOOST_REQUIRE_EQUAL(cl.size(), 1u);
        // Decode the chunks by hand: Beast's parser rightly refuses this header.
        std::string body;
        std::size_t chunks = 0;
        for (std::size_t at = head_end;;)
        {
            std::size_t eol = b.find("\r\n", at);
            std::size_t n = std::stoul(b.substr(at, eol - at), nullptr, 16);
            if (n == 0)
                break;
            body += b.substr(eol + 2, n);
            BOOST_TEST_REQUIRE(b.substr(eol + 2 + n, 2) == "\r\n");
            at = eol + 4 + n;
            ++chunks;
        }
        BOOST_TEST(chunks == 4u);
        BOOST_TEST(cl[0] == std::to_string(body.size()));
        BOOST_TEST(std::string(json::parse(body).at("data").at("id").as_string()) == "inst_3");
    }
    {
        const std::string trailing = "\r\nHTTP/1.1 200 OK junk after the body";
        sim::fault f;
        f.trailing_bytes = trailing;
        gw.add_fault("inst_3", f);
        raw_client client(gw.port());
        client.send(get_request("/api/v1/instances/inst_3"));
        client.read_until([&](std::string_view b) {
            auto msgs = parse_responses(b);
            return !msgs.empty() && b.size() >= msgs[0].end + trailing.size();
        });
        auto msgs = parse_responses(client.bytes());
        BOOST_REQUIRE(!msgs.empty());
        BOOST_TEST(data_id(msgs[0]) == "inst_3");
        BOOST_TEST(client.bytes().substr(msgs[0].end) == trailing);
        BOOST_TEST(client.reads().size() == 1u);  // with the body, in one write
    }
}

BOOST_AUTO_TEST_CASE(node_early_hints_server)
{
    temp_pki_files files;
    node_server node({"--port", "0", "--cert", files.cert(), "--key", files.key(), "--token",
                      std::string(token), "--count", "5"});
    const std::string line = node.read_line(10s);
    BOOST_REQUIRE_MESSAGE(line.starts_with("LISTENING "), "node printed '" << line << "'");
    const auto port = static_cast<unsigned short>(std::stoul(line.substr(10)));

    raw_client client(port);
    client.send(get_request("/api/v1/instances/inst_%33"));
    client.read_until(has_responses(1));
    const std::string& b = client.bytes();
    const std::size_t hints = b.find("HTTP/1.1 103");
    const std::size_t ok = b.find("HTTP/1.1 200");
    BOOST_TEST(hints == 0u);
    BOOST_REQUIRE(ok != std::string::npos);
    BOOST_TEST(hints < ok);
    auto msgs = parse_responses(b);
    BOOST_REQUIRE_EQUAL(msgs.size(), 2u);
    BOOST_TEST(msgs[0].status() == 103u);
    BOOST_TEST(msgs[0].res[http::field::link] == "</app.css>; rel=preload; as=style");
    BOOST_TEST(msgs[1].status() == 200u);
    BOOST_TEST(data_id(msgs[1]) == "inst_3");  // decoded
    // The fixture's field set, as the simulator serves it.
    sim::gateway gw(make_config(10), pki());
    gw.start();
    std::set<std::string> sim_keys, node_keys;
    for (const auto& kv : get_data(gw, "inst_3"))
        sim_keys.insert(std::string(kv.key()));
    const json::value node_body = json::parse(msgs[1].res.body());
    for (const auto& kv : node_body.at("data").as_object())
        node_keys.insert(std::string(kv.key()));
    BOOST_TEST(node_keys == sim_keys);
    BOOST_TEST(sim_keys.size() > 40u);

    // Keep-alive: the same connection gets a 404 for an id out of range and a 401 for a bad
    // token, without hints.
    client.send(get_request("/api/v1/instances/inst_5"));
    client.read_until(has_responses(2));
    client.send(get_request("/api/v1/instances/inst_1", "Bearer wrong"));
    client.read_until(has_responses(3));
    msgs = parse_responses(client.bytes());
    BOOST_REQUIRE_EQUAL(msgs.size(), 4u);
    BOOST_TEST(msgs[2].status() == 404u);
    BOOST_TEST(json::parse(msgs[2].res.body()).at("error").at("code").as_string() == "instance_not_found");
    BOOST_TEST(msgs[3].status() == 401u);
    BOOST_TEST(json::parse(msgs[3].res.body()).at("error").at("code").as_string() == "invalid_token");
}

BOOST_AUTO_TEST_CASE(tenants_see_their_own_view)
{
    auto cfg = make_config(10);
    cfg.token_owners = {{"tok_alice", "alice"}, {"tok_bob", "bob"}, {"tok_carol", "carol"}};
    cfg.owner_instances = {{"alice", {"inst_2", "inst_8", "dev_private"}}, {"bob", {"inst_7", "inst_8"}}};
    sim::gateway gw(cfg, pki());
    gw.start();
    gw.set_lifecycle("dev_private", {{0ms, {.status = "stopped"}}});

    // A tenant sees the plain view with exactly `ownerId` and `name` changed.
    const json::object plain = get_data(gw, "inst_1");
    BOOST_TEST(str(plain, "name") == "sim-inst_1");
    BOOST_TEST(str(plain, "ownerId") == "user_2b8e61f0c4a94d7e8a35f1c9d0b7e2a4");  // the fixture's
    json::object alice = data_as(gw, "inst_1", "tok_alice");
    BOOST_TEST(str(alice, "name") == "alice:sim-inst_1");
    BOOST_TEST(str(alice, "ownerId") == "alice");
    alice["name"] = "sim-inst_1";
    alice["ownerId"] = "user_2b8e61f0c4a94d7e8a35f1c9d0b7e2a4";
    BOOST_TEST(json::serialize(alice) == json::serialize(plain));
    BOOST_TEST(str(data_as(gw, "inst_1", "tok_bob"), "name") == "bob:sim-inst_1");

    // Scripted and verbatim data too; malformed data stays as it is.
    gw.set_state("inst_3", {.status = "stopped"});
    json::object scripted = data_as(gw, "inst_3", "tok_bob");
    BOOST_TEST(str(scripted, "status") == "stopped");
    BOOST_TEST(str(scripted, "name") == "bob:sim-inst_3");
    BOOST_TEST(str(scripted, "ownerId") == "bob");
    gw.set_instance("inst_4", R"({"id":"inst_4","name":"verb","status":"running"})");
    BOOST_TEST(json::serialize(data_as(gw, "inst_4", "tok_bob")) ==
               R"({"id":"inst_4","name":"bob:verb","status":"running","ownerId":"bob"})");
    BOOST_TEST(json::serialize(get_data(gw, "inst_4")) == R"({"id":"inst_4","name":"verb","status":"running"})");
    gw.set_instance("dev_bad", "{not json");
    BOOST_TEST(send_as(gw, "/api/v1/instances/dev_bad", "tok_bob").body == R"({"success":true,"data":{not json})");

    // Private ids: 404 for every other owner, visible to their owners and to plain tokens.
    for (auto [id, tok, visible] : std::vector<std::tuple<std::string, std::string, bool>>{
             {"inst_2", "tok_alice", true},
             {"inst_2", "tok_bob", false},
             {"inst_8", "tok_alice", true},
             {"inst_8", "tok_bob", true},
             {"inst_8", "tok_carol", false},
             {"inst_7", "tok_alice", false},
             {"dev_private", "tok_alice", true},
             {"dev_private", "tok_carol", false},
             {"inst_9", "tok_carol", true}})
    {
        BOOST_TEST_CONTEXT(id << " as " << tok)
        {
            reply r = send_as(gw, "/api/v1/instances/" + id, tok);
            if (visible)
                BOOST_TEST(json::parse(r.body).at("data").at("id").as_string() == id);
            else
                expect_error(r, 404, "instance_not_found");
        }
    }
    BOOST_TEST(str(get_data(gw, "inst_2"), "name") == "sim-inst_2");
    BOOST_TEST(str(get_data(gw, "dev_private"), "status") == "stopped");

    // Listings drop other owners' ids before paging and from `total`.
    page p = list_as(gw, "pageSize=20", "tok_carol");
    BOOST_TEST(p.total == 7);
    BOOST_TEST(p.ids() == inst_ids({0, 1, 3, 4, 5, 6, 9}), boost::test_tools::per_element());
    BOOST_TEST(str(p.items[0].as_object(), "name") == "carol:sim-inst_0");
    BOOST_TEST(str(p.items[0].as_object(), "ownerId") == "carol");
    BOOST_TEST(json::serialize(p.items[3]) == R"({"id":"inst_4","name":"carol:verb","status":"running","ownerId":"carol"})");
    p = list_as(gw, "page=1&pageSize=3", "tok_bob");
    BOOST_TEST(p.total == 9);
    BOOST_TEST(p.ids() == inst_ids({4, 5, 6}), boost::test_tools::per_element());
    BOOST_TEST(list_as(gw, "pageSize=20", "tok_alice").ids() == inst_ids({0, 1, 2, 3, 4, 5, 6, 8, 9}),
               boost::test_tools::per_element());
    BOOST_TEST(list(gw, "pageSize=20").total == 10);
    gw.set_state("inst_2", {.status = "stopped"});
    BOOST_TEST(list_as(gw, "status=stopped", "tok_bob").ids() == inst_ids({3}), boost::test_tools::per_element());
    BOOST_TEST(list_as(gw, "status=stopped", "tok_alice").ids() == inst_ids({2, 3}), boost::test_tools::per_element());
    BOOST_TEST(list_as(gw, "status=running", "tok_carol").ids() == inst_ids({0, 1, 4, 5, 6, 9}),
               boost::test_tools::per_element());

    // Records name the tenant and the token's tag.
    send_as(gw, "/api/v1/instances/inst_1", "tok_alice");
    const auto rec = gw.recent_requests().back();
    BOOST_TEST(rec.owner == "alice");
    BOOST_TEST(rec.token_tag == sim::token_tag("tok_alice"));
    BOOST_TEST(gw.recent_requests().front().owner == "");  // the plain token's
}

BOOST_AUTO_TEST_CASE(token_rotation_at_runtime)
{
    BOOST_TEST(sim::token_tag("abc") == "ba7816bf");  // SHA-256("abc") = ba7816bf 8f01cfea ...
    BOOST_TEST(sim::token_tag("") == "e3b0c442");
    auto cfg = make_config(10);
    cfg.tokens = {"tok_old"};
    sim::gateway gw(cfg, pki());
    gw.start();
    const std::string old_tag = sim::token_tag("tok_old");
    const std::string new_tag = sim::token_tag("tok_new");

    // On one kept-alive connection: accepted, rotated away, refused.
    raw_client client(gw.port());
    client.send(get_request("/api/v1/instances/inst_1", "Bearer tok_old"));
    client.read_until(has_responses(1));
    gw.set_tokens({"tok_new"});
    client.send(get_request("/api/v1/instances/inst_1", "Bearer tok_old"));
    client.read_until(has_responses(2));
    client.send(get_request("/api/v1/instances/inst_1", "Bearer tok_new"));
    client.read_until(has_responses(3));
    auto msgs = parse_responses(client.bytes());
    BOOST_REQUIRE_EQUAL(msgs.size(), 3u);
    BOOST_TEST(msgs[0].status() == 200u);
    BOOST_TEST(msgs[1].status() == 401u);
    BOOST_TEST(json::parse(msgs[1].res.body()).at("error").at("code").as_string() == "invalid_token");
    BOOST_TEST(msgs[2].status() == 200u);
    BOOST_TEST(gw.get_stats().connections_accepted == 1u);

    expect_error(send(gw, "/api/v1/instances/inst_1", http::verb::get, ""), 401, "missing_token");
    expect_error(send_as(gw, "/api/v1/instances", "tok_old"), 401, "invalid_token");
    BOOST_TEST(list_as(gw, "pageSize=1", "tok_new").total == 10);

    auto recs = gw.recent_requests();
    BOOST_REQUIRE_EQUAL(recs.size(), 6u);
    const std::vector<std::string> tags{old_tag, "", new_tag, "", "", new_tag};
    const std::vector<std::string> presented{old_tag, old_tag, new_tag, "", old_tag, new_tag};
    for (std::size_t i = 0; i < recs.size(); ++i)
    {
        BOOST_TEST_CONTEXT("record " << i)
        {
            BOOST_TEST(recs[i].token_tag == tags[i]);
            BOOST_TEST(recs[i].presented_token_tag == presented[i]);
            for (const std::string* field : {&recs[i].target, &recs[i].id, &recs[i].authorization_scheme,
                                             &recs[i].user_agent, &recs[i].accept, &recs[i].accept_encoding,
                                             &recs[i].host, &recs[i].token_tag, &recs[i].presented_token_tag,
                                             &recs[i].owner})
                BOOST_TEST(field->find("tok_") == std::string::npos);
        }
    }
    BOOST_TEST((gw.requests_by_token_tag() == std::map<std::string, std::size_t>{{old_tag, 1}, {new_tag, 2}}));

    // Tenant tokens are rotated on their own; dropping every plain token leaves them.
    gw.set_token_owners({{"tok_t", "tenant"}});
    gw.set_tokens({});
    BOOST_TEST(str(data_as(gw, "inst_1", "tok_t"), "name") == "tenant:sim-inst_1");
    expect_error(send_as(gw, "/api/v1/instances/inst_1", "tok_new"), 401, "invalid_token");
    gw.set_token_owners({});
    expect_error(send_as(gw, "/api/v1/instances/inst_1", "tok_t"), 401, "invalid_token");
    BOOST_TEST(gw.requests_by_token_tag().at(sim::token_tag("tok_t")) == 1u);
    gw.reset_stats();
    BOOST_TEST(gw.requests_by_token_tag().empty());

    // Rotation while requests are served: a token kept in every set is never refused.
    gw.set_tokens({"tok_a"});
    std::atomic<bool> done{false};
    std::thread rotator([&] {
        for (int i = 0; !done; ++i)
            gw.set_tokens(i % 2 ? std::vector<std::string>{"tok_a"} : std::vector<std::string>{"tok_b", "tok_a"});
    });
    std::size_t ok = 0;
    for (int i = 0; i < 20; ++i)
        ok += send_as(gw, "/api/v1/instances/inst_1", "tok_a").status == 200;
    done = true;
    rotator.join();
    BOOST_TEST(ok == 20u);
}

BOOST_AUTO_TEST_CASE(gzip_negotiation)
{
    auto cfg = make_config(10);
    cfg.gzip = true;
    sim::gateway gw(cfg, pki());
    gw.start();
    const std::string auth = "Bearer " + std::string(token);
    const std::string plain = send(gw, "/api/v1/instances/inst_1").body;
    BOOST_TEST_REQUIRE(plain.starts_with(R"({"success":true,"data":{"id":"inst_1")"));

    for (auto [accept, gzipped] : std::vector<std::pair<std::string, bool>>{
             {"gzip", true},
             {"GZIP", true},
             {"deflate, gzip;q=0.5", true},
             {"br;q=1.0, gzip ;q=0.001", true},
             {"*", true},
             {"gzip;q=0", false},
             {"gzip; q=0.000", false},
             {"gzip;q=0, *", false},
             {"*;q=0", false},
             {"br, identity", false},
             {"", false}})
    {
        BOOST_TEST_CONTEXT("Accept-Encoding: " << accept)
        {
            reply r = send(gw, "/api/v1/instances/inst_1", http::verb::get, auth, accept);
            BOOST_TEST(r.status == 200u);
            if (gzipped)
            {
                BOOST_TEST(r.content_encoding == "gzip");
                inflated z = gunzip(r.body);
                BOOST_TEST(z.ok);
                BOOST_TEST(z.text == plain);
            }
            else
            {
                BOOST_TEST(r.content_encoding.empty());
                BOOST_TEST(r.body == plain);
            }
        }
    }
    BOOST_TEST(send(gw, "/api/v1/instances/inst_1").content_encoding.empty());  // no header at all
    BOOST_TEST(gw.recent_requests().back().accept_encoding == "");
    send(gw, "/api/v1/instances/inst_1", http::verb::get, auth, "deflate, gzip;q=0.5");
    BOOST_TEST(gw.recent_requests().back().accept_encoding == "deflate, gzip;q=0.5");

    // Listings, route errors and fault statuses are compressed; other statuses are not.
    const std::string listing = send(gw, "/api/v1/instances?pageSize=5").body;
    reply r = send(gw, "/api/v1/instances?pageSize=5", http::verb::get, auth, "gzip");
    BOOST_TEST(r.content_encoding == "gzip");
    BOOST_TEST(gunzip(r.body).text == listing);
    for (auto [target, authorization, status, code] : std::vector<std::tuple<std::string, std::string, unsigned, std::string>>{
             {"/api/v1/instances/dev_none", auth, 404, "instance_not_found"},
             {"/api/v1/instances/inst_1", "", 401, "missing_token"},
             {"/nowhere", auth, 404, "route_not_found"}})
    {
        BOOST_TEST_CONTEXT(target)
        {
            r = send(gw, target, http::verb::get, authorization, "gzip");
            BOOST_TEST(r.content_encoding == "gzip");
            inflated z = gunzip(r.body);
            BOOST_TEST_REQUIRE(z.ok);
            r.body = z.text;
            expect_error(r, status, code);
        }
    }
    gw.add_fault("inst_1", status_fault(503, "1"));
    r = send(gw, "/api/v1/instances/inst_1", http::verb::get, auth, "gzip");
    BOOST_TEST(r.content_encoding == "gzip");
    r.body = gunzip(r.body).text;
    expect_error(r, 503, "auth_transient");
    sim::fault redirect;
    redirect.status = 302;
    redirect.location = "https://elsewhere.example/";
    redirect.body = "moved";
    gw.add_fault("inst_1", redirect);
    r = send(gw, "/api/v1/instances/inst_1", http::verb::get, auth, "gzip");
    BOOST_TEST(r.status == 302u);
    BOOST_TEST(r.content_encoding.empty());
    BOOST_TEST(r.body == "moved");

    // Combined with a chunked body: the gzip data is what is chunked.
    sim::fault chunked;
    chunked.chunked = true;
    gw.add_fault("inst_1", chunked);
    r = send(gw, "/api/v1/instances/inst_1", http::verb::get, auth, "gzip");
    BOOST_TEST(r.chunked);
    BOOST_TEST(r.content_encoding == "gzip");
    BOOST_TEST(gunzip(r.body).text == plain);

    // Off by default.
    sim::gateway off(make_config(10), pki());
    off.start();
    r = send(off, "/api/v1/instances/inst_1", http::verb::get, auth, "gzip");
    BOOST_TEST(r.content_encoding.empty());
    BOOST_TEST(r.body == plain);
}

BOOST_AUTO_TEST_CASE(gzip_faults)
{
    sim::gateway gw(make_config(10), pki());  // config::gzip off: the faults need none of it
    gw.start();
    const std::string auth = "Bearer " + std::string(token);
    const std::string plain = send(gw, "/api/v1/instances/inst_1").body;

    // Corrupt: gzip framing, one byte in the middle flipped; flipping it back repairs it.
    sim::fault corrupt;
    corrupt.gzip_corrupt = true;
    gw.add_fault("inst_1", corrupt);
    reply r = send(gw, "/api/v1/instances/inst_1");
    BOOST_TEST(r.status == 200u);
    BOOST_TEST(r.content_encoding == "gzip");
    BOOST_TEST_REQUIRE(r.body.size() > 20u);
    BOOST_TEST(r.body.substr(0, 2) == "\x1f\x8b");
    BOOST_TEST(!gunzip(r.body).ok);
    r.body[r.body.size() / 2] = static_cast<char>(r.body[r.body.size() / 2] ^ 0xff);
    inflated repaired = gunzip(r.body);
    BOOST_TEST(repaired.ok);
    BOOST_TEST(repaired.text == plain);

    // Content-Encoding without the coding, whatever the client accepts.
    sim::fault br;
    br.content_encoding = "br";
    br.gzip_corrupt = true;  // skipped: the body is left as it is
    gw.add_fault("inst_1", br);
    r = send(gw, "/api/v1/instances/inst_1", http::verb::get, auth, "gzip, br");
    BOOST_TEST(r.content_encoding == "br");
    BOOST_TEST(r.body == plain);

    // The bomb: a chunked 200 of N zeros gzipped, in several chunks, without Accept-Encoding.
    constexpr std::size_t bomb = 32u << 20;
    sim::fault f;
    f.gzip_bomb_bytes = bomb;
    f.status = 404;  // ignored
    gw.add_fault("inst_1", f);
    raw_client client(gw.port());
    client.send(get_request("/api/v1/instances/inst_1"));
    client.read_until([](std::string_view b) { return b.ends_with("\r\n0\r\n\r\n"); });
    const std::string& b = client.bytes();
    const std::size_t head_end = b.find("\r\n\r\n") + 4;
    const std::string_view head = std::string_view(b).substr(0, head_end - 2);
    BOOST_TEST(head.starts_with("HTTP/1.1 200 OK\r\n"));
    BOOST_TEST(raw_fields(head, "Content-Encoding") == std::vector<std::string>{"gzip"});
    BOOST_TEST(raw_fields(head, "Transfer-Encoding") == std::vector<std::string>{"chunked"});
    BOOST_TEST(raw_fields(head, "Content-Type") == std::vector<std::string>{"application/json"});
    BOOST_TEST(raw_fields(head, "Content-Length").empty());
    std::size_t chunks = 0;
    const std::string gz = dechunk(b, head_end, chunks);
    const std::size_t bomb_end = b.size();
    BOOST_TEST(chunks >= 2u);  // produced and sent piece by piece
    BOOST_TEST(gz.size() < bomb / 500);
    inflated z = gunzip(gz);
    BOOST_TEST(z.ok);
    BOOST_TEST(z.bytes == bomb);
    BOOST_TEST(z.all_zero);
    // The connection serves on.
    client.send(get_request("/api/v1/instances/inst_2"));
    client.read_until([&](std::string_view all) { return !parse_responses(all.substr(bomb_end)).empty(); });
    BOOST_TEST(data_id(parse_responses(std::string_view(client.bytes()).substr(bomb_end)).at(0)) == "inst_2");

    // A client that leaves mid-bomb ends the stream: a terabyte is never deflated.
    f.gzip_bomb_bytes = std::size_t(1) << 40;
    gw.add_fault("inst_3", f);
    {
        raw_client leaving(gw.port());
        leaving.send(get_request("/api/v1/instances/inst_3"));
        leaving.read_until([](std::string_view all) { return all.find("\r\n\r\n") != std::string_view::npos; });
    }
    const auto deadline = clock_type::now() + 10s;
    while (gw.get_stats().open_connections > 1 && clock_type::now() < deadline)  // `client` stays open
        std::this_thread::sleep_for(10ms);
    BOOST_TEST(gw.get_stats().open_connections == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
