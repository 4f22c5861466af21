// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#include "decode_builder.hpp"

#include "decode_detail.hpp"

namespace beeos::detail
{
namespace
{

// to_string() is the single source of truth for the spellings, so the two directions can't drift.
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

void instance_builder::reset_member(std::uint8_t f) noexcept
{
    instance& i = *cur_;
    if (is_string_field(f))
    {
        (i.*string_members[f]).clear();
        return;
    }
    if (is_time_field(f))
    {
        (i.*time_members[f - first_time_field]).reset();
        return;
    }
    switch (f)
    {
        case f_models:
            i.models.clear();
            break;
        case f_status:
            i.status = {};
            i.status_text.clear();
            break;
        case f_desired_status:
            i.desired_status = {};
            i.desired_status_text.clear();
            break;
        case f_connectivity:
            i.connectivity = {};
            i.connectivity_text.clear();
            break;
        case f_ms_connection_status:
            i.ms_connection_status = {};
            i.ms_connection_status_text.clear();
            break;
        case f_total_run_seconds:
            i.total_run_seconds = 0;
            break;
        case f_is_trial:
            i.is_trial = false;
            break;
        case f_provider_config:
            i.provider_config.clear();
            break;
        case f_mcp_servers:
            i.mcp_servers.clear();
            break;
        case f_capabilities:
            i.capabilities.reset();
            break;
        default:
            break;
    }
}

void instance_builder::describe_error(std::string& detail, std::string_view redact) const
{
    const auto f = static_cast<std::uint8_t>(std::countr_zero(bad_));
    detail += field_names[f];
    switch (error_of_[f])
    {
        case error_kind::type:
            append_type_error(detail, expected_of(f), kind_of_[f]);
            break;
        case error_kind::bad_element:
            detail += '[';
            append_number(detail, static_cast<std::uint64_t>(model_bad_index_));
            detail += ']';
            append_type_error(detail, "a string", kind_of_[f]);
            break;
        case error_kind::out_of_range:
            detail += ": integer out of range for int64: ";
            append_number(detail, total_run_big_);
            break;
        case error_kind::bad_time:
            detail += ": not an RFC 3339 date-time: ";
            append_quoted(detail, bad_time_text_[f - first_time_field], 40, redact);
            break;
    }
}

}  // namespace beeos::detail
