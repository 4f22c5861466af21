// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#include "fields.hpp"

#include <beeos/timestamp.hpp>

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>

#include <array>
#include <optional>
#include <stdexcept>

namespace beeos::cli
{

namespace json = boost::json;

namespace
{

json::value text(std::string_view s)
{
    return json::string(s);
}

json::value time(const std::optional<timestamp>& t)
{
    if (!t)
        return nullptr;
    return json::string(format_timestamp(*t));
}

// A value this version does not know is shown as the server spelled it, so a new status
// is still visible (and filterable with jq) instead of collapsing to "unknown".
template <class Enum>
json::value wire_enum(Enum e, const std::string& raw)
{
    if (e == Enum::unknown)
        return json::string(raw);
    return json::string(to_string(e));
}

json::value strings(const std::vector<std::string>& v)
{
    json::array a;
    a.reserve(v.size());
    for (const auto& s : v)
        a.emplace_back(s);
    return a;
}

#define BEEOS_CLI_FIELD(wire, expr)                                 \
    field                                                           \
    {                                                               \
        wire, [](const instance& i) -> json::value { return expr; } \
    }

const std::array fields_table = {
    BEEOS_CLI_FIELD("id", text(i.id)),
    BEEOS_CLI_FIELD("ownerId", text(i.owner_id)),
    BEEOS_CLI_FIELD("agentFramework", text(i.agent_framework)),
    BEEOS_CLI_FIELD("providerId", text(i.provider_id)),
    BEEOS_CLI_FIELD("externalId", text(i.external_id)),
    BEEOS_CLI_FIELD("osType", text(i.os_type)),
    BEEOS_CLI_FIELD("hostingType", text(i.hosting_type)),
    BEEOS_CLI_FIELD("cloudProvider", text(i.cloud_provider)),
    BEEOS_CLI_FIELD("name", text(i.name)),
    BEEOS_CLI_FIELD("modelPrimary", text(i.model_primary)),
    BEEOS_CLI_FIELD("models", strings(i.models)),
    BEEOS_CLI_FIELD("status", wire_enum(i.status, i.status_text)),
    BEEOS_CLI_FIELD("desiredStatus", wire_enum(i.desired_status, i.desired_status_text)),
    BEEOS_CLI_FIELD("endpoint", text(i.endpoint)),
    BEEOS_CLI_FIELD("bridgeId", text(i.bridge_id)),
    BEEOS_CLI_FIELD("identityId", text(i.identity_id)),
    BEEOS_CLI_FIELD("totalRunSeconds", json::value(i.total_run_seconds)),
    BEEOS_CLI_FIELD("connectivity", wire_enum(i.connectivity, i.connectivity_text)),
    BEEOS_CLI_FIELD("connectivityReason", text(i.connectivity_reason)),
    BEEOS_CLI_FIELD("haltReason", text(i.halt_reason)),
    BEEOS_CLI_FIELD("providerConfig", json::value(i.provider_config)),
    BEEOS_CLI_FIELD("publicIp", text(i.public_ip)),
    BEEOS_CLI_FIELD("clusterId", text(i.cluster_id)),
    BEEOS_CLI_FIELD("region", text(i.region)),
    BEEOS_CLI_FIELD("imageId", text(i.image_id)),
    BEEOS_CLI_FIELD("imageRef", text(i.image_ref)),
    BEEOS_CLI_FIELD("isTrial", json::value(i.is_trial)),
    BEEOS_CLI_FIELD("expiresAt", time(i.expires_at)),
    BEEOS_CLI_FIELD("errorMessage", text(i.error_message)),
    BEEOS_CLI_FIELD("systemPrompt", text(i.system_prompt)),
    BEEOS_CLI_FIELD("mcpServers", json::value(i.mcp_servers)),
    BEEOS_CLI_FIELD("startedAt", time(i.started_at)),
    BEEOS_CLI_FIELD("stoppedAt", time(i.stopped_at)),
    BEEOS_CLI_FIELD("statusEnteredAt", time(i.status_entered_at)),
    BEEOS_CLI_FIELD("connectivityUpdatedAt", time(i.connectivity_updated_at)),
    BEEOS_CLI_FIELD("msConnectionStatus", wire_enum(i.ms_connection_status, i.ms_connection_status_text)),
    BEEOS_CLI_FIELD("msConnectionUpdatedAt", time(i.ms_connection_updated_at)),
    BEEOS_CLI_FIELD("createdAt", time(i.created_at)),
    BEEOS_CLI_FIELD("updatedAt", time(i.updated_at)),
    BEEOS_CLI_FIELD("screenshotUrl", text(i.screenshot_url)),
    BEEOS_CLI_FIELD("screenshotUpdatedAt", time(i.screenshot_updated_at)),
    BEEOS_CLI_FIELD("capabilities", i.capabilities ? json::value(*i.capabilities) : json::value(nullptr)),
};

#undef BEEOS_CLI_FIELD

const field* find_field(std::string_view name)
{
    for (const field& f : fields_table)
        if (f.name == name)
            return &f;
    return nullptr;
}

}  // namespace

std::span<const field> all_fields()
{
    return fields_table;
}

std::string field_names()
{
    std::string out;
    for (const field& f : fields_table)
    {
        if (!out.empty())
            out += ',';
        out += f.name;
    }
    return out;
}

field_list parse_fields(std::string_view csv)
{
    field_list out;
    std::size_t from = 0;
    while (from <= csv.size())
    {
        std::size_t comma = csv.find(',', from);
        if (comma == std::string_view::npos)
            comma = csv.size();
        std::string_view name = csv.substr(from, comma - from);
        from = comma + 1;
        if (name.empty())
            throw std::invalid_argument("--fields: empty field name in '" + std::string(csv) + "' (valid: " + field_names() + ")");
        const field* f = find_field(name);
        if (!f)
            throw std::invalid_argument("--fields: unknown field '" + std::string(name) + "' (valid: " + field_names() + ")");
        for (const field* seen : out)
            if (seen == f)
                throw std::invalid_argument("--fields: '" + std::string(name) + "' is given twice");
        out.push_back(f);
    }
    return out;
}

field_list default_table_fields()
{
    return parse_fields("id,name,status,desiredStatus,connectivity,region");
}

field_list every_field()
{
    field_list out;
    for (const field& f : fields_table)
        out.push_back(&f);
    return out;
}

json::object to_json(const instance& inst, const field_list& fields)
{
    json::object o;
    o.reserve(fields.size());
    for (const field* f : fields)
        o.emplace(f->name, f->get(inst));
    return o;
}

std::string cell_text(const json::value& v)
{
    switch (v.kind())
    {
        case json::kind::null:
            return {};
        case json::kind::string:
            return std::string(v.get_string());
        case json::kind::array:
        {
            std::string out;
            for (const json::value& e : v.get_array())
            {
                if (!e.is_string())
                    return json::serialize(v);
                if (!out.empty())
                    out += ',';
                out += e.get_string();
            }
            return out;
        }
        default:
            return json::serialize(v);
    }
}

}  // namespace beeos::cli
