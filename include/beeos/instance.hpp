// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#ifndef BEEOS_INSTANCE_HPP
#define BEEOS_INSTANCE_HPP

#include <beeos/config.hpp>
#include <beeos/timestamp.hpp>

#include <boost/json/object.hpp>

#include <cstdint>
#include <ostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace beeos {

/// Lifecycle status of an instance (`InstanceDataDTO.status`).
/// Values the client does not know (the API adds them in minor versions) map to `unknown`;
/// the text the server sent stays in `instance::status_text`.
enum class instance_status { unknown, pending, provisioning, running, stopped, terminated };

/// The state the control plane drives an instance towards (`InstanceDataDTO.desiredStatus`).
enum class desired_state { unknown, running, stopped, terminated };

/// Whether the instance's runtime is reachable (`InstanceDataDTO.connectivity`).
enum class connectivity_state { unknown, online, offline };

/// State of the runtime's message connection (`InstanceDataDTO.msConnectionStatus`).
enum class ms_connection_state { unknown, connecting, connected, reconnecting, disconnected, failed };

/// The wire spelling of each value, e.g. `"provisioning"`; `"unknown"` for `unknown`.
BEEOS_DECL std::string_view to_string(instance_status v) noexcept;
BEEOS_DECL std::string_view to_string(desired_state v) noexcept;
BEEOS_DECL std::string_view to_string(connectivity_state v) noexcept;
BEEOS_DECL std::string_view to_string(ms_connection_state v) noexcept;

/// Writes the wire spelling (for logs and test diagnostics).
inline std::ostream& operator<<(std::ostream& os, instance_status v) { return os << to_string(v); }
inline std::ostream& operator<<(std::ostream& os, desired_state v) { return os << to_string(v); }
inline std::ostream& operator<<(std::ostream& os, connectivity_state v) { return os << to_string(v); }
inline std::ostream& operator<<(std::ostream& os, ms_connection_state v) { return os << to_string(v); }

/// One BeeOS instance: the `data` of a `getInstance` response (`InstanceDataDTO`).
///
/// A plain value type. Every property of the schema is a member with its snake_case name.
/// Fields the server omitted or sent as JSON `null` keep the defaults below (empty, 0, false,
/// `unknown`, `std::nullopt`): real servers omit fields the schema calls required.
struct BEEOS_DECL instance
{
    std::string id;  ///< `id`: the instance id, as asked for (the client checks it)
    std::string owner_id;  ///< `ownerId`: the user the instance belongs to
    std::string agent_framework;  ///< `agentFramework`: the agent framework it runs
    std::string provider_id;  ///< `providerId`: the provider that hosts it
    std::string external_id;  ///< `externalId`: the provider's own id for it
    std::string os_type;  ///< `osType`: e.g. a desktop OS or Android
    std::string hosting_type;  ///< `hostingType`: how it is hosted (cloud, device, ...)
    std::string cloud_provider;  ///< `cloudProvider`
    std::string name;  ///< `name`: the display name
    std::string model_primary;  ///< `modelPrimary`: the primary model the agent uses
    std::vector<std::string> models;  ///< `models`: every model the agent may use

    instance_status status = instance_status::unknown;  ///< `status`, parsed; `unknown` when absent or unlisted
    std::string status_text;  ///< `status` as the server spelled it (empty when absent)
    desired_state desired_status = desired_state::unknown;  ///< `desiredStatus`, parsed; `unknown` when absent or unlisted
    std::string desired_status_text;  ///< `desiredStatus` as the server spelled it

    std::string endpoint;  ///< `endpoint`: where the instance is reached
    std::string bridge_id;  ///< `bridgeId`
    std::string identity_id;  ///< `identityId`
    std::int64_t total_run_seconds = 0;  ///< `totalRunSeconds`: accumulated run time

    connectivity_state connectivity = connectivity_state::unknown;  ///< `connectivity`, parsed; `unknown` when absent or unlisted
    std::string connectivity_text;  ///< `connectivity` as the server spelled it
    std::string connectivity_reason;  ///< open string, e.g. `device_disconnected`
    std::string halt_reason;  ///< `haltReason`: why it was halted, when it was

    /// Sanitized provider config, passed through as is. In a decoded instance this member,
    /// `mcp_servers` and `capabilities` share one counted memory resource holding what the
    /// decoder built (about 1 KB); it is freed with the last object using it, and later copies
    /// and edits allocate from the heap as usual.
    boost::json::object provider_config;
    std::string public_ip;  ///< `publicIp`
    std::string cluster_id;  ///< `clusterId`
    std::string region;  ///< `region`
    std::string image_id;  ///< `imageId`
    std::string image_ref;  ///< `imageRef`
    bool is_trial = false;  ///< `isTrial`
    std::optional<timestamp> expires_at;  ///< `expiresAt`: when a trial instance expires
    std::string error_message;  ///< `errorMessage`: the last failure the platform recorded
    std::string system_prompt;  ///< `systemPrompt`: the agent's system prompt
    boost::json::object mcp_servers;  ///< `mcpServers`: raw JSON, passed through (see `provider_config`)

    std::optional<timestamp> started_at;  ///< `startedAt`
    std::optional<timestamp> stopped_at;  ///< `stoppedAt`
    std::optional<timestamp> status_entered_at;  ///< `statusEnteredAt`: when `status` last changed
    std::optional<timestamp> connectivity_updated_at;  ///< `connectivityUpdatedAt`

    ms_connection_state ms_connection_status = ms_connection_state::unknown;  ///< `msConnectionStatus`, parsed
    std::string ms_connection_status_text;  ///< `msConnectionStatus` as the server spelled it
    std::optional<timestamp> ms_connection_updated_at;  ///< `msConnectionUpdatedAt`

    std::optional<timestamp> created_at;  ///< `createdAt`
    std::optional<timestamp> updated_at;  ///< `updatedAt`
    std::string screenshot_url;  ///< `screenshotUrl`: the latest screenshot
    std::optional<timestamp> screenshot_updated_at;  ///< `screenshotUpdatedAt`

    /// The frozen capability declaration; `std::nullopt` when the server omitted it.
    std::optional<boost::json::object> capabilities;

    /// Member-wise, JSON members included.
    friend bool operator==(const instance&, const instance&) = default;
};

}  // namespace beeos

#endif
