// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#ifndef BEEOS_SRC_REQUEST_HPP
#define BEEOS_SRC_REQUEST_HPP

#include <beeos/client_options.hpp>
#include <beeos/listing.hpp>

#include <boost/system/error_code.hpp>

#include <string>
#include <string_view>

namespace beeos::detail {

/// The parts of `client_options::base_url` the client needs, checked once at construction.
struct endpoint
{
    bool tls = true;
    std::string host;         ///< as in the URL, without brackets for IPv6 literals
    std::string port;         ///< explicit or the scheme's default
    std::string host_header;  ///< what `Host:` carries (`host` or `host:port`)
    std::string path_prefix;  ///< "" or "/prefix" without a trailing slash
    bool host_is_ip = false;  ///< IP literals get no SNI and are verified as IP addresses
    /// "" or, for an http API reached through a proxy, "http://host[:port]": request targets are
    /// then in absolute form (RFC 9112 section 3.2.2).
    std::string target_origin;
};

/// Parses `scheme://host[:port][/path-prefix]` with Boost.URL.
/// \throws std::invalid_argument naming the problem (never echoing userinfo, which may hold secrets).
endpoint parse_base_url(std::string_view base_url);

/// Largest id accepted, in characters as the caller gave them (the contract's `maxLength: 128`).
inline constexpr std::size_t max_id_length = 128;

/// Validates an instance id before any I/O; fills `detail` when invalid.
boost::system::error_code validate_id(std::string_view id, std::string& detail);

/// Appends `{prefix}/api/v1/instances/{id}` to `out`, the id percent-encoded as one path segment,
/// so that `/ ? # %` and spaces in an id can never change the path.
void append_instance_target(std::string& out, std::string_view path_prefix, std::string_view id);

/// The fixed part of every request: everything after the request line, precomputed once per
/// client so a request is written from one buffer (`Host`, `Authorization`, `Accept`,
/// `User-Agent`, terminated by the empty line).
/// The `User-Agent` value: `user_agent` (if any), then `beeos-cpp/<version>`.
std::string user_agent_value(std::string_view user_agent);

std::string make_fixed_headers(const endpoint& ep, std::string_view token, std::string_view user_agent, std::string_view proxy_authorization = {},
                               bool accept_gzip = false);

/// Writes the whole `GET` request for `id` into `out` (cleared first).
void build_get_instance_request(std::string& out, const endpoint& ep, std::string_view fixed_headers, std::string_view id);

/// Largest `pageSize` the contract allows for `listInstances`.
inline constexpr std::uint32_t max_page_size = 200;

/// Validates a listing request before any I/O; fills `detail` when invalid.
boost::system::error_code validate_list_filter(const list_filter& filter, std::string& detail);

/// Writes the whole `GET {prefix}/api/v1/instances?page=..&pageSize=..[&filters]` request into
/// `out` (cleared first), the query built and percent-encoded by Boost.URL.
void build_list_instances_request(std::string& out, const endpoint& ep, std::string_view fixed_headers, const list_filter& filter, std::uint32_t page);

}  // namespace beeos::detail

#endif
