// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#ifndef BEEOS_TEST_FUZZ_FUZZ_INVARIANTS_HPP
#define BEEOS_TEST_FUZZ_FUZZ_INVARIANTS_HPP

#include "fuzz_support.hpp"

#include "decode_instance.hpp"

#include <beeos/instance.hpp>
#include <beeos/timestamp.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace beeos::fuzz
{

/// Every accepted time lies in the UTC years 0001-9999 (found by fuzzing: an offset used to carry
/// `0001-01-01T00:00:00+01:00` into year 0000, which format_timestamp cannot write back).
inline bool utc_year_in_range(timestamp t)
{
    const std::chrono::year_month_day ymd{std::chrono::floor<std::chrono::days>(t)};
    return ymd.year() >= std::chrono::year{1} && ymd.year() <= std::chrono::year{9999};
}

/// A timestamp the library produced survives format_timestamp then parse_timestamp.
inline void check_round_trip(timestamp t, std::string_view context)
{
    BEEOS_FUZZ_CHECK(utc_year_in_range(t), format_timestamp(t));
    const std::string text = format_timestamp(t);
    const std::optional<timestamp> back = parse_timestamp(text);
    BEEOS_FUZZ_CHECK(back.has_value(), text);
    BEEOS_FUZZ_CHECK(*back == t, text);
    (void)context;
}

template <class Enum, Enum Last>
void check_enum(Enum value, const std::string& text, std::string_view context)
{
    // The enum is the value the text spells, or unknown when it spells none.
    Enum expected = Enum::unknown;
    for (int k = 1; k <= static_cast<int>(Last); ++k)
        if (to_string(static_cast<Enum>(k)) == text)
            expected = static_cast<Enum>(k);
    BEEOS_FUZZ_CHECK(value == expected, context);
}

/// What holds for every instance a decoder returned with success.
inline void check_decoded_instance(const instance& i, std::string_view context)
{
    for (const std::optional<timestamp>* t :
         {&i.expires_at,
          &i.started_at,
          &i.stopped_at,
          &i.status_entered_at,
          &i.connectivity_updated_at,
          &i.ms_connection_updated_at,
          &i.created_at,
          &i.updated_at,
          &i.screenshot_updated_at})
        if (*t)
            check_round_trip(**t, context);
    check_enum<instance_status, instance_status::terminated>(i.status, i.status_text, context);
    check_enum<desired_state, desired_state::terminated>(i.desired_status, i.desired_status_text, context);
    check_enum<connectivity_state, connectivity_state::offline>(i.connectivity, i.connectivity_text, context);
    check_enum<ms_connection_state, ms_connection_state::failed>(i.ms_connection_status, i.ms_connection_status_text, context);
    // The JSON members own their memory: a counted resource, never a parse buffer.
    BEEOS_FUZZ_CHECK(i.provider_config.empty() || i.provider_config.storage().is_shared(), context);
    BEEOS_FUZZ_CHECK(i.mcp_servers.empty() || i.mcp_servers.storage().is_shared(), context);
    BEEOS_FUZZ_CHECK(!i.capabilities || i.capabilities->empty() || i.capabilities->storage().is_shared(), context);
    // A copy (allocating after the arena is sealed) is equal.
    const instance copy = i;
    BEEOS_FUZZ_CHECK(copy == i, context);
}

/// What holds for every decode error's detail: one non-empty line, without the redacted secret.
inline void check_detail(const std::string& detail, std::string_view redact)
{
    BEEOS_FUZZ_CHECK(!detail.empty(), detail);
    for (char c : detail)
    {
        const auto u = static_cast<unsigned char>(c);
        BEEOS_FUZZ_CHECK(u >= 0x20 && u != 0x7f, detail);
    }
    if (!redact.empty())
        BEEOS_FUZZ_CHECK(detail.find(redact) == std::string::npos, detail);
}

/// A body with every member set, to decode into before the input: the decoders reset their
/// output, so nothing of it may survive.
inline const instance& full_instance()
{
    static const instance full = []
    {
        instance i;
        std::string detail;
        const auto ec = detail::decode_instance_envelope(
            R"({"success":true,"data":{"id":"inst_1","ownerId":"o","agentFramework":"a","providerId":"p","externalId":"e",)"
            R"("osType":"linux","hostingType":"cloud","cloudProvider":"aws","name":"n","modelPrimary":"m","models":["m","k"],)"
            R"("status":"running","desiredStatus":"running","endpoint":"https://e","bridgeId":"b","identityId":"i",)"
            R"("totalRunSeconds":7,"connectivity":"online","connectivityReason":"r","haltReason":"h","providerConfig":{"a":1},)"
            R"("publicIp":"1.2.3.4","clusterId":"c","region":"r","imageId":"i","imageRef":"r","isTrial":true,)"
            R"("expiresAt":"2026-08-14T18:00:00Z","errorMessage":"e","systemPrompt":"s","mcpServers":{"x":{"y":[1]}},)"
            R"("startedAt":"2026-05-14T18:02:11.482913Z","stoppedAt":"2026-05-13T23:59:04.117Z","statusEnteredAt":"2026-05-14T18:02:11Z",)"
            R"("connectivityUpdatedAt":"2026-05-14T18:02:19Z","msConnectionStatus":"connected","msConnectionUpdatedAt":"2026-05-14T18:02:20Z",)"
            R"("createdAt":"2026-03-02T09:15:42Z","updatedAt":"2026-05-14T18:02:20Z","screenshotUrl":"https://s",)"
            R"("screenshotUpdatedAt":"2026-05-14T18:02:20Z","capabilities":{"version":1}}})",
            i,
            detail
        );
        if (ec)
            fail(__FILE__, __LINE__, "the full body decodes", detail);
        return i;
    }();
    return full;
}

}  // namespace beeos::fuzz

#endif
