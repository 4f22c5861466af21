// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#include "decode_instance.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parser.hpp>
#include <boost/json/value.hpp>

namespace beeos::detail
{
namespace
{

namespace json = boost::json;

// Error envelopes are read on failed calls only, so a DOM is simple enough. It lives in a
// monotonic resource that starts in this many bytes of stack, and the parser gets its own
// scratch space there too, so a small error body parses without touching the heap.
constexpr std::size_t error_dom_stack_bytes = 2048;
constexpr std::size_t parser_stack_bytes = 4096;

json::value parse_dom(std::string_view body, json::monotonic_resource& mr, boost::system::error_code& ec)
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
        boost::system::error_code ec;
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
