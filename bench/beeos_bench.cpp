// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
//
// beeos-bench: a load generator for beeos::client through its public API only.
//
// Closed loop: C workers, each a tiny state machine that issues the next get_instance from the
// completion of the previous one (the callback form: cheaper than a coroutine per worker, so
// the client's own cost dominates what is measured). Or, with --pending N, N calls issued at
// once to measure the memory of calls in flight. Prints one JSON line; see bench/README.md.
#include "bench_common.hpp"

#include <beeos/client.hpp>

#include <boost/asio/io_context.hpp>

#include <time.h>

#include <atomic>
#include <iostream>
#include <optional>
#include <thread>

namespace asio = boost::asio;
using namespace beeos_bench;
using boost::system::error_code;

namespace {

constexpr std::string_view usage = R"(usage: beeos-bench --url URL [options]

  --url URL          base URL, e.g. https://127.0.0.1:8443
  --ca FILE          extra PEM trust anchors (client_options::ca_file)
  --token T          bearer token (default: $BEEOS_API_KEY); never printed
  --requests N       calls to make (default 10000; with --seconds: at most N)
  --seconds S        stop issuing after S seconds instead (requests is then unbounded unless given)
  --concurrency C    calls in flight (default 64)
  --connections K    client_options::max_connections (default: the library's default)
  --threads T        threads running the io_context (default 1)
  --ids M            ids inst_0 .. inst_{M-1}, round robin (default 1000)
  --warmup W         calls made before the measured phase, at the same concurrency (default 0)
  --pending N        instead of the closed loop: issue N calls at once and report peak RSS and
                     bytes per call in flight (after a warm-up that opens every connection)
  --timeout-ms MS    client_options::request_timeout and retry.total_timeout (default: the
                     library's defaults; with --pending 600000, so that a slow machine
                     measures memory rather than timeouts)
  --gzip on|off      client_options::accept_gzip (default off, unlike the library, so that
                     requests match those of the peers and of earlier results; the JSON line
                     says which: "gzip")
  --proxy URL        client_options::proxy, e.g. http://127.0.0.1:3128 (https: CONNECT tunnels).
                     Without it the bench connects directly whatever $HTTPS_PROXY says
  --stats-probe      during the measured phase, another thread calls client.stats() in a loop;
                     reports stats_calls, stats_ns_per_call (that thread's CPU time per call)
                     and cpu_us_per_req_excl_probe
  --stats-interval-us N  sleep N us between the probe's calls (default 0: a tight loop)
  --label NAME       "client" in the JSON line (default beeos)
)";

/// CPU time of the calling thread, in ns.
std::uint64_t thread_cpu_ns()
{
    timespec ts{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<std::uint64_t>(ts.tv_nsec);
}

/// --stats-probe: calls client.stats() from a thread of its own until stopped.
struct stats_probe
{
    const beeos::client* client = nullptr;
    std::chrono::microseconds interval{0};
    std::atomic<bool> stop{false};
    std::uint64_t calls = 0;
    std::uint64_t cpu_ns = 0;
    std::uint64_t timed_ns = 0;  // paced probe: steady_clock time inside stats() itself
    double wall_s = 0;
    std::uint64_t sink = 0;  // keeps the snapshots from being optimised away
    std::thread thread;

    void start()
    {
        thread = std::thread([this] {
            const auto w0 = clock_type::now();
            const std::uint64_t c0 = thread_cpu_ns();
            std::uint64_t n = 0, acc = 0, inside = 0;
            while (!stop.load(std::memory_order_relaxed))
            {
                if (interval.count() > 0)
                {
                    // Paced: the thread's CPU time is mostly the sleep's; time the call itself.
                    const auto a = clock_type::now();
                    beeos::client_stats s = client->stats();
                    inside += static_cast<std::uint64_t>((clock_type::now() - a).count());
                    acc += s.requests_sent + s.calls_in_flight + s.connections_open;
                    ++n;
                    std::this_thread::sleep_for(interval);
                    continue;
                }
                beeos::client_stats s = client->stats();
                acc += s.requests_sent + s.calls_in_flight + s.connections_open;
                ++n;
            }
            timed_ns = inside;
            cpu_ns = thread_cpu_ns() - c0;
            wall_s = std::chrono::duration<double>(clock_type::now() - w0).count();
            calls = n;
            sink = acc;
        });
    }

    void finish()
    {
        stop.store(true, std::memory_order_relaxed);
        thread.join();
    }
};

void log_error(std::atomic<int>& reported, const std::string& text)
{
    // A handful is enough to diagnose; a flood would only slow the run down.
    if (reported.fetch_add(1, std::memory_order_relaxed) < 5)
        std::cerr << "beeos-bench: " << text << '\n';
}

/// What every worker of one phase shares. Counters are atomics because with --threads > 1
/// completions run on several threads; with one thread they are uncontended.
struct run_state
{
    beeos::client* client = nullptr;
    std::uint64_t limit = 0;  // calls to issue in this phase
    std::uint64_t ids = 1000;
    bool timed = false;
    clock_type::time_point stop_at{};
    histogram_set* latency = nullptr;  // null in the warm-up
    clock_type::time_point batch_start{};  // --pending: when the batch was issued

    std::atomic<std::uint64_t> next{0};
    std::atomic<std::uint64_t> completed{0};
    std::atomic<std::uint64_t> errors{0};
    std::atomic<int> reported{0};
};

/// One closed-loop worker: at most one call in flight, the next issued from the completion.
/// A worker is touched by one handler at a time, so it needs no synchronisation.
struct worker
{
    struct on_done
    {
        worker* w;
        void operator()(error_code ec, beeos::instance inst) const { w->done(ec, inst); }
    };

    run_state* rs = nullptr;
    clock_type::time_point started{};
    std::size_t id_len = 0;
    char id[32]{};
    beeos::error_info info;

    void next(clock_type::time_point now)
    {
        if (rs->timed && now >= rs->stop_at)
            return;
        std::uint64_t n = rs->next.fetch_add(1, std::memory_order_relaxed);
        if (n >= rs->limit)
            return;
        id_len = format_id(id, n % rs->ids);
        started = clock_type::now();
        rs->client->async_get_instance(std::string_view(id, id_len), info, on_done{this});
    }

    void done(const error_code& ec, const beeos::instance& inst)
    {
        auto now = clock_type::now();
        if (rs->latency)
            rs->latency->local().record(static_cast<std::uint64_t>((now - started).count()));
        if (ec)
        {
            rs->errors.fetch_add(1, std::memory_order_relaxed);
            log_error(rs->reported, beeos::format_error(ec, info));
        }
        else if (inst.id != std::string_view(id, id_len))
        {
            rs->errors.fetch_add(1, std::memory_order_relaxed);
            log_error(rs->reported, "asked for " + std::string(id, id_len) + ", got data.id " + inst.id);
        }
        rs->completed.fetch_add(1, std::memory_order_relaxed);
        next(now);
    }
};

/// The completion of one --pending call: carries only its number, so the memory per call in
/// flight is the client's, not ours.
struct pending_done
{
    run_state* rs;
    std::uint64_t n;

    void operator()(error_code ec, beeos::instance inst) const
    {
        auto now = clock_type::now();
        rs->latency->local().record(static_cast<std::uint64_t>((now - rs->batch_start).count()));
        char id[32];
        std::size_t len = format_id(id, n % rs->ids);
        if (ec)
        {
            rs->errors.fetch_add(1, std::memory_order_relaxed);
            log_error(rs->reported, "inst " + std::string(id, len) + ": " + ec.message());
        }
        else if (inst.id != std::string_view(id, len))
        {
            rs->errors.fetch_add(1, std::memory_order_relaxed);
            log_error(rs->reported, "asked for " + std::string(id, len) + ", got data.id " + inst.id);
        }
        rs->completed.fetch_add(1, std::memory_order_relaxed);
    }
};

/// Runs `io` on `threads` threads (this one included) until it runs out of work.
void run_io(asio::io_context& io, unsigned threads)
{
    std::vector<std::thread> extra;
    extra.reserve(threads - 1);
    for (unsigned i = 1; i < threads; ++i)
        extra.emplace_back([&io] { io.run(); });
    io.run();
    for (auto& t : extra)
        t.join();
    io.restart();
}

/// A closed-loop phase: `concurrency` workers share `rs`.
void run_closed_loop(asio::io_context& io, unsigned threads, run_state& rs, std::vector<worker>& workers)
{
    auto now = clock_type::now();
    for (auto& w : workers)
    {
        w.rs = &rs;
        w.next(now);
    }
    run_io(io, threads);
}

}  // namespace

/// A measured phase, run through beeos_bench_measured_phase.
struct beeos_bench_phase
{
    virtual void run() = 0;

protected:
    ~beeos_bench_phase() = default;
};

/// The measured part of a run, a function of its own so that tools can isolate it:
/// `valgrind --tool=callgrind --toggle-collect=beeos_bench_measured_phase` (bench/callgrind).
extern "C" __attribute__((noinline)) void beeos_bench_measured_phase(beeos_bench_phase* p)
{
    p->run();
    asm volatile("" ::: "memory");  // keeps the call from being folded into the caller
}

int main(int argc, char** argv)
{
    std::string url, ca, token, label;
    std::uint64_t requests = 0, concurrency = 0, connections = 0, threads = 0, ids = 0, warmup = 0, pending = 0, timeout_ms = 0;
    double seconds = 0;
    bool gzip = false, probe = false;
    std::string proxy;
    std::uint64_t probe_interval_us = 0;
    try
    {
        args a(argc, argv,
               {"url", "ca", "token", "requests", "seconds", "concurrency", "connections", "threads", "ids", "warmup", "pending",
                "timeout-ms", "label", "gzip", "proxy", "stats-interval-us"},
               {"help", "stats-probe"});
        if (a.has("help"))
        {
            std::cout << usage;
            return 0;
        }
        url = a.str("url");
        if (url.empty())
            throw usage_error("--url is required");
        ca = a.str("ca");
        token = token_from(a);
        label = a.str("label", "beeos");
        seconds = a.real("seconds", 0);
        requests = a.num("requests", seconds > 0 ? std::numeric_limits<std::uint64_t>::max() : 10000);
        concurrency = a.num("concurrency", 64);
        connections = a.num("connections", 0);
        threads = a.num("threads", 1);
        ids = a.num("ids", 1000);
        warmup = a.num("warmup", 0);
        pending = a.num("pending", 0);
        timeout_ms = a.num("timeout-ms", 0);
        const std::string gz = a.str("gzip", "off");
        if (gz != "on" && gz != "off")
            throw usage_error("--gzip: expected on or off, got '" + gz + "'");
        gzip = gz == "on";
        proxy = a.str("proxy");
        if (a.has("proxy") && proxy.empty())
            throw usage_error("--proxy needs a URL");
        probe = a.has("stats-probe");
        probe_interval_us = a.num("stats-interval-us", 0);
        if (concurrency == 0 || threads == 0 || threads > 256 || ids == 0 || requests == 0)
            throw usage_error("--concurrency, --threads, --ids and --requests must be at least 1 (threads at most 256)");
    }
    catch (const usage_error& e)
    {
        std::cerr << "beeos-bench: " << e.what() << "\n" << usage;
        return 2;
    }

    asio::io_context io(static_cast<int>(threads));
    beeos::client_options opts;  // the library's defaults, except what the command line says
    opts.base_url = url;
    opts.token = token;
    opts.ca_file = ca;
    if (connections)
        opts.max_connections = connections;
    opts.accept_gzip = gzip;
    opts.proxy = proxy;  // empty: direct, whatever the environment says
    if (!timeout_ms && pending)
        timeout_ms = 600'000;
    if (timeout_ms)
    {
        opts.request_timeout = std::chrono::milliseconds(timeout_ms);
        opts.retry.total_timeout = std::chrono::milliseconds(timeout_ms);
    }
    const std::size_t max_connections = opts.max_connections;
    token.clear();

    std::optional<beeos::client> client;
    try
    {
        client.emplace(io.get_executor(), std::move(opts));
    }
    catch (const std::exception& e)
    {
        std::cerr << "beeos-bench: " << e.what() << '\n';
        return 2;
    }

    // Warm-up: opens connections (TLS handshakes) and warms allocator and caches, outside the
    // measured phase. --pending warms with one call per connection so every slot is open.
    std::uint64_t warm_calls = warmup;
    std::uint64_t warm_concurrency = std::min<std::uint64_t>(concurrency, std::max<std::uint64_t>(warmup, 1));
    if (pending && !warmup)
    {
        warm_calls = 4 * max_connections;
        warm_concurrency = max_connections;
    }
    std::uint64_t warm_errors = 0;
    if (warm_calls)
    {
        run_state rs;
        rs.client = &*client;
        rs.limit = warm_calls;
        rs.ids = ids;
        std::vector<worker> workers(warm_concurrency);
        run_closed_loop(io, static_cast<unsigned>(threads), rs, workers);
        warm_errors = rs.errors.load();
    }

    histogram_set latency;
    run_state rs;
    rs.client = &*client;
    rs.ids = ids;
    rs.latency = &latency;
    result r;
    r.client = label;

    std::vector<worker> workers;
    long baseline_rss = 0;
    double issue_s = 0;
    if (pending)
    {
        rs.limit = pending;
        // Everything of ours exists before the baseline; the calls' memory is the client's.
        latency.local();
        baseline_rss = peak_rss_kb();
    }
    else
    {
        rs.limit = requests;
        workers.resize(concurrency);
    }

    struct closed_phase final : beeos_bench_phase
    {
        asio::io_context* io;
        unsigned threads;
        run_state* rs;
        std::vector<worker>* workers;
        double seconds;
        void run() override
        {
            if (seconds > 0)
            {
                rs->timed = true;
                rs->stop_at = clock_type::now() + std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(seconds));
            }
            run_closed_loop(*io, threads, *rs, *workers);
        }
    } closed{};
    struct pending_phase final : beeos_bench_phase
    {
        asio::io_context* io;
        unsigned threads;
        run_state* rs;
        double* issue_s;
        void run() override
        {
            rs->batch_start = clock_type::now();
            char id[32];
            for (std::uint64_t n = 0; n != rs->limit; ++n)
            {
                std::size_t len = format_id(id, n % rs->ids);
                rs->client->async_get_instance(std::string_view(id, len), pending_done{rs, n});
            }
            *issue_s = std::chrono::duration<double>(clock_type::now() - rs->batch_start).count();
            run_io(*io, threads);
        }
    } batch{};
    closed.io = batch.io = &io;
    closed.threads = batch.threads = static_cast<unsigned>(threads);
    closed.rs = batch.rs = &rs;
    closed.workers = &workers;
    closed.seconds = seconds;
    batch.issue_s = &issue_s;

    stats_probe prober;
    prober.client = &*client;
    prober.interval = std::chrono::microseconds(probe_interval_us);
    const beeos::client_stats st0 = client->stats();
    const cpu_times cpu0 = process_cpu();
    const auto t0 = clock_type::now();
    if (probe)
        prober.start();
    beeos_bench_measured_phase(pending ? static_cast<beeos_bench_phase*>(&batch) : static_cast<beeos_bench_phase*>(&closed));
    if (probe)
        prober.finish();
    const auto t1 = clock_type::now();
    const cpu_times cpu1 = process_cpu();
    r.peak_rss_kb = peak_rss_kb();  // before anything of ours allocates again
    const beeos::client_stats st1 = client->stats();

    r.connections = open_sockets();
    client.reset();

    r.requests = rs.completed.load();
    r.errors = rs.errors.load() + warm_errors;
    r.wall_s = std::chrono::duration<double>(t1 - t0).count();
    r.cpu = {cpu1.user_s - cpu0.user_s, cpu1.sys_s - cpu0.sys_s};
    r.latency = latency.merged();
    r.extra = {
        {"concurrency", std::to_string(pending ? pending : concurrency)},
        {"max_connections", std::to_string(max_connections)},
        {"threads", std::to_string(threads)},
        {"warmup", std::to_string(warm_calls)},
        {"gzip", gzip ? "true" : "false"},
        {"proxy", proxy.empty() ? "false" : "true"},
    };
    // Of the measured phase: bytes of HTTP responses read (before content decoding) per call.
    const std::uint64_t bytes = st1.bytes_received - st0.bytes_received;
    const std::uint64_t sent = st1.requests_sent - st0.requests_sent;
    r.extra.emplace_back("requests_sent", std::to_string(sent));
    r.extra.emplace_back("bytes_received", std::to_string(bytes));
    r.extra.emplace_back("bytes_per_request",
                         json_number(r.requests ? static_cast<double>(bytes) / static_cast<double>(r.requests) : 0, 1));
    r.extra.emplace_back("connections_opened", std::to_string(st1.connections_opened - st0.connections_opened));
    if (probe)
    {
        const double cpu_s = r.cpu.user_s + r.cpu.sys_s;
        const double probe_s = static_cast<double>(prober.cpu_ns) * 1e-9;
        r.extra.emplace_back("stats_calls", std::to_string(prober.calls));
        r.extra.emplace_back("stats_interval_us", std::to_string(probe_interval_us));
        // Tight loop: the probe thread's CPU time per call. Paced: steady_clock time inside the
        // call (the thread's CPU time per iteration, mostly the sleep, is stats_thread_cpu_ns_per_call).
        const double calls = prober.calls ? static_cast<double>(prober.calls) : 1.0;
        r.extra.emplace_back("stats_ns_per_call",
                             json_number(static_cast<double>(probe_interval_us ? prober.timed_ns : prober.cpu_ns) / calls, 1));
        r.extra.emplace_back("stats_thread_cpu_ns_per_call", json_number(static_cast<double>(prober.cpu_ns) / calls, 1));
        r.extra.emplace_back("stats_probe_cpu_s", json_number(probe_s, 3));
        r.extra.emplace_back("cpu_us_per_req_excl_probe",
                             json_number(r.requests ? (cpu_s - probe_s) * 1e6 / static_cast<double>(r.requests) : 0, 2));
    }
    if (pending)
    {
        r.extra.emplace_back("pending", std::to_string(pending));
        r.extra.emplace_back("baseline_rss_kb", std::to_string(baseline_rss));
        r.extra.emplace_back("bytes_per_inflight",
                             json_number(static_cast<double>(r.peak_rss_kb - baseline_rss) * 1024.0 / static_cast<double>(pending), 0));
        r.extra.emplace_back("issue_s", json_number(issue_s, 3));
    }
    print_result(r);

    std::uint64_t expected = pending ? pending : requests;
    bool complete = seconds > 0 ? r.requests > 0 : r.requests == expected;
    if (!complete)
        std::cerr << "beeos-bench: " << r.requests << " calls completed, expected " << (seconds > 0 ? std::string("some") : std::to_string(expected)) << '\n';
    return r.errors == 0 && complete ? 0 : 1;
}
