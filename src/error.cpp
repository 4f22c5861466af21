// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#include <beeos/error.hpp>

#include "sanitise.hpp"

#include <string>

namespace beeos {

using detail::append_sanitised;

namespace {

class category final : public boost::system::error_category
{
public:
    // A fixed id lets codes compare equal across shared-library boundaries.
    constexpr category() noexcept : error_category(0xbee05c11e47ull) {}

    const char* name() const noexcept override { return "beeos"; }

    std::string message(int ev) const override { return message(ev, nullptr, 0); }

    // The portable conditions of the Asio codes callers already test for: a cancelled call is
    // `operation_canceled` (asio::error::operation_aborted's condition), a timed out one
    // `timed_out`. Everything else is only itself.
    boost::system::error_condition default_error_condition(int ev) const noexcept override
    {
        switch (static_cast<errc>(ev))
        {
        case errc::cancelled: return boost::system::errc::make_error_condition(boost::system::errc::operation_canceled);
        case errc::timeout: return boost::system::errc::make_error_condition(boost::system::errc::timed_out);
        default: return {ev, *this};
        }
    }

    const char* message(int ev, char*, std::size_t) const noexcept override
    {
        switch (static_cast<errc>(ev))
        {
        case errc::invalid_argument: return "invalid argument";
        case errc::bad_request: return "bad request";
        case errc::unauthorized: return "unauthorized";
        case errc::forbidden: return "forbidden";
        case errc::not_found: return "not found";
        case errc::rate_limited: return "rate limited";
        case errc::server_error: return "server error";
        case errc::http_error: return "unexpected HTTP status";
        case errc::timeout: return "timed out";
        case errc::connection: return "connection failed";
        case errc::tls: return "TLS failure";
        case errc::certificate: return "certificate verification failed";
        case errc::protocol: return "HTTP protocol error";
        case errc::body_too_large: return "response body too large";
        case errc::headers_too_large: return "response headers too large";
        case errc::decode: return "response does not match the API contract";
        case errc::cancelled: return "cancelled";
        case errc::shut_down: return "client shut down";
        case errc::mismatched_response: return "response does not match the request";
        case errc::proxy: return "the proxy refused or failed the connection";
        }
        return ev == 0 ? "success" : "unknown beeos error";
    }
};

constexpr category the_category;

}  // namespace

const boost::system::error_category& error_category() noexcept { return the_category; }

std::string format_error(const boost::system::error_code& ec, const error_info& info)
{
    std::string out = "beeos: get_instance(\"";
    append_sanitised(out, info.id, 140);
    out += "\"): ";
    out += ec.message();

    std::string paren;
    auto add = [&paren](std::string_view label, std::string_view value, bool quoted) {
        if (!paren.empty())
            paren += ", ";
        paren += label;
        paren += quoted ? " \"" : " ";
        append_sanitised(paren, value, 128);
        if (quoted)
            paren += '"';
    };
    if (info.http_status != 0)
        add("HTTP", std::to_string(info.http_status), false);
    else if (ec.category() == error_category() && ec.value() != static_cast<int>(errc::invalid_argument) &&
             ec.value() != static_cast<int>(errc::cancelled) && ec.value() != static_cast<int>(errc::shut_down))
        paren = "no HTTP status received";
    if (!info.api_code.empty())
        add("code", info.api_code, true);
    if (!info.request_id.empty())
        add("request_id", info.request_id, true);
    if (!info.credential_tag.empty())
        add("credential", info.credential_tag, false);  // the tag, never the token
    if (info.retry_after)
        add("retry after", std::to_string(info.retry_after->count()) + "s", false);
    if (info.attempts > 1)
        add("attempts", std::to_string(info.attempts), false);
    if (!paren.empty())
        out += " (" + paren + ")";

    if (!info.detail.empty())
    {
        out += ": ";
        append_sanitised(out, info.detail, 300);
    }
    if (!info.message.empty())
    {
        out += info.detail.empty() ? ": " : "; server says: ";
        append_sanitised(out, info.message, 300);
    }
    if (info.cause)
    {
        out += " [";
        out += info.cause.category().name();
        out += ": ";
        append_sanitised(out, info.cause.message(), 200);
        out += "]";
    }
    return out;
}

error::error(boost::system::error_code ec, error_info info)
    : boost::system::system_error(ec), info_(std::move(info)), what_(format_error(ec, info_))
{
}

}  // namespace beeos
