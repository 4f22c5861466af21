// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
//
// beeos-decode-bench: the cost of turning one getInstance body into a beeos::instance.
//
//   (a) beeos::detail::decode_instance_envelope, the library's decoder: one pass of a
//       boost::json::basic_parser writing straight into beeos::instance, no DOM
//   (b) boost::json::parse + a plain value_to-style extraction into beeos::instance (baseline)
//   (c) boost::json::parse alone (default memory resource: what (b) and most code pay)
//   (d) parse alone into a stack monotonic_resource, as the former DOM decoder did
//   (e) the former DOM decoder's approach: (d) + lookups and deep copies into beeos::instance
//   (f) beeos::detail::decode_instance_page over 20 copies of the fixture, per item
//
// A plain timing loop: each case runs in batches of about 20 ms after a warm-up, and the median
// batch is reported as ns per decode and MB/s of JSON. Every iteration decodes into a fresh
// instance, as the client does for each call.
#include "decode_instance.hpp"

#include <beeos/instance.hpp>
#include <beeos/timestamp.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <optional>
#include <sstream>
#include <utility>
#include <string>
#include <vector>

namespace json = boost::json;
using bench_clock = std::chrono::steady_clock;

namespace {

template <class T>
inline void keep(const T& v)
{
    asm volatile("" : : "g"(&v) : "memory");
}

// ---------------------------------------------------------------------------------------------
// (b) The baseline a user of Boost.JSON would write: parse into a heap DOM, then value_to for
// each member. No error details; a wrong type throws (never happens with the fixture).

void str(const json::object& o, std::string_view key, std::string& to)
{
    if (const json::value* v = o.if_contains(key); v && v->is_string())
        to = json::value_to<std::string>(*v);
}

void time(const json::object& o, std::string_view key, std::optional<beeos::timestamp>& to)
{
    if (const json::value* v = o.if_contains(key); v && v->is_string() && !v->get_string().empty())
        to = beeos::parse_timestamp(v->get_string());
}

template <class Enum>
void enumeration(const json::object& o, std::string_view key, Enum& to, std::string& text, Enum (*parse)(std::string_view) noexcept)
{
    if (const json::value* v = o.if_contains(key); v && v->is_string())
    {
        text = json::value_to<std::string>(*v);
        to = parse(text);
    }
}

void object(const json::object& o, std::string_view key, json::object& to)
{
    if (const json::value* v = o.if_contains(key); v && v->is_object())
        to = v->get_object();
}

bool baseline_decode(std::string_view body, beeos::instance& out)
{
    namespace d = beeos::detail;
    json::value root = json::parse(body);
    const json::object& data = root.at("data").as_object();
    str(data, "id", out.id);
    str(data, "ownerId", out.owner_id);
    str(data, "agentFramework", out.agent_framework);
    str(data, "providerId", out.provider_id);
    str(data, "externalId", out.external_id);
    str(data, "osType", out.os_type);
    str(data, "hostingType", out.hosting_type);
    str(data, "cloudProvider", out.cloud_provider);
    str(data, "name", out.name);
    str(data, "modelPrimary", out.model_primary);
    if (const json::value* v = data.if_contains("models"); v && v->is_array())
        out.models = json::value_to<std::vector<std::string>>(*v);
    enumeration(data, "status", out.status, out.status_text, &d::parse_instance_status);
    enumeration(data, "desiredStatus", out.desired_status, out.desired_status_text, &d::parse_desired_state);
    str(data, "endpoint", out.endpoint);
    str(data, "bridgeId", out.bridge_id);
    str(data, "identityId", out.identity_id);
    if (const json::value* v = data.if_contains("totalRunSeconds"); v && v->is_int64())
        out.total_run_seconds = v->get_int64();
    enumeration(data, "connectivity", out.connectivity, out.connectivity_text, &d::parse_connectivity_state);
    str(data, "connectivityReason", out.connectivity_reason);
    str(data, "haltReason", out.halt_reason);
    object(data, "providerConfig", out.provider_config);
    str(data, "publicIp", out.public_ip);
    str(data, "clusterId", out.cluster_id);
    str(data, "region", out.region);
    str(data, "imageId", out.image_id);
    str(data, "imageRef", out.image_ref);
    if (const json::value* v = data.if_contains("isTrial"); v && v->is_bool())
        out.is_trial = v->get_bool();
    time(data, "expiresAt", out.expires_at);
    str(data, "errorMessage", out.error_message);
    str(data, "systemPrompt", out.system_prompt);
    object(data, "mcpServers", out.mcp_servers);
    time(data, "startedAt", out.started_at);
    time(data, "stoppedAt", out.stopped_at);
    time(data, "statusEnteredAt", out.status_entered_at);
    time(data, "connectivityUpdatedAt", out.connectivity_updated_at);
    enumeration(data, "msConnectionStatus", out.ms_connection_status, out.ms_connection_status_text, &d::parse_ms_connection_state);
    time(data, "msConnectionUpdatedAt", out.ms_connection_updated_at);
    time(data, "createdAt", out.created_at);
    time(data, "updatedAt", out.updated_at);
    str(data, "screenshotUrl", out.screenshot_url);
    time(data, "screenshotUpdatedAt", out.screenshot_updated_at);
    if (const json::value* v = data.if_contains("capabilities"); v && v->is_object())
        out.capabilities.emplace(v->get_object());
    return true;
}

// ---------------------------------------------------------------------------------------------
// (e) What the library's decoder did before the single pass: parse into a DOM in a stack arena,
// look up every field, deep-copy the three JSON members out of the arena (error details left out;
// they cost nothing on success).

void object_copy(const json::object& o, std::string_view key, json::object& to)
{
    if (const json::value* v = o.if_contains(key); v && v->is_object())
        to = json::object(v->get_object(), json::storage_ptr());
}

bool dom_decode(std::string_view body, beeos::instance& out)
{
    namespace d = beeos::detail;
    out = beeos::instance{};
    unsigned char dom_buffer[8192];
    json::monotonic_resource mr(dom_buffer, sizeof dom_buffer);
    unsigned char scratch[4096];
    json::parser p(json::storage_ptr(), json::parse_options(), scratch, sizeof scratch);
    p.reset(json::storage_ptr(&mr));
    boost::system::error_code ec;
    p.write(body.data(), body.size(), ec);
    if (ec)
        return false;
    const json::value root = p.release();
    const json::object* env = root.if_object();
    if (!env)
        return false;
    const json::value* dv = env->if_contains("data");
    if (!dv || !dv->is_object())
        return false;
    const json::object& data = dv->get_object();
    for (auto [key, member] : {std::pair{"id", &beeos::instance::id},
                               {"ownerId", &beeos::instance::owner_id},
                               {"agentFramework", &beeos::instance::agent_framework},
                               {"providerId", &beeos::instance::provider_id},
                               {"externalId", &beeos::instance::external_id},
                               {"osType", &beeos::instance::os_type},
                               {"hostingType", &beeos::instance::hosting_type},
                               {"cloudProvider", &beeos::instance::cloud_provider},
                               {"name", &beeos::instance::name},
                               {"modelPrimary", &beeos::instance::model_primary},
                               {"endpoint", &beeos::instance::endpoint},
                               {"bridgeId", &beeos::instance::bridge_id},
                               {"identityId", &beeos::instance::identity_id},
                               {"connectivityReason", &beeos::instance::connectivity_reason},
                               {"haltReason", &beeos::instance::halt_reason},
                               {"publicIp", &beeos::instance::public_ip},
                               {"clusterId", &beeos::instance::cluster_id},
                               {"region", &beeos::instance::region},
                               {"imageId", &beeos::instance::image_id},
                               {"imageRef", &beeos::instance::image_ref},
                               {"errorMessage", &beeos::instance::error_message},
                               {"systemPrompt", &beeos::instance::system_prompt},
                               {"screenshotUrl", &beeos::instance::screenshot_url}})
    {
        if (const json::value* v = data.if_contains(key); v && v->is_string())
            (out.*member).assign(v->get_string().data(), v->get_string().size());
    }
    for (auto [key, member] : {std::pair{"expiresAt", &beeos::instance::expires_at},
                               {"startedAt", &beeos::instance::started_at},
                               {"stoppedAt", &beeos::instance::stopped_at},
                               {"statusEnteredAt", &beeos::instance::status_entered_at},
                               {"connectivityUpdatedAt", &beeos::instance::connectivity_updated_at},
                               {"msConnectionUpdatedAt", &beeos::instance::ms_connection_updated_at},
                               {"createdAt", &beeos::instance::created_at},
                               {"updatedAt", &beeos::instance::updated_at},
                               {"screenshotUpdatedAt", &beeos::instance::screenshot_updated_at}})
        time(data, key, out.*member);
    if (const json::value* v = data.if_contains("models"); v && v->is_array())
    {
        out.models.reserve(v->get_array().size());
        for (const json::value& m : v->get_array())
            if (m.is_string())
                out.models.emplace_back(m.get_string().data(), m.get_string().size());
    }
    enumeration(data, "status", out.status, out.status_text, &d::parse_instance_status);
    enumeration(data, "desiredStatus", out.desired_status, out.desired_status_text, &d::parse_desired_state);
    enumeration(data, "connectivity", out.connectivity, out.connectivity_text, &d::parse_connectivity_state);
    enumeration(data, "msConnectionStatus", out.ms_connection_status, out.ms_connection_status_text, &d::parse_ms_connection_state);
    if (const json::value* v = data.if_contains("totalRunSeconds"); v && v->is_int64())
        out.total_run_seconds = v->get_int64();
    if (const json::value* v = data.if_contains("isTrial"); v && v->is_bool())
        out.is_trial = v->get_bool();
    object_copy(data, "providerConfig", out.provider_config);
    object_copy(data, "mcpServers", out.mcp_servers);
    if (const json::value* v = data.if_contains("capabilities"); v && v->is_object())
        out.capabilities.emplace(v->get_object(), json::storage_ptr());
    return true;
}

// ---------------------------------------------------------------------------------------------

struct measurement
{
    double median_ns = 0;
    double min_ns = 0;
};

measurement measure(const std::function<void()>& op)
{
    using namespace std::chrono;
    // Calibrate: iterations per batch so that one batch takes about 20 ms.
    std::size_t iters = 1;
    for (;;)
    {
        auto t0 = bench_clock::now();
        for (std::size_t i = 0; i != iters; ++i)
            op();
        auto dt = bench_clock::now() - t0;
        if (dt >= milliseconds(20))
            break;
        iters *= 2;
    }
    std::vector<double> per_op;
    for (int batch = 0; batch != 25; ++batch)
    {
        auto t0 = bench_clock::now();
        for (std::size_t i = 0; i != iters; ++i)
            op();
        per_op.push_back(static_cast<double>(duration_cast<nanoseconds>(bench_clock::now() - t0).count()) / static_cast<double>(iters));
    }
    std::sort(per_op.begin(), per_op.end());
    return {per_op[per_op.size() / 2], per_op.front()};
}

}  // namespace

int main(int argc, char** argv)
{
    std::string path = argc > 1 ? argv[1] : BEEOS_BENCH_FIXTURE;
    std::ifstream in(path, std::ios::binary);
    if (!in)
    {
        std::cerr << "beeos-decode-bench: cannot read " << path << "\nusage: beeos-decode-bench [FIXTURE.json]\n";
        return 2;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string body = ss.str();

    // The two decoders must agree before their speeds mean anything.
    {
        beeos::instance a, b;
        std::string detail;
        if (auto ec = beeos::detail::decode_instance_envelope(body, a, detail))
        {
            std::cerr << "beeos-decode-bench: the library rejects the fixture: " << detail << '\n';
            return 1;
        }
        baseline_decode(body, b);
        if (!(a == b))
        {
            std::cerr << "beeos-decode-bench: the baseline decodes the fixture differently from the library\n";
            return 1;
        }
        beeos::instance e;
        if (!dom_decode(body, e) || !(a == e))
        {
            std::cerr << "beeos-decode-bench: the former DOM decoder decodes the fixture differently from the library\n";
            return 1;
        }
    }

    // A page of `page_items` copies of the fixture's data, as GET /api/v1/instances would send.
    constexpr std::size_t page_items = 20;
    std::string page_body;
    {
        const json::value doc = json::parse(body);
        json::array data;
        for (std::size_t i = 0; i != page_items; ++i)
            data.push_back(doc.at("data"));
        page_body = json::serialize(json::object{{"success", true}, {"data", std::move(data)}, {"total", page_items}});
        std::vector<beeos::instance> items;
        std::optional<std::int64_t> total;
        std::string detail;
        beeos::instance a;
        beeos::detail::decode_instance_envelope(body, a, detail);
        if (auto ec = beeos::detail::decode_instance_page(page_body, items, total, detail); ec || items.size() != page_items || !(items[7] == a))
        {
            std::cerr << "beeos-decode-bench: decode_instance_page disagrees with decode_instance_envelope: " << detail << '\n';
            return 1;
        }
    }

    struct bench_case
    {
        const char* name;
        std::function<void()> op;
    };
    std::vector<bench_case> cases = {
        {"(a) beeos decode_instance_envelope",
         [&] {
             beeos::instance out;
             std::string detail;
             auto ec = beeos::detail::decode_instance_envelope(body, out, detail);
             keep(ec);
             keep(out);
         }},
        {"(b) json::parse + value_to baseline",
         [&] {
             beeos::instance out;
             baseline_decode(body, out);
             keep(out);
         }},
        {"(c) json::parse only (heap DOM)",
         [&] {
             json::value v = json::parse(body);
             keep(v);
         }},
        {"(d) json::parse only (stack arena)",
         [&] {
             unsigned char buf[8192];
             json::monotonic_resource mr(buf, sizeof buf);
             json::value v = json::parse(body, &mr);
             keep(v);
         }},
        {"(e) former DOM decoder (arena + lookups)",
         [&] {
             beeos::instance out;
             dom_decode(body, out);
             keep(out);
         }},
        {"(f) decode_instance_page, per item",
         [&] {
             std::vector<beeos::instance> items;
             std::optional<std::int64_t> total;
             std::string detail;
             auto ec = beeos::detail::decode_instance_page(page_body, items, total, detail);
             keep(ec);
             keep(items);
         }},
    };

    std::printf("decode of %s (%zu bytes); median of 25 batches of ~20 ms\n", path.c_str(), body.size());
    std::printf("%-40s %12s %12s %10s %8s\n", "case", "ns/decode", "min ns", "MB/s", "x (c)");
    std::vector<measurement> results;
    for (auto& c : cases)
        results.push_back(measure(c.op));
    const double parse_ns = results[2].median_ns;
    // The page case decodes page_items instances per iteration: report it per item.
    results.back().median_ns /= page_items;
    results.back().min_ns /= page_items;
    for (std::size_t i = 0; i != cases.size(); ++i)
    {
        const auto& m = results[i];
        const double bytes = i + 1 == cases.size() ? static_cast<double>(page_body.size()) / page_items : static_cast<double>(body.size());
        std::printf("%-40s %12.0f %12.0f %10.1f %8.2f\n", cases[i].name, m.median_ns, m.min_ns, bytes / m.median_ns * 1e3, m.median_ns / parse_ns);
    }
    return 0;
}
