// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#ifndef BEEOS_SRC_JSON_WALKER_HPP
#define BEEOS_SRC_JSON_WALKER_HPP

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/storage_ptr.hpp>
#include <boost/json/string.hpp>
#include <boost/json/string_view.hpp>
#include <boost/json/value_stack.hpp>
#include <boost/system/error_code.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace beeos::detail
{

/// What a sink wants done with an object or array that begins.
enum class json_action : std::uint8_t
{
    enter,    // deliver its members or elements to the sink
    skip,     // deliver nothing of it; `skipped()` when it ends
    capture,  // build it as a boost::json::value in `capture_storage()`; `captured(v)` when it ends
};

/// A boost::json::basic_parser handler that turns the parser's events into whole values for a
/// `Sink`, without building a DOM:
///   - strings and keys that arrive in parts (they had escapes) are joined, so the sink sees
///     each as one string_view;
///   - an object or array the sink skips, with everything nested in it, reaches the sink as one
///     `skipped()` at its end;
///   - one the sink captures reaches it as one `captured(value)`, built through a value_stack.
///
/// The Sink provides: `json_action object_begin()`, `object_end()`, `json_action array_begin()`
/// (enter or skip), `array_end()`, `skipped()`, `const boost::json::storage_ptr& capture_storage()`,
/// `captured(boost::json::value&&)`, `key(std::string_view)`, `string(std::string_view)`,
/// `int64(std::int64_t)`, `uint64(std::uint64_t)`, `double_(double)`, `boolean(bool)` and `null()`.
/// The walker never stops the parse: the sink records what it finds wrong, so that a syntax
/// error later in the body still wins.
template <class Sink>
class json_walker
{
public:
    // The limits boost::json::parser's own handler uses.
    static constexpr std::size_t max_object_size = boost::json::object::max_size();
    static constexpr std::size_t max_array_size = boost::json::array::max_size();
    static constexpr std::size_t max_key_size = boost::json::string::max_size();
    static constexpr std::size_t max_string_size = boost::json::string::max_size();

    template <class... Args>
    explicit json_walker(Args&&... args) : sink_(std::forward<Args>(args)...)
    {
    }

    Sink& sink() noexcept { return sink_; }

    // --- the basic_parser handler interface

    bool on_document_begin(boost::system::error_code&) { return true; }
    bool on_document_end(boost::system::error_code&) { return true; }
    bool on_comment_part(boost::json::string_view, boost::system::error_code&) { return true; }
    bool on_comment(boost::json::string_view, boost::system::error_code&) { return true; }
    bool on_number_part(boost::json::string_view, boost::system::error_code&) { return true; }

    bool on_object_begin(boost::system::error_code&)
    {
        if (nested())
            return true;
        begin(sink_.object_begin());
        return true;
    }

    bool on_object_end(std::size_t n, boost::system::error_code&)
    {
        if (skip_)
            end_skip();
        else if (capture_)
        {
            values_.push_object(n);
            end_capture();
        }
        else
            sink_.object_end();
        return true;
    }

    bool on_array_begin(boost::system::error_code&)
    {
        if (nested())
            return true;
        begin(sink_.array_begin());
        return true;
    }

    bool on_array_end(std::size_t n, boost::system::error_code&)
    {
        if (skip_)
            end_skip();
        else if (capture_)
        {
            values_.push_array(n);
            end_capture();
        }
        else
            sink_.array_end();
        return true;
    }

    bool on_key_part(boost::json::string_view s, std::size_t, boost::system::error_code&)
    {
        if (skip_)
            return true;
        if (capture_)
            values_.push_chars(s);
        else
            append_part(s);
        return true;
    }

    bool on_key(boost::json::string_view s, std::size_t, boost::system::error_code&)
    {
        if (skip_)
            return true;
        if (capture_)
            values_.push_key(s);
        else
            sink_.key(finish_part(s));
        return true;
    }

    bool on_string_part(boost::json::string_view s, std::size_t, boost::system::error_code&)
    {
        if (skip_)
            return true;
        if (capture_)
            values_.push_chars(s);
        else
            append_part(s);
        return true;
    }

    bool on_string(boost::json::string_view s, std::size_t, boost::system::error_code&)
    {
        if (skip_)
            return true;
        if (capture_)
            values_.push_string(s);
        else
            sink_.string(finish_part(s));
        return true;
    }

    bool on_int64(std::int64_t v, boost::json::string_view, boost::system::error_code&)
    {
        if (skip_)
            return true;
        if (capture_)
            values_.push_int64(v);
        else
            sink_.int64(v);
        return true;
    }

    bool on_uint64(std::uint64_t v, boost::json::string_view, boost::system::error_code&)
    {
        if (skip_)
            return true;
        if (capture_)
            values_.push_uint64(v);
        else
            sink_.uint64(v);
        return true;
    }

    bool on_double(double v, boost::json::string_view, boost::system::error_code&)
    {
        if (skip_)
            return true;
        if (capture_)
            values_.push_double(v);
        else
            sink_.double_(v);
        return true;
    }

    bool on_bool(bool v, boost::system::error_code&)
    {
        if (skip_)
            return true;
        if (capture_)
            values_.push_bool(v);
        else
            sink_.boolean(v);
        return true;
    }

    bool on_null(boost::system::error_code&)
    {
        if (skip_)
            return true;
        if (capture_)
            values_.push_null();
        else
            sink_.null();
        return true;
    }

private:
    // Inside a value being skipped or captured, a container that begins only goes one deeper.
    bool nested() noexcept
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
        return false;
    }

    void begin(json_action a)
    {
        switch (a)
        {
            case json_action::enter:
                break;
            case json_action::skip:
                skip_ = 1;
                break;
            case json_action::capture:
                values_.reset(sink_.capture_storage());
                capture_ = 1;
                break;
        }
    }

    void end_skip()
    {
        if (--skip_ == 0)
            sink_.skipped();
    }

    void end_capture()
    {
        if (--capture_ == 0)
            sink_.captured(values_.release());
    }

    // A string, or key, given in parts: the parts go to `part_`.
    void append_part(boost::json::string_view s)
    {
        if (!in_parts_)
        {
            part_.assign(s.data(), s.size());
            in_parts_ = true;
        }
        else
            part_.append(s.data(), s.size());
    }

    std::string_view finish_part(boost::json::string_view s)
    {
        if (!in_parts_)
            return {s.data(), s.size()};
        in_parts_ = false;
        part_.append(s.data(), s.size());
        return part_;
    }

    Sink sink_;
    std::size_t skip_ = 0;     // > 0: inside a value being skipped, this deep
    std::size_t capture_ = 0;  // > 0: inside a value being built in values_, this deep
    bool in_parts_ = false;
    std::string part_;

    // The scratch buffer holds the pending values of typical captured objects; deeper or larger
    // ones spill to the heap.
    unsigned char values_buffer_[1024];
    boost::json::value_stack values_{boost::json::storage_ptr(), values_buffer_, sizeof values_buffer_};
};

}  // namespace beeos::detail

#endif
