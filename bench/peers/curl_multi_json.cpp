// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
//
// Peer for bench/compare: libcurl's multi interface (OpenSSL flavour) with C easy handles in
// flight over keep-alive connections from the multi handle's cache, the certificate verified
// against --ca, every body parsed with boost::json::parse and data.id checked. Single thread,
// curl_multi_poll. Same command line subset and JSON line as beeos-bench.
#include "../bench_common.hpp"

#include <boost/json.hpp>
#include <curl/curl.h>

#include <iostream>

namespace json = boost::json;
using namespace beeos_bench;

namespace {

constexpr std::string_view usage = R"(usage: beeos-peer-curl --url https://HOST:PORT --ca FILE [options]
  --token T  --requests N  --seconds S  --concurrency C (default 64)  --ids M (default 1000)
)";

struct transfer
{
    CURL* easy = nullptr;
    std::string body;
    std::string url;
    std::size_t id_at = 0;  // where the id starts in `url`
    clock_type::time_point started{};
};

std::size_t on_data(char* data, std::size_t size, std::size_t n, void* user)
{
    static_cast<transfer*>(user)->body.append(data, size * n);
    return size * n;
}

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

}  // namespace

int main(int argc, char** argv)
{
    std::string url, ca, token_header;
    std::uint64_t limit = 0, concurrency = 0, ids = 0;
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
        if (url.empty())
            throw usage_error("--url is required");
        while (!url.empty() && url.back() == '/')
            url.pop_back();
        ca = a.str("ca");
        seconds = a.real("seconds", 0);
        limit = a.num("requests", seconds > 0 ? std::numeric_limits<std::uint64_t>::max() : 10000);
        concurrency = a.num("concurrency", 64);
        ids = a.num("ids", 1000);
        token_header = "Authorization: Bearer " + token_from(a);
        if (concurrency == 0 || ids == 0)
            throw usage_error("--concurrency and --ids must be at least 1");
    }
    catch (const usage_error& e)
    {
        std::cerr << "curl-multi: " << e.what() << '\n' << usage;
        return 2;
    }

    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURLM* multi = curl_multi_init();
    curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, static_cast<long>(concurrency));
    curl_slist* headers = curl_slist_append(nullptr, token_header.c_str());
    headers = curl_slist_append(headers, "Accept: application/json");

    std::vector<transfer> transfers(concurrency);
    const std::string prefix = url + "/api/v1/instances/";
    for (auto& t : transfers)
    {
        t.easy = curl_easy_init();
        t.url = prefix;
        t.id_at = prefix.size();
        curl_easy_setopt(t.easy, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(t.easy, CURLOPT_WRITEFUNCTION, &on_data);
        curl_easy_setopt(t.easy, CURLOPT_WRITEDATA, &t);
        curl_easy_setopt(t.easy, CURLOPT_PRIVATE, &t);
        curl_easy_setopt(t.easy, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
        curl_easy_setopt(t.easy, CURLOPT_SSL_VERIFYPEER, 1L);
        curl_easy_setopt(t.easy, CURLOPT_SSL_VERIFYHOST, 2L);
        if (!ca.empty())
            curl_easy_setopt(t.easy, CURLOPT_CAINFO, ca.c_str());
        curl_easy_setopt(t.easy, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(t.easy, CURLOPT_TCP_NODELAY, 1L);
    }

    std::uint64_t next = 0;
    std::uint64_t completed = 0, errors = 0;
    histogram latency;
    const auto deadline = clock_type::now() + std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(seconds));
    int reported = 0;

    auto start = [&](transfer& t, clock_type::time_point now) {
        if (seconds > 0 && now >= deadline)
            return false;
        std::uint64_t n = next++;
        if (n >= limit)
            return false;
        char id[32];
        t.url.resize(t.id_at);
        t.url.append(id, format_id(id, n % ids));
        t.body.clear();
        curl_easy_setopt(t.easy, CURLOPT_URL, t.url.c_str());
        t.started = clock_type::now();
        curl_multi_add_handle(multi, t.easy);
        return true;
    };

    const cpu_times cpu0 = process_cpu();
    const auto t0 = clock_type::now();
    std::size_t active = 0;
    for (auto& t : transfers)
        active += start(t, t0);

    while (active > 0)
    {
        int running = 0;
        CURLMcode mc = curl_multi_perform(multi, &running);
        if (mc != CURLM_OK)
        {
            std::cerr << "curl-multi: " << curl_multi_strerror(mc) << '\n';
            errors += active;
            break;
        }
        int left = 0;
        while (CURLMsg* msg = curl_multi_info_read(multi, &left))
        {
            if (msg->msg != CURLMSG_DONE)
                continue;
            transfer* t = nullptr;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &t);
            auto now = clock_type::now();
            latency.record(static_cast<std::uint64_t>((now - t->started).count()));
            long status = 0;
            curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
            std::string_view expected = std::string_view(t->url).substr(t->id_at);
            bool ok = msg->data.result == CURLE_OK && status == 200 && check_body(t->body, expected);
            if (!ok)
            {
                ++errors;
                if (reported++ < 5)
                    std::cerr << "curl-multi: " << expected << ": " << curl_easy_strerror(msg->data.result) << ", HTTP " << status << '\n';
            }
            ++completed;
            curl_multi_remove_handle(multi, t->easy);
            --active;
            active += start(*t, now);
        }
        if (active > 0)
            curl_multi_poll(multi, nullptr, 0, 1000, nullptr);
    }
    const auto t1 = clock_type::now();
    const cpu_times cpu1 = process_cpu();

    result r;
    r.client = "curl-multi";
    r.requests = completed;
    r.errors = errors;
    r.wall_s = std::chrono::duration<double>(t1 - t0).count();
    r.cpu = {cpu1.user_s - cpu0.user_s, cpu1.sys_s - cpu0.sys_s};
    r.latency = latency;
    r.peak_rss_kb = peak_rss_kb();
    r.connections = open_sockets();
    print_result(r);

    for (auto& t : transfers)
        curl_easy_cleanup(t.easy);
    curl_multi_cleanup(multi);
    curl_slist_free_all(headers);
    curl_global_cleanup();
    bool complete = seconds > 0 ? r.requests > 0 : r.requests == limit;
    return r.errors == 0 && complete ? 0 : 1;
}
