// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
//
// Embedding the client in an async server: a small HTTP/1.1 service (Boost.Beast, plain TCP) on
// an io_context run by several threads, every connection sharing ONE beeos::client, so all of
// them share its connection pool, retry budget, rate limit and request coalescing.
//
//   BEEOS_API_KEY=oag_... [BEEOS_API_URL=https://...] [BEEOS_CA_FILE=ca.pem]
//       beeos-metrics-server [--listen ADDR:PORT] [--threads N]
//
//   --listen   default 127.0.0.1:8080; port 0 picks a free one; IPv6 as [::1]:8080
//   --threads  threads running the io_context; default: the number of CPUs
//
// It prints `listening on http://ADDR:PORT` once it accepts connections, then serves:
//
//   GET /instances/{id}  200 {"id":..,"status":..,"connectivity":..,"name":..}, or an error (below)
//   GET /metrics         the client's stats() in Prometheus text format 0.0.4
//   other paths          404; other methods on the two routes: 405
//
//   curl -s localhost:8080/instances/inst_1
//   curl -s localhost:8080/metrics
//
// Against the bundled simulator:
//   build/tools/gateway-sim/beeos-gateway-sim --ca-out /tmp/sim-ca.pem   # prints BEEOS_SIM_URL/TOKEN
//   BEEOS_API_URL=$BEEOS_SIM_URL BEEOS_API_KEY=oag_test_token BEEOS_CA_FILE=/tmp/sim-ca.pem
//       build/examples/beeos-metrics-server --listen 127.0.0.1:8080 --threads 4
//
// SIGINT or SIGTERM: stop accepting, close idle keep-alive connections, let lookups in flight
// finish (client.async_shutdown(graceful)) and answer them, then io.run() returns. A second
// signal closes the client at once, failing what is left with 503.
#include <beeos/client.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <atomic>
#include <charconv>
#include <csignal>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

namespace
{

// Error codes as values, not exceptions: a failed read or lookup is routine for a server.
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// A GET carries no body; the limits keep one client from making us buffer megabytes.
constexpr std::uint32_t header_limit = 8 * 1024;
constexpr std::uint64_t body_limit = 1024;
// Bounds both a keep-alive connection's idle time and a slow sender (slowloris).
constexpr auto read_timeout = 15s;
// A reader that stops reading must not hold a connection and its coroutine forever.
constexpr auto write_timeout = 15s;

// One accepted connection. Touched only on its own strand (the socket's executor), except
// through the registry, which posts onto that strand.
struct session
{
    explicit session(tcp::socket socket) : stream(std::move(socket)) {}
    beast::tcp_stream stream;
    bool reading = false;  // waiting for a request: safe to drop at shutdown
};

// What every connection shares: the client, and what shutdown needs to reach the connections.
class server_state
{
public:
    explicit server_state(beeos::client& c) : client(c) {}

    beeos::client& client;  // one for the whole server: its pool is the point of sharing it
    std::atomic<bool> stopping{false};

    void add(const std::shared_ptr<session>& s)
    {
        std::lock_guard lock(mutex_);
        sessions_.emplace(s.get(), s);
    }

    void remove(const session* s)
    {
        std::lock_guard lock(mutex_);
        sessions_.erase(s);
    }

    // Idle connections would otherwise keep io.run() alive until their read timeout. Busy ones
    // are left to answer; they see `stopping` and close after the response. Set `stopping`
    // first: a session that is not reading yet checks it before its next read.
    void drop_idle_connections()
    {
        std::vector<std::shared_ptr<session>> live;
        {
            std::lock_guard lock(mutex_);
            for (auto& [raw, weak] : sessions_)
                if (auto s = weak.lock())
                    live.push_back(std::move(s));
        }
        for (auto& s : live)
            asio::post(s->stream.get_executor(), [s] {
                if (s->reading)
                    s->stream.cancel();
            });
    }

private:
    std::mutex mutex_;
    std::unordered_map<const session*, std::weak_ptr<session>> sessions_;
};

void log_exception(std::exception_ptr e)
{
    if (!e)
        return;
    try
    {
        std::rethrow_exception(e);
    }
    catch (const std::exception& x)
    {
        std::cerr << "unexpected exception: " << x.what() << "\n";
    }
}

// ---- responses

using request = http::request<http::string_body>;
using response = http::response<http::string_body>;

response make_response(http::status status, std::string body, std::string_view content_type, unsigned version)
{
    response res{status, version};
    res.set(http::field::server, "beeos-metrics-server");
    res.set(http::field::content_type, content_type);
    res.body() = std::move(body);
    return res;
}

response json_error(http::status status, std::string_view kind, std::string_view message, unsigned version)
{
    json::object err{{"kind", kind}, {"message", message}};
    json::object body{{"error", std::move(err)}};
    return make_response(status, json::serialize(body), "application/json", version);
}

// Which HTTP status a failed lookup becomes. The caller of this server is not the caller of the
// BeeOS API: errors about *our* request to the API (our token, our quota, the API's health) are
// a bad gateway from the caller's point of view, never a 401/403 that would blame its own
// credentials.
//   not_found                         404  the instance does not exist for our token
//   invalid_argument, bad_request     400  the id itself is unusable (empty, too long, bad UTF-8)
//   timeout                           504  the API did not answer within the client's deadline
//   rate_limited                      503  our quota is spent; Retry-After passed on when known
//   shut_down, cancelled              503  this server is going away
//   unauthorized, forbidden, the rest 502  our credentials or the API (5xx, TLS, decode, ...)
http::status status_for(const boost::system::error_code& ec)
{
    if (ec == beeos::errc::not_found)
        return http::status::not_found;
    if (ec == beeos::errc::invalid_argument || ec == beeos::errc::bad_request)
        return http::status::bad_request;
    if (ec == beeos::errc::timeout)
        return http::status::gateway_timeout;
    if (ec == beeos::errc::rate_limited || ec == beeos::errc::shut_down || ec == beeos::errc::cancelled)
        return http::status::service_unavailable;
    return http::status::bad_gateway;
}

// Values a newer API adds map to `unknown`; the server's own spelling is more useful to a reader.
template <class Enum>
std::string_view spelling(Enum value, const std::string& text)
{
    auto known = beeos::to_string(value);
    return known == "unknown" && !text.empty() ? std::string_view(text) : known;
}

// Ids travel percent-encoded in the path; the client encodes them again for the API.
std::optional<std::string> percent_decode(std::string_view in)
{
    std::string out;
    out.reserve(in.size());
    for (std::size_t i = 0; i < in.size(); ++i)
    {
        if (in[i] != '%')
        {
            out += in[i];
            continue;
        }
        unsigned value = 0;
        if (i + 2 >= in.size())
            return std::nullopt;
        auto r = std::from_chars(in.data() + i + 1, in.data() + i + 3, value, 16);
        if (r.ec != std::errc{} || r.ptr != in.data() + i + 3)
            return std::nullopt;
        out += static_cast<char>(value);
        i += 2;
    }
    return out;
}

asio::awaitable<response> get_instance(server_state& st, std::string id, unsigned version)
{
    // The client writes the details of a failure here; it must live until the call completes,
    // which a local of this coroutine does.
    beeos::error_info info;
    auto [ec, inst] = co_await st.client.async_get_instance(id, info, use_tuple);
    if (ec)
    {
        // format_error names the call, the kind, the API's status, code and request id, and never
        // the token, so it is safe to hand to our caller.
        auto res = json_error(status_for(ec), ec.message(), beeos::format_error(ec, info), version);
        if (info.retry_after && ec == beeos::errc::rate_limited)
            res.set(http::field::retry_after, std::to_string(info.retry_after->count()));
        co_return res;
    }
    json::object body{
        {"id", inst.id},
        {"status", spelling(inst.status, inst.status_text)},
        {"connectivity", spelling(inst.connectivity, inst.connectivity_text)},
        {"name", inst.name},
    };
    co_return make_response(http::status::ok, json::serialize(body), "application/json", version);
}

// ---- /metrics: Prometheus text exposition format 0.0.4

class exposition
{
public:
    template <class T>
    void gauge(std::string_view name, std::string_view help, T value)
    {
        header(name, help, "gauge");
        sample(name, "", value);
    }

    // Prometheus counters end in _total; the TYPE line names the sample, suffix included.
    template <class T>
    void counter(std::string_view name, std::string_view help, T value)
    {
        header(name, help, "counter");
        sample(name, "", value);
    }

    void header(std::string_view name, std::string_view help, std::string_view type)
    {
        out_.append("# HELP ").append(name).append(" ").append(help).append("\n");
        out_.append("# TYPE ").append(name).append(" ").append(type).append("\n");
    }

    template <class T>
    void sample(std::string_view name, std::string_view labels, T value)
    {
        out_.append(name);
        if (!labels.empty())
            out_.append("{").append(labels).append("}");
        char buf[32];
        // to_chars: shortest round-trip text for doubles, independent of the C locale.
        auto r = std::to_chars(buf, buf + sizeof buf, value);
        out_.append(" ").append(buf, r.ptr).append("\n");
    }

    std::string take() { return std::move(out_); }

private:
    std::string out_;
};

std::string render_metrics(const beeos::client_stats& s)
{
    exposition e;
    e.gauge("beeos_connections_open", "Connections open: idle, leased and being opened.", s.connections_open);
    e.gauge("beeos_connections_idle", "Connections in the pool, ready for reuse.", s.connections_idle);
    e.gauge("beeos_connections_leased", "Connections carrying a request.", s.connections_leased);
    e.gauge("beeos_connections_opening", "Connections resolving, connecting or in the TLS handshake.", s.connections_opening);
    e.gauge("beeos_calls_in_flight", "Calls started and not completed.", s.calls_in_flight);
    e.gauge("beeos_calls_queued", "Calls waiting for a free connection.", s.calls_queued);
    e.gauge("beeos_retry_budget_tokens", "Tokens left in the client-wide retry budget.", s.retry_budget_tokens);
    e.gauge("beeos_rate_limit_current", "Requests per second the rate limiter allows now; 0 without a limit.", s.rate_limit_current);

    e.counter("beeos_calls_started_total", "HTTP operations started (coalesced joins not counted).", s.calls_started);
    e.counter("beeos_calls_failed_total", "HTTP operations that completed with an error.", s.calls_failed);
    e.counter("beeos_requests_sent_total", "Requests written to a connection, every attempt and re-send.", s.requests_sent);
    e.counter("beeos_retries_total", "Attempts after the first.", s.retries);
    e.counter("beeos_resends_after_stale_total", "Requests sent again because the server had closed a pooled connection.",
              s.resends_after_stale);
    e.counter("beeos_coalesced_joins_total", "Callers that joined a request already in flight.", s.coalesced_joins);
    e.counter("beeos_rate_limit_refusals_total", "Calls refused because their rate-limit turn would pass their deadline.",
              s.rate_limit_refusals);
    e.counter("beeos_token_refreshes_total", "Fresh tokens asked of the token source after a rejection.", s.token_refreshes);
    e.counter("beeos_bytes_received_total", "Bytes of HTTP responses read, before content decoding.", s.bytes_received);
    e.counter("beeos_connections_opened_total", "Connections whose opening started.", s.connections_opened);

    // One metric with a label, not five: sum(...) then equals connections closed, and a
    // dashboard can stack the causes.
    const auto& c = s.connections_closed;
    e.header("beeos_connections_closed_total", "Connections closed, by cause.", "counter");
    e.sample("beeos_connections_closed_total", R"(cause="idle_timeout")", c.idle_timeout);
    e.sample("beeos_connections_closed_total", R"(cause="max_age")", c.max_age);
    e.sample("beeos_connections_closed_total", R"(cause="stale")", c.stale);
    e.sample("beeos_connections_closed_total", R"(cause="not_reusable")", c.not_reusable);
    e.sample("beeos_connections_closed_total", R"(cause="shutdown")", c.shutdown);
    return e.take();
}

// ---- routing

asio::awaitable<response> handle(server_state& st, const request& req)
{
    const unsigned version = req.version();
    std::string_view target = req.target();
    std::string_view path = target.substr(0, target.find('?'));
    constexpr std::string_view instances_prefix = "/instances/";

    // Route first, then method: 405 says "this resource exists, not with that method".
    bool is_metrics = path == "/metrics";
    bool is_instance = path.starts_with(instances_prefix) && path.size() > instances_prefix.size() &&
                       path.find('/', instances_prefix.size()) == std::string_view::npos;
    if (!is_metrics && !is_instance)
        co_return json_error(http::status::not_found, "route_not_found", "no such route", version);
    if (req.method() != http::verb::get)
    {
        auto res = json_error(http::status::method_not_allowed, "method_not_allowed", "only GET is served", version);
        res.set(http::field::allow, "GET");
        co_return res;
    }

    if (is_metrics)
    {
        // stats() is a few locked reads: cheap enough to take per scrape, from any thread.
        beeos::client_stats stats = st.client.stats();
        co_return make_response(http::status::ok, render_metrics(stats), "text/plain; version=0.0.4; charset=utf-8", version);
    }

    std::optional<std::string> id = percent_decode(path.substr(instances_prefix.size()));
    if (!id)
        co_return json_error(http::status::bad_request, "bad_request", "bad percent-encoding in the id", version);
    std::string owned_id = std::move(*id);
    response res = co_await get_instance(st, std::move(owned_id), version);
    co_return res;
}

// ---- connections

// A failed read that still deserves an answer before we close.
struct read_failure
{
    http::status status;
    std::string_view kind;
};

std::optional<read_failure> answer_for_read_error(const boost::system::error_code& ec)
{
    if (ec == http::error::header_limit)
        return read_failure{http::status::request_header_fields_too_large, "headers_too_large"};
    if (ec == http::error::body_limit)
        return read_failure{http::status::payload_too_large, "body_too_large"};
    if (ec.category() == http::make_error_code(http::error::bad_target).category())
        return read_failure{http::status::bad_request, "bad_request"};  // Beast's parser: not HTTP we understand
    return std::nullopt;  // EOF, reset, timeout, cancelled: nobody to answer
}

asio::awaitable<void> serve(std::shared_ptr<session> s, server_state& st)
{
    beast::flat_buffer buffer;
    for (;;)
    {
        if (st.stopping.load())
            break;

        // A parser per request: Beast's parsers are single-use, and the limits are per message.
        http::request_parser<http::string_body> parser;
        parser.header_limit(header_limit);
        parser.body_limit(body_limit);

        s->stream.expires_after(read_timeout);
        s->reading = true;
        auto [read_ec, read_n] = co_await http::async_read(s->stream, buffer, parser, use_tuple);
        s->reading = false;
        if (read_ec)
        {
            if (read_ec == http::error::end_of_stream || read_ec == beast::error::timeout)
                break;
            if (auto failure = answer_for_read_error(read_ec))
            {
                auto res = json_error(failure->status, failure->kind, read_ec.message(), 11);
                res.keep_alive(false);  // the rest of the stream cannot be trusted to frame
                res.prepare_payload();
                s->stream.expires_after(write_timeout);
                auto [write_ec, write_n] = co_await http::async_write(s->stream, res, use_tuple);
                (void)write_ec;
            }
            break;
        }

        request req = parser.release();
        response res = co_await handle(st, req);
        // Checked after the lookup: a shutdown that began meanwhile ends this connection.
        bool keep_alive = req.keep_alive() && !st.stopping.load();
        res.keep_alive(keep_alive);
        res.prepare_payload();

        s->stream.expires_after(write_timeout);
        auto [write_ec, write_n] = co_await http::async_write(s->stream, res, use_tuple);
        if (write_ec || !keep_alive)
            break;
    }
    // Send FIN after the last response instead of an RST from closing with unread input.
    boost::system::error_code ignored;
    s->stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    st.remove(s.get());
}

asio::awaitable<void> accept_loop(tcp::acceptor& acceptor, asio::io_context::executor_type io_ex, server_state& st)
{
    for (;;)
    {
        // Each connection on a strand of its own: its coroutine never runs on two threads at
        // once, while different connections run in parallel on the io_context's threads.
        asio::any_io_executor strand = asio::make_strand(io_ex);
        auto [ec, socket] = co_await acceptor.async_accept(strand, use_tuple);
        if (!acceptor.is_open() || st.stopping.load())
            co_return;
        if (ec)
        {
            // EMFILE and friends fail again at once: back off instead of spinning a core.
            std::cerr << "accept: " << ec.message() << "\n";
            asio::steady_timer pause{acceptor.get_executor(), 100ms};
            auto [wait_ec] = co_await pause.async_wait(use_tuple);
            (void)wait_ec;
            continue;
        }
        auto s = std::make_shared<session>(std::move(socket));
        st.add(s);
        // The session travels as a parameter: g++ 12 may free a coroutine lambda's captures
        // before the coroutine is done with them.
        asio::co_spawn(s->stream.get_executor(), serve(s, st), log_exception);
    }
}

asio::awaitable<void> handle_signals(asio::signal_set& signals, tcp::acceptor& acceptor, server_state& st)
{
    auto [ec, signo] = co_await signals.async_wait(use_tuple);
    if (ec)
        co_return;
    std::cerr << "signal " << signo << ": draining (again to stop at once)\n";
    st.stopping.store(true);
    asio::post(acceptor.get_executor(), [&acceptor] {
        boost::system::error_code ignored;
        acceptor.close(ignored);
    });
    st.drop_idle_connections();

    // Lookups in flight finish and their connections answer them. Once the client is down,
    // the signal_set is the last thing keeping io.run() alive, so cancel it.
    st.client.async_shutdown(beeos::shutdown_mode::graceful, asio::bind_executor(signals.get_executor(), [&signals](auto) {
                                 std::cerr << "client shut down\n";
                                 signals.cancel();
                             }));

    auto [again_ec, again_signo] = co_await signals.async_wait(use_tuple);
    if (again_ec)
        co_return;  // cancelled above: the graceful shutdown completed
    std::cerr << "signal " << again_signo << ": closing now\n";
    st.client.close();  // fails the lookups left with shut_down, answered as 503
}

void usage()
{
    std::cerr << "usage: [BEEOS_API_KEY=...] [BEEOS_API_URL=...] [BEEOS_CA_FILE=...] beeos-metrics-server [--listen ADDR:PORT] "
                 "[--threads N]\n";
}

std::optional<tcp::endpoint> parse_listen(std::string_view text)
{
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos)
        return std::nullopt;
    std::string_view host = text.substr(0, colon);
    std::string_view port_text = text.substr(colon + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    unsigned short port = 0;
    auto r = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (r.ec != std::errc{} || r.ptr != port_text.data() + port_text.size())
        return std::nullopt;
    boost::system::error_code ec;
    auto address = asio::ip::make_address(std::string(host), ec);
    if (ec)
        return std::nullopt;
    return tcp::endpoint{address, port};
}

}  // namespace

int main(int argc, char** argv)
{
    beeos::client_options options;
    // The variables every example (and the beeos tool) reads.
    if (const char* key = std::getenv("BEEOS_API_KEY"))
        options.token = key;
    if (const char* url = std::getenv("BEEOS_API_URL"); url && *url)
        options.base_url = url;
    if (const char* ca = std::getenv("BEEOS_CA_FILE"); ca && *ca)
        options.ca_file = ca;

    std::string listen = "127.0.0.1:8080";
    unsigned threads = std::max(1u, std::thread::hardware_concurrency());
    for (int i = 1; i < argc; ++i)
    {
        std::string_view arg = argv[i];
        if (arg == "--help")
        {
            usage();
            return 0;
        }
        if (i + 1 >= argc)
        {
            usage();
            return 2;
        }
        std::string_view value = argv[++i];
        if (arg == "--listen")
            listen = value;
        else if (arg == "--threads")
        {
            auto r = std::from_chars(value.data(), value.data() + value.size(), threads);
            if (r.ec != std::errc{} || r.ptr != value.data() + value.size() || threads == 0 || threads > 256)
            {
                std::cerr << "--threads: expected 1..256, got " << value << "\n";
                return 2;
            }
        }
        else
        {
            usage();
            return 2;
        }
    }
    std::optional<tcp::endpoint> endpoint = parse_listen(listen);
    if (!endpoint)
    {
        std::cerr << "--listen: expected ADDR:PORT, got " << listen << "\n";
        return 2;
    }

    // The hint tells Asio how many threads will run it, so it can skip locking for one.
    asio::io_context io{static_cast<int>(threads)};
    std::optional<beeos::client> client;
    try
    {
        client.emplace(io.get_executor(), options);
    }
    catch (const std::invalid_argument& e)
    {
        std::cerr << "bad options: " << e.what() << "\n";
        return 2;
    }

    // On a strand: the accept loop and the shutdown's close() reach it from different threads.
    tcp::acceptor acceptor{asio::make_strand(io)};
    try
    {
        acceptor.open(endpoint->protocol());
        acceptor.set_option(asio::socket_base::reuse_address(true));  // restart without waiting out TIME_WAIT
        acceptor.bind(*endpoint);
        acceptor.listen();
    }
    catch (const boost::system::system_error& e)
    {
        std::cerr << "cannot listen on " << listen << ": " << e.code().message() << "\n";
        return 2;
    }

    server_state st{*client};
    asio::co_spawn(acceptor.get_executor(), accept_loop(acceptor, io.get_executor(), st), log_exception);

    asio::signal_set signals{asio::make_strand(io), SIGINT, SIGTERM};
    asio::co_spawn(signals.get_executor(), handle_signals(signals, acceptor, st), log_exception);

    tcp::endpoint bound = acceptor.local_endpoint();
    std::cout << "listening on http://" << bound << " (" << threads << " threads, API " << options.base_url << ")" << std::endl;

    std::vector<std::thread> pool;
    for (unsigned i = 1; i < threads; ++i)
        pool.emplace_back([&io] { io.run(); });
    io.run();
    for (auto& t : pool)
        t.join();
    std::cerr << "stopped\n";
}
