// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#include "condition.hpp"

#include <beeos/instance.hpp>

#include <array>
#include <stdexcept>

namespace beeos::cli
{

namespace
{

// `unknown` is left out: waiting for a status this version cannot name would never end
// with the instance the user had in mind.
constexpr std::array waitable_statuses = {
    instance_status::pending,
    instance_status::provisioning,
    instance_status::running,
    instance_status::stopped,
    instance_status::terminated,
};

}  // namespace

std::string condition_spellings()
{
    std::string out = "running-online";
    for (instance_status s : waitable_statuses)
    {
        out += ", status=";
        out += to_string(s);
    }
    return out;
}

std::optional<instance_status> parse_status(std::string_view text) noexcept
{
    for (instance_status s : waitable_statuses)
        if (to_string(s) == text)
            return s;
    return std::nullopt;
}

std::string status_spellings()
{
    std::string out;
    for (instance_status s : waitable_statuses)
    {
        if (!out.empty())
            out += ", ";
        out += to_string(s);
    }
    return out;
}

wait_condition parse_condition(std::string_view text)
{
    if (text == "running-online")
        return running_and_online();
    constexpr std::string_view status_prefix = "status=";
    if (text.starts_with(status_prefix))
    {
        if (auto s = parse_status(text.substr(status_prefix.size())))
            return status_is(*s);
    }
    throw std::invalid_argument("unknown condition '" + std::string(text) + "' (expected one of: " + condition_spellings() + ")");
}

}  // namespace beeos::cli
