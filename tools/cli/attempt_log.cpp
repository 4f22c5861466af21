// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#include "attempt_log.hpp"

#include "table.hpp"

#include <cstdio>

namespace beeos::cli
{

std::string format_attempt(const attempt_event& e)
{
    std::string out = "beeos: attempt " + std::to_string(e.attempt) + " of \"" + sanitize_cell(e.id) + "\": ";
    out += e.result ? e.result.message() : std::string("ok");
    if (e.http_status != 0)
        out += ", HTTP " + std::to_string(e.http_status);
    else
        out += ", no HTTP status";
    if (!e.api_code.empty())
        out += ", code \"" + sanitize_cell(e.api_code) + "\"";
    char latency[32];
    std::snprintf(latency, sizeof latency, ", %.1f ms", static_cast<double>(e.latency.count()) / 1000.0);
    out += latency;
    if (e.next_delay)
        out += "; retry in " + std::to_string(e.next_delay->count()) + " ms";
    return out;
}

}  // namespace beeos::cli
