// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#include "error_mapping.hpp"

#include "decode_instance.hpp"
#include "retry_after.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

namespace beeos::detail {
namespace {

std::string bounded(std::string s, std::string_view token) { return bounded_server_text(std::move(s), token); }

// A redirect is reported with the origin it points at, never followed: following it would send
// the bearer token to a host the user did not choose. Path and query are left out, since they
// may carry signed parameters; the origin is server text like any other.
std::string describe_redirect(const std::string& location, std::string_view token)
{
    if (location.empty())
        return "the server answered with a redirect without a Location; redirects are not followed";
    auto parsed = boost::urls::parse_uri_reference(location);
    std::string origin;
    if (parsed && parsed->has_authority())
    {
        origin = parsed->has_scheme() ? std::string(parsed->scheme()) + "://" : "//";
        origin += parsed->encoded_host_and_port();
    }
    else
    {
        origin = "the same host";
    }
    return "the server redirects to " + bounded(std::move(origin), token) + "; redirects are not followed, so the token is never sent elsewhere";
}

}  // namespace

std::string bounded_server_text(std::string text, std::string_view secret)
{
    scrub_secret(text, secret);
    if (text.size() > max_server_text)
    {
        std::size_t end = max_server_text;
        while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xc0) == 0x80)
            --end;
        text.resize(end);
    }
    return text;
}

void scrub_secret(std::string& text, std::string_view secret)
{
    if (secret.empty())
        return;
    static constexpr std::string_view mark = "[redacted]";
    // Search on after the mark: a secret that occurs inside "[redacted]" must not loop.
    for (auto pos = text.find(secret); pos != std::string::npos; pos = text.find(secret, pos + mark.size()))
        text.replace(pos, secret.size(), mark);
}

errc errc_from_status(int status) noexcept
{
    if (status >= 200 && status < 300)
        return errc{};
    switch (status)
    {
    case 400: return errc::bad_request;
    case 401: return errc::unauthorized;
    case 403: return errc::forbidden;
    case 404: return errc::not_found;
    case 429: return errc::rate_limited;
    default: return status >= 500 && status < 600 ? errc::server_error : errc::http_error;
    }
}

boost::system::error_code interpret_response(
    http_response& res,
    body_decoder& decoder,
    error_info& info,
    std::string_view token,
    std::chrono::system_clock::time_point now
)
{
    info.http_status = res.status;
    info.request_id = bounded(res.request_id, token);
    if (!res.retry_after.empty())
        info.retry_after = parse_retry_after(res.retry_after, now);

    errc kind = errc_from_status(res.status);
    if (kind == errc{})
    {
        std::string detail;
        auto ec = decoder.decode_body(res.body, detail);
        if (!ec)
            return {};
        info.detail = bounded(std::move(detail), token);
        if (ec != errc::decode)
            return ec;
        // A 2xx can still carry an error envelope; keep what it says.
        api_error_body body;
        if (decode_error_envelope(res.body, body))
        {
            info.api_type = bounded(std::move(body.type), token);
            info.api_code = bounded(std::move(body.code), token);
            info.message = bounded(std::move(body.message), token);
            if (!body.request_id.empty())
                info.request_id = bounded(std::move(body.request_id), token);
        }
        return errc::decode;
    }

    api_error_body body;
    if (decode_error_envelope(res.body, body))
    {
        info.api_type = bounded(std::move(body.type), token);
        info.api_code = bounded(std::move(body.code), token);
        info.message = bounded(std::move(body.message), token);
        if (!body.request_id.empty())
            info.request_id = bounded(std::move(body.request_id), token);
    }
    else if (res.status < 300 || res.status >= 400)
    {
        info.detail = "the body (" + std::to_string(res.body.size()) + " bytes) is not a BeeOS error envelope";
    }
    if (res.status >= 300 && res.status < 400)
        info.detail = describe_redirect(res.location, token);
    return kind;
}

}  // namespace beeos::detail
