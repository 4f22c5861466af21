// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#ifndef BEEOS_SRC_DECODE_ENVELOPE_HPP
#define BEEOS_SRC_DECODE_ENVELOPE_HPP

#include "decode_builder.hpp"
#include "decode_detail.hpp"
#include "json_walker.hpp"

#include <beeos/error.hpp>
#include <beeos/instance.hpp>

#include <boost/json/kind.hpp>
#include <boost/json/value.hpp>
#include <boost/system/error_code.hpp>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace beeos::detail
{

/// The json_walker sink for the success envelopes: `{"success":true,"data":{...}}` into one
/// instance, or `{"success":true,"data":[...],"total":N}` into the items and total of a page.
///
/// It knows where in the envelope each value sits, keeps the envelope's own findings (success,
/// data, total) and the first failing instance, and hands the values inside an instance to an
/// instance_builder. Nothing stops the parse; `result()` applies the precedence of
/// decode_instance.hpp once the body has parsed.
class envelope_reader
{
public:
    envelope_reader(instance& out, std::string_view redact) noexcept : single_(&out), redact_(redact) {}
    envelope_reader(std::vector<instance>& items, std::optional<std::int64_t>& total, std::string_view redact) noexcept
        : items_(&items), total_(&total), redact_(redact)
    {
    }

    /// After a successful parse: the first error in the envelope's fixed order, if any.
    boost::system::error_code result(std::string& detail)
    {
        const bool page = items_ != nullptr;
        if (root_bad_)
            return decode_type_failure(detail, "body", "a JSON object", root_kind_);
        if (success_ == presence::wrong)
            return decode_type_failure(detail, "success", "a boolean", success_kind_);
        if (success_ == presence::ok && !success_value_)
            return decode_failure(detail, "envelope says success:false");
        if (data_ == presence::absent)
            return decode_failure(detail, page ? R"(envelope has no "data" array)" : R"(envelope has no "data" object)");
        if (data_ == presence::wrong)
            return decode_type_failure(detail, "data", page ? "an array" : "an object", data_kind_);
        switch (total_state_)
        {
            case total_state::ok:
                break;
            case total_state::wrong_type:
                return decode_type_failure(detail, "total", "a non-negative integer", total_kind_);
            case total_state::negative:
                detail = "total: expected a non-negative integer, got ";
                append_number(detail, total_negative_);
                return make_error_code(errc::decode);
            case total_state::too_large:
                detail = "total: integer out of range for int64: ";
                append_number(detail, total_big_);
                return make_error_code(errc::decode);
        }
        if (data_failed_)
        {
            detail = std::move(data_detail_);
            return make_error_code(errc::decode);
        }
        return {};
    }

    // --- the json_walker sink interface

    json_action object_begin()
    {
        switch (slot_)
        {
            case slot::root:
                ctx_ = context::envelope;
                return json_action::enter;
            case slot::data:
                if (items_)
                    break;
                data_ = presence::ok;
                begin_instance(*single_);
                return json_action::enter;
            case slot::item:
                begin_instance(items_->emplace_back());
                return json_action::enter;
            case slot::field:
                if (builder_.wants_json())
                    return json_action::capture;
                break;
            default:
                break;
        }
        wrong(boost::json::kind::object);
        return json_action::skip;
    }

    void object_end()
    {
        if (ctx_ != context::instance)
        {
            ctx_ = context::top;  // the end of the envelope
            return;
        }
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

    json_action array_begin()
    {
        if (slot_ == slot::field && builder_.wants_models())
        {
            ctx_ = context::models;
            slot_ = slot::model;
            builder_.models_begin();
            return json_action::enter;
        }
        if (slot_ == slot::data && items_)
        {
            data_ = presence::ok;
            ctx_ = context::items;
            slot_ = slot::item;
            item_index_ = 0;
            return json_action::enter;
        }
        wrong(boost::json::kind::array);
        return json_action::skip;
    }

    void array_end() { ctx_ = ctx_ == context::models ? context::instance : context::envelope; }

    void skipped() { value_done(); }

    const boost::json::storage_ptr& capture_storage() { return builder_.json_storage(); }

    void captured(boost::json::value&& v) { builder_.captured(std::move(v.get_object())); }

    void key(std::string_view key)
    {
        if (ctx_ == context::instance)
            slot_ = builder_.key(key) ? slot::field : slot::ignore;
        else
            envelope_key(key);
    }

    void string(std::string_view text)
    {
        switch (slot_)
        {
            case slot::field:
                builder_.string(text);
                break;
            case slot::model:
                builder_.model(text);
                break;
            case slot::ignore:
                break;
            default:
                wrong(boost::json::kind::string);
                break;
        }
        value_done();
    }

    void int64(std::int64_t v)
    {
        if (slot_ == slot::field)
            builder_.int64(v);
        else if (slot_ == slot::total)
            set_total(v);
        else if (slot_ != slot::ignore)
            wrong(boost::json::kind::int64);
        value_done();
    }

    void uint64(std::uint64_t v)
    {
        if (slot_ == slot::field)
            builder_.uint64(v);
        else if (slot_ == slot::total)
        {
            if (v <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
                set_total(static_cast<std::int64_t>(v));
            else
            {
                total_state_ = total_state::too_large;
                total_big_ = v;
            }
        }
        else if (slot_ != slot::ignore)
            wrong(boost::json::kind::uint64);
        value_done();
    }

    void double_(double)
    {
        // 1.0 and 1e3 are doubles: a count with a fraction part is not the contract's int64,
        // and converting would silently lose precision above 2^53.
        if (slot_ != slot::ignore)
            wrong(boost::json::kind::double_);
        value_done();
    }

    void boolean(bool v)
    {
        if (slot_ == slot::field)
            builder_.boolean(v);
        else if (slot_ == slot::success)
        {
            success_ = presence::ok;
            success_value_ = v;
        }
        else if (slot_ != slot::ignore)
            wrong(boost::json::kind::bool_);
        value_done();
    }

    void null()
    {
        // Null is absent everywhere (servers emit it for unset optional fields), except in
        // place of an array element: dropping it would shift indexes and hide a server bug.
        switch (slot_)
        {
            case slot::root:
            case slot::model:
            case slot::item:
                wrong(boost::json::kind::null);
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
        field,  // the builder's current field
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
    void wrong(boost::json::kind got)
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
                builder_.wrong(got);
                break;
            case slot::model:
                builder_.model_wrong(got);
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

    // After a complete value: the next element of an array gets the next index.
    void value_done()
    {
        if (ctx_ == context::models)
            builder_.next_model();
        else if (ctx_ == context::items)
            ++item_index_;
    }

    void begin_instance(instance& i)
    {
        builder_.begin(i);
        ctx_ = context::instance;
    }

    // Of a page's items, the first that fails is named.
    void end_instance()
    {
        builder_.end();
        if (!builder_.failed() || data_failed_)
            return;
        data_failed_ = true;
        std::string& d = data_detail_;
        if (items_)
        {
            d = "data[";
            append_number(d, static_cast<std::uint64_t>(item_index_));
            d += "].";
        }
        else
            d = "data.";
        builder_.describe_error(d, redact_);
    }

    // Where the output goes: one instance, or the items and total of a page.
    instance* single_ = nullptr;
    std::vector<instance>* items_ = nullptr;
    std::optional<std::int64_t>* total_ = nullptr;
    std::string_view redact_;

    // Position.
    context ctx_ = context::top;
    slot slot_ = slot::root;
    std::size_t item_index_ = 0;

    // The envelope.
    bool root_bad_ = false;
    boost::json::kind root_kind_ = boost::json::kind::null;
    presence success_ = presence::absent;
    bool success_value_ = false;
    boost::json::kind success_kind_ = boost::json::kind::null;
    presence data_ = presence::absent;
    boost::json::kind data_kind_ = boost::json::kind::null;
    bool data_seen_ = false;
    total_state total_state_ = total_state::ok;
    boost::json::kind total_kind_ = boost::json::kind::null;
    std::int64_t total_negative_ = 0;
    std::uint64_t total_big_ = 0;

    // The values inside the instance object being read.
    instance_builder builder_;

    // The first failing instance (the only one, for a single envelope).
    bool data_failed_ = false;
    std::string data_detail_;
};

}  // namespace beeos::detail

#endif
