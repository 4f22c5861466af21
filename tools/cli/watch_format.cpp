// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#include "watch_format.hpp"

#include "table.hpp"

#include <beeos/error.hpp>
#include <beeos/instance_diff.hpp>
#include <beeos/waiter.hpp>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace beeos::cli
{

namespace json = boost::json;

std::string_view error_name(const boost::system::error_code& ec) noexcept
{
    if (!ec)
        return "ok";
    if (ec.category() == wait_category())
        switch (static_cast<wait_errc>(ec.value()))
        {
            case wait_errc::condition_unreachable:
                return "condition_unreachable";
            case wait_errc::deadline_passed:
                return "deadline_passed";
        }
    if (ec.category() != error_category())
        return "other";
    switch (static_cast<errc>(ec.value()))
    {
        case errc::invalid_argument:
            return "invalid_argument";
        case errc::bad_request:
            return "bad_request";
        case errc::unauthorized:
            return "unauthorized";
        case errc::forbidden:
            return "forbidden";
        case errc::not_found:
            return "not_found";
        case errc::rate_limited:
            return "rate_limited";
        case errc::server_error:
            return "server_error";
        case errc::http_error:
            return "http_error";
        case errc::timeout:
            return "timeout";
        case errc::connection:
            return "connection";
        case errc::tls:
            return "tls";
        case errc::certificate:
            return "certificate";
        case errc::protocol:
            return "protocol";
        case errc::body_too_large:
            return "body_too_large";
        case errc::headers_too_large:
            return "headers_too_large";
        case errc::decode:
            return "decode";
        case errc::cancelled:
            return "cancelled";
        case errc::shut_down:
            return "shut_down";
        case errc::mismatched_response:
            return "mismatched_response";
        default:
            // A kind newer than this tool: still one word a script can match.
            return "other";
    }
}

std::string format_event_text(const watch_event& e, const field_list& fields, timestamp at)
{
    std::string line = format_timestamp(at);
    line += "  ";
    line += sanitize_cell(e.id);
    line += "  ";
    line += to_string(e.type);
    line += "  ";
    if (e.type == watch_event::kind::error)
    {
        line += format_error(e.ec, e.error);
        line += '\n';
        return line;
    }
    if (e.type == watch_event::kind::changed || e.type == watch_event::kind::recovered)
    {
        std::string changes;
        for (instance_field f : e.changed)
        {
            if (!changes.empty())
                changes += "; ";
            changes += to_string(f);
            changes += ": ";
            changes += sanitize_cell(e.previous ? e.previous->text(f) : std::string_view());
            changes += " -> ";
            changes += sanitize_cell(e.current.text(f));
        }
        if (e.type == watch_event::kind::changed)
        {
            line += changes;
            line += '\n';
            return line;
        }
        line += changes.empty() ? std::string("(no change)") : changes;
        line += "  ";
    }
    bool first = true;
    for (const field* f : fields)
    {
        if (!first)
            line += ' ';
        first = false;
        line += f->name;
        line += '=';
        line += sanitize_cell(cell_text(f->get(e.full)));
    }
    line += '\n';
    return line;
}

std::string format_event_json(const watch_event& e, const field_list& fields, timestamp at)
{
    json::object o;
    o["time"] = format_timestamp(at);
    o["id"] = e.id;
    o["event"] = to_string(e.type);
    if (e.type == watch_event::kind::error)
    {
        json::object err;
        err["code"] = error_name(e.ec);
        err["httpStatus"] = e.error.http_status;
        err["apiCode"] = e.error.api_code;
        err["requestId"] = e.error.request_id;
        err["message"] = format_error(e.ec, e.error);
        o["error"] = std::move(err);
    }
    else
    {
        if (e.type != watch_event::kind::initial)
        {
            json::object changed;
            for (instance_field f : e.changed)
            {
                json::object move;
                move["from"] = e.previous ? e.previous->text(f) : std::string_view();
                move["to"] = e.current.text(f);
                changed[to_string(f)] = std::move(move);
            }
            o["changed"] = std::move(changed);
        }
        o["instance"] = to_json(e.full, fields);
    }
    std::string line = json::serialize(o);
    line += '\n';
    return line;
}

}  // namespace beeos::cli
