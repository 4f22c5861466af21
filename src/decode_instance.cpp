// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#include "decode_instance.hpp"

#include <beeos/error.hpp>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parser.hpp>
#include <boost/json/value.hpp>

#include <charconv>
#include <cstdint>
#include <limits>

namespace beeos::detail
{
namespace
{

namespace json = boost::json;

// ---------------------------------------------------------------------------------------------
// Parsing

// The DOM lives in a monotonic resource that starts in this many bytes of stack, and the parser
// gets its own scratch space there too: with both, a full instance body (2.3 KB of JSON, see
// test/unit/fixtures) parses without touching the heap, and the DOM is freed all at once.
// Larger bodies spill to the heap in geometrically growing blocks.
constexpr std::size_t dom_stack_bytes = 8192;
constexpr std::size_t parser_stack_bytes = 4096;

// Parses `body` into a DOM allocated from `mr`. On failure `ec` is set and `offset` holds where
// the parser stopped, which for a syntax error is the offending byte.
json::value parse_dom(std::string_view body, json::monotonic_resource& mr, boost::system::error_code& ec, std::size_t& offset)
{
    unsigned char scratch[parser_stack_bytes];
    // The constructor's resource is only for the parser's scratch space once `scratch` is full:
    // keep that on the heap, where it is freed, rather than in the arena, where it would stay.
    json::parser p(json::storage_ptr(), json::parse_options(), scratch, sizeof scratch);
    // The resulting DOM goes to the arena. A raw pointer gives a non-owning storage_ptr, and
    // since the arena's deallocate is trivial, destroying the DOM skips walking it.
    p.reset(json::storage_ptr(&mr));
    // write(), not write_some(): it also rejects bytes after the value (`extra data`).
    offset = p.write(body.data(), body.size(), ec);
    if (ec)
        return nullptr;
    return p.release();
}

// Null is absent everywhere: servers emit it for unset optional fields.
const json::value* find(const json::object& obj, std::string_view key) noexcept
{
    const json::value* v = obj.if_contains(key);
    return v && !v->is_null() ? v : nullptr;
}

// ---------------------------------------------------------------------------------------------
// Error details: built only on failure, so success pays nothing for them.

std::string_view describe_kind(const json::value& v) noexcept
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
    return "an unknown JSON kind";
}

// A field path such as `data.models[2]`: a prefix, a name and an optional array index.
struct field_path
{
    std::string_view prefix;  // "data." or ""
    std::string_view name;
    std::size_t index = npos;

    static constexpr std::size_t npos = static_cast<std::size_t>(-1);

    void append_to(std::string& out) const
    {
        out += prefix;
        out += name;
        if (index != npos)
        {
            char buf[24];
            auto end = std::to_chars(buf, buf + sizeof buf, index).ptr;
            out += '[';
            out.append(buf, end);
            out += ']';
        }
    }
};

boost::system::error_code fail(std::string& detail, std::string_view text)
{
    detail.assign(text);
    return make_error_code(errc::decode);
}

boost::system::error_code fail_type(std::string& detail, const field_path& path, std::string_view expected, const json::value& got)
{
    detail.clear();
    path.append_to(detail);
    detail += ": expected ";
    detail += expected;
    detail += ", got ";
    detail += describe_kind(got);
    return make_error_code(errc::decode);
}

// Quotes at most `max_bytes` of a server value: enough to recognise it, not enough to flood a
// log line. Control characters become '?', quotes and backslashes are escaped so the quoted
// text stays unambiguous, and truncation never splits a UTF-8 sequence.
void append_quoted(std::string& out, std::string_view value, std::size_t max_bytes)
{
    std::size_t n = value.size();
    bool truncated = false;
    if (n > max_bytes)
    {
        n = max_bytes;
        // Back off over continuation bytes (10xxxxxx) to the start of the cut sequence.
        while (n > 0 && (static_cast<unsigned char>(value[n]) & 0xC0) == 0x80)
            --n;
        truncated = true;
    }
    out += '"';
    for (char c : value.substr(0, n))
    {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f)
            out += '?';
        else
        {
            if (c == '"' || c == '\\')
                out += '\\';
            out += c;
        }
    }
    out += '"';
    if (truncated)
        out += "...";
}

// ---------------------------------------------------------------------------------------------
// Field decoders. Each returns an empty error_code on success, including when the field is
// absent, and leaves the member at its default in that case.

using ec_t = boost::system::error_code;

constexpr std::string_view data_prefix = "data.";

void assign(std::string& to, const json::string& from)
{
    to.assign(from.data(), from.size());
}

ec_t decode_string(const json::object& data, std::string_view name, std::string& to, std::string& detail)
{
    const json::value* v = find(data, name);
    if (!v)
        return {};
    if (!v->is_string())
        return fail_type(detail, {data_prefix, name}, "a string", *v);
    assign(to, v->get_string());
    return {};
}

ec_t decode_time(const json::object& data, std::string_view name, std::optional<timestamp>& to, std::string& detail)
{
    const json::value* v = find(data, name);
    if (!v)
        return {};
    if (!v->is_string())
        return fail_type(detail, {data_prefix, name}, "an RFC 3339 date-time string", *v);
    const json::string& s = v->get_string();
    // Go encoders write "" for an unset time.Time in some DTOs; it means "no time", like null.
    if (s.empty())
        return {};
    to = parse_timestamp(s);
    if (!to)
    {
        detail.clear();
        field_path{data_prefix, name}.append_to(detail);
        detail += ": not an RFC 3339 date-time: ";
        append_quoted(detail, s, 40);
        return make_error_code(errc::decode);
    }
    return {};
}

template <class Enum>
ec_t decode_enum(
    const json::object& data,
    std::string_view name,
    Enum& to,
    std::string& text,
    Enum (*parse)(std::string_view) noexcept,
    std::string& detail
)
{
    const json::value* v = find(data, name);
    if (!v)
        return {};
    if (!v->is_string())
        return fail_type(detail, {data_prefix, name}, "a string", *v);
    const json::string& s = v->get_string();
    to = parse(s);
    assign(text, s);
    return {};
}

// The copy names the default resource: copy *construction* of a json::object shares the source's
// resource, here the arena on decode_instance_envelope's stack, which dies on return. (Copy
// assignment would keep `to`'s resource, but spelling it out keeps this safe if that changes.)
ec_t decode_object(const json::object& data, std::string_view name, json::object& to, std::string& detail)
{
    const json::value* v = find(data, name);
    if (!v)
        return {};
    if (!v->is_object())
        return fail_type(detail, {data_prefix, name}, "an object", *v);
    to = json::object(v->get_object(), json::storage_ptr());
    return {};
}

ec_t decode_models(const json::object& data, std::vector<std::string>& to, std::string& detail)
{
    constexpr std::string_view name = "models";
    const json::value* v = find(data, name);
    if (!v)
        return {};
    if (!v->is_array())
        return fail_type(detail, {data_prefix, name}, "an array", *v);
    const json::array& arr = v->get_array();
    to.reserve(arr.size());
    for (std::size_t i = 0; i != arr.size(); ++i)
    {
        // Unlike a null field, a null element is not "absent": dropping it would shift indexes
        // and hide a server bug, so it is a wrong type like any other.
        if (!arr[i].is_string())
            return fail_type(detail, {data_prefix, name, i}, "a string", arr[i]);
        const json::string& s = arr[i].get_string();
        to.emplace_back(s.data(), s.size());
    }
    return {};
}

ec_t decode_int64(const json::object& data, std::string_view name, std::int64_t& to, std::string& detail)
{
    const json::value* v = find(data, name);
    if (!v)
        return {};
    if (v->is_int64())
    {
        to = v->get_int64();
        return {};
    }
    if (v->is_uint64())
    {
        // Boost.JSON uses uint64 only above INT64_MAX, but check rather than rely on it.
        const std::uint64_t u = v->get_uint64();
        if (u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        {
            to = static_cast<std::int64_t>(u);
            return {};
        }
        detail.clear();
        field_path{data_prefix, name}.append_to(detail);
        detail += ": integer out of range for int64: ";
        char buf[24];
        detail.append(buf, std::to_chars(buf, buf + sizeof buf, u).ptr);
        return make_error_code(errc::decode);
    }
    // 1.0 and 1e3 are doubles: a count of seconds with a fraction part is not the contract's
    // int64, and converting would silently lose precision above 2^53.
    return fail_type(detail, {data_prefix, name}, "an integer", *v);
}

ec_t decode_bool(const json::object& data, std::string_view name, bool& to, std::string& detail)
{
    const json::value* v = find(data, name);
    if (!v)
        return {};
    if (!v->is_bool())
        return fail_type(detail, {data_prefix, name}, "a boolean", *v);
    to = v->get_bool();
    return {};
}

struct string_field
{
    std::string_view name;
    std::string instance::*member;
};

constexpr string_field string_fields[] = {
    {"id", &instance::id},
    {"ownerId", &instance::owner_id},
    {"agentFramework", &instance::agent_framework},
    {"providerId", &instance::provider_id},
    {"externalId", &instance::external_id},
    {"osType", &instance::os_type},
    {"hostingType", &instance::hosting_type},
    {"cloudProvider", &instance::cloud_provider},
    {"name", &instance::name},
    {"modelPrimary", &instance::model_primary},
    {"endpoint", &instance::endpoint},
    {"bridgeId", &instance::bridge_id},
    {"identityId", &instance::identity_id},
    {"connectivityReason", &instance::connectivity_reason},
    {"haltReason", &instance::halt_reason},
    {"publicIp", &instance::public_ip},
    {"clusterId", &instance::cluster_id},
    {"region", &instance::region},
    {"imageId", &instance::image_id},
    {"imageRef", &instance::image_ref},
    {"errorMessage", &instance::error_message},
    {"systemPrompt", &instance::system_prompt},
    {"screenshotUrl", &instance::screenshot_url},
};

struct time_field
{
    std::string_view name;
    std::optional<timestamp> instance::*member;
};

constexpr time_field time_fields[] = {
    {"expiresAt", &instance::expires_at},
    {"startedAt", &instance::started_at},
    {"stoppedAt", &instance::stopped_at},
    {"statusEnteredAt", &instance::status_entered_at},
    {"connectivityUpdatedAt", &instance::connectivity_updated_at},
    {"msConnectionUpdatedAt", &instance::ms_connection_updated_at},
    {"createdAt", &instance::created_at},
    {"updatedAt", &instance::updated_at},
    {"screenshotUpdatedAt", &instance::screenshot_updated_at},
};

// Looks up each known name in the object (a hash lookup once the object is large) instead of
// walking the members: unknown fields are then ignored without being looked at.
ec_t decode_data(const json::object& data, instance& out, std::string& detail)
{
    ec_t ec;
    for (const auto& f : string_fields)
        if ((ec = decode_string(data, f.name, out.*f.member, detail)))
            return ec;
    for (const auto& f : time_fields)
        if ((ec = decode_time(data, f.name, out.*f.member, detail)))
            return ec;

    if ((ec = decode_models(data, out.models, detail)) ||
        (ec = decode_enum(data, "status", out.status, out.status_text, &parse_instance_status, detail)) ||
        (ec = decode_enum(data, "desiredStatus", out.desired_status, out.desired_status_text, &parse_desired_state, detail)) ||
        (ec = decode_enum(data, "connectivity", out.connectivity, out.connectivity_text, &parse_connectivity_state, detail)) ||
        (ec = decode_enum(
             data, "msConnectionStatus", out.ms_connection_status, out.ms_connection_status_text, &parse_ms_connection_state, detail
         )) ||
        (ec = decode_int64(data, "totalRunSeconds", out.total_run_seconds, detail)) ||
        (ec = decode_bool(data, "isTrial", out.is_trial, detail)) ||
        (ec = decode_object(data, "providerConfig", out.provider_config, detail)) ||
        (ec = decode_object(data, "mcpServers", out.mcp_servers, detail)))
        return ec;

    if (const json::value* v = find(data, "capabilities"))
    {
        if (!v->is_object())
            return fail_type(detail, {data_prefix, "capabilities"}, "an object", *v);
        out.capabilities.emplace(v->get_object(), json::storage_ptr());
    }
    return {};
}

// ---------------------------------------------------------------------------------------------
// Enum spellings: to_string() is the single source of truth, so the two directions can't drift.

template <class Enum, Enum Last>
Enum parse_enum(std::string_view text) noexcept
{
    for (int i = 1; i <= static_cast<int>(Last); ++i)
        if (to_string(static_cast<Enum>(i)) == text)
            return static_cast<Enum>(i);
    return Enum::unknown;
}

}  // namespace

instance_status parse_instance_status(std::string_view text) noexcept
{
    return parse_enum<instance_status, instance_status::terminated>(text);
}

desired_state parse_desired_state(std::string_view text) noexcept
{
    return parse_enum<desired_state, desired_state::terminated>(text);
}

connectivity_state parse_connectivity_state(std::string_view text) noexcept
{
    return parse_enum<connectivity_state, connectivity_state::offline>(text);
}

ms_connection_state parse_ms_connection_state(std::string_view text) noexcept
{
    return parse_enum<ms_connection_state, ms_connection_state::failed>(text);
}

boost::system::error_code decode_instance_envelope(std::string_view body, instance& out, std::string& detail)
{
    out = instance{};

    unsigned char dom_buffer[dom_stack_bytes];
    json::monotonic_resource mr(dom_buffer, sizeof dom_buffer);
    boost::system::error_code ec;
    std::size_t offset = 0;
    const json::value root = parse_dom(body, mr, ec, offset);
    if (ec)
    {
        detail = "body is not JSON: ";
        detail += ec.message();
        detail += " at offset ";
        char buf[24];
        detail.append(buf, std::to_chars(buf, buf + sizeof buf, offset).ptr);
        return make_error_code(errc::decode);
    }

    const json::object* envelope = root.if_object();
    if (!envelope)
        return fail_type(detail, {"", "body"}, "a JSON object", root);

    if (const json::value* success = find(*envelope, "success"))
    {
        if (!success->is_bool())
            return fail_type(detail, {"", "success"}, "a boolean", *success);
        if (!success->get_bool())
            return fail(detail, "envelope says success:false");
    }

    const json::value* data = find(*envelope, "data");
    if (!data)
        return fail(detail, "envelope has no \"data\" object");
    if (!data->is_object())
        return fail_type(detail, {"", "data"}, "an object", *data);
    return decode_data(data->get_object(), out, detail);
}

bool decode_error_envelope(std::string_view body, api_error_body& out) noexcept
{
    // noexcept because the caller is already reporting a failure; if even this runs out of
    // memory, the HTTP status alone is a better report than std::terminate.
    try
    {
        out = api_error_body{};

        // Error bodies are small; a proxy's HTML page fails at its first byte.
        unsigned char dom_buffer[2048];
        json::monotonic_resource mr(dom_buffer, sizeof dom_buffer);
        boost::system::error_code ec;
        std::size_t offset = 0;
        const json::value root = parse_dom(body, mr, ec, offset);
        if (ec || !root.is_object())
            return false;
        const json::value* err = root.get_object().if_contains("error");
        if (!err || !err->is_object())
            return false;

        const json::object& e = err->get_object();
        auto copy = [&e](std::string_view key, std::string& to)
        {
            if (const json::value* v = e.if_contains(key); v && v->is_string())
                assign(to, v->get_string());
        };
        copy("type", out.type);
        copy("code", out.code);
        copy("message", out.message);
        copy("request_id", out.request_id);
        return true;
    }
    catch (...)
    {
        // Only std::bad_alloc can get here: every parse error is reported through `ec`.
        out = api_error_body{};
        return false;
    }
}

}  // namespace beeos::detail
