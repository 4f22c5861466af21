// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
//
// What beeos-bench and the C++ peers share so that their numbers mean the same thing: the
// command line, the latency histogram, the resource counters and the final JSON line. Header
// only, standard library and POSIX only, so a peer stays one .cpp file plus this.
#ifndef BEEOS_BENCH_COMMON_HPP
#define BEEOS_BENCH_COMMON_HPP

#include <sys/resource.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <limits>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace beeos_bench {

using clock_type = std::chrono::steady_clock;

// ---------------------------------------------------------------------------------------------
// Command line: `--name value` or `--name=value`; flags listed in `switches` take no value.

struct usage_error : std::runtime_error
{
    using std::runtime_error::runtime_error;
};

class args
{
public:
    args(int argc, char** argv, std::vector<std::string_view> known, std::vector<std::string_view> switches = {})
    {
        for (int i = 1; i < argc; ++i)
        {
            std::string_view a = argv[i];
            if (!a.starts_with("--"))
                throw usage_error("unexpected argument '" + std::string(a) + "'");
            std::string_view name = a.substr(2), value;
            bool has_value = false;
            if (auto eq = name.find('='); eq != std::string_view::npos)
            {
                value = name.substr(eq + 1);
                name = name.substr(0, eq);
                has_value = true;
            }
            bool is_switch = std::find(switches.begin(), switches.end(), name) != switches.end();
            if (!is_switch && std::find(known.begin(), known.end(), name) == known.end())
                throw usage_error("unknown option '--" + std::string(name) + "'");
            if (!is_switch && !has_value)
            {
                if (i + 1 >= argc)
                    throw usage_error("--" + std::string(name) + " needs a value");
                value = argv[++i];
            }
            values_.emplace_back(std::string(name), std::string(value));
        }
    }

    bool has(std::string_view name) const { return find(name) != nullptr; }

    std::string str(std::string_view name, std::string def = {}) const
    {
        const std::string* v = find(name);
        return v ? *v : def;
    }

    std::uint64_t num(std::string_view name, std::uint64_t def) const
    {
        const std::string* v = find(name);
        if (!v)
            return def;
        std::uint64_t n = 0;
        auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
        if (ec != std::errc() || end != v->data() + v->size())
            throw usage_error("--" + std::string(name) + ": expected a non-negative integer, got '" + *v + "'");
        return n;
    }

    double real(std::string_view name, double def) const
    {
        const std::string* v = find(name);
        if (!v)
            return def;
        char* end = nullptr;
        double d = std::strtod(v->c_str(), &end);
        if (end != v->c_str() + v->size() || !(d >= 0))
            throw usage_error("--" + std::string(name) + ": expected a non-negative number, got '" + *v + "'");
        return d;
    }

private:
    const std::string* find(std::string_view name) const
    {
        for (auto it = values_.rbegin(); it != values_.rend(); ++it)
            if (it->first == name)
                return &it->second;
        return nullptr;
    }

    std::vector<std::pair<std::string, std::string>> values_;
};

/// The token from `--token`, else `$BEEOS_API_KEY`. Never printed by any bench program.
inline std::string token_from(const args& a)
{
    if (a.has("token"))
        return a.str("token");
    const char* env = std::getenv("BEEOS_API_KEY");
    return env ? env : "";
}

/// Writes `inst_<n>` into `buf` (at least 32 bytes) and returns its length.
inline std::size_t format_id(char* buf, std::uint64_t n)
{
    std::memcpy(buf, "inst_", 5);
    return static_cast<std::size_t>(std::to_chars(buf + 5, buf + 32, n).ptr - buf);
}

// ---------------------------------------------------------------------------------------------
// Latency: a log-linear histogram of nanoseconds, exact below 512 ns and within 1/256 (0.4 %)
// above, in a fixed 115 KiB table, so recording allocates nothing and costs a few instructions.

class histogram
{
public:
    static constexpr unsigned sub_bits = 8;
    static constexpr std::size_t sub_count = std::size_t{1} << sub_bits;             // 256
    static constexpr std::size_t linear = 2 * sub_count;                              // 512
    static constexpr std::size_t size = linear + (64 - sub_bits - 1) * sub_count;     // 14592

    void record(std::uint64_t ns) noexcept
    {
        ++counts_[index_of(ns)];
        ++total_;
        max_ = std::max(max_, ns);
    }

    void merge(const histogram& o) noexcept
    {
        for (std::size_t i = 0; i != size; ++i)
            counts_[i] += o.counts_[i];
        total_ += o.total_;
        max_ = std::max(max_, o.max_);
    }

    std::uint64_t total() const noexcept { return total_; }
    std::uint64_t max() const noexcept { return max_; }

    /// The value below which a fraction `q` of the samples lie (bucket midpoint), in ns.
    std::uint64_t quantile(double q) const noexcept
    {
        if (total_ == 0)
            return 0;
        auto rank = static_cast<std::uint64_t>(q * static_cast<double>(total_));
        if (rank >= total_)
            rank = total_ - 1;
        std::uint64_t seen = 0;
        for (std::size_t i = 0; i != size; ++i)
        {
            seen += counts_[i];
            if (seen > rank)
                return std::min(midpoint_of(i), max_);
        }
        return max_;
    }

private:
    static std::size_t index_of(std::uint64_t v) noexcept
    {
        if (v < linear)
            return static_cast<std::size_t>(v);
        unsigned msb = 63u - static_cast<unsigned>(std::countl_zero(v));  // >= 9
        unsigned shift = msb - sub_bits;                                   // >= 1
        return linear + (shift - 1) * sub_count + static_cast<std::size_t>((v >> shift) - sub_count);
    }

    static std::uint64_t midpoint_of(std::size_t i) noexcept
    {
        if (i < linear)
            return i;
        std::size_t k = i - linear;
        unsigned shift = static_cast<unsigned>(k / sub_count) + 1;
        std::uint64_t m = (k % sub_count) + sub_count;
        return (m << shift) + (std::uint64_t{1} << (shift - 1));
    }

    std::array<std::uint64_t, size> counts_{};
    std::uint64_t total_ = 0;
    std::uint64_t max_ = 0;
};

/// One histogram per thread that records, merged at the end: no sharing on the hot path.
class histogram_set
{
public:
    histogram& local()
    {
        thread_local histogram_set* owner = nullptr;
        thread_local histogram* mine = nullptr;
        if (owner != this)
        {
            std::lock_guard lock(mtx_);
            all_.push_back(std::make_unique<histogram>());
            mine = all_.back().get();
            owner = this;
        }
        return *mine;
    }

    histogram merged() const
    {
        std::lock_guard lock(mtx_);
        histogram h;
        for (auto& p : all_)
            h.merge(*p);
        return h;
    }

private:
    mutable std::mutex mtx_;
    std::vector<std::unique_ptr<histogram>> all_;
};

// ---------------------------------------------------------------------------------------------
// Process resources.

struct cpu_times
{
    double user_s = 0;
    double sys_s = 0;
};

inline double seconds_of(const timeval& tv) { return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) * 1e-6; }

inline cpu_times process_cpu()
{
    rusage ru{};
    ::getrusage(RUSAGE_SELF, &ru);
    return {seconds_of(ru.ru_utime), seconds_of(ru.ru_stime)};
}

/// Peak resident set size so far, KiB (getrusage ru_maxrss).
inline long peak_rss_kb()
{
    rusage ru{};
    ::getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/// Sockets this process has open now (entries of /proc/self/fd that are sockets), or -1.
inline long open_sockets()
{
    std::error_code ec;
    long n = 0;
    for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end; it.increment(ec))
    {
        std::error_code lec;
        auto target = std::filesystem::read_symlink(it->path(), lec);
        if (!lec && target.native().starts_with("socket:"))
            ++n;
    }
    return ec ? -1 : n;
}

// ---------------------------------------------------------------------------------------------
// The final JSON line every client prints (bench/compare reads it).

struct result
{
    std::string client;
    std::uint64_t requests = 0;  ///< completed calls, successful or not
    std::uint64_t errors = 0;    ///< failed calls plus wrong answers
    double wall_s = 0;
    cpu_times cpu;               ///< of the measured phase
    histogram latency;
    long peak_rss_kb = 0;
    long connections = -1;       ///< sockets open at the end, -1 when unknown
    std::vector<std::pair<std::string, std::string>> extra;  ///< more "key":value pairs, raw JSON values
};

inline std::string json_number(double d, int decimals = 3)
{
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, d);
    return buf;
}

inline void print_result(const result& r)
{
    const double reqs = static_cast<double>(r.requests);
    const double cpu = r.cpu.user_s + r.cpu.sys_s;
    std::string line = "{\"client\":\"" + r.client + "\"";
    auto add = [&line](std::string_view key, const std::string& value) {
        line += ",\"";
        line += key;
        line += "\":";
        line += value;
    };
    add("requests", std::to_string(r.requests));
    add("errors", std::to_string(r.errors));
    add("wall_s", json_number(r.wall_s, 3));
    add("rps", json_number(r.wall_s > 0 ? reqs / r.wall_s : 0, 1));
    add("cpu_user_s", json_number(r.cpu.user_s, 3));
    add("cpu_sys_s", json_number(r.cpu.sys_s, 3));
    add("cpu_us_per_req", json_number(r.requests ? cpu * 1e6 / reqs : 0, 2));
    add("p50_ms", json_number(static_cast<double>(r.latency.quantile(0.50)) / 1e6, 3));
    add("p99_ms", json_number(static_cast<double>(r.latency.quantile(0.99)) / 1e6, 3));
    add("max_ms", json_number(static_cast<double>(r.latency.max()) / 1e6, 3));
    add("peak_rss_kb", std::to_string(r.peak_rss_kb));
    add("connections", std::to_string(r.connections));
    for (auto& [k, v] : r.extra)
        add(k, v);
    line += "}\n";
    std::fputs(line.c_str(), stdout);
    std::fflush(stdout);
}

}  // namespace beeos_bench

#endif
