// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#include "print_timestamp.hpp"

#include "decode_instance.hpp"
#include "read_fixture.hpp"
#include "json_arena.hpp"

#include <beeos/error.hpp>
#include <beeos/instance.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

using namespace std::chrono;
using namespace std::chrono_literals;
namespace json = boost::json;
using beeos::instance;
using beeos::detail::api_error_body;
using beeos::detail::decode_error_envelope;
using beeos::detail::decode_instance_envelope;

namespace
{

using beeos::test::read_fixture;

beeos::timestamp at(year_month_day ymd, microseconds since_midnight = 0us)
{
    return sys_days{ymd} + since_midnight;
}

struct decoded
{
    boost::system::error_code ec;
    instance inst;
    std::string detail;
};

decoded decode(std::string_view body)
{
    decoded r;
    r.ec = decode_instance_envelope(body, r.inst, r.detail);
    return r;
}

// A success envelope whose data is {"id":"x"} plus one field.
std::string body_with(std::string_view field, const json::value& value)
{
    json::object data{{"id", "x"}};
    data[field] = value;
    return json::serialize(json::object{{"success", true}, {"data", std::move(data)}});
}

// Decodes `body` expecting errc::decode and returns the detail.
std::string decode_error_detail(const std::string& body)
{
    const decoded r = decode(body);
    BOOST_TEST((r.ec == beeos::errc::decode), "body " << body << " gave " << r.ec.message());
    return r.detail;
}

json::object object_of(std::string_view text)
{
    return json::parse(text).as_object();
}

json::value jstr(std::string_view s)
{
    return json::string_view(s.data(), s.size());
}

// Owns its memory: a counted resource (the decoder's per-instance arena), never a pointer to a
// resource on the decoder's stack.
bool owns_its_memory(const json::object& o)
{
    return o.storage().is_shared();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(decode_instance_tests)

BOOST_AUTO_TEST_CASE(full_fixture_decodes_every_member)
{
    const std::string body = read_fixture("instance-full.json");
    decoded r = decode(body);
    BOOST_TEST_REQUIRE(!r.ec, r.detail);
    BOOST_TEST(r.detail.empty());
    const instance& i = r.inst;

    BOOST_TEST(i.id == "inst_7f3a9c2e4b1d4e8a9f60c3d2b1a0e5f7");
    BOOST_TEST(i.owner_id == "user_2b8e61f0c4a94d7e8a35f1c9d0b7e2a4");
    BOOST_TEST(i.agent_framework == "openclaw");
    BOOST_TEST(i.provider_id == "openclaw-k8s");
    BOOST_TEST(i.external_id == "pod-openclaw-7f3a9c2e-5d9b8");
    BOOST_TEST(i.os_type == "linux");
    BOOST_TEST(i.hosting_type == "cloud");
    BOOST_TEST(i.cloud_provider == "aws");
    BOOST_TEST(i.name == "atlas-research-prod");
    BOOST_TEST(i.model_primary == "claude-sonnet-4-5");
    const std::vector<std::string> models{"claude-sonnet-4-5", "gpt-4.1-mini", "gemini-2.5-flash"};
    BOOST_TEST(i.models == models, boost::test_tools::per_element());

    BOOST_TEST((i.status == beeos::instance_status::running));
    BOOST_TEST(i.status_text == "running");
    BOOST_TEST((i.desired_status == beeos::desired_state::running));
    BOOST_TEST(i.desired_status_text == "running");

    BOOST_TEST(i.endpoint == "https://inst-7f3a9c2e.us-east-1.run.beeos.ai");
    BOOST_TEST(i.bridge_id == "bridge_4c1e7a92d0b34f6e");
    BOOST_TEST(i.identity_id == "ident_9d2f5b7a1c3e4086");
    BOOST_TEST(i.total_run_seconds == 1843275);

    BOOST_TEST((i.connectivity == beeos::connectivity_state::online));
    BOOST_TEST(i.connectivity_text == "online");
    BOOST_TEST(i.connectivity_reason == "");
    BOOST_TEST(i.halt_reason == "");

    const json::object provider_config = object_of(R"({"namespace":"tenant-2b8e61f0","cpu":"2","memory":"4Gi",
        "storageGi":20,"nodePool":"general-amd64","autoRestart":true})");
    BOOST_TEST(i.provider_config == provider_config);
    BOOST_TEST(i.public_ip == "54.210.17.88");
    BOOST_TEST(i.cluster_id == "cluster_use1_a");
    BOOST_TEST(i.region == "us-east-1");
    BOOST_TEST(i.image_id == "img_openclaw_2025_11_04");
    BOOST_TEST(
        i.image_ref ==
        "registry.beeos.ai/agents/openclaw:2025.11.4@sha256:"
        "9b1f0c6e2d7a4f38b5c1e0d9a7f3b2c64e8d1a0f5b9c7e3d2a6f4b8c0e1d7a93"
    );
    BOOST_TEST(i.is_trial == false);
    BOOST_TEST(i.expires_at == at(2026y / 8 / 14, 18h));
    BOOST_TEST(i.error_message == "");
    BOOST_TEST(
        i.system_prompt ==
        "You are Atlas, a research assistant running inside a BeeOS cloud instance. Answer concisely, cite "
        "sources with links, and prefer primary documents. Use the browser tool for anything newer than your "
        "training data and the filesystem tool to save drafts under /workspace/notes. Never reveal credentials "
        "or API keys."
    );
    const json::object mcp_servers = object_of(R"({"filesystem":{"command":"mcp-server-filesystem","args":["/workspace"]},
        "github":{"url":"https://mcp.beeos.ai/github","transport":"streamable-http"}})");
    BOOST_TEST(i.mcp_servers == mcp_servers);

    BOOST_TEST(i.started_at == at(2026y / 5 / 14, 18h + 2min + 11s + 482913us));
    BOOST_TEST(i.stopped_at == at(2026y / 5 / 13, 23h + 59min + 4s + 117000us));
    BOOST_TEST(i.status_entered_at == at(2026y / 5 / 14, 18h + 2min + 11s + 482913us));
    BOOST_TEST(i.connectivity_updated_at == at(2026y / 5 / 14, 18h + 2min + 19s + 905000us));

    BOOST_TEST((i.ms_connection_status == beeos::ms_connection_state::connected));
    BOOST_TEST(i.ms_connection_status_text == "connected");
    BOOST_TEST(i.ms_connection_updated_at == at(2026y / 5 / 14, 18h + 2min + 20s + 31000us));

    BOOST_TEST(i.created_at == at(2026y / 3 / 2, 9h + 15min + 42s));
    BOOST_TEST(i.updated_at == at(2026y / 5 / 14, 18h + 2min + 20s + 31000us));
    BOOST_TEST(i.screenshot_url == "https://cdn.beeos.ai/screenshots/inst_7f3a9c2e4b1d4e8a9f60c3d2b1a0e5f7/latest.webp?v=1747245740");
    BOOST_TEST(i.screenshot_updated_at == at(2026y / 5 / 14, 18h + 2min + 20s));

    BOOST_TEST_REQUIRE(i.capabilities.has_value());
    const json::object capabilities = object_of(R"({"version":1,"longRunning":true,"browserUse":true,"codeExec":true,
        "fileSystem":true,"customImage":false,"maxDurationSec":86400,"costModel":"per_second","device":false})");
    BOOST_TEST(*i.capabilities == capabilities);
}

BOOST_AUTO_TEST_CASE(json_members_do_not_refer_to_the_parse_buffers)
{
    // The decoder's parse buffers live on its stack; objects handed out must own their memory.
    const decoded r = decode(read_fixture("instance-full.json"));
    BOOST_TEST_REQUIRE(!r.ec, r.detail);
    BOOST_TEST(owns_its_memory(r.inst.provider_config));
    BOOST_TEST(owns_its_memory(r.inst.mcp_servers));
    BOOST_TEST_REQUIRE(r.inst.capabilities.has_value());
    BOOST_TEST(owns_its_memory(*r.inst.capabilities));
    // Nested containers too.
    BOOST_TEST(r.inst.mcp_servers.at("filesystem").as_object().at("args").as_array().storage().get() == r.inst.mcp_servers.storage().get());

    // Use the values after the decoder's frame is gone (ASan would flag a dangling arena).
    instance copy = r.inst;
    BOOST_TEST(json::serialize(copy.mcp_servers).find("streamable-http") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(large_body_spills_out_of_the_stack_buffer)
{
    // Far more than the decoder's stack buffers: exercises the heap blocks of the arena.
    json::object cfg;
    for (int k = 0; k < 2000; ++k)
        cfg["key" + std::to_string(k)] = std::string(20, static_cast<char>('a' + k % 26));
    const decoded r = decode(body_with("providerConfig", cfg));
    BOOST_TEST_REQUIRE(!r.ec, r.detail);
    BOOST_TEST(r.inst.provider_config == cfg);
    BOOST_TEST(owns_its_memory(r.inst.provider_config));
}

BOOST_AUTO_TEST_CASE(minimal_body_gives_defaults)
{
    const decoded r = decode(R"({"success":true,"data":{"id":"x"}})");
    BOOST_TEST_REQUIRE(!r.ec, r.detail);
    instance expected;
    expected.id = "x";
    BOOST_TEST((r.inst == expected));
    BOOST_TEST(r.inst.total_run_seconds == 0);
    BOOST_TEST(!r.inst.started_at.has_value());
    BOOST_TEST(!r.inst.capabilities.has_value());
    BOOST_TEST((r.inst.status == beeos::instance_status::unknown));
    BOOST_TEST(r.inst.status_text.empty());
}

BOOST_AUTO_TEST_CASE(success_may_be_absent)
{
    const decoded r = decode(R"({"data":{"id":"x"}})");
    BOOST_TEST_REQUIRE(!r.ec, r.detail);
    BOOST_TEST(r.inst.id == "x");
}

BOOST_AUTO_TEST_CASE(output_is_reset_before_decoding)
{
    decoded r = decode(read_fixture("instance-full.json"));
    BOOST_TEST_REQUIRE(!r.ec, r.detail);
    // Reuse the filled instance: fields absent from the second body must not keep old values.
    r.ec = decode_instance_envelope(R"({"success":true,"data":{"id":"y"}})", r.inst, r.detail);
    BOOST_TEST_REQUIRE(!r.ec, r.detail);
    instance expected;
    expected.id = "y";
    BOOST_TEST((r.inst == expected));
}

BOOST_AUTO_TEST_CASE(unknown_fields_are_ignored_at_every_level)
{
    json::value doc = json::parse(read_fixture("instance-full.json"));
    const decoded plain = decode(json::serialize(doc));
    BOOST_TEST_REQUIRE(!plain.ec, plain.detail);

    json::object& env = doc.as_object();
    env["meta"] = json::parse(R"({"page":1,"nested":[null,{"deep":true}]})");
    env["total"] = 1;
    env["error"] = nullptr;
    json::object& data = env["data"].as_object();
    data["futureField"] = json::parse(R"({"x":[1,2.5,"three"]})");
    data["futureNumber"] = 1.5;
    data["futureNull"] = nullptr;
    data["ID"] = 12;           // names are case-sensitive: not `id`
    data["is_trial"] = "yes";  // snake_case is not the wire name
    const decoded extra = decode(json::serialize(doc));
    BOOST_TEST_REQUIRE(!extra.ec, extra.detail);
    BOOST_TEST((extra.inst == plain.inst));

    // Inside the pass-through objects, extra members are data and are kept as is.
    data["capabilities"].as_object()["futureCapability"] = json::parse(R"({"on":true})");
    const decoded nested = decode(json::serialize(doc));
    BOOST_TEST_REQUIRE(!nested.ec, nested.detail);
    BOOST_TEST(nested.inst.capabilities->at("futureCapability").at("on").as_bool());
}

BOOST_AUTO_TEST_CASE(null_is_absent_everywhere)
{
    json::value doc = json::parse(read_fixture("instance-full.json"));
    json::object& data = doc.as_object()["data"].as_object();
    for (auto& member : data)
        if (member.key() != "id")
            member.value() = nullptr;
    doc.as_object()["success"] = nullptr;

    const decoded r = decode(json::serialize(doc));
    BOOST_TEST_REQUIRE(!r.ec, r.detail);
    instance expected;
    expected.id = "inst_7f3a9c2e4b1d4e8a9f60c3d2b1a0e5f7";
    BOOST_TEST((r.inst == expected));
    BOOST_TEST(!r.inst.capabilities.has_value());
}

BOOST_AUTO_TEST_CASE(empty_date_time_string_is_absent)
{
    for (const char* field :
         {"expiresAt",
          "startedAt",
          "stoppedAt",
          "statusEnteredAt",
          "connectivityUpdatedAt",
          "msConnectionUpdatedAt",
          "createdAt",
          "updatedAt",
          "screenshotUpdatedAt"})
    {
        const decoded r = decode(body_with(field, ""));
        BOOST_TEST_REQUIRE(!r.ec, field << ": " << r.detail);
        instance expected;
        expected.id = "x";
        BOOST_TEST((r.inst == expected), field);
    }
}

BOOST_AUTO_TEST_CASE(each_date_time_field_reaches_its_member)
{
    // Distinct instants per field catch a table that maps a name to the wrong member.
    struct case_t
    {
        const char* name;
        std::optional<beeos::timestamp> instance::*member;
    };
    const case_t cases[] = {
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
    json::object data{{"id", "x"}};
    unsigned day_of_month = 10;
    for (const auto& c : cases)
    {
        data[c.name] = "2026-01-" + std::to_string(day_of_month) + "T01:02:03.5+01:00";
        ++day_of_month;
    }
    const decoded r = decode(json::serialize(json::object{{"success", true}, {"data", data}}));
    BOOST_TEST_REQUIRE(!r.ec, r.detail);
    day_of_month = 10;
    for (const auto& c : cases)
    {
        const std::optional<beeos::timestamp> expected = at(2026y / 1 / day{day_of_month}, 2min + 3s + 500000us);
        const std::optional<beeos::timestamp>& got = r.inst.*c.member;
        BOOST_TEST(got == expected, c.name);
        ++day_of_month;
    }
}

BOOST_AUTO_TEST_CASE(each_string_field_reaches_its_member)
{
    struct case_t
    {
        const char* name;
        std::string instance::*member;
    };
    const case_t cases[] = {
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
    json::object data;
    for (const auto& c : cases)
        data[c.name] = std::string("value of ") + c.name;
    const decoded r = decode(json::serialize(json::object{{"success", true}, {"data", data}}));
    BOOST_TEST_REQUIRE(!r.ec, r.detail);
    for (const auto& c : cases)
    {
        const std::string& got = r.inst.*c.member;
        BOOST_TEST(got == std::string("value of ") + c.name, c.name);
    }
}

BOOST_AUTO_TEST_CASE(strings_keep_escapes_and_embedded_nul)
{
    const decoded r = decode(R"({"data":{"id":"x","name":"a\"b\\c\u00e9\u0000d","haltReason":"\ud83d\udc1d"}})");
    BOOST_TEST_REQUIRE(!r.ec, r.detail);
    BOOST_TEST(r.inst.name == std::string("a\"b\\c\xc3\xa9\0d", 9));
    BOOST_TEST(r.inst.halt_reason == "\xf0\x9f\x90\x9d");
}

BOOST_AUTO_TEST_CASE(enum_values)
{
    struct case_t
    {
        const char* status;
        beeos::instance_status expected;
    };
    for (auto [text, expected] :
         {case_t{"pending", beeos::instance_status::pending},
          case_t{"provisioning", beeos::instance_status::provisioning},
          case_t{"running", beeos::instance_status::running},
          case_t{"stopped", beeos::instance_status::stopped},
          case_t{"terminated", beeos::instance_status::terminated},
          case_t{"unknown", beeos::instance_status::unknown}})
    {
        const decoded r = decode(body_with("status", text));
        BOOST_TEST_REQUIRE(!r.ec, r.detail);
        BOOST_TEST((r.inst.status == expected), text);
        BOOST_TEST(r.inst.status_text == text);
    }

    const decoded r = decode(R"({"data":{"desiredStatus":"stopped","connectivity":"offline","msConnectionStatus":"reconnecting"}})");
    BOOST_TEST_REQUIRE(!r.ec, r.detail);
    BOOST_TEST((r.inst.desired_status == beeos::desired_state::stopped));
    BOOST_TEST(r.inst.desired_status_text == "stopped");
    BOOST_TEST((r.inst.connectivity == beeos::connectivity_state::offline));
    BOOST_TEST(r.inst.connectivity_text == "offline");
    BOOST_TEST((r.inst.ms_connection_status == beeos::ms_connection_state::reconnecting));
    BOOST_TEST(r.inst.ms_connection_status_text == "reconnecting");
}

BOOST_AUTO_TEST_CASE(unknown_enum_values_keep_the_raw_text)
{
    const decoded r = decode(
        R"({"data":{"status":"hibernating","desiredStatus":"Running","connectivity":"degraded",
                    "msConnectionStatus":"","id":"x"}})"
    );
    BOOST_TEST_REQUIRE(!r.ec, r.detail);
    BOOST_TEST((r.inst.status == beeos::instance_status::unknown));
    BOOST_TEST(r.inst.status_text == "hibernating");
    BOOST_TEST((r.inst.desired_status == beeos::desired_state::unknown));  // case matters
    BOOST_TEST(r.inst.desired_status_text == "Running");
    BOOST_TEST((r.inst.connectivity == beeos::connectivity_state::unknown));
    BOOST_TEST(r.inst.connectivity_text == "degraded");
    BOOST_TEST((r.inst.ms_connection_status == beeos::ms_connection_state::unknown));
    BOOST_TEST(r.inst.ms_connection_status_text == "");
}

BOOST_AUTO_TEST_CASE(enum_spellings_round_trip)
{
    using namespace beeos;
    using detail::parse_connectivity_state;
    using detail::parse_desired_state;
    using detail::parse_instance_status;
    using detail::parse_ms_connection_state;

    BOOST_TEST(to_string(instance_status::unknown) == "unknown");
    BOOST_TEST(to_string(instance_status::pending) == "pending");
    BOOST_TEST(to_string(instance_status::provisioning) == "provisioning");
    BOOST_TEST(to_string(instance_status::running) == "running");
    BOOST_TEST(to_string(instance_status::stopped) == "stopped");
    BOOST_TEST(to_string(instance_status::terminated) == "terminated");
    BOOST_TEST(to_string(desired_state::unknown) == "unknown");
    BOOST_TEST(to_string(desired_state::running) == "running");
    BOOST_TEST(to_string(desired_state::stopped) == "stopped");
    BOOST_TEST(to_string(desired_state::terminated) == "terminated");
    BOOST_TEST(to_string(connectivity_state::unknown) == "unknown");
    BOOST_TEST(to_string(connectivity_state::online) == "online");
    BOOST_TEST(to_string(connectivity_state::offline) == "offline");
    BOOST_TEST(to_string(ms_connection_state::unknown) == "unknown");
    BOOST_TEST(to_string(ms_connection_state::connecting) == "connecting");
    BOOST_TEST(to_string(ms_connection_state::connected) == "connected");
    BOOST_TEST(to_string(ms_connection_state::reconnecting) == "reconnecting");
    BOOST_TEST(to_string(ms_connection_state::disconnected) == "disconnected");
    BOOST_TEST(to_string(ms_connection_state::failed) == "failed");
    BOOST_TEST(to_string(static_cast<instance_status>(99)) == "unknown");

    for (auto v :
         {instance_status::pending,
          instance_status::provisioning,
          instance_status::running,
          instance_status::stopped,
          instance_status::terminated})
        BOOST_TEST((parse_instance_status(to_string(v)) == v));
    for (auto v : {desired_state::running, desired_state::stopped, desired_state::terminated})
        BOOST_TEST((parse_desired_state(to_string(v)) == v));
    for (auto v : {connectivity_state::online, connectivity_state::offline})
        BOOST_TEST((parse_connectivity_state(to_string(v)) == v));
    for (auto v :
         {ms_connection_state::connecting,
          ms_connection_state::connected,
          ms_connection_state::reconnecting,
          ms_connection_state::disconnected,
          ms_connection_state::failed})
        BOOST_TEST((parse_ms_connection_state(to_string(v)) == v));

    // Values valid for one enum are not valid for another.
    BOOST_TEST((parse_desired_state("pending") == desired_state::unknown));
    BOOST_TEST((parse_connectivity_state("connected") == connectivity_state::unknown));
    BOOST_TEST((parse_ms_connection_state("online") == ms_connection_state::unknown));
    BOOST_TEST((parse_instance_status("running ") == instance_status::unknown));
    BOOST_TEST((parse_instance_status("") == instance_status::unknown));
}

BOOST_AUTO_TEST_CASE(total_run_seconds_is_an_int64)
{
    auto value_of = [](std::string_view json_number)
    {
        const decoded r = decode(std::string(R"({"data":{"totalRunSeconds":)") + std::string(json_number) + "}}");
        BOOST_TEST(!r.ec, json_number << ": " << r.detail);
        return r.inst.total_run_seconds;
    };
    BOOST_TEST(value_of("0") == 0);
    BOOST_TEST(value_of("1843275") == 1843275);
    BOOST_TEST(value_of("-5") == -5);
    BOOST_TEST(value_of("9223372036854775807") == INT64_MAX);
    BOOST_TEST(value_of("-9223372036854775808") == INT64_MIN);

    auto detail_of = [](std::string_view json_number)
    { return decode_error_detail(std::string(R"({"data":{"totalRunSeconds":)") + std::string(json_number) + "}}"); };
    BOOST_TEST(detail_of("1.5") == "data.totalRunSeconds: expected an integer, got a floating-point number");
    BOOST_TEST(detail_of("1843275.0") == "data.totalRunSeconds: expected an integer, got a floating-point number");
    BOOST_TEST(detail_of("1e3") == "data.totalRunSeconds: expected an integer, got a floating-point number");
    BOOST_TEST(detail_of("9223372036854775808") == "data.totalRunSeconds: integer out of range for int64: 9223372036854775808");
    BOOST_TEST(detail_of("18446744073709551615") == "data.totalRunSeconds: integer out of range for int64: 18446744073709551615");
    // Past uint64, Boost.JSON yields a double.
    BOOST_TEST(detail_of("18446744073709551616") == "data.totalRunSeconds: expected an integer, got a floating-point number");
    BOOST_TEST(detail_of("\"5\"") == "data.totalRunSeconds: expected an integer, got a string");
    BOOST_TEST(detail_of("true") == "data.totalRunSeconds: expected an integer, got a boolean");
}

BOOST_AUTO_TEST_CASE(wrong_types_name_the_field)
{
    const char* string_fields[] = {
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
        "status",
        "desiredStatus",
        "connectivity",
        "msConnectionStatus"};
    for (const char* f : string_fields)
        BOOST_TEST(decode_error_detail(body_with(f, 42)) == "data." + std::string(f) + ": expected a string, got an integer");
    BOOST_TEST(decode_error_detail(body_with("name", true)) == "data.name: expected a string, got a boolean");
    BOOST_TEST(decode_error_detail(body_with("name", json::array{})) == "data.name: expected a string, got an array");
    BOOST_TEST(decode_error_detail(body_with("name", json::object{})) == "data.name: expected a string, got an object");
    BOOST_TEST(decode_error_detail(body_with("status", 2.5)) == "data.status: expected a string, got a floating-point number");

    BOOST_TEST(decode_error_detail(body_with("isTrial", "false")) == "data.isTrial: expected a boolean, got a string");
    BOOST_TEST(decode_error_detail(body_with("isTrial", 0)) == "data.isTrial: expected a boolean, got an integer");

    BOOST_TEST(decode_error_detail(body_with("models", "a,b")) == "data.models: expected an array, got a string");
    BOOST_TEST(decode_error_detail(body_with("models", json::object{})) == "data.models: expected an array, got an object");
    BOOST_TEST(decode_error_detail(body_with("models", json::array{"a", 1})) == "data.models[1]: expected a string, got an integer");
    BOOST_TEST(decode_error_detail(body_with("models", json::array{"a", "b", nullptr})) == "data.models[2]: expected a string, got null");
    BOOST_TEST(
        decode_error_detail(body_with("models", json::array{json::array{"a"}})) == "data.models[0]: expected a string, got an array"
    );

    for (const char* f : {"providerConfig", "mcpServers", "capabilities"})
    {
        BOOST_TEST(decode_error_detail(body_with(f, json::array{})) == "data." + std::string(f) + ": expected an object, got an array");
        BOOST_TEST(decode_error_detail(body_with(f, "{}")) == "data." + std::string(f) + ": expected an object, got a string");
        BOOST_TEST(decode_error_detail(body_with(f, false)) == "data." + std::string(f) + ": expected an object, got a boolean");
    }

    for (const char* f :
         {"expiresAt",
          "startedAt",
          "stoppedAt",
          "statusEnteredAt",
          "connectivityUpdatedAt",
          "msConnectionUpdatedAt",
          "createdAt",
          "updatedAt",
          "screenshotUpdatedAt"})
        BOOST_TEST(
            decode_error_detail(body_with(f, 1747245740)) ==
            "data." + std::string(f) + ": expected an RFC 3339 date-time string, got an integer"
        );
}

BOOST_AUTO_TEST_CASE(models_decode_in_order)
{
    const decoded r = decode(body_with("models", json::array{"b", "", "a"}));
    BOOST_TEST_REQUIRE(!r.ec, r.detail);
    const std::vector<std::string> expected{"b", "", "a"};
    BOOST_TEST(r.inst.models == expected, boost::test_tools::per_element());
    const decoded empty = decode(body_with("models", json::array{}));
    BOOST_TEST_REQUIRE(!empty.ec, empty.detail);
    BOOST_TEST(empty.inst.models.empty());
}

BOOST_AUTO_TEST_CASE(empty_objects_are_present)
{
    const decoded r = decode(R"({"data":{"capabilities":{},"providerConfig":{},"mcpServers":{}}})");
    BOOST_TEST_REQUIRE(!r.ec, r.detail);
    BOOST_TEST_REQUIRE(r.inst.capabilities.has_value());
    BOOST_TEST(r.inst.capabilities->empty());
}

BOOST_AUTO_TEST_CASE(bad_date_times_are_quoted)
{
    BOOST_TEST(decode_error_detail(body_with("startedAt", "yesterday")) == R"(data.startedAt: not an RFC 3339 date-time: "yesterday")");
    BOOST_TEST(
        decode_error_detail(body_with("createdAt", "2023-02-29T00:00:00Z")) ==
        R"(data.createdAt: not an RFC 3339 date-time: "2023-02-29T00:00:00Z")"
    );
    BOOST_TEST(
        decode_error_detail(body_with("updatedAt", "2026-05-14T18:02:11")) ==
        R"(data.updatedAt: not an RFC 3339 date-time: "2026-05-14T18:02:11")"
    );

    // At most 40 bytes of the value are quoted.
    const std::string long_value = "2026-05-14T18:02:11.482913Z and then a lot of trailing text";
    BOOST_TEST(
        decode_error_detail(body_with("expiresAt", jstr(long_value))) ==
        R"(data.expiresAt: not an RFC 3339 date-time: ")" + long_value.substr(0, 40) + R"("...)"
    );
    // Exactly 40 bytes: no ellipsis.
    const std::string forty(40, 'x');
    BOOST_TEST(decode_error_detail(body_with("expiresAt", jstr(forty))) == R"(data.expiresAt: not an RFC 3339 date-time: ")" + forty + '"');

    // Control characters cannot break the line; quotes cannot end the quotation early.
    BOOST_TEST(decode_error_detail(body_with("stoppedAt", "a\nb\r\"c\\")) == R"(data.stoppedAt: not an RFC 3339 date-time: "a?b?\"c\\")");

    // Truncation does not split a UTF-8 sequence: 39 ASCII bytes then a 2-byte character.
    const std::string utf8 = std::string(39, 'y') + "\xc3\xa9" + "zzz";
    BOOST_TEST(
        decode_error_detail(body_with("stoppedAt", jstr(utf8))) ==
        R"(data.stoppedAt: not an RFC 3339 date-time: ")" + std::string(39, 'y') + R"("...)"
    );
}

BOOST_AUTO_TEST_CASE(redact_replaces_a_secret_before_the_value_is_cut)
{
    const std::string token = "oag_5f3c9d1e7b2a4c6e8f0a1b3c5d7e9f1a";
    const std::string head = token.substr(0, 8);
    auto detail_with = [](const std::string& value, std::string_view redact)
    {
        instance out;
        std::string detail;
        const auto ec = decode_instance_envelope(body_with("startedAt", jstr(value)), out, detail, redact);
        BOOST_TEST((ec == beeos::errc::decode));
        return detail;
    };
    const std::string prefix = R"(data.startedAt: not an RFC 3339 date-time: ")";

    // The token straddles the 40-byte cut (bytes 28 to 63): cut first, its first 12 bytes would stay.
    const std::string straddling = "2026-05-14T18:02:11Z Bearer " + token + " trailing text";
    BOOST_TEST(detail_with(straddling, {}).find(token.substr(0, 12)) != std::string::npos);  // what redaction prevents
    const std::string cut = detail_with(straddling, token);
    BOOST_TEST(cut == prefix + R"(2026-05-14T18:02:11Z Bearer [redacted] t"...)");
    BOOST_TEST(cut.find(head) == std::string::npos);

    // Wholly inside the kept part, and twice.
    const std::string inside = "at " + token + " and more text beyond the cut, " + token;
    const std::string kept = detail_with(inside, token);
    BOOST_TEST(kept == prefix + std::string("at [redacted] and more text beyond the cut, [redacted]").substr(0, 40) + R"("...)");
    BOOST_TEST(kept.find(head) == std::string::npos);
    BOOST_TEST(detail_with("t=" + token, token) == prefix + R"(t=[redacted]")");

    // Redacted before escaping: a secret with a quote is still found in the raw value.
    BOOST_TEST(detail_with(R"(x a"b y)", R"(a"b)") == prefix + R"(x [redacted] y")");
    // A value without the secret is quoted as it is.
    BOOST_TEST(detail_with("yesterday", token) == prefix + R"(yesterday")");
}

BOOST_AUTO_TEST_CASE(body_that_is_not_json)
{
    BOOST_TEST(decode_error_detail(R"({"success":true,"data":{"id":"x",}})") == "body is not JSON: syntax error at offset 33");
    BOOST_TEST(decode_error_detail("") == "body is not JSON: incomplete JSON at offset 0");
    BOOST_TEST(decode_error_detail("<html><body>502 Bad Gateway</body></html>") == "body is not JSON: syntax error at offset 0");
    BOOST_TEST(decode_error_detail(R"({"success":true,"data":{"id":"x"}} trailing)") == "body is not JSON: extra data at offset 35");
    BOOST_TEST(decode_error_detail(R"({"success":true,"data":{"id":"x")") == "body is not JSON: incomplete JSON at offset 32");
    // Two documents in one body are not one envelope.
    BOOST_TEST(decode_error_detail(R"({"data":{"id":"x"}}{"data":{"id":"y"}})").rfind("body is not JSON: extra data", 0) == 0);
}

BOOST_AUTO_TEST_CASE(envelope_shape)
{
    BOOST_TEST(decode_error_detail("[]") == "body: expected a JSON object, got an array");
    BOOST_TEST(decode_error_detail("null") == "body: expected a JSON object, got null");
    BOOST_TEST(decode_error_detail("\"ok\"") == "body: expected a JSON object, got a string");
    BOOST_TEST(decode_error_detail("{}") == R"(envelope has no "data" object)");
    BOOST_TEST(decode_error_detail(R"({"success":true})") == R"(envelope has no "data" object)");
    BOOST_TEST(decode_error_detail(R"({"success":true,"data":null})") == R"(envelope has no "data" object)");
    BOOST_TEST(decode_error_detail(R"({"success":true,"data":[{"id":"x"}]})") == "data: expected an object, got an array");
    BOOST_TEST(decode_error_detail(R"({"success":true,"data":"x"})") == "data: expected an object, got a string");
    BOOST_TEST(decode_error_detail(R"({"success":false,"data":{"id":"x"}})") == "envelope says success:false");
    BOOST_TEST(decode_error_detail(R"({"success":false,"error":{"code":"internal_error"}})") == "envelope says success:false");
    BOOST_TEST(decode_error_detail(R"({"success":"true","data":{"id":"x"}})") == "success: expected a boolean, got a string");
    BOOST_TEST(decode_error_detail(R"({"success":1,"data":{"id":"x"}})") == "success: expected a boolean, got an integer");
}

BOOST_AUTO_TEST_CASE(repeated_keys_count_with_their_last_value)
{
    // What a DOM does (the last of a repeated key wins), pinned because the decoder is single-pass.
    BOOST_TEST(decode(R"({"data":{"id":"a","id":"b"}})").inst.id == "b");
    const decoded fixed = decode(R"({"data":{"id":5,"id":"x"}})");
    BOOST_TEST_REQUIRE(!fixed.ec, fixed.detail);
    BOOST_TEST(fixed.inst.id == "x");
    BOOST_TEST(decode_error_detail(R"({"data":{"id":"x","id":5}})") == "data.id: expected a string, got an integer");

    // A later null or "" makes the field absent again.
    const decoded nulled = decode(
        R"({"data":{"id":"x","name":"n","name":null,"startedAt":"2026-01-01T00:00:00Z","startedAt":"",
                    "models":["a","b"],"models":["c"],"status":"running","status":null,"totalRunSeconds":5,
                    "totalRunSeconds":null,"isTrial":true,"isTrial":null,"capabilities":{"a":1},"capabilities":null,
                    "providerConfig":{"a":1},"providerConfig":null,"mcpServers":{"b":2},"mcpServers":{"c":3}}})"
    );
    BOOST_TEST_REQUIRE(!nulled.ec, nulled.detail);
    instance expected;
    expected.id = "x";
    expected.models = {"c"};
    expected.mcp_servers = object_of(R"({"c":3})");
    BOOST_TEST((nulled.inst == expected));

    // Inside the pass-through objects too.
    const decoded inner = decode(R"({"data":{"providerConfig":{"a":1,"b":2,"a":{"x":[3]}}}})");
    BOOST_TEST_REQUIRE(!inner.ec, inner.detail);
    BOOST_TEST(inner.inst.provider_config == object_of(R"({"a":{"x":[3]},"b":2})"));

    // A repeated "data" replaces the earlier one entirely; a repeated "success" too.
    const decoded data_twice = decode(R"({"data":{"id":"x","name":"n","totalRunSeconds":"bad"},"data":{"id":"y"}})");
    BOOST_TEST_REQUIRE(!data_twice.ec, data_twice.detail);
    instance y;
    y.id = "y";
    BOOST_TEST((data_twice.inst == y));
    BOOST_TEST(decode_error_detail(R"({"data":{"id":"x"},"data":null})") == R"(envelope has no "data" object)");
    BOOST_TEST(decode_error_detail(R"({"data":{"id":"x"},"data":[]})") == "data: expected an object, got an array");
    BOOST_TEST(!decode(R"({"success":false,"success":true,"data":{"id":"x"}})").ec);
    BOOST_TEST(decode_error_detail(R"({"success":true,"data":{"id":"x"},"success":false})") == "envelope says success:false");
}

BOOST_AUTO_TEST_CASE(which_error_is_named_when_there_are_several)
{
    // A syntax error anywhere, even after a wrong type.
    BOOST_TEST(decode_error_detail(R"({"data":{"id":1},"x":})") == "body is not JSON: syntax error at offset 21");
    BOOST_TEST(decode_error_detail(R"({"data":{"id":1}})"
                                   " x") == "body is not JSON: extra data at offset 18");
    // The envelope before the fields, whatever the order in the body.
    BOOST_TEST(decode_error_detail(R"({"data":{"id":1},"success":"x"})") == "success: expected a boolean, got a string");
    BOOST_TEST(decode_error_detail(R"({"data":{"id":1},"success":false})") == "envelope says success:false");
    // Strings, then date-times, then the rest, each in the order of `instance`.
    BOOST_TEST(decode_error_detail(R"({"data":{"isTrial":1,"capabilities":2,"startedAt":3,"name":4,"ownerId":5}})") == "data.ownerId: expected a string, got an integer");
    BOOST_TEST(decode_error_detail(R"({"data":{"capabilities":2,"models":[1],"stoppedAt":"x","startedAt":"y"}})") == R"(data.startedAt: not an RFC 3339 date-time: "y")");
    BOOST_TEST(decode_error_detail(R"({"data":{"capabilities":2,"isTrial":"no","models":[1,true]}})") == "data.models[0]: expected a string, got an integer");
    BOOST_TEST(decode_error_detail(R"({"data":{"mcpServers":2,"providerConfig":[]}})") == "data.providerConfig: expected an object, got an array");
}

BOOST_AUTO_TEST_CASE(escaped_keys_and_long_escaped_strings)
{
    // Keys are compared after unescaping, as a DOM would.
    const decoded r = decode(R"({"d\u0061ta":{"\u0069d":"x","na\u006de":"n\u00e9"}})");
    BOOST_TEST_REQUIRE(!r.ec, r.detail);
    BOOST_TEST(r.inst.id == "x");
    BOOST_TEST(r.inst.name == "n\xc3\xa9");

    // Long strings with escapes arrive in several parts.
    std::string prompt;
    std::string json_prompt;
    for (int k = 0; k < 3000; ++k)
    {
        prompt += "line \"" + std::to_string(k) + "\"\n";
        json_prompt += "line \\\"" + std::to_string(k) + "\\\"\\n";
    }
    const decoded big = decode(R"({"data":{"systemPrompt":")" + json_prompt + R"(","models":[")" + json_prompt + R"("]}})");
    BOOST_TEST_REQUIRE(!big.ec, big.detail);
    BOOST_TEST(big.inst.system_prompt == prompt);
    BOOST_TEST_REQUIRE(big.inst.models.size() == 1u);
    BOOST_TEST(big.inst.models[0] == prompt);
    const decoded cfg = decode(R"({"data":{"providerConfig":{")" + json_prompt + R"(":")" + json_prompt + R"("}}})");
    BOOST_TEST_REQUIRE(!cfg.ec, cfg.detail);
    BOOST_TEST(cfg.inst.provider_config.at(prompt).as_string() == prompt);
}

BOOST_AUTO_TEST_CASE(deep_unknown_values_are_skipped)
{
    // Nested up to the parser's depth limit (32, as boost::json::parse), then one too deep.
    std::string deep31(29, '[');
    deep31 += std::string(29, ']');
    const decoded ok = decode(R"({"data":{"id":"x","future":)" + deep31 + "}}");
    BOOST_TEST_REQUIRE(!ok.ec, ok.detail);
    BOOST_TEST(ok.inst.id == "x");
    std::string deep33(31, '[');
    deep33 += std::string(31, ']');
    BOOST_TEST(decode_error_detail(R"({"data":{"id":"x","future":)" + deep33 + "}}").rfind("body is not JSON: ", 0) == 0);
}

BOOST_AUTO_TEST_CASE(syntax_error_inside_a_json_member_larger_than_the_arena)
{
    // Found by beeos-fuzz-decode-instance: the parse stops with keys of providerConfig still
    // pending, after they outgrew the instance's arena. Boost.JSON 1.81 frees a pending key with
    // another alignment than it allocated it with, which json_arena passes on to the aligned
    // operator delete: undefined behaviour that ASan reports (BEEOS_SANITIZE=address) as
    // new-delete-type-mismatch. Without ASan the decode must still fail cleanly.
    std::string members;
    for (int k = 0; k < 300; ++k)
        members += (k ? ",\"key" : "\"key") + std::to_string(k) + "\":" + std::to_string(k);
    const std::string truncated = R"({"data":{"id":"x","providerConfig":{)" + members;
    BOOST_TEST(decode_error_detail(truncated) == "body is not JSON: incomplete JSON at offset " + std::to_string(truncated.size()));
    const std::string broken = truncated + ",}}}";
    BOOST_TEST(decode_error_detail(broken) == "body is not JSON: syntax error at offset " + std::to_string(truncated.size() + 1));
}

namespace
{

// Whether `text`, decoded as a date-time, survives format_timestamp then parse_timestamp.
// Rejecting the text counts as surviving: the decoder then reports it.
bool decoded_time_round_trips(const char* text)
{
    const decoded r = decode(body_with("startedAt", text));
    if (r.ec)
        return true;
    return r.inst.started_at && beeos::parse_timestamp(beeos::format_timestamp(*r.inst.started_at)) == r.inst.started_at;
}

}  // namespace

BOOST_AUTO_TEST_CASE(decoded_date_times_round_trip)
{
    for (const char* text :
         {"0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999999Z", "2026-05-14T18:02:11.482913+02:00", "1969-12-31T23:59:59.5-00:30"})
        BOOST_TEST(decoded_time_round_trips(text), text);
}

BOOST_AUTO_TEST_CASE(json_members_share_one_counted_resource_and_outlive_the_instance)
{
    decoded r = decode(read_fixture("instance-full.json"));
    BOOST_TEST_REQUIRE(!r.ec, r.detail);
    BOOST_TEST_REQUIRE(r.inst.capabilities.has_value());
    const json::memory_resource* arena = r.inst.provider_config.storage().get();
    BOOST_TEST(r.inst.provider_config.storage().is_shared());
    BOOST_TEST(r.inst.mcp_servers.storage().get() == arena);
    BOOST_TEST(r.inst.capabilities->storage().get() == arena);

    // Copies and edits after decoding work and free what they allocate (ASan checks the frees).
    {
        instance copy = r.inst;
        copy.provider_config["added"] = "a value long enough to need its own allocation";
        copy.mcp_servers.clear();
        BOOST_TEST(copy.provider_config.storage().get() == arena);  // a copy keeps the resource
        BOOST_TEST(copy.provider_config.at("added").as_string() == "a value long enough to need its own allocation");
        BOOST_TEST(r.inst.mcp_servers.size() == 2u);
    }
    r.inst.provider_config["more"] = json::array{1, 2, 3, "another string beyond the small buffer"};
    BOOST_TEST(json::serialize(r.inst.provider_config.at("more")) == R"([1,2,3,"another string beyond the small buffer"])");

    // The resource lives as long as any member that uses it.
    json::object kept = std::move(r.inst.mcp_servers);
    r = decoded{};
    BOOST_TEST(kept.storage().get() == arena);
    BOOST_TEST(json::serialize(kept.at("github")) == R"({"url":"https://mcp.beeos.ai/github","transport":"streamable-http"})");
}

BOOST_AUTO_TEST_CASE(an_instance_without_json_members_makes_no_arena)
{
    decoded r = decode(R"({"success":true,"data":{"id":"inst_1","status":"running"}})");
    BOOST_TEST_REQUIRE(!r.ec, r.detail);
    BOOST_TEST(!r.inst.provider_config.storage().is_shared());
    BOOST_TEST(!r.inst.mcp_servers.storage().is_shared());
}

BOOST_AUTO_TEST_CASE(error_code_is_decode)
{
    instance out;
    std::string detail;
    const auto ec = decode_instance_envelope("nope", out, detail);
    BOOST_TEST((ec == beeos::errc::decode));
    BOOST_TEST(ec.category().name() == std::string("beeos"));
    BOOST_TEST(!detail.empty());
}

// ---------------------------------------------------------------------------------------------
// Error envelopes

BOOST_AUTO_TEST_CASE(error_envelope_full)
{
    api_error_body e;
    BOOST_TEST_REQUIRE(decode_error_envelope(
        R"({"success":false,"error":{"type":"not_found_error","code":"instance_not_found",
            "message":"no such instance","request_id":"req_9","param":"id","metadata":{"hint":"x"}},
            "extra":[1,2]})",
        e
    ));
    BOOST_TEST(e.type == "not_found_error");
    BOOST_TEST(e.code == "instance_not_found");
    BOOST_TEST(e.message == "no such instance");
    BOOST_TEST(e.request_id == "req_9");
}

BOOST_AUTO_TEST_CASE(error_envelope_partial_and_wrong_types)
{
    api_error_body e;
    e.type = "stale";
    e.message = "stale";
    BOOST_TEST_REQUIRE(decode_error_envelope(R"({"error":{"code":"rate_limited"}})", e));
    BOOST_TEST(e.code == "rate_limited");
    BOOST_TEST(e.type.empty());  // reset, not left from the previous call
    BOOST_TEST(e.message.empty());
    BOOST_TEST(e.request_id.empty());

    BOOST_TEST_REQUIRE(decode_error_envelope(R"({"success":false,"error":{"type":["x"],"code":42,"message":null,"request_id":"req_1"}})", e)
    );
    BOOST_TEST(e.type.empty());
    BOOST_TEST(e.code.empty());
    BOOST_TEST(e.message.empty());
    BOOST_TEST(e.request_id == "req_1");

    BOOST_TEST(decode_error_envelope(R"({"error":{}})", e));
    BOOST_TEST(e.request_id.empty());
}

BOOST_AUTO_TEST_CASE(error_envelope_rejects_other_bodies)
{
    const char* bodies[] = {
        "<html><head><title>502 Bad Gateway</title></head></html>",
        "",
        "null",
        "[]",
        R"(["error"])",
        R"("error")",
        R"({"success":false})",
        R"({"success":false,"error":"boom"})",
        R"({"success":false,"error":null})",
        R"({"success":false,"error":[{"code":"x"}]})",
        R"({"success":false,"error":{"code":"x"}} trailing)",
        R"({"success":false,"error":{"code":"x")",
    };
    for (const char* b : bodies)
    {
        api_error_body e;
        e.code = "stale";
        BOOST_TEST(!decode_error_envelope(b, e), "accepted: " << b);
        BOOST_TEST(e.code.empty(), b);
    }
}

BOOST_AUTO_TEST_SUITE_END()

// Found by beeos-fuzz-decode-instance: an offset carried the first and last hours of the
// range into year 0000 or 10000, which format_timestamp cannot write back. Such a time is
// refused like year 0000 itself, and every accepted one round-trips.
BOOST_AUTO_TEST_SUITE(decode_instance_fuzz_findings)

BOOST_AUTO_TEST_CASE(date_times_beyond_the_utc_years_are_refused_and_the_rest_round_trip)
{
    using decode_instance_tests::decoded_time_round_trips;
    BOOST_TEST(!beeos::parse_timestamp("0001-01-01T00:00:00+01:00").has_value());
    BOOST_TEST(!beeos::parse_timestamp("9999-12-31T23:59:59-01:00").has_value());
    BOOST_TEST(decoded_time_round_trips("0001-01-01T01:00:00+01:00"));
    BOOST_TEST(decoded_time_round_trips("9999-12-31T22:59:59-01:00"));
}

BOOST_AUTO_TEST_SUITE_END()
