// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#include "request.hpp"

#include <beeos/error.hpp>
#include <beeos/version.hpp>

#include <boost/asio/ip/address.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <boost/url/url.hpp>
#include <boost/url/url_view.hpp>

#include <algorithm>
#include <stdexcept>

namespace beeos::detail {
namespace {

// Counts code points the way JSON Schema's maxLength does; false for malformed UTF-8, which no
// JSON string on the server side can hold, so such an id could never match.
bool count_utf8_code_points(std::string_view s, std::size_t& count)
{
    count = 0;
    for (std::size_t i = 0; i < s.size();)
    {
        auto c = static_cast<unsigned char>(s[i]);
        std::size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
        if (len == 0 || i + len > s.size())
            return false;
        for (std::size_t k = 1; k < len; ++k)
            if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80)
                return false;
        i += len;
        ++count;
    }
    return true;
}

}  // namespace

endpoint parse_base_url(std::string_view base_url)
{
    auto parsed = boost::urls::parse_absolute_uri(base_url);
    if (!parsed)
        throw std::invalid_argument("client_options.base_url is not an absolute URL (expected scheme://host[:port][/path-prefix])");
    boost::urls::url_view u = *parsed;

    endpoint ep;
    if (u.scheme_id() == boost::urls::scheme::https)
        ep.tls = true;
    else if (u.scheme_id() == boost::urls::scheme::http)
        ep.tls = false;
    else
        throw std::invalid_argument("client_options.base_url must use https:// or http://");

    if (u.has_userinfo())
        throw std::invalid_argument("client_options.base_url must not contain user information; put credentials in client_options.token");
    if (u.has_query() || u.has_fragment())
        throw std::invalid_argument("client_options.base_url must not have a query or fragment");

    switch (u.host_type())
    {
    case boost::urls::host_type::name:
        ep.host = u.encoded_host().decode();
        // Percent-decoding can produce anything, CR and LF included, and the host goes into
        // the Host header, SNI and the name lookup: only a DNS name's characters may stay.
        if (!std::all_of(ep.host.begin(), ep.host.end(), [](char c) {
                return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
            }))
            throw std::invalid_argument("client_options.base_url has a host with characters a DNS name cannot have");
        break;
    case boost::urls::host_type::ipv4:
    case boost::urls::host_type::ipv6:
        ep.host = u.host_address();
        ep.host_is_ip = true;
        break;
    default: throw std::invalid_argument("client_options.base_url has no usable host");
    }
    if (ep.host.empty())
        throw std::invalid_argument("client_options.base_url has an empty host");

    if (u.has_port())
    {
        // port_number() is 16 bits wide and wraps: check the text itself.
        const auto text = u.port();
        if (text.empty() || text.size() > 5 || !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
            std::stoul(std::string(text)) == 0 || std::stoul(std::string(text)) > 65535)
            throw std::invalid_argument("client_options.base_url has an invalid port (1 to 65535)");
        ep.port = text;
    }
    else
    {
        ep.port = ep.tls ? "443" : "80";
    }

    std::string authority_host = u.host_type() == boost::urls::host_type::ipv6 ? "[" + ep.host + "]" : ep.host;
    bool default_port = !u.has_port() || (ep.tls && ep.port == "443") || (!ep.tls && ep.port == "80");
    ep.host_header = default_port ? authority_host : authority_host + ":" + ep.port;

    // Keep the prefix as the user encoded it, minus trailing slashes: `https://h/gw/` is `/gw`.
    std::string prefix(u.encoded_path());
    // A path right after the authority always starts with '/'; anything else means the host or
    // port ran on into text (`https://h:443abc`) that would be glued to every request target.
    if (!prefix.empty() && prefix.front() != '/')
        throw std::invalid_argument("client_options.base_url has text after the host or port that is not a path");
    while (!prefix.empty() && prefix.back() == '/')
        prefix.pop_back();
    ep.path_prefix = std::move(prefix);
    return ep;
}

boost::system::error_code validate_id(std::string_view id, std::string& detail)
{
    if (id.empty())
    {
        detail = "the instance id is empty";
        return errc::invalid_argument;
    }
    std::size_t count = 0;
    if (!count_utf8_code_points(id, count))
    {
        detail = "the instance id is not valid UTF-8";
        return errc::invalid_argument;
    }
    // A path segment of "." or ".." is resolved away by every proxy that normalises paths,
    // encoded or not, so such an id would climb out of /instances/: no instance has one.
    if (id == "." || id == "..")
    {
        detail = "the instance id is \"" + std::string(id) + "\", which names no instance (it is a relative path segment)";
        return errc::invalid_argument;
    }
    if (count > max_id_length)
    {
        detail = "the instance id has " + std::to_string(count) + " characters; the API allows at most " +
                 std::to_string(max_id_length);
        return errc::invalid_argument;
    }
    return {};
}

void append_instance_target(std::string& out, std::string_view path_prefix, std::string_view id)
{
    out += path_prefix;
    out += "/api/v1/instances/";
    // validate_id refused "." and ".."; any other id is one segment once encoded.
    boost::urls::encoding_opts opts;
    opts.space_as_plus = false;
    out += boost::urls::encode(id, boost::urls::unreserved_chars, opts);
}

std::string make_fixed_headers(const endpoint& ep, std::string_view token, std::string_view user_agent, std::string_view proxy_authorization,
                               bool accept_gzip)
{
    std::string h;
    h += "Host: ";
    h += ep.host_header;
    h += "\r\n";
    if (!proxy_authorization.empty())
    {
        h += "Proxy-Authorization: ";
        h += proxy_authorization;
        h += "\r\n";
    }
    if (!token.empty())
    {
        h += "Authorization: Bearer ";
        h += token;
        h += "\r\n";
    }
    h += "Accept: application/json\r\n";
    if (accept_gzip)
        h += "Accept-Encoding: gzip\r\n";
    h += "User-Agent: ";
    h += user_agent_value(user_agent);
    h += "\r\n\r\n";
    return h;
}

std::string user_agent_value(std::string_view user_agent)
{
    std::string v;
    if (!user_agent.empty())
    {
        v += user_agent;
        v += ' ';
    }
    v += "beeos-cpp/" BEEOS_VERSION_STRING;
    return v;
}

void build_get_instance_request(std::string& out, const endpoint& ep, std::string_view fixed_headers, std::string_view id)
{
    out.clear();
    out += "GET ";
    out += ep.target_origin;
    append_instance_target(out, ep.path_prefix, id);
    out += " HTTP/1.1\r\n";
    out += fixed_headers;
}

boost::system::error_code validate_list_filter(const list_filter& filter, std::string& detail)
{
    if (filter.page_size == 0 || filter.page_size > max_page_size)
    {
        detail = "list_filter.page_size is " + std::to_string(filter.page_size) + "; the API allows 1 to " + std::to_string(max_page_size);
        return errc::invalid_argument;
    }
    return {};
}

void build_list_instances_request(std::string& out, const endpoint& ep, std::string_view fixed_headers, const list_filter& filter, std::uint32_t page)
{
    // The prefix is already encoded (it came from the user's URL); the query is built by
    // Boost.URL so that filter values can never add parameters or break the request line.
    boost::urls::url target;
    target.set_encoded_path(ep.path_prefix + "/api/v1/instances");
    auto params = target.params();
    params.append({"page", std::to_string(page)});
    params.append({"pageSize", std::to_string(filter.page_size)});
    auto add = [&](std::string_view key, const std::string& value) {
        if (!value.empty())
            params.append({key, value});
    };
    add("status", filter.status);
    add("providerId", filter.provider_id);
    add("agentFramework", filter.agent_framework);
    add("clusterId", filter.cluster_id);
    add("search", filter.search);

    out.clear();
    out += "GET ";
    out += ep.target_origin;
    out += target.encoded_target();
    out += " HTTP/1.1\r\n";
    out += fixed_headers;
}

}  // namespace beeos::detail
