// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#include "decode_detail.hpp"

#include <beeos/error.hpp>

#include <charconv>

namespace beeos::detail
{

std::string_view describe_kind(boost::json::kind k) noexcept
{
    using boost::json::kind;
    switch (k)
    {
        case kind::null:
            return "null";
        case kind::bool_:
            return "a boolean";
        case kind::int64:
        case kind::uint64:
            return "an integer";
        case kind::double_:
            return "a floating-point number";
        case kind::string:
            return "a string";
        case kind::array:
            return "an array";
        case kind::object:
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

void append_type_error(std::string& detail, std::string_view expected, boost::json::kind got)
{
    detail += ": expected ";
    detail += expected;
    detail += ", got ";
    detail += describe_kind(got);
}

void append_quoted(std::string& out, std::string_view value, std::size_t max_bytes, std::string_view redact)
{
    // Redact before cutting: cut first, and a secret straddling the cut would leave its head in
    // the message, where no later scrub of the whole secret can find it.
    std::string redacted;
    if (!redact.empty() && value.find(redact) != std::string_view::npos)
    {
        for (std::size_t pos = 0;;)
        {
            const std::size_t hit = value.find(redact, pos);
            redacted.append(value.substr(pos, hit - pos));
            if (hit == std::string_view::npos)
                break;
            redacted += "[redacted]";
            pos = hit + redact.size();
        }
        value = redacted;
    }

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

boost::system::error_code decode_failure(std::string& detail, std::string_view text)
{
    detail.assign(text);
    return make_error_code(errc::decode);
}

boost::system::error_code decode_type_failure(std::string& detail, std::string_view what, std::string_view expected, boost::json::kind got)
{
    detail.assign(what);
    append_type_error(detail, expected, got);
    return make_error_code(errc::decode);
}

boost::system::error_code decode_syntax_failure(std::string& detail, const boost::system::error_code& ec, std::size_t offset)
{
    detail = "body is not JSON: ";
    detail += ec.message();
    detail += " at offset ";
    append_number(detail, static_cast<std::uint64_t>(offset));
    return make_error_code(errc::decode);
}

}  // namespace beeos::detail
