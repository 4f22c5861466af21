// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
//
// instance_field, field_set, instance_snapshot and diff(): what a watcher compares.
#include <beeos/instance_diff.hpp>

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

using beeos::field_set;
using beeos::instance_field;
using beeos::instance_snapshot;

namespace {

beeos::instance running_instance()
{
    beeos::instance i;
    i.id = "inst_1";
    i.name = "atlas";
    i.status = beeos::instance_status::running;
    i.status_text = "running";
    i.desired_status = beeos::desired_state::running;
    i.desired_status_text = "running";
    i.connectivity = beeos::connectivity_state::online;
    i.connectivity_text = "online";
    i.ms_connection_status = beeos::ms_connection_state::connected;
    i.ms_connection_status_text = "connected";
    i.endpoint = "https://inst-7f3a9c2e.us-east-1.run.beeos.ai";
    i.public_ip = "54.210.17.88";
    i.screenshot_url = "https://cdn.beeos.ai/screenshots/inst_1/latest.webp?v=1747245740";
    return i;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(instance_diff)

BOOST_AUTO_TEST_CASE(field_names_are_the_wire_names)
{
    BOOST_TEST(to_string(instance_field::status) == "status");
    BOOST_TEST(to_string(instance_field::desired_status) == "desiredStatus");
    BOOST_TEST(to_string(instance_field::connectivity_reason) == "connectivityReason");
    BOOST_TEST(to_string(instance_field::ms_connection_status) == "msConnectionStatus");
    BOOST_TEST(to_string(instance_field::error_message) == "errorMessage");
    BOOST_TEST(to_string(instance_field::halt_reason) == "haltReason");
    BOOST_TEST(to_string(instance_field::public_ip) == "publicIp");
    BOOST_TEST(to_string(instance_field::screenshot_url) == "screenshotUrl");
    // Every field has a distinct, non-placeholder name.
    std::vector<std::string> names;
    for (auto f : field_set::all())
        names.emplace_back(to_string(f));
    BOOST_TEST(names.size() == beeos::instance_field_count);
    for (std::size_t i = 0; i < names.size(); ++i)
    {
        BOOST_TEST(names[i] != "unknown");
        for (std::size_t j = i + 1; j < names.size(); ++j)
            BOOST_TEST(names[i] != names[j]);
    }
}

BOOST_AUTO_TEST_CASE(field_set_operations_and_iteration_order)
{
    field_set s;
    BOOST_TEST(s.empty());
    BOOST_TEST(s.size() == 0u);
    BOOST_TEST((s.begin() == s.end()));

    s.insert(instance_field::screenshot_url);
    s.insert(instance_field::status);
    s.insert(instance_field::connectivity);
    s.insert(instance_field::status);  // idempotent
    BOOST_TEST(!s.empty());
    BOOST_TEST(s.size() == 3u);
    BOOST_TEST(s.contains(instance_field::connectivity));
    BOOST_TEST(!s.contains(instance_field::endpoint));

    std::vector<instance_field> order(s.begin(), s.end());
    BOOST_REQUIRE_EQUAL(order.size(), 3u);
    BOOST_TEST((order[0] == instance_field::status));
    BOOST_TEST((order[1] == instance_field::connectivity));
    BOOST_TEST((order[2] == instance_field::screenshot_url));
    BOOST_TEST(to_string(s) == "status,connectivity,screenshotUrl");

    s.erase(instance_field::status);
    BOOST_TEST(!s.contains(instance_field::status));
    BOOST_TEST(s.size() == 2u);

    field_set t{instance_field::endpoint, instance_field::connectivity};
    BOOST_TEST((s | t).size() == 3u);
    BOOST_TEST(((s & t) == field_set(instance_field::connectivity)));
    BOOST_TEST(field_set::all().size() == beeos::instance_field_count);
    BOOST_TEST(field_set::from_bits(0xffffffffu) == field_set::all());
    BOOST_TEST(to_string(field_set{}).empty());

    static_assert(field_set{instance_field::status, instance_field::endpoint}.size() == 2);
}

BOOST_AUTO_TEST_CASE(snapshot_copies_the_monitored_fields)
{
    auto inst = running_instance();
    inst.error_message = "disk full";
    inst.halt_reason = "quota";
    inst.connectivity_reason = "device_disconnected";
    auto s = instance_snapshot::from(inst);
    BOOST_TEST(s.status() == beeos::instance_status::running);
    BOOST_TEST(s.desired_status() == beeos::desired_state::running);
    BOOST_TEST(s.connectivity() == beeos::connectivity_state::online);
    BOOST_TEST(s.ms_connection_status() == beeos::ms_connection_state::connected);
    BOOST_TEST(s.endpoint() == inst.endpoint);
    BOOST_TEST(s.public_ip() == inst.public_ip);
    BOOST_TEST(s.screenshot_url() == inst.screenshot_url);
    BOOST_TEST(s.error_message() == "disk full");
    BOOST_TEST(s.halt_reason() == "quota");
    BOOST_TEST(s.connectivity_reason() == "device_disconnected");
    BOOST_TEST(s.text(instance_field::status) == "running");
    BOOST_TEST(s.text(instance_field::ms_connection_status) == "connected");
    BOOST_TEST(s.text(instance_field::endpoint) == inst.endpoint);

    // A default snapshot: unknown enums, empty text.
    instance_snapshot empty;
    BOOST_TEST(empty.status() == beeos::instance_status::unknown);
    BOOST_TEST(empty.text(instance_field::status) == "unknown");
    BOOST_TEST(empty.endpoint().empty());
    BOOST_TEST((empty == instance_snapshot::from(beeos::instance{})));
}

BOOST_AUTO_TEST_CASE(snapshot_is_compact)
{
    // The per-id cost the watcher header states: 56 bytes plus one block for the text.
    BOOST_TEST(sizeof(instance_snapshot) <= 56u);
    BOOST_TEST(sizeof(instance_snapshot) < sizeof(beeos::instance) / 10);
}

BOOST_AUTO_TEST_CASE(diff_of_equal_snapshots_is_empty)
{
    auto a = instance_snapshot::from(running_instance());
    auto b = instance_snapshot::from(running_instance());
    BOOST_TEST((a == b));
    BOOST_TEST(diff(a, b).empty());
}

BOOST_AUTO_TEST_CASE(diff_names_exactly_the_fields_that_changed)
{
    auto before = running_instance();
    struct mutation
    {
        instance_field field;
        void (*apply)(beeos::instance&);
    };
    const mutation mutations[] = {
        {instance_field::status, [](beeos::instance& i) { i.status = beeos::instance_status::stopped; }},
        {instance_field::desired_status, [](beeos::instance& i) { i.desired_status = beeos::desired_state::stopped; }},
        {instance_field::connectivity, [](beeos::instance& i) { i.connectivity = beeos::connectivity_state::offline; }},
        {instance_field::connectivity_reason, [](beeos::instance& i) { i.connectivity_reason = "device_disconnected"; }},
        {instance_field::ms_connection_status, [](beeos::instance& i) { i.ms_connection_status = beeos::ms_connection_state::reconnecting; }},
        {instance_field::error_message, [](beeos::instance& i) { i.error_message = "oom"; }},
        {instance_field::endpoint, [](beeos::instance& i) { i.endpoint = "https://other"; }},
        {instance_field::halt_reason, [](beeos::instance& i) { i.halt_reason = "billing"; }},
        {instance_field::public_ip, [](beeos::instance& i) { i.public_ip = "10.0.0.1"; }},
        {instance_field::screenshot_url, [](beeos::instance& i) { i.screenshot_url += "&v=2"; }},
    };
    field_set seen;
    for (const auto& m : mutations)
    {
        auto after = before;
        m.apply(after);
        auto d = diff(instance_snapshot::from(before), instance_snapshot::from(after));
        BOOST_TEST(d == field_set(m.field), "mutating " << m.field << " gave " << d);
        seen.insert(m.field);
    }
    BOOST_TEST(seen == field_set::all());  // every field is covered by a case above

    // Several at once, and the reverse direction.
    auto after = before;
    after.status = beeos::instance_status::provisioning;
    after.connectivity = beeos::connectivity_state::offline;
    after.public_ip.clear();
    auto d = diff(instance_snapshot::from(after), instance_snapshot::from(before));
    BOOST_TEST((d == field_set{instance_field::status, instance_field::connectivity, instance_field::public_ip}));
}

BOOST_AUTO_TEST_CASE(unmonitored_fields_do_not_count)
{
    auto before = running_instance();
    auto after = before;
    after.updated_at = beeos::timestamp(std::chrono::microseconds(1'747'245'740'000'000));
    after.total_run_seconds += 60;
    after.screenshot_updated_at = after.updated_at;
    after.name = "renamed";
    after.provider_config["cpu"] = "4";
    BOOST_TEST(diff(instance_snapshot::from(before), instance_snapshot::from(after)).empty());
}

BOOST_AUTO_TEST_CASE(unknown_enum_values_are_told_apart_by_their_text)
{
    auto a = running_instance();
    a.status = beeos::instance_status::unknown;
    a.status_text = "hibernating";
    auto b = a;
    b.status_text = "suspended";
    auto sa = instance_snapshot::from(a);
    auto sb = instance_snapshot::from(b);
    BOOST_TEST(sa.status() == beeos::instance_status::unknown);
    BOOST_TEST(sa.text(instance_field::status) == "hibernating");
    BOOST_TEST(diff(sa, sb) == field_set(instance_field::status));
    BOOST_TEST(diff(sa, instance_snapshot::from(a)).empty());

    // The raw text of a known value is not kept (it is the wire spelling) and changes nothing.
    auto c = running_instance();
    c.connectivity_text = "ONLINE";
    BOOST_TEST(diff(instance_snapshot::from(running_instance()), instance_snapshot::from(c)).empty());
}

BOOST_AUTO_TEST_CASE(text_moving_between_fields_is_a_change)
{
    // Same concatenated bytes, different split: the lengths tell them apart.
    auto a = running_instance();
    a.connectivity_reason = "ab";
    a.error_message = "c";
    auto b = running_instance();
    b.connectivity_reason = "a";
    b.error_message = "bc";
    auto d = diff(instance_snapshot::from(a), instance_snapshot::from(b));
    BOOST_TEST((d == field_set{instance_field::connectivity_reason, instance_field::error_message}));
    BOOST_TEST(!(instance_snapshot::from(a) == instance_snapshot::from(b)));
}

BOOST_AUTO_TEST_CASE(very_long_text_is_capped_not_lost)
{
    auto a = running_instance();
    a.error_message.assign(70'000, 'x');
    auto s = instance_snapshot::from(a);
    BOOST_TEST(s.error_message().size() == 65'535u);
    BOOST_TEST(s.screenshot_url() == a.screenshot_url);  // later fields intact
    auto b = a;
    b.error_message[10] = 'y';
    BOOST_TEST(diff(s, instance_snapshot::from(b)) == field_set(instance_field::error_message));
}

BOOST_AUTO_TEST_SUITE_END()
