// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#ifndef BEEOS_SRC_DECODE_FIELDS_HPP
#define BEEOS_SRC_DECODE_FIELDS_HPP

#include <beeos/instance.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace beeos::detail
{

/// The fields of InstanceDataDTO, in the order errors are reported when several fields of one
/// object are wrong (see decode_instance.hpp): strings, date-times, then the rest, each group in
/// the order of `instance`'s members.
enum field_id : std::uint8_t
{
    first_string_field = 0,
    first_time_field = 23,
    f_models = 32,
    f_status,
    f_desired_status,
    f_connectivity,
    f_ms_connection_status,
    f_total_run_seconds,
    f_is_trial,
    f_provider_config,
    f_mcp_servers,
    f_capabilities,
    field_count,
    no_field = 0xff
};

static_assert(field_count <= 64, "the per-object field sets are 64-bit masks");

inline constexpr std::size_t time_field_count = f_models - first_time_field;

/// The wire name of each field_id.
inline constexpr std::string_view field_names[field_count] = {
    // strings
    "id",
    "ownerId",
    "agentFramework",
    "providerId",
    "externalId",
    "osType",
    "hostingType",
    "cloudProvider",
    "name",
    "modelPrimary",
    "endpoint",
    "bridgeId",
    "identityId",
    "connectivityReason",
    "haltReason",
    "publicIp",
    "clusterId",
    "region",
    "imageId",
    "imageRef",
    "errorMessage",
    "systemPrompt",
    "screenshotUrl",
    // date-times
    "expiresAt",
    "startedAt",
    "stoppedAt",
    "statusEnteredAt",
    "connectivityUpdatedAt",
    "msConnectionUpdatedAt",
    "createdAt",
    "updatedAt",
    "screenshotUpdatedAt",
    // the rest
    "models",
    "status",
    "desiredStatus",
    "connectivity",
    "msConnectionStatus",
    "totalRunSeconds",
    "isTrial",
    "providerConfig",
    "mcpServers",
    "capabilities",
};

/// The member of each string field, indexed by field_id.
inline constexpr std::string instance::*string_members[first_time_field - first_string_field] = {
    &instance::id,
    &instance::owner_id,
    &instance::agent_framework,
    &instance::provider_id,
    &instance::external_id,
    &instance::os_type,
    &instance::hosting_type,
    &instance::cloud_provider,
    &instance::name,
    &instance::model_primary,
    &instance::endpoint,
    &instance::bridge_id,
    &instance::identity_id,
    &instance::connectivity_reason,
    &instance::halt_reason,
    &instance::public_ip,
    &instance::cluster_id,
    &instance::region,
    &instance::image_id,
    &instance::image_ref,
    &instance::error_message,
    &instance::system_prompt,
    &instance::screenshot_url,
};

/// The member of each date-time field, indexed by field_id - first_time_field.
inline constexpr std::optional<timestamp> instance::*time_members[time_field_count] = {
    &instance::expires_at,
    &instance::started_at,
    &instance::stopped_at,
    &instance::status_entered_at,
    &instance::connectivity_updated_at,
    &instance::ms_connection_updated_at,
    &instance::created_at,
    &instance::updated_at,
    &instance::screenshot_updated_at,
};

constexpr bool is_string_field(std::uint8_t f) noexcept
{
    return f < first_time_field;
}
constexpr bool is_time_field(std::uint8_t f) noexcept
{
    return f >= first_time_field && f < f_models;
}
constexpr bool is_json_field(std::uint8_t f) noexcept
{
    return f == f_provider_config || f == f_mcp_servers || f == f_capabilities;
}

/// What a field's value must be, as error details word it.
constexpr std::string_view expected_of(std::uint8_t f) noexcept
{
    if (is_string_field(f))
        return "a string";
    if (is_time_field(f))
        return "an RFC 3339 date-time string";
    switch (f)
    {
        case f_models:
            return "an array";
        case f_total_run_seconds:
            return "an integer";
        case f_is_trial:
            return "a boolean";
        case f_provider_config:
        case f_mcp_servers:
        case f_capabilities:
            return "an object";
        default:
            return "a string";  // the four enums
    }
}

// Key dispatch: a perfect hash of the 42 names into 128 slots, checked at compile time, then one
// comparison with the name found there. Unknown keys land on an empty slot or fail the compare.
inline constexpr std::size_t max_field_name = 21;

constexpr std::size_t field_key_hash(std::string_view s) noexcept
{
    auto u = [s](std::size_t i) { return static_cast<std::size_t>(static_cast<unsigned char>(s[i])); };
    return (u(0) * 3 + u(s.size() - 1) * 44 + s.size() * 6 + u(s.size() / 2)) & 127;
}

struct field_key_table
{
    std::array<std::uint8_t, 128> slots{};
    bool perfect = true;
};

constexpr field_key_table make_field_key_table() noexcept
{
    field_key_table t;
    for (auto& s : t.slots)
        s = no_field;
    for (std::size_t i = 0; i != field_count; ++i)
    {
        if (field_names[i].size() > max_field_name)
            t.perfect = false;
        auto& slot = t.slots[field_key_hash(field_names[i])];
        if (slot != no_field)
            t.perfect = false;
        slot = static_cast<std::uint8_t>(i);
    }
    return t;
}

inline constexpr field_key_table field_keys = make_field_key_table();
static_assert(field_keys.perfect, "field_key_hash collides or a name is longer than max_field_name: pick other factors");

/// The field named `key` (compared exactly, after unescaping), or no_field.
inline std::uint8_t find_field(std::string_view key) noexcept
{
    if (key.empty() || key.size() > max_field_name)
        return no_field;
    const std::uint8_t f = field_keys.slots[field_key_hash(key)];
    return f != no_field && field_names[f] == key ? f : static_cast<std::uint8_t>(no_field);
}

/// A field's bit in a 64-bit field set.
constexpr std::uint64_t field_bit(std::uint8_t f) noexcept
{
    return std::uint64_t{1} << f;
}

}  // namespace beeos::detail

#endif
