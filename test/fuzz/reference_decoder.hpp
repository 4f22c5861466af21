// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#ifndef BEEOS_TEST_FUZZ_REFERENCE_DECODER_HPP
#define BEEOS_TEST_FUZZ_REFERENCE_DECODER_HPP

// A second decoder for the differential targets, written from the rules in
// src/decode_instance.hpp and nothing else: it parses the body into a DOM (which keeps the last
// of a repeated key and drops nothing), then looks the fields up in its own table. Slow and
// plain on purpose; the single-pass decoder must agree with it on every input.

#include "decode_detail.hpp"  // append_quoted: the quoting itself is unit-tested
#include "decode_instance.hpp"

#include <beeos/instance.hpp>
#include <beeos/timestamp.hpp>

#include <boost/json/parser.hpp>
#include <boost/json/value.hpp>

#include <charconv>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace beeos::fuzz
{

namespace json = boost::json;

inline std::string kind_words(const json::value& v)
{
    switch (v.kind())
    {
        case json::kind::null:
            return "null";
        case json::kind::bool_:
            return "a boolean";
        case json::kind::int64:
        case json::kind::uint64:
            return "an integer";
        case json::kind::double_:
            return "a floating-point number";
        case json::kind::string:
            return "a string";
        case json::kind::array:
            return "an array";
        case json::kind::object:
            return "an object";
    }
    return "?";
}

template <class N>
std::string number(N n)
{
    char buf[24];
    return std::string(buf, std::to_chars(buf, buf + sizeof buf, n).ptr);
}

inline std::string type_error(std::string_view expected, const json::value& got)
{
    return ": expected " + std::string(expected) + ", got " + kind_words(got);
}

/// The body as a DOM, or the detail of its syntax error.
struct parsed_body
{
    std::optional<json::value> root;
    std::string syntax_detail;
};

inline parsed_body parse_body(std::string_view body)
{
    parsed_body r;
    json::parser p;
    boost::system::error_code ec;
    const std::size_t n = p.write(body.data(), body.size(), ec);
    if (ec)
        r.syntax_detail = "body is not JSON: " + ec.message() + " at offset " + number(static_cast<std::uint64_t>(n));
    else
        r.root = p.release();
    return r;
}

enum class field_kind
{
    text,
    time,
    models,
    status,
    desired,
    connectivity,
    ms_connection,
    run_seconds,
    trial,
    object
};

struct field_spec
{
    const char* name;
    field_kind kind;
    std::string instance::*text = nullptr;
    std::optional<timestamp> instance::*time = nullptr;
    json::object instance::*object = nullptr;  // null with kind object: capabilities
};

// In the order errors are named: the strings, the date-times, then the rest, each group in the
// order of `instance`'s members.
inline const field_spec field_specs[] = {
    {"id", field_kind::text, &instance::id},
    {"ownerId", field_kind::text, &instance::owner_id},
    {"agentFramework", field_kind::text, &instance::agent_framework},
    {"providerId", field_kind::text, &instance::provider_id},
    {"externalId", field_kind::text, &instance::external_id},
    {"osType", field_kind::text, &instance::os_type},
    {"hostingType", field_kind::text, &instance::hosting_type},
    {"cloudProvider", field_kind::text, &instance::cloud_provider},
    {"name", field_kind::text, &instance::name},
    {"modelPrimary", field_kind::text, &instance::model_primary},
    {"endpoint", field_kind::text, &instance::endpoint},
    {"bridgeId", field_kind::text, &instance::bridge_id},
    {"identityId", field_kind::text, &instance::identity_id},
    {"connectivityReason", field_kind::text, &instance::connectivity_reason},
    {"haltReason", field_kind::text, &instance::halt_reason},
    {"publicIp", field_kind::text, &instance::public_ip},
    {"clusterId", field_kind::text, &instance::cluster_id},
    {"region", field_kind::text, &instance::region},
    {"imageId", field_kind::text, &instance::image_id},
    {"imageRef", field_kind::text, &instance::image_ref},
    {"errorMessage", field_kind::text, &instance::error_message},
    {"systemPrompt", field_kind::text, &instance::system_prompt},
    {"screenshotUrl", field_kind::text, &instance::screenshot_url},
    {"expiresAt", field_kind::time, nullptr, &instance::expires_at},
    {"startedAt", field_kind::time, nullptr, &instance::started_at},
    {"stoppedAt", field_kind::time, nullptr, &instance::stopped_at},
    {"statusEnteredAt", field_kind::time, nullptr, &instance::status_entered_at},
    {"connectivityUpdatedAt", field_kind::time, nullptr, &instance::connectivity_updated_at},
    {"msConnectionUpdatedAt", field_kind::time, nullptr, &instance::ms_connection_updated_at},
    {"createdAt", field_kind::time, nullptr, &instance::created_at},
    {"updatedAt", field_kind::time, nullptr, &instance::updated_at},
    {"screenshotUpdatedAt", field_kind::time, nullptr, &instance::screenshot_updated_at},
    {"models", field_kind::models},
    {"status", field_kind::status},
    {"desiredStatus", field_kind::desired},
    {"connectivity", field_kind::connectivity},
    {"msConnectionStatus", field_kind::ms_connection},
    {"totalRunSeconds", field_kind::run_seconds},
    {"isTrial", field_kind::trial},
    {"providerConfig", field_kind::object, nullptr, nullptr, &instance::provider_config},
    {"mcpServers", field_kind::object, nullptr, nullptr, &instance::mcp_servers},
    {"capabilities", field_kind::object},
};

// One field into `out`; returns the error after the field's name, or "".
inline std::string reference_field(const field_spec& f, const json::value& v, instance& out, std::string_view redact)
{
    auto enum_field = [&](auto& member, std::string& text, auto parse) -> std::string
    {
        if (!v.is_string())
            return type_error("a string", v);
        text.assign(v.get_string().data(), v.get_string().size());
        member = parse(text);
        return {};
    };
    switch (f.kind)
    {
        case field_kind::text:
            if (!v.is_string())
                return type_error("a string", v);
            (out.*f.text).assign(v.get_string().data(), v.get_string().size());
            return {};
        case field_kind::time:
        {
            if (!v.is_string())
                return type_error("an RFC 3339 date-time string", v);
            const std::string_view s(v.get_string().data(), v.get_string().size());
            if (s.empty())
                return {};
            out.*f.time = parse_timestamp(s);
            if (out.*f.time)
                return {};
            std::string d = ": not an RFC 3339 date-time: ";
            detail::append_quoted(d, s, 40, redact);
            return d;
        }
        case field_kind::models:
            if (!v.is_array())
                return type_error("an array", v);
            for (std::size_t i = 0; i != v.get_array().size(); ++i)
            {
                const json::value& m = v.get_array()[i];
                if (!m.is_string())
                    return "[" + number(static_cast<std::uint64_t>(i)) + "]" + type_error("a string", m);
                out.models.emplace_back(m.get_string().data(), m.get_string().size());
            }
            return {};
        case field_kind::status:
            return enum_field(out.status, out.status_text, detail::parse_instance_status);
        case field_kind::desired:
            return enum_field(out.desired_status, out.desired_status_text, detail::parse_desired_state);
        case field_kind::connectivity:
            return enum_field(out.connectivity, out.connectivity_text, detail::parse_connectivity_state);
        case field_kind::ms_connection:
            return enum_field(out.ms_connection_status, out.ms_connection_status_text, detail::parse_ms_connection_state);
        case field_kind::run_seconds:
            if (v.is_int64())
            {
                out.total_run_seconds = v.get_int64();
                return {};
            }
            if (v.is_uint64())
            {
                if (v.get_uint64() <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
                {
                    out.total_run_seconds = static_cast<std::int64_t>(v.get_uint64());
                    return {};
                }
                return ": integer out of range for int64: " + number(v.get_uint64());
            }
            return type_error("an integer", v);
        case field_kind::trial:
            if (!v.is_bool())
                return type_error("a boolean", v);
            out.is_trial = v.get_bool();
            return {};
        case field_kind::object:
            if (!v.is_object())
                return type_error("an object", v);
            if (f.object)
                out.*f.object = json::object(v.get_object());
            else
                out.capabilities.emplace(v.get_object());
            return {};
    }
    return {};
}

/// One InstanceDataDTO object; returns "" or "<field><error>" for the first wrong field.
inline std::string reference_instance(const json::object& o, instance& out, std::string_view redact)
{
    for (const field_spec& f : field_specs)
    {
        const json::value* v = o.if_contains(f.name);
        if (!v || v->is_null())
            continue;
        if (std::string e = reference_field(f, *v, out, redact); !e.empty())
            return f.name + e;
    }
    return {};
}

/// The envelope checks both decoders share; "" when the envelope is fine so far.
inline std::string reference_envelope_head(const json::value& root)
{
    if (!root.is_object())
        return "body" + type_error("a JSON object", root);
    if (const json::value* s = root.get_object().if_contains("success"); s && !s->is_null())
    {
        if (!s->is_bool())
            return "success" + type_error("a boolean", *s);
        if (!s->get_bool())
            return "envelope says success:false";
    }
    return {};
}

struct reference_result
{
    bool ok = false;
    std::string detail;
};

inline reference_result reference_decode_envelope(std::string_view body, instance& out, std::string_view redact)
{
    out = instance{};
    const parsed_body p = parse_body(body);
    if (!p.root)
        return {false, p.syntax_detail};
    if (std::string e = reference_envelope_head(*p.root); !e.empty())
        return {false, e};
    const json::value* data = p.root->get_object().if_contains("data");
    if (!data || data->is_null())
        return {false, R"(envelope has no "data" object)"};
    if (!data->is_object())
        return {false, "data" + type_error("an object", *data)};
    if (std::string e = reference_instance(data->get_object(), out, redact); !e.empty())
        return {false, "data." + e};
    return {true, {}};
}

inline reference_result reference_decode_page(
    std::string_view body, std::vector<instance>& items, std::optional<std::int64_t>& total, std::string_view redact
)
{
    items.clear();
    total.reset();
    const parsed_body p = parse_body(body);
    if (!p.root)
        return {false, p.syntax_detail};
    if (std::string e = reference_envelope_head(*p.root); !e.empty())
        return {false, e};
    const json::object& env = p.root->get_object();
    const json::value* data = env.if_contains("data");
    if (!data || data->is_null())
        return {false, R"(envelope has no "data" array)"};
    if (!data->is_array())
        return {false, "data" + type_error("an array", *data)};
    if (const json::value* t = env.if_contains("total"); t && !t->is_null())
    {
        if (t->is_int64() && t->get_int64() < 0)
            return {false, "total: expected a non-negative integer, got " + number(t->get_int64())};
        if (t->is_int64())
            total = t->get_int64();
        else if (t->is_uint64() && t->get_uint64() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
            return {false, "total: integer out of range for int64: " + number(t->get_uint64())};
        else if (t->is_uint64())
            total = static_cast<std::int64_t>(t->get_uint64());
        else
            return {false, "total" + type_error("a non-negative integer", *t)};
    }
    const json::array& a = data->get_array();
    for (std::size_t i = 0; i != a.size(); ++i)
    {
        const std::string where = "data[" + number(static_cast<std::uint64_t>(i)) + "]";
        if (!a[i].is_object())
            return {false, where + type_error("an object", a[i])};
        if (std::string e = reference_instance(a[i].get_object(), items.emplace_back(), redact); !e.empty())
            return {false, where + "." + e};
    }
    return {true, {}};
}

}  // namespace beeos::fuzz

#endif
