// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#ifndef BEEOS_SRC_DECODE_BUILDER_HPP
#define BEEOS_SRC_DECODE_BUILDER_HPP

#include "decode_fields.hpp"
#include "decode_instance.hpp"
#include "json_arena.hpp"

#include <beeos/instance.hpp>
#include <beeos/timestamp.hpp>

#include <boost/json/kind.hpp>
#include <boost/json/object.hpp>
#include <boost/json/storage_ptr.hpp>

#include <array>
#include <bit>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <string_view>

namespace beeos::detail
{

/// Writes the values of one InstanceDataDTO object into an `instance`, member by member, as the
/// walk delivers them: key, then value. It keeps, per field, whether the field's last value was
/// wrong and why, so that once the object is complete the first wrong field in field_id order
/// can be named (`describe_error`).
///
/// The rules of decode_instance.hpp hold here: a repeated key resets its member and forgets the
/// error of its earlier value; null leaves the member at its default (the caller simply
/// delivers nothing for it); unknown keys are not fields (`key` returns false).
class instance_builder
{
public:
    instance_builder() = default;
    instance_builder(const instance_builder&) = delete;
    instance_builder& operator=(const instance_builder&) = delete;
    // A walk that stopped inside an instance leaves its arena open: close it all the same.
    ~instance_builder() { seal_arena(); }

    /// Starts an object whose values go to `i` (a default `instance`).
    void begin(instance& i) noexcept
    {
        seal_arena();
        cur_ = &i;
        seen_ = 0;
        bad_ = 0;
    }

    /// The object is complete: no later key can clear an error, and later copies and edits of
    /// its JSON members use the heap.
    void end() noexcept { seal_arena(); }

    /// A key of the object: true when it names a field, which the next value then goes to.
    bool key(std::string_view key)
    {
        const std::uint8_t f = find_field(key);
        if (f == no_field)
            return false;
        if (seen_ & field_bit(f))
            reset_member(f);
        seen_ |= field_bit(f);
        bad_ &= ~field_bit(f);
        field_ = f;
        return true;
    }

    /// Whether the current field's value is an object built as JSON (`json_storage`, `captured`).
    bool wants_json() const noexcept { return is_json_field(field_); }
    /// Whether the current field is `models`, an array whose elements come through `model`.
    bool wants_models() const noexcept { return field_ == f_models; }

    void string(std::string_view s)
    {
        const std::uint8_t f = field_;
        instance& i = *cur_;
        if (is_string_field(f))
        {
            (i.*string_members[f]).assign(s);
            return;
        }
        if (is_time_field(f))
        {
            time(f, s);
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
                wrong(boost::json::kind::string);
                return;
        }
    }

    void int64(std::int64_t v)
    {
        if (field_ == f_total_run_seconds)
            cur_->total_run_seconds = v;
        else
            wrong(boost::json::kind::int64);
    }

    void uint64(std::uint64_t v)
    {
        if (field_ != f_total_run_seconds)
            wrong(boost::json::kind::uint64);
        // Boost.JSON uses uint64 only above INT64_MAX, but check rather than rely on it.
        else if (v <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
            cur_->total_run_seconds = static_cast<std::int64_t>(v);
        else
        {
            mark_bad(f_total_run_seconds, error_kind::out_of_range, boost::json::kind::uint64);
            total_run_big_ = v;
        }
    }

    void boolean(bool v)
    {
        if (field_ == f_is_trial)
            cur_->is_trial = v;
        else
            wrong(boost::json::kind::bool_);
    }

    /// The current field's value is of kind `got`, which the field does not take.
    void wrong(boost::json::kind got) { mark_bad(field_, error_kind::type, got); }

    /// The models array begins; its elements follow.
    void models_begin() noexcept { model_index_ = 0; }
    /// After each element of models, whatever it was.
    void next_model() noexcept { ++model_index_; }

    void model(std::string_view s)
    {
        if (bad_ & field_bit(f_models))
            return;
        auto& models = cur_->models;
        if (models.capacity() == 0)
            models.reserve(4);
        models.emplace_back(s);
    }

    /// An element of models is of kind `got`, not a string: the first such element is named.
    void model_wrong(boost::json::kind got)
    {
        if (bad_ & field_bit(f_models))
            return;
        mark_bad(f_models, error_kind::bad_element, got);
        model_bad_index_ = model_index_;
    }

    /// Where the current JSON member is built: one arena per instance, shared by its three JSON
    /// members and kept alive by them, so `instance` never refers to a parse buffer.
    const boost::json::storage_ptr& json_storage()
    {
        if (!arena_)
            arena_owner_ = boost::json::make_shared_resource<json_arena>(arena_);
        return arena_owner_;
    }

    /// The current JSON member, built in `json_storage()`.
    void captured(boost::json::object&& obj) noexcept
    {
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

    /// Whether a field's last value was wrong.
    bool failed() const noexcept { return bad_ != 0; }

    /// Appends "<field>: <what is wrong>" for the first wrong field in field_id order, quoting a
    /// server value with every occurrence of `redact` replaced. Only when failed().
    void describe_error(std::string& detail, std::string_view redact) const;

private:
    enum class error_kind : std::uint8_t
    {
        type,          // wrong JSON kind; kind_of_ says which
        out_of_range,  // totalRunSeconds above INT64_MAX: total_run_big_
        bad_time,      // not RFC 3339: bad_time_text_
        bad_element    // models[model_bad_index_] has kind_of_
    };

    void time(std::uint8_t f, std::string_view s)
    {
        // Go encoders write "" for an unset time.Time in some DTOs; it means "no time", like null.
        if (s.empty())
            return;
        auto& to = cur_->*time_members[f - first_time_field];
        to = parse_timestamp(s);
        if (!to)
        {
            mark_bad(f, error_kind::bad_time, boost::json::kind::string);
            bad_time_text_[f - first_time_field].assign(s);
        }
    }

    void mark_bad(std::uint8_t f, error_kind e, boost::json::kind got) noexcept
    {
        bad_ |= field_bit(f);
        error_of_[f] = e;
        kind_of_[f] = got;
    }

    // A repeated key: its member goes back to the default before the last value is applied.
    void reset_member(std::uint8_t f) noexcept;

    // Move-constructs `member` from `obj`, keeping obj's arena. (Move assignment would copy
    // into the member's own resource, the default one.)
    static void replace_with(boost::json::object& member, boost::json::object&& obj) noexcept
    {
        std::destroy_at(&member);
        std::construct_at(&member, std::move(obj));
    }

    void seal_arena() noexcept
    {
        if (!arena_)
            return;
        arena_->seal();
        arena_ = nullptr;
        arena_owner_ = boost::json::storage_ptr();
    }

    instance* cur_ = nullptr;
    std::uint8_t field_ = no_field;
    std::uint64_t seen_ = 0;  // fields met, by field_bit
    std::uint64_t bad_ = 0;   // fields whose (last) value is wrong
    std::array<error_kind, field_count> error_of_;
    std::array<boost::json::kind, field_count> kind_of_;
    std::uint64_t total_run_big_ = 0;
    std::size_t model_index_ = 0;
    std::size_t model_bad_index_ = 0;
    std::array<std::string, time_field_count> bad_time_text_;

    // The arena of the current instance's JSON members, created at the first of them.
    boost::json::storage_ptr arena_owner_;
    json_arena* arena_ = nullptr;
};

}  // namespace beeos::detail

#endif
