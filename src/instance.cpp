// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#include <beeos/instance.hpp>

namespace beeos
{

// Each switch lists every enumerator without a default, so -Wswitch flags a value added to the
// enum but not here; the trailing return covers values cast from out-of-range integers.

std::string_view to_string(instance_status v) noexcept
{
    switch (v)
    {
        case instance_status::unknown:
            return "unknown";
        case instance_status::pending:
            return "pending";
        case instance_status::provisioning:
            return "provisioning";
        case instance_status::running:
            return "running";
        case instance_status::stopped:
            return "stopped";
        case instance_status::terminated:
            return "terminated";
    }
    return "unknown";
}

std::string_view to_string(desired_state v) noexcept
{
    switch (v)
    {
        case desired_state::unknown:
            return "unknown";
        case desired_state::running:
            return "running";
        case desired_state::stopped:
            return "stopped";
        case desired_state::terminated:
            return "terminated";
    }
    return "unknown";
}

std::string_view to_string(connectivity_state v) noexcept
{
    switch (v)
    {
        case connectivity_state::unknown:
            return "unknown";
        case connectivity_state::online:
            return "online";
        case connectivity_state::offline:
            return "offline";
    }
    return "unknown";
}

std::string_view to_string(ms_connection_state v) noexcept
{
    switch (v)
    {
        case ms_connection_state::unknown:
            return "unknown";
        case ms_connection_state::connecting:
            return "connecting";
        case ms_connection_state::connected:
            return "connected";
        case ms_connection_state::reconnecting:
            return "reconnecting";
        case ms_connection_state::disconnected:
            return "disconnected";
        case ms_connection_state::failed:
            return "failed";
    }
    return "unknown";
}

}  // namespace beeos
