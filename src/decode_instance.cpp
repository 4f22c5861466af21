// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#include "decode_instance.hpp"
#include "json_arena.hpp"

#include <beeos/error.hpp>

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parser.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_stack.hpp>

#include <array>
#include <bit>
#include <charconv>
#include <cstdint>
#include <limits>
#include <memory>

namespace beeos::detail
{
namespace
{

namespace json = boost::json;
using ec_t = boost::system::error_code;

// ---------------------------------------------------------------------------------------------
// Error details: built only on failure, so success pays nothing for them.

std::string_view describe_kind(json::kind k) noexcept
{
    switch (k)
    {
        case json::kind::null:
            return "null";
        case json::kind::bool_:
            return "a boolean";
        case json::kind::int64:
        case json::kind::uint64:
            return "an integer";
        case json::kind::double_:
            return "a floating-point number";
        case json::kind::string:
            return "a string";
        case json::kind::array:
            return "an array";
        case json::kind::object:
            return "an object";
    }
    return "an unknown JSON kind";
}

void append_number(std::string& out, std::uint64_t n)
{
    char buf[24];
    out.append(buf, std::to_chars(buf, buf + sizeof buf, n).ptr);
}

void append_number(std::string& out, std::int64_t n)
{
    char buf[24];
    out.append(buf, std::to_chars(buf, buf + sizeof buf, n).ptr);
}

ec_t fail(std::string& detail, std::string_view text)
{
    detail.assign(text);
    return make_error_code(errc::decode);
}

// `detail` = "<what>: expected <expected>, got <kind>"; `detail` may already hold a path prefix.
void append_type_error(std::string& detail, std::string_view expected, json::kind got)
{
    detail += ": expected ";
    detail += expected;
    detail += ", got ";
    detail += describe_kind(got);
}

ec_t fail_type(std::string& detail, std::string_view what, std::string_view expected, json::kind got)
{
    detail.assign(what);
    append_type_error(detail, expected, got);
    return make_error_code(errc::decode);
}

// Quotes at most `max_bytes` of a server value: enough to recognise it, not enough to flood a
// log line. Control characters become '?', quotes and backslashes are escaped so the quoted
// text stays unambiguous, and truncation never splits a UTF-8 sequence.
void append_quoted(std::string& out, std::string_view value, std::size_t max_bytes)
{
    std::size_t n = value.size();
    bool truncated = false;
    if (n > max_bytes)
    {
        n = max_bytes;
        // Back off over continuation bytes (10xxxxxx) to the start of the cut sequence.
        while (n > 0 && (static_cast<unsigned char>(value[n]) & 0xC0) == 0x80)
            --n;
        truncated = true;
    }
    out += '"';
    for (char c : value.substr(0, n))
    {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f)
            out += '?';
        else
        {
            if (c == '"' || c == '\\')
                out += '\\';
            out += c;
        }
    }
    out += '"';
    if (truncated)
        out += "...";
}

ec_t fail_not_json(std::string& detail, const ec_t& ec, std::size_t offset)
{
    detail = "body is not JSON: ";
    detail += ec.message();
    detail += " at offset ";
    append_number(detail, static_cast<std::uint64_t>(offset));
    return make_error_code(errc::decode);
}

// ---------------------------------------------------------------------------------------------
// The fields of InstanceDataDTO. The order is the order in which errors are reported when
// several fields are wrong (the order the DOM decoder checked them in), so it is part of the
// behaviour: strings, date-times, then the rest.

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

constexpr std::string_view field_names[field_count] = {
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

constexpr std::string instance::*string_members[first_time_field - first_string_field] = {
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

constexpr std::size_t time_field_count = f_models - first_time_field;

constexpr std::optional<timestamp> instance::*time_members[time_field_count] = {
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

constexpr std::string_view expected_of(std::uint8_t f) noexcept
{
    if (f < first_time_field)
        return "a string";
    if (f < f_models)
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
constexpr std::size_t max_field_name = 21;

constexpr std::size_t key_hash(std::string_view s) noexcept
{
    auto u = [s](std::size_t i) { return static_cast<std::size_t>(static_cast<unsigned char>(s[i])); };
    return (u(0) * 3 + u(s.size() - 1) * 44 + s.size() * 6 + u(s.size() / 2)) & 127;
}

struct key_table
{
    std::array<std::uint8_t, 128> slots{};
    bool perfect = true;
};

constexpr key_table make_key_table() noexcept
{
    key_table t;
    for (auto& s : t.slots)
        s = no_field;
    for (std::size_t i = 0; i != field_count; ++i)
    {
        if (field_names[i].size() > max_field_name)
            t.perfect = false;
        auto& slot = t.slots[key_hash(field_names[i])];
        if (slot != no_field)
            t.perfect = false;
        slot = static_cast<std::uint8_t>(i);
    }
    return t;
}

constexpr key_table field_keys = make_key_table();
static_assert(field_keys.perfect, "key_hash collides or a name is longer than max_field_name: pick other factors");

std::uint8_t find_field(std::string_view key) noexcept
{
    if (key.empty() || key.size() > max_field_name)
        return no_field;
    const std::uint8_t f = field_keys.slots[key_hash(key)];
    return f != no_field && field_names[f] == key ? f : static_cast<std::uint8_t>(no_field);
}

constexpr std::uint64_t bit(std::uint8_t f) noexcept { return std::uint64_t{1} << f; }

// ---------------------------------------------------------------------------------------------
// Enum spellings: to_string() is the single source of truth, so the two directions can't drift.

template <class Enum, Enum Last>
Enum parse_enum(std::string_view text) noexcept
{
    for (int i = 1; i <= static_cast<int>(Last); ++i)
        if (to_string(static_cast<Enum>(i)) == text)
            return static_cast<Enum>(i);
    return Enum::unknown;
}

// ---------------------------------------------------------------------------------------------
// The single-pass decoder: a boost::json::basic_parser handler that writes each value straight
// into its member, without building a DOM. Only providerConfig, mcpServers and capabilities are
// built as JSON (they are JSON in `instance`), through a value_stack.
//
// It reproduces what the former DOM decoder did, which the unit tests pin down:
//   - a syntax error anywhere wins over every other error, so a wrong type only records the
//     error and parsing goes on to the end of the body;
//   - among the other errors the first in a fixed order is reported, not the first in the body:
//     the envelope's, then the fields in `field_names` order;
//   - a key that appears twice counts once, with its last value (a DOM keeps the last), so a
//     repeated key first resets its member and forgets an error of its earlier value;
//   - null is an absent field; unknown keys are skipped with everything nested in them.

class envelope_handler
{
public:
    // The limits boost::json::parser's own handler uses.
    static constexpr std::size_t max_object_size = json::object::max_size();
    static constexpr std::size_t max_array_size = json::array::max_size();
    static constexpr std::size_t max_key_size = json::string::max_size();
    static constexpr std::size_t max_string_size = json::string::max_size();

    explicit envelope_handler(instance& out) noexcept : single_(&out) {}
    // A parse that stopped inside an instance leaves its arena open: close it all the same.
    ~envelope_handler() { seal_arena(); }

    envelope_handler(std::vector<instance>& items, std::optional<std::int64_t>& total) noexcept
        : items_(&items), total_(&total)
    {
    }

    // After a successful parse: the first semantic error, if any.
    ec_t result(std::string& detail)
    {
        const bool page = items_ != nullptr;
        if (root_bad_)
            return fail_type(detail, "body", "a JSON object", root_kind_);
        if (success_ == presence::wrong)
            return fail_type(detail, "success", "a boolean", success_kind_);
        if (success_ == presence::ok && !success_value_)
            return fail(detail, "envelope says success:false");
        if (data_ == presence::absent)
            return fail(detail, page ? R"(envelope has no "data" array)" : R"(envelope has no "data" object)");
        if (data_ == presence::wrong)
            return fail_type(detail, "data", page ? "an array" : "an object", data_kind_);
        if (page && total_state_ != total_state::ok)
        {
            switch (total_state_)
            {
                case total_state::wrong_type:
                    return fail_type(detail, "total", "a non-negative integer", total_kind_);
                case total_state::negative:
                    detail = "total: expected a non-negative integer, got ";
                    append_number(detail, total_negative_);
                    return make_error_code(errc::decode);
                case total_state::too_large:
                    detail = "total: integer out of range for int64: ";
                    append_number(detail, total_big_);
                    return make_error_code(errc::decode);
                case total_state::ok:
                    break;
            }
        }
        if (data_failed_)
        {
            detail = std::move(data_detail_);
            return make_error_code(errc::decode);
        }
        return {};
    }

    // --- the basic_parser handler interface

    bool on_document_begin(ec_t&) { return true; }
    bool on_document_end(ec_t&) { return true; }
    bool on_comment_part(json::string_view, ec_t&) { return true; }
    bool on_comment(json::string_view, ec_t&) { return true; }
    bool on_number_part(json::string_view, ec_t&) { return true; }

    bool on_object_begin(ec_t&)
    {
        if (skip_)
        {
            ++skip_;
            return true;
        }
        if (capture_)
        {
            ++capture_;
            return true;
        }
        switch (slot_)
        {
            case slot::root:
                ctx_ = context::envelope;
                return true;
            case slot::data:
                if (items_)
                    break;
                data_ = presence::ok;
                begin_instance(*single_);
                return true;
            case slot::item:
                begin_instance(items_->emplace_back());
                return true;
            case slot::field:
                if (field_ == f_provider_config || field_ == f_mcp_servers || field_ == f_capabilities)
                {
                    // The members own their memory: one arena per instance, shared by its
                    // three JSON members and kept alive by them, not a parse buffer.
                    if (!arena_)
                    {
                        arena_owner_ = json::make_shared_resource<json_arena>(arena_);
                    }
                    values_.reset(arena_owner_);
                    capture_ = 1;
                    return true;
                }
                break;
            default:
                break;
        }
        wrong(json::kind::object);
        skip_ = 1;
        return true;
    }

    bool on_object_end(std::size_t n, ec_t&)
    {
        if (skip_)
        {
            if (--skip_ == 0)
                value_done();
            return true;
        }
        if (capture_)
        {
            values_.push_object(n);
            if (--capture_ == 0)
                end_capture();
            return true;
        }
        if (ctx_ == context::instance)
        {
            end_instance();
            if (items_)
            {
                ctx_ = context::items;
                slot_ = slot::item;  // the next element, if any
                ++item_index_;
            }
            else
                ctx_ = context::envelope;
        }
        else
        {
            ctx_ = context::top;  // the end of the envelope
        }
        return true;
    }

    bool on_array_begin(ec_t&)
    {
        if (skip_)
        {
            ++skip_;
            return true;
        }
        if (capture_)
        {
            ++capture_;
            return true;
        }
        if (slot_ == slot::field && field_ == f_models)
        {
            ctx_ = context::models;
            slot_ = slot::model;
            model_index_ = 0;
            return true;
        }
        if (slot_ == slot::data && items_)
        {
            data_ = presence::ok;
            ctx_ = context::items;
            slot_ = slot::item;
            item_index_ = 0;
            return true;
        }
        wrong(json::kind::array);
        skip_ = 1;
        return true;
    }

    bool on_array_end(std::size_t n, ec_t&)
    {
        if (skip_)
        {
            if (--skip_ == 0)
                value_done();
            return true;
        }
        if (capture_)
        {
            values_.push_array(n);
            --capture_;
            return true;
        }
        ctx_ = ctx_ == context::models ? context::instance : context::envelope;
        return true;
    }

    bool on_key_part(json::string_view s, std::size_t, ec_t&)
    {
        if (skip_)
            return true;
        if (capture_)
            values_.push_chars(s);
        else
            append_part(s);
        return true;
    }

    bool on_key(json::string_view s, std::size_t, ec_t&)
    {
        if (skip_)
            return true;
        if (capture_)
        {
            values_.push_key(s);
            return true;
        }
        const std::string_view key = finish_part(s);
        if (ctx_ == context::instance)
            instance_key(key);
        else
            envelope_key(key);
        return true;
    }

    bool on_string_part(json::string_view s, std::size_t, ec_t&)
    {
        if (skip_)
            return true;
        if (capture_)
            values_.push_chars(s);
        else
            append_part(s);
        return true;
    }

    bool on_string(json::string_view s, std::size_t, ec_t&)
    {
        if (skip_)
            return true;
        if (capture_)
        {
            values_.push_string(s);
            return true;
        }
        const std::string_view text = finish_part(s);
        switch (slot_)
        {
            case slot::field:
                field_string(text);
                break;
            case slot::model:
                if (!(bad_ & bit(f_models)))
                {
                    auto& models = cur_->models;
                    if (models.capacity() == 0)
                        models.reserve(4);
                    models.emplace_back(text);
                }
                break;
            case slot::ignore:
                break;
            default:
                wrong(json::kind::string);
                break;
        }
        value_done();
        return true;
    }

    bool on_int64(std::int64_t v, json::string_view, ec_t&)
    {
        if (skip_)
            return true;
        if (capture_)
        {
            values_.push_int64(v);
            return true;
        }
        if (slot_ == slot::field && field_ == f_total_run_seconds)
            cur_->total_run_seconds = v;
        else if (slot_ == slot::total)
            set_total(v);
        else if (slot_ != slot::ignore)
            wrong(json::kind::int64);
        value_done();
        return true;
    }

    bool on_uint64(std::uint64_t v, json::string_view, ec_t&)
    {
        if (skip_)
            return true;
        if (capture_)
        {
            values_.push_uint64(v);
            return true;
        }
        constexpr auto int64_max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
        if (slot_ == slot::field && field_ == f_total_run_seconds)
        {
            // Boost.JSON uses uint64 only above INT64_MAX, but check rather than rely on it.
            if (v <= int64_max)
                cur_->total_run_seconds = static_cast<std::int64_t>(v);
            else
            {
                mark_bad(f_total_run_seconds, error_kind::out_of_range, json::kind::uint64);
                total_run_big_ = v;
            }
        }
        else if (slot_ == slot::total)
        {
            if (v <= int64_max)
                set_total(static_cast<std::int64_t>(v));
            else
            {
                total_state_ = total_state::too_large;
                total_big_ = v;
            }
        }
        else if (slot_ != slot::ignore)
            wrong(json::kind::uint64);
        value_done();
        return true;
    }

    bool on_double(double v, json::string_view, ec_t&)
    {
        if (skip_)
            return true;
        if (capture_)
        {
            values_.push_double(v);
            return true;
        }
        // 1.0 and 1e3 are doubles: a count of seconds with a fraction part is not the contract's
        // int64, and converting would silently lose precision above 2^53.
        if (slot_ != slot::ignore)
            wrong(json::kind::double_);
        value_done();
        return true;
    }

    bool on_bool(bool v, ec_t&)
    {
        if (skip_)
            return true;
        if (capture_)
        {
            values_.push_bool(v);
            return true;
        }
        if (slot_ == slot::field && field_ == f_is_trial)
            cur_->is_trial = v;
        else if (slot_ == slot::success)
        {
            success_ = presence::ok;
            success_value_ = v;
        }
        else if (slot_ != slot::ignore)
            wrong(json::kind::bool_);
        value_done();
        return true;
    }

    bool on_null(ec_t&)
    {
        if (skip_)
            return true;
        if (capture_)
        {
            values_.push_null();
            return true;
        }
        // Null is absent everywhere (servers emit it for unset optional fields), except in
        // place of an array element: dropping it would shift indexes and hide a server bug.
        switch (slot_)
        {
            case slot::root:
            case slot::model:
            case slot::item:
                wrong(json::kind::null);
                break;
            case slot::success:
                success_ = presence::absent;
                break;
            case slot::data:
                data_ = presence::absent;
                break;
            case slot::total:
                total_state_ = total_state::ok;
                total_->reset();
                break;
            case slot::field:
            case slot::ignore:
                break;
        }
        value_done();
        return true;
    }

private:
    enum class context : std::uint8_t
    {
        top,       // the body itself
        envelope,  // in the envelope object
        instance,  // in an InstanceDataDTO object
        models,    // in its models array
        items      // in the data array of a page
    };
    // What the next value is: set by the key before it, or by the enclosing array.
    enum class slot : std::uint8_t
    {
        root,
        ignore,
        success,
        data,
        total,
        field,  // field_ says which
        model,
        item
    };
    enum class presence : std::uint8_t
    {
        absent,
        ok,
        wrong
    };
    enum class total_state : std::uint8_t
    {
        ok,
        wrong_type,
        negative,
        too_large
    };
    enum class error_kind : std::uint8_t
    {
        type,          // wrong JSON kind; kind_of_ says which
        out_of_range,  // totalRunSeconds above INT64_MAX: total_run_big_
        bad_time,      // not RFC 3339: bad_time_text_
        bad_element    // models[model_bad_index_] has kind_of_
    };

    // A string, or key, given in parts (it had escapes): the parts go to `part_`.
    void append_part(json::string_view s)
    {
        if (!in_parts_)
        {
            part_.assign(s.data(), s.size());
            in_parts_ = true;
        }
        else
            part_.append(s.data(), s.size());
    }

    std::string_view finish_part(json::string_view s)
    {
        if (!in_parts_)
            return {s.data(), s.size()};
        in_parts_ = false;
        part_.append(s.data(), s.size());
        return part_;
    }

    void envelope_key(std::string_view key)
    {
        if (key == "data")
        {
            // A repeated "data" replaces what the earlier one held.
            if (data_seen_)
            {
                if (items_)
                    items_->clear();
                else
                    *single_ = instance{};
                data_failed_ = false;
            }
            data_seen_ = true;
            slot_ = slot::data;
        }
        else if (key == "success")
            slot_ = slot::success;
        else if (items_ && key == "total")
        {
            total_state_ = total_state::ok;
            total_->reset();
            slot_ = slot::total;
        }
        else
            slot_ = slot::ignore;
    }

    void instance_key(std::string_view key)
    {
        const std::uint8_t f = find_field(key);
        if (f == no_field)
        {
            slot_ = slot::ignore;
            return;
        }
        if (seen_ & bit(f))
            reset_member(f);
        seen_ |= bit(f);
        bad_ &= ~bit(f);
        slot_ = slot::field;
        field_ = f;
    }

    // A repeated key: its member goes back to the default before the last value is applied.
    void reset_member(std::uint8_t f)
    {
        instance& i = *cur_;
        if (f < first_time_field)
            (i.*string_members[f]).clear();
        else if (f < f_models)
            (i.*time_members[f - first_time_field]).reset();
        else
        {
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
    }

    void field_string(std::string_view s)
    {
        const std::uint8_t f = field_;
        instance& i = *cur_;
        if (f < first_time_field)
        {
            (i.*string_members[f]).assign(s);
            return;
        }
        if (f < f_models)
        {
            // Go encoders write "" for an unset time.Time in some DTOs; it means "no time", like null.
            if (s.empty())
                return;
            auto& to = i.*time_members[f - first_time_field];
            to = parse_timestamp(s);
            if (!to)
            {
                mark_bad(f, error_kind::bad_time, json::kind::string);
                bad_time_text_[f - first_time_field].assign(s);
            }
            return;
        }
        switch (f)
        {
            case f_status:
                i.status = parse_instance_status(s);
                i.status_text.assign(s);
                return;
            case f_desired_status:
                i.desired_status = parse_desired_state(s);
                i.desired_status_text.assign(s);
                return;
            case f_connectivity:
                i.connectivity = parse_connectivity_state(s);
                i.connectivity_text.assign(s);
                return;
            case f_ms_connection_status:
                i.ms_connection_status = parse_ms_connection_state(s);
                i.ms_connection_status_text.assign(s);
                return;
            default:
                mark_bad(f, error_kind::type, json::kind::string);
                return;
        }
    }

    void set_total(std::int64_t v)
    {
        if (v < 0)
        {
            total_state_ = total_state::negative;
            total_negative_ = v;
            return;
        }
        total_state_ = total_state::ok;
        *total_ = v;
    }

    // A value of the wrong kind for the current slot (never for slot::ignore).
    void wrong(json::kind got)
    {
        switch (slot_)
        {
            case slot::root:
                root_bad_ = true;
                root_kind_ = got;
                break;
            case slot::success:
                success_ = presence::wrong;
                success_kind_ = got;
                break;
            case slot::data:
                data_ = presence::wrong;
                data_kind_ = got;
                break;
            case slot::total:
                total_state_ = total_state::wrong_type;
                total_kind_ = got;
                break;
            case slot::field:
                mark_bad(field_, error_kind::type, got);
                break;
            case slot::model:
                // Like the DOM decoder, report the first bad element.
                if (!(bad_ & bit(f_models)))
                {
                    mark_bad(f_models, error_kind::bad_element, got);
                    model_bad_index_ = model_index_;
                }
                break;
            case slot::item:
                if (!data_failed_)
                {
                    data_failed_ = true;
                    data_detail_ = "data[";
                    append_number(data_detail_, static_cast<std::uint64_t>(item_index_));
                    data_detail_ += ']';
                    append_type_error(data_detail_, "an object", got);
                }
                break;
            case slot::ignore:
                break;
        }
    }

    void mark_bad(std::uint8_t f, error_kind e, json::kind got)
    {
        bad_ |= bit(f);
        error_of_[f] = e;
        kind_of_[f] = got;
    }

    // After a complete value: the next element of an array gets the next index.
    void value_done()
    {
        if (ctx_ == context::models)
            ++model_index_;
        else if (ctx_ == context::items)
            ++item_index_;
    }

    void begin_instance(instance& i)
    {
        seal_arena();
        cur_ = &i;
        seen_ = 0;
        bad_ = 0;
        ctx_ = context::instance;
    }

    // The object is complete, so a repeated key can no longer clear an error: the first field
    // in `field_names` order that is wrong names the error (for a page, the first item's).
    void end_instance()
    {
        seal_arena();
        if (bad_ == 0 || data_failed_)
            return;
        data_failed_ = true;
        const auto f = static_cast<std::uint8_t>(std::countr_zero(bad_));
        std::string& d = data_detail_;
        if (items_)
        {
            d = "data[";
            append_number(d, static_cast<std::uint64_t>(item_index_));
            d += "].";
        }
        else
            d = "data.";
        d += field_names[f];
        switch (error_of_[f])
        {
            case error_kind::type:
                append_type_error(d, expected_of(f), kind_of_[f]);
                break;
            case error_kind::bad_element:
                d += '[';
                append_number(d, static_cast<std::uint64_t>(model_bad_index_));
                d += ']';
                append_type_error(d, "a string", kind_of_[f]);
                break;
            case error_kind::out_of_range:
                d += ": integer out of range for int64: ";
                append_number(d, total_run_big_);
                break;
            case error_kind::bad_time:
                d += ": not an RFC 3339 date-time: ";
                append_quoted(d, bad_time_text_[f - first_time_field], 40);
                break;
        }
    }

    // The instance is complete: later copies and edits of its JSON members use the heap.
    void seal_arena() noexcept
    {
        if (!arena_)
            return;
        arena_->seal();
        arena_ = nullptr;
        arena_owner_ = json::storage_ptr();
    }

    // Move-constructs `member` from `obj`, keeping obj's arena. (Move assignment would copy
    // into the member's own resource, the default one.)
    static void replace_with(json::object& member, json::object&& obj) noexcept
    {
        std::destroy_at(&member);
        std::construct_at(&member, std::move(obj));
    }

    void end_capture()
    {
        json::value v = values_.release();
        json::object& obj = v.get_object();
        instance& i = *cur_;
        switch (field_)
        {
            case f_provider_config:
                replace_with(i.provider_config, std::move(obj));
                break;
            case f_mcp_servers:
                replace_with(i.mcp_servers, std::move(obj));
                break;
            default:
                i.capabilities.emplace(std::move(obj));
                break;
        }
    }

    // Where the output goes: one instance, or the items and total of a page.
    instance* single_ = nullptr;
    std::vector<instance>* items_ = nullptr;
    std::optional<std::int64_t>* total_ = nullptr;

    // Position.
    context ctx_ = context::top;
    slot slot_ = slot::root;
    std::uint8_t field_ = no_field;
    std::size_t skip_ = 0;     // > 0: inside a value being skipped, this deep
    std::size_t capture_ = 0;  // > 0: inside an object being built in values_, this deep
    std::size_t model_index_ = 0;
    std::size_t item_index_ = 0;
    bool in_parts_ = false;
    std::string part_;

    // The envelope.
    bool root_bad_ = false;
    json::kind root_kind_ = json::kind::null;
    presence success_ = presence::absent;
    bool success_value_ = false;
    json::kind success_kind_ = json::kind::null;
    presence data_ = presence::absent;
    json::kind data_kind_ = json::kind::null;
    bool data_seen_ = false;
    total_state total_state_ = total_state::ok;
    json::kind total_kind_ = json::kind::null;
    std::int64_t total_negative_ = 0;
    std::uint64_t total_big_ = 0;

    // The instance object being read.
    instance* cur_ = nullptr;
    std::uint64_t seen_ = 0;  // fields met, by field_id bit
    std::uint64_t bad_ = 0;   // fields whose (last) value is wrong
    std::array<error_kind, field_count> error_of_;
    std::array<json::kind, field_count> kind_of_;
    std::uint64_t total_run_big_ = 0;
    std::size_t model_bad_index_ = 0;
    std::array<std::string, time_field_count> bad_time_text_;

    // The first failing instance (the only one, for a single envelope).
    bool data_failed_ = false;
    std::string data_detail_;

    // The arena of the current instance's JSON members, created at the first of them.
    json::storage_ptr arena_owner_;
    json_arena* arena_ = nullptr;

    // For providerConfig, mcpServers and capabilities. The scratch buffer holds the pending
    // values of typical objects; deeper or larger ones spill to the heap.
    unsigned char values_buffer_[1024];
    json::value_stack values_{json::storage_ptr(), values_buffer_, sizeof values_buffer_};
};

// basic_parser holds the handler; a thin wrapper keeps the parse in one place for both decoders.
template <class... Args>
ec_t decode_with(std::string_view body, std::string& detail, Args&... args)
{
    json::basic_parser<envelope_handler> p(json::parse_options(), args...);
    ec_t ec;
    const std::size_t n = p.write_some(false, body.data(), body.size(), ec);
    // Like json::parser::write: bytes after the value are an error (`extra data`).
    if (!ec && n < body.size())
        ec = json::error::extra_data;
    if (ec)
        return fail_not_json(detail, ec, n);
    return p.handler().result(detail);
}

// ---------------------------------------------------------------------------------------------
// The error envelope is read rarely (failed calls only), so it keeps the simple DOM.

// The DOM lives in a monotonic resource that starts in this many bytes of stack, and the parser
// gets its own scratch space there too, so a small error body parses without touching the heap.
constexpr std::size_t error_dom_stack_bytes = 2048;
constexpr std::size_t parser_stack_bytes = 4096;

json::value parse_dom(std::string_view body, json::monotonic_resource& mr, ec_t& ec)
{
    unsigned char scratch[parser_stack_bytes];
    // The constructor's resource is only for the parser's scratch space once `scratch` is full:
    // keep that on the heap, where it is freed, rather than in the arena, where it would stay.
    json::parser p(json::storage_ptr(), json::parse_options(), scratch, sizeof scratch);
    // A raw pointer gives a non-owning storage_ptr; the arena's deallocate is trivial.
    p.reset(json::storage_ptr(&mr));
    // write(), not write_some(): it also rejects bytes after the value (`extra data`).
    p.write(body.data(), body.size(), ec);
    if (ec)
        return nullptr;
    return p.release();
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

boost::system::error_code decode_instance_envelope(std::string_view body, instance& out, std::string& detail)
{
    out = instance{};
    return decode_with(body, detail, out);
}

boost::system::error_code decode_instance_page(
    std::string_view body,
    std::vector<instance>& items,
    std::optional<std::int64_t>& total,
    std::string& detail
)
{
    items.clear();
    total.reset();
    return decode_with(body, detail, items, total);
}

bool decode_error_envelope(std::string_view body, api_error_body& out) noexcept
{
    // noexcept because the caller is already reporting a failure; if even this runs out of
    // memory, the HTTP status alone is a better report than std::terminate.
    try
    {
        out = api_error_body{};

        // Error bodies are small; a proxy's HTML page fails at its first byte.
        unsigned char dom_buffer[error_dom_stack_bytes];
        json::monotonic_resource mr(dom_buffer, sizeof dom_buffer);
        ec_t ec;
        const json::value root = parse_dom(body, mr, ec);
        if (ec || !root.is_object())
            return false;
        const json::value* err = root.get_object().if_contains("error");
        if (!err || !err->is_object())
            return false;

        const json::object& e = err->get_object();
        auto copy = [&e](std::string_view key, std::string& to)
        {
            if (const json::value* v = e.if_contains(key); v && v->is_string())
                to.assign(v->get_string().data(), v->get_string().size());
        };
        copy("type", out.type);
        copy("code", out.code);
        copy("message", out.message);
        copy("request_id", out.request_id);
        return true;
    }
    catch (...)
    {
        // Only std::bad_alloc can get here: every parse error is reported through `ec`.
        out = api_error_body{};
        return false;
    }
}

}  // namespace beeos::detail
