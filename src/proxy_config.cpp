// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#include "proxy_config.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <stdexcept>

namespace beeos::detail {
namespace {

std::string lower(std::string_view s)
{
    std::string out(s);
    for (char& c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string base64(std::string_view in)
{
    std::string out(4 * ((in.size() + 2) / 3), '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(in.data()),
                                  static_cast<int>(in.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

std::optional<std::vector<unsigned char>> address_bytes(std::string_view text)
{
    boost::system::error_code ec;
    auto a = boost::asio::ip::make_address(std::string(text), ec);
    if (ec)
        return std::nullopt;
    if (a.is_v4())
    {
        auto b = a.to_v4().to_bytes();
        return std::vector<unsigned char>(b.begin(), b.end());
    }
    auto v6 = a.to_v6();
    if (v6.is_v4_mapped())
    {
        auto b = boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6).to_bytes();
        return std::vector<unsigned char>(b.begin(), b.end());
    }
    auto b = v6.to_bytes();
    return std::vector<unsigned char>(b.begin(), b.end());
}

bool prefix_matches(const std::vector<unsigned char>& net, unsigned bits, const std::vector<unsigned char>& addr)
{
    if (net.size() != addr.size())
        return false;
    std::size_t full = bits / 8;
    if (!std::equal(net.begin(), net.begin() + static_cast<std::ptrdiff_t>(full), addr.begin()))
        return false;
    unsigned rest = bits % 8;
    if (rest == 0)
        return true;
    unsigned char mask = static_cast<unsigned char>(0xff << (8 - rest));
    return (net[full] & mask) == (addr[full] & mask);
}

}  // namespace

proxy_endpoint parse_proxy_url(std::string_view url, std::string_view field)
{
    auto fail = [&](std::string_view what) -> proxy_endpoint {
        throw std::invalid_argument(std::string(field) + " " + std::string(what));
    };
    std::string text(url);
    if (text.find("://") == std::string::npos)
        text = "http://" + text;
    auto parsed = boost::urls::parse_absolute_uri(text);
    if (!parsed)
        return fail("is not a proxy URL (expected http://[user:password@]host[:port])");
    boost::urls::url_view u = *parsed;
    if (u.scheme_id() == boost::urls::scheme::https)
        return fail("uses https://; only http:// proxies are supported (the tunnel to the API is TLS all the same)");
    if (u.scheme_id() != boost::urls::scheme::http)
        return fail("must use http://");
    proxy_endpoint p;
    switch (u.host_type())
    {
    case boost::urls::host_type::name: p.host = u.encoded_host().decode(); break;
    case boost::urls::host_type::ipv4:
    case boost::urls::host_type::ipv6: p.host = u.host_address(); break;
    default: return fail("has no usable host");
    }
    if (p.host.empty() || !std::all_of(p.host.begin(), p.host.end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' || c == ':';
        }))
        return fail("has an invalid host");
    if (u.has_port())
    {
        const auto port = u.port();
        if (port.empty() || port.size() > 5 || !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
            std::stoul(std::string(port)) == 0 || std::stoul(std::string(port)) > 65535)
            return fail("has an invalid port");
        p.port = port;
    }
    else
    {
        p.port = "80";
    }
    if (u.has_userinfo())
    {
        std::string user = u.encoded_user().decode();
        std::string password = u.has_password() ? u.encoded_password().decode() : std::string();
        p.authorization = "Basic " + base64(user + ":" + password);
    }
    const std::string path(u.encoded_path());
    if ((!path.empty() && path != "/") || u.has_query() || u.has_fragment())
        return fail("must not have a path, query or fragment");
    p.where = (u.host_type() == boost::urls::host_type::ipv6 ? "[" + p.host + "]" : p.host) + ":" + p.port;
    return p;
}

no_proxy_list::no_proxy_list(std::string_view spec)
{
    std::size_t i = 0;
    while (i < spec.size())
    {
        std::size_t j = spec.find_first_of(", \t", i);
        if (j == std::string_view::npos)
            j = spec.size();
        std::string_view item = spec.substr(i, j - i);
        i = j + 1;
        if (item.empty())
            continue;
        if (item == "*")
        {
            all_ = true;
            continue;
        }
        entry e;
        // "[v6]:port", "[v6]", "host:port", "v4/bits", "v6/bits", "v6".
        std::string_view host = item;
        std::string_view bits_text;
        if (host.front() == '[')
        {
            // "[v6]", "[v6]:port" or "[v6]/bits".
            auto close = host.find(']');
            if (close == std::string_view::npos)
                continue;
            auto after = host.substr(close + 1);
            if (after.starts_with(":"))
                e.port = after.substr(1);
            else if (after.starts_with("/"))
                bits_text = after.substr(1);
            host = host.substr(1, close - 1);
        }
        else if (std::count(host.begin(), host.end(), ':') == 1)
        {
            auto colon = host.find(':');
            e.port = host.substr(colon + 1);
            host = host.substr(0, colon);
        }
        if (auto slash = host.find('/'); slash != std::string_view::npos)
        {
            bits_text = host.substr(slash + 1);
            host = host.substr(0, slash);
        }
        if (auto bytes = address_bytes(host))
        {
            e.network = std::move(*bytes);
            e.prefix_bits = static_cast<unsigned>(e.network.size() * 8);
            if (!bits_text.empty())
            {
                if (!std::all_of(bits_text.begin(), bits_text.end(), [](char c) { return c >= '0' && c <= '9'; }) || bits_text.size() > 3)
                    continue;
                e.prefix_bits = std::min<unsigned>(static_cast<unsigned>(std::stoul(std::string(bits_text))), e.prefix_bits);
            }
        }
        else
        {
            while (host.starts_with("*."))  // "*.example.com" reads as ".example.com"
                host.remove_prefix(1);
            while (host.starts_with("."))
                host.remove_prefix(1);
            if (host.empty())
                continue;
            e.name = lower(host);
        }
        entries_.push_back(std::move(e));
    }
}

bool no_proxy_list::matches(std::string_view host, std::string_view port) const
{
    if (all_)
        return true;
    const std::string h = lower(host);
    const auto addr = address_bytes(h);
    for (const auto& e : entries_)
    {
        if (!e.port.empty() && e.port != port)
            continue;
        if (!e.network.empty())
        {
            if (addr && prefix_matches(e.network, e.prefix_bits, *addr))
                return true;
            continue;
        }
        if (addr)
            continue;  // a name never matches an address
        if (h == e.name || (h.size() > e.name.size() && h.ends_with(e.name) && h[h.size() - e.name.size() - 1] == '.'))
            return true;
    }
    return false;
}

std::string_view process_env(const char* name)
{
    // getenv races only with setenv/putenv in another thread; the client reads the environment
    // once, at construction, and documents that the caller must not change it meanwhile.
    const char* v = std::getenv(name);  // NOLINT(concurrency-mt-unsafe)
    return v ? std::string_view(v) : std::string_view();
}

proxy_decision decide_proxy(bool tls_origin, std::string_view host, std::string_view port, const std::optional<std::string>& option,
                            const std::optional<std::string>& no_proxy_option, env_lookup env)
{
    proxy_decision d;
    std::string_view url;
    if (option)
    {
        url = *option;
        d.source = "client_options.proxy";
    }
    else
    {
        static constexpr const char* https_names[] = {"HTTPS_PROXY", "https_proxy"};
        static constexpr const char* http_names[] = {"HTTP_PROXY", "http_proxy"};
        for (const char* name : tls_origin ? https_names : http_names)
        {
            url = env(name);
            if (!url.empty())
            {
                d.source = name;
                break;
            }
        }
    }
    if (url.empty())
        return d;
    // An explicit proxy is the user's whole decision: the environment's NO_PROXY is for the
    // environment's proxy (as Go's ProxyURL ignores it).
    std::string_view no_proxy;
    if (no_proxy_option)
        no_proxy = *no_proxy_option;
    else if (!option)
        no_proxy = !env("NO_PROXY").empty() ? env("NO_PROXY") : env("no_proxy");
    if (no_proxy_list(no_proxy).matches(host, port))
        return d;
    d.proxy = parse_proxy_url(url, d.source);
    return d;
}

}  // namespace beeos::detail
