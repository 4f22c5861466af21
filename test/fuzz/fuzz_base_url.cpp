// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
//
// beeos-fuzz-base-url: detail::parse_base_url either throws std::invalid_argument or yields an
// endpoint that is safe to put in a request line and a Host header. Input: the URL.
#include "fuzz_support.hpp"

#include "request.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace
{

// RFC 3986 allows leading zeros (`0443`); the value must be a TCP port.
bool is_port(const std::string& p)
{
    if (p.empty())
        return false;
    unsigned v = 0;
    for (char c : p)
    {
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + static_cast<unsigned>(c - '0');
        if (v > 65535)
            return false;
    }
    return v >= 1;
}

bool has_control_or_space(std::string_view s)
{
    for (char c : s)
    {
        const auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u == 0x7f)
            return true;
    }
    return false;
}

// Known finding `authority-then-rootless-path` (README): Boost.URL 1.81 reads what follows the
// authority as a path even without a '/', as in `https://h:443abc/` (prefix `abc`) or
// `http://1.2.3.4.5/` (host 1.2.3.4, prefix `.5`), and parse_base_url keeps it.
bool rootless(const std::string& prefix)
{
    return !prefix.empty() && prefix.front() != '/';
}

// Known finding `port-above-65535` (README): a port is checked through Boost.URL's 16-bit
// port_number(), so 80443 (80443 mod 65536 = 14907) passes while 65536 does not.
bool port_above_65535(const std::string& port)
{
    if (port.empty() || port.find_first_not_of("0123456789") != std::string::npos)
        return false;
    const std::size_t digits = port.size() - std::min(port.find_first_not_of('0'), port.size());
    return digits > 5 || (digits == 5 && port.substr(port.size() - 5) > "65535");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string url(reinterpret_cast<const char*>(data), size);
    beeos::detail::endpoint ep;
    try
    {
        ep = beeos::detail::parse_base_url(url);
    }
    catch (const std::invalid_argument&)
    {
        return 0;
    }
    // Any other exception escapes and libFuzzer reports it.

    BEEOS_FUZZ_CHECK(!ep.host.empty(), url);
    BEEOS_FUZZ_CHECK(!has_control_or_space(ep.host), url);
    BEEOS_FUZZ_CHECK(ep.host.find_first_of("/?#@") == std::string::npos, url);
    BEEOS_FUZZ_CHECK(is_port(ep.port), url + " -> port " + ep.port);
    BEEOS_FUZZ_CHECK(ep.path_prefix.empty() || ep.path_prefix.front() == '/', url + " -> prefix " + ep.path_prefix);
    // The prefix goes into the request line as it is.
    BEEOS_FUZZ_CHECK(!has_control_or_space(ep.path_prefix), url + " -> prefix " + ep.path_prefix);
    BEEOS_FUZZ_CHECK(ep.path_prefix.find_first_of("?#") == std::string::npos, url + " -> prefix " + ep.path_prefix);
    BEEOS_FUZZ_CHECK(ep.path_prefix.empty() || ep.path_prefix.back() != '/', url + " -> prefix " + ep.path_prefix);
    BEEOS_FUZZ_CHECK(!has_control_or_space(ep.host_header), url);
    return 0;
}
