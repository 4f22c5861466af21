// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#ifndef BEEOS_SRC_PROXY_CONFIG_HPP
#define BEEOS_SRC_PROXY_CONFIG_HPP

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace beeos::detail {

/// An HTTP proxy, from a URL `http://[user[:password]@]host[:port]`.
struct proxy_endpoint
{
    std::string host;           ///< without brackets for IPv6 literals
    std::string port;           ///< explicit or 80
    std::string authorization;  ///< `Basic <base64(user:password)>` from the userinfo, or empty
    std::string where;          ///< "host:port" for messages (never the credentials)

    friend bool operator==(const proxy_endpoint&, const proxy_endpoint&) = default;
};

/// Parses a proxy URL. `http://` only (a TLS connection to the proxy itself is not supported);
/// a missing scheme means `http://`, as curl and Go read `HTTPS_PROXY=proxy:3128`. The userinfo
/// is percent-decoded. \throws std::invalid_argument naming `field` and the problem, never the
/// credentials.
proxy_endpoint parse_proxy_url(std::string_view url, std::string_view field);

/// `NO_PROXY` as curl and Go read it: a comma- (or space-) separated list of `*` (every host),
/// host names and domain suffixes (`example.com` and `.example.com` both match
/// `example.com` and `api.example.com`, case-insensitively), IP literals and CIDR ranges
/// (`10.0.0.0/8`, `::1`, `[::1]`), each optionally with `:port` to match that port only.
class no_proxy_list
{
public:
    no_proxy_list() = default;
    explicit no_proxy_list(std::string_view spec);

    /// True when a connection to `host` (a name, or an IP literal without brackets) on `port`
    /// goes direct.
    bool matches(std::string_view host, std::string_view port) const;

    bool empty() const noexcept { return entries_.empty() && !all_; }

private:
    struct entry
    {
        std::string name;         // lower case, no leading dot; empty for an address range
        std::vector<unsigned char> network;  // 4 or 16 bytes for an address range
        unsigned prefix_bits = 0;
        std::string port;         // empty: any port
    };
    std::vector<entry> entries_;
    bool all_ = false;
};

/// What the client does about proxies, decided once at construction.
struct proxy_decision
{
    std::optional<proxy_endpoint> proxy;  ///< nullopt: connect directly
    std::string source;                   ///< where it came from: "client_options.proxy", "HTTPS_PROXY", ...
};

/// The environment as the decision reads it; a function so tests pass their own.
using env_lookup = std::string_view (*)(const char* name);

/// Reads the process environment (`std::getenv`), an absent variable as empty.
std::string_view process_env(const char* name);

/// Picks the proxy for an origin: an explicit `option` wins (empty string: no proxy), with
/// `no_proxy_option` as its only exceptions; otherwise `HTTPS_PROXY`/`https_proxy` for https
/// origins, `HTTP_PROXY`/`http_proxy` for http ones (upper case first, as Go reads them),
/// unless `no_proxy_option`, else `NO_PROXY`/`no_proxy`, matches the origin's host and port.
proxy_decision decide_proxy(bool tls_origin, std::string_view host, std::string_view port, const std::optional<std::string>& option,
                            const std::optional<std::string>& no_proxy_option, env_lookup env = process_env);

}  // namespace beeos::detail

#endif
