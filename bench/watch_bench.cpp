// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
//
// beeos-watch-bench: watches inst_0 .. inst_{N-1} through beeos::watcher against a running
// gateway (it starts nothing itself) and measures what a large watch costs the client: CPU per
// poll, memory per watched id, and how flat the request rate is. Public API only.
//
//   beeos-gateway-sim --instances 100000 --churn-ms 30000 &    # prints BEEOS_SIM_URL/CA/TOKEN
//   beeos-watch-bench --url $BEEOS_SIM_URL --ca $BEEOS_SIM_CA --token $BEEOS_SIM_TOKEN
//       --ids 100000 --interval-ms 60000 --duration-s 150
//
// Prints one line per second (requests that second) and a final JSON line.
#include <beeos/client.hpp>
#include <beeos/watcher.hpp>

#include "bench_common.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <malloc.h>

#include <atomic>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <vector>

namespace asio = boost::asio;
using beeos_bench::clock_type;

namespace {

constexpr std::string_view usage = R"(usage: beeos-watch-bench --url URL [options]

Watches inst_0 .. inst_{N-1} with beeos::watcher and reports, once per second, the requests
sent that second; at the end one JSON line: polls, events, errors, client CPU per poll, RSS
and heap growth per watched id (measured once every id had its first poll, against a baseline
taken before adding them) and the spread of the per-second request rate.

options:
  --url URL            the gateway, e.g. $BEEOS_SIM_URL (required)
  --ca FILE            extra CA (PEM), e.g. $BEEOS_SIM_CA
  --token T            bearer token (default: $BEEOS_API_KEY); never printed
  --ids N              ids to watch (default 10000)
  --interval-ms MS     watch interval (default 60000)
  --duration-s S       how long to watch after the ids are added (default 2 intervals + 5 s)
  --jitter J           watch_options::jitter (default 0.1)
  --connections K      client_options::max_connections (default 32; set explicitly here)
  --max-in-flight M    watch_options::max_in_flight (default 2 * connections)
  --warmup-ms MS       look up ids with every connection busy for this long first, so the
                       connections and allocator arenas exist before the memory baseline
                       (default 2000)
)";

// Bytes malloc has handed out and not taken back: unlike RSS, not blurred by freed memory the
// allocator keeps for reuse.
long heap_in_use_bytes() { return static_cast<long>(::mallinfo2().uordblks); }

// Resident set size now, bytes (/proc/self/statm), not the peak.
long current_rss_bytes()
{
    std::ifstream statm("/proc/self/statm");
    long pages = 0, resident = 0;
    statm >> pages >> resident;
    return resident * ::sysconf(_SC_PAGESIZE);
}

struct counters
{
    std::atomic<std::uint64_t> requests{0};  // every attempt, i.e. every HTTP request
    std::atomic<std::uint64_t> polls{0};     // calls finished (their last attempt)
    std::atomic<std::uint64_t> failed{0};    // calls finished with an error
};

struct event_counts
{
    std::uint64_t initial = 0, changed = 0, error = 0, recovered = 0;
    std::uint64_t total() const { return initial + changed + error + recovered; }
};

}  // namespace

int main(int argc, char** argv)
{
    std::string url, ca, token;
    std::uint64_t ids = 0, interval_ms = 0, duration_s = 0, connections = 0, max_in_flight = 0, warmup_ms = 0;
    double jitter = 0;
    try
    {
        beeos_bench::args a(argc, argv, {"url", "ca", "token", "ids", "interval-ms", "duration-s", "jitter", "connections", "max-in-flight", "warmup-ms"},
                            {"help"});
        if (a.has("help"))
        {
            std::cout << usage;
            return 0;
        }
        url = a.str("url");
        if (url.empty())
            throw beeos_bench::usage_error("--url is required");
        ca = a.str("ca");
        token = beeos_bench::token_from(a);
        ids = a.num("ids", 10'000);
        interval_ms = a.num("interval-ms", 60'000);
        duration_s = a.num("duration-s", (2 * interval_ms) / 1000 + 5);
        jitter = a.real("jitter", 0.1);
        connections = a.num("connections", 32);
        max_in_flight = a.num("max-in-flight", 2 * connections);
        warmup_ms = a.num("warmup-ms", 2000);
        if (ids == 0 || interval_ms == 0 || duration_s == 0 || connections == 0)
            throw beeos_bench::usage_error("--ids, --interval-ms, --duration-s and --connections must be positive");
    }
    catch (const beeos_bench::usage_error& e)
    {
        std::cerr << "beeos-watch-bench: " << e.what() << "\n(see --help)\n";
        return 2;
    }

    asio::io_context io;
    counters cnt;
    beeos::client_options opts;
    opts.base_url = url;
    opts.ca_file = ca;
    opts.token = token;
    opts.max_connections = static_cast<std::size_t>(connections);
    opts.on_attempt = [&cnt](const beeos::attempt_event& ev) {
        cnt.requests.fetch_add(1, std::memory_order_relaxed);
        if (!ev.next_delay)
        {
            cnt.polls.fetch_add(1, std::memory_order_relaxed);
            if (ev.result && ev.result != beeos::errc::cancelled)  // the polls stop() cancels are not errors
                cnt.failed.fetch_add(1, std::memory_order_relaxed);
        }
    };
    std::optional<beeos::client> client;
    try
    {
        client.emplace(io.get_executor(), opts);
    }
    catch (const std::invalid_argument& e)
    {
        std::cerr << "beeos-watch-bench: bad options: " << e.what() << "\n";
        return 2;
    }

    // Warm-up: rounds of 4 * connections concurrent lookups open every connection, so the
    // baseline below already holds the pool's buffers and the allocator's arenas.
    if (warmup_ms > 0)
    {
        const auto warm_end = clock_type::now() + std::chrono::milliseconds(warmup_ms);
        while (clock_type::now() < warm_end)
        {
            for (std::uint64_t i = 0; i < 4 * connections; ++i)
                client->async_get_instance("inst_" + std::to_string(i % ids), [](boost::system::error_code, beeos::instance) {});
            io.run();
            io.restart();
        }
    }

    const std::uint64_t requests_before = cnt.requests.load(), polls_before = cnt.polls.load(), failed_before = cnt.failed.load();
    std::vector<bool> seen(ids, false);
    const long rss_before = current_rss_bytes();
    const long heap_before = heap_in_use_bytes();

    beeos::watcher w(*client, {.interval = std::chrono::milliseconds(interval_ms), .jitter = jitter, .max_in_flight = static_cast<std::size_t>(max_in_flight)});
    {
        std::vector<std::string> all;
        all.reserve(ids);
        char buf[32];
        for (std::uint64_t i = 0; i < ids; ++i)
            all.emplace_back(buf, beeos_bench::format_id(buf, i));
        w.add(std::move(all));
    }
    const long rss_after_add = current_rss_bytes();
    const long heap_after_add = heap_in_use_bytes();

    event_counts ev;
    std::uint64_t first_seen = 0;  // ids whose first poll finished (initial, or error on the first poll)
    long rss_after_first = -1;
    long heap_after_first = -1;
    double all_first_s = -1;
    const auto cpu0 = beeos_bench::process_cpu();
    const auto t0 = clock_type::now();

    auto on_event = [&](const beeos::watch_event& e) {
        switch (e.type)
        {
        case beeos::watch_event::kind::initial: ++ev.initial; break;
        case beeos::watch_event::kind::changed: ++ev.changed; break;
        case beeos::watch_event::kind::error: ++ev.error; break;
        case beeos::watch_event::kind::recovered: ++ev.recovered; break;
        }
        // The first event of an id is its initial or error event (a failed first poll).
        std::uint64_t n = 0;
        std::from_chars(e.id.data() + 5, e.id.data() + e.id.size(), n);
        if (n < ids && !seen[n])
        {
            seen[n] = true;
            if (++first_seen == ids && rss_after_first < 0)
            {
                rss_after_first = current_rss_bytes();
                heap_after_first = heap_in_use_bytes();
                all_first_s = std::chrono::duration<double>(clock_type::now() - t0).count();
            }
        }
    };

    // Once per second: the requests of that second.
    std::vector<std::uint64_t> per_second;
    asio::steady_timer ticker(io);
    std::uint64_t last_requests = requests_before;
    std::function<void(int)> tick = [&](int n) {
        ticker.expires_at(t0 + std::chrono::seconds(n));
        ticker.async_wait([&, n](boost::system::error_code ec) {
            if (ec)
                return;
            std::uint64_t now_requests = cnt.requests.load();
            per_second.push_back(now_requests - last_requests);
            last_requests = now_requests;
            std::printf("t=%ds requests=%llu polls=%llu events=%llu watched=%zu\n", n, static_cast<unsigned long long>(per_second.back()),
                        static_cast<unsigned long long>(cnt.polls.load() - polls_before), static_cast<unsigned long long>(ev.total()), w.size());
            std::fflush(stdout);
            if (static_cast<std::uint64_t>(n) < duration_s)
                tick(n + 1);
        });
    };
    tick(1);
    asio::steady_timer end(io, t0 + std::chrono::seconds(duration_s));
    end.async_wait([&](boost::system::error_code) { w.stop(); });

    boost::system::error_code run_ec;
    w.async_run(on_event, [&](boost::system::error_code ec) {
        run_ec = ec;
        ticker.cancel();
    });
    io.run();
    const double wall = std::chrono::duration<double>(clock_type::now() - t0).count();
    const auto cpu1 = beeos_bench::process_cpu();

    const std::uint64_t polls = cnt.polls.load() - polls_before;
    const std::uint64_t requests = cnt.requests.load() - requests_before;
    const std::uint64_t failed = cnt.failed.load() - failed_before;
    const double cpu_s = (cpu1.user_s - cpu0.user_s) + (cpu1.sys_s - cpu0.sys_s);

    // Rate spread over the whole seconds after the first interval has begun (all of them: the
    // phases make the first interval as flat as the rest).
    double mean = 0, sd = 0, lo = 0, hi = 0;
    if (!per_second.empty())
    {
        lo = hi = static_cast<double>(per_second.front());
        for (auto r : per_second)
        {
            mean += static_cast<double>(r);
            lo = std::min(lo, static_cast<double>(r));
            hi = std::max(hi, static_cast<double>(r));
        }
        mean /= static_cast<double>(per_second.size());
        for (auto r : per_second)
            sd += (static_cast<double>(r) - mean) * (static_cast<double>(r) - mean);
        sd = std::sqrt(sd / static_cast<double>(per_second.size()));
    }
    auto rel = [&](double v) { return mean > 0 ? v / mean : 0.0; };
    auto per_id = [&](long after) { return after < 0 ? -1.0 : static_cast<double>(after - rss_before) / static_cast<double>(ids); };
    using beeos_bench::json_number;

    std::string line = "{\"client\":\"beeos-watch\"";
    auto add = [&line](std::string_view k, const std::string& v) {
        line += ",\"";
        line += k;
        line += "\":";
        line += v;
    };
    add("ids", std::to_string(ids));
    add("interval_ms", std::to_string(interval_ms));
    add("duration_s", json_number(wall, 3));
    add("connections", std::to_string(connections));
    add("max_in_flight", std::to_string(max_in_flight));
    add("polls", std::to_string(polls));
    add("expected_polls", json_number(static_cast<double>(ids) * wall * 1000.0 / static_cast<double>(interval_ms), 0));
    add("requests", std::to_string(requests));
    add("errors", std::to_string(failed));
    add("events", std::to_string(ev.total()));
    add("initial", std::to_string(ev.initial));
    add("changed", std::to_string(ev.changed));
    add("error_events", std::to_string(ev.error));
    add("recovered", std::to_string(ev.recovered));
    add("cpu_s", json_number(cpu_s, 3));
    add("cpu_us_per_poll", json_number(polls ? cpu_s * 1e6 / static_cast<double>(polls) : 0, 2));
    add("rss_before_kb", std::to_string(rss_before / 1024));
    add("rss_after_add_kb", std::to_string(rss_after_add / 1024));
    add("rss_after_first_poll_kb", std::to_string(rss_after_first < 0 ? -1 : rss_after_first / 1024));
    add("rss_per_id_added_bytes", json_number(per_id(rss_after_add), 1));
    add("rss_per_id_bytes", json_number(per_id(rss_after_first), 1));
    auto heap_per_id = [&](long after) { return after < 0 ? -1.0 : static_cast<double>(after - heap_before) / static_cast<double>(ids); };
    add("heap_per_id_added_bytes", json_number(heap_per_id(heap_after_add), 1));
    add("heap_per_id_bytes", json_number(heap_per_id(heap_after_first), 1));
    add("all_first_polls_s", json_number(all_first_s, 3));
    add("rate_mean", json_number(mean, 1));
    add("rate_min_rel", json_number(rel(lo), 3));
    add("rate_max_rel", json_number(rel(hi), 3));
    add("rate_stddev_rel", json_number(rel(sd), 4));
    add("run_result", "\"" + run_ec.message() + "\"");
    line += "}\n";
    std::fputs(line.c_str(), stdout);
    return run_ec ? 1 : 0;
}
