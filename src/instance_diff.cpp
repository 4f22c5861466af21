// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#include <beeos/instance_diff.hpp>

#include <algorithm>
#include <limits>

namespace beeos {

std::string_view to_string(instance_field f) noexcept
{
    switch (f)
    {
    case instance_field::status: return "status";
    case instance_field::desired_status: return "desiredStatus";
    case instance_field::connectivity: return "connectivity";
    case instance_field::connectivity_reason: return "connectivityReason";
    case instance_field::ms_connection_status: return "msConnectionStatus";
    case instance_field::error_message: return "errorMessage";
    case instance_field::endpoint: return "endpoint";
    case instance_field::halt_reason: return "haltReason";
    case instance_field::public_ip: return "publicIp";
    case instance_field::screenshot_url: return "screenshotUrl";
    }
    return "unknown";
}

std::string to_string(field_set s)
{
    std::string out;
    for (instance_field f : s)
    {
        if (!out.empty())
            out += ',';
        out += to_string(f);
    }
    return out;
}

instance_snapshot instance_snapshot::from(const instance& inst)
{
    instance_snapshot s;
    s.status_ = static_cast<std::uint8_t>(inst.status);
    s.desired_ = static_cast<std::uint8_t>(inst.desired_status);
    s.connectivity_ = static_cast<std::uint8_t>(inst.connectivity);
    s.ms_connection_ = static_cast<std::uint8_t>(inst.ms_connection_status);

    // The raw text of a known enum value adds nothing (it is the wire spelling), so only an
    // unknown value's text is kept: zero bytes in the usual case.
    const std::string_view empty;
    const std::array<std::string_view, slot_count> parts = {
        inst.connectivity_reason,
        inst.error_message,
        inst.endpoint,
        inst.halt_reason,
        inst.public_ip,
        inst.screenshot_url,
        inst.status == instance_status::unknown ? std::string_view(inst.status_text) : empty,
        inst.desired_status == desired_state::unknown ? std::string_view(inst.desired_status_text) : empty,
        inst.connectivity == connectivity_state::unknown ? std::string_view(inst.connectivity_text) : empty,
        inst.ms_connection_status == ms_connection_state::unknown ? std::string_view(inst.ms_connection_status_text) : empty,
    };
    constexpr std::size_t cap = std::numeric_limits<std::uint16_t>::max();
    std::size_t total = 0;
    for (std::size_t i = 0; i < slot_count; ++i)
    {
        s.len_[i] = static_cast<std::uint16_t>(std::min(parts[i].size(), cap));
        total += s.len_[i];
    }
    s.text_.reserve(total);  // exactly one allocation (none up to 15 bytes)
    for (std::size_t i = 0; i < slot_count; ++i)
        s.text_.append(parts[i].data(), s.len_[i]);
    return s;
}

std::string_view instance_snapshot::text(instance_field f) const noexcept
{
    auto enum_text = [this](auto value, slot raw) -> std::string_view {
        std::string_view t = slice(raw);
        return t.empty() ? to_string(value) : t;
    };
    switch (f)
    {
    case instance_field::status: return enum_text(status(), slot::status_text);
    case instance_field::desired_status: return enum_text(desired_status(), slot::desired_status_text);
    case instance_field::connectivity: return enum_text(connectivity(), slot::connectivity_text);
    case instance_field::connectivity_reason: return connectivity_reason();
    case instance_field::ms_connection_status: return enum_text(ms_connection_status(), slot::ms_connection_status_text);
    case instance_field::error_message: return error_message();
    case instance_field::endpoint: return endpoint();
    case instance_field::halt_reason: return halt_reason();
    case instance_field::public_ip: return public_ip();
    case instance_field::screenshot_url: return screenshot_url();
    }
    return {};
}

field_set diff(const instance_snapshot& before, const instance_snapshot& after) noexcept
{
    field_set out;
    // text() folds each enum and its raw text into one value, so comparing it covers both.
    for (instance_field f : field_set::all())
        if (before.text(f) != after.text(f))
            out.insert(f);
    return out;
}

}  // namespace beeos
