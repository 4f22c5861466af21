// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#include "options.hpp"

#include "duration.hpp"

#include <beeos/version.hpp>

#include <boost/program_options/value_semantic.hpp>

#include <cmath>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace beeos::cli
{

namespace
{

constexpr std::string_view default_url = "https://openapi.beeos.ai";

std::string env_string(const env_lookup& env, const char* name)
{
    const char* v = env ? env(name) : nullptr;
    return v ? std::string(v) : std::string();
}

std::chrono::milliseconds duration_option(const po::variables_map& vm, const char* name)
{
    try
    {
        return parse_duration(vm[name].as<std::string>());
    }
    catch (const std::invalid_argument& e)
    {
        throw std::invalid_argument(std::string("--") + name + ": " + e.what());
    }
}

}  // namespace

po::options_description generic_options()
{
    po::options_description d("General options");
    d.add_options()                                                   //
        ("help,h", po::bool_switch(), "show this help and exit")      //
        ("version", po::bool_switch(), "show the version and exit");  //
    return d;
}

po::options_description connection_options(bool per_call_timeout)
{
    po::options_description d("Connection options");
    d.add_options()  //
        ("url",
         po::value<std::string>()->value_name("URL"),
         "API base URL, scheme://host[:port][/prefix] (default: $BEEOS_API_URL, else https://openapi.beeos.ai)")  //
        ("api-key-file",
         po::value<std::string>()->value_name("FILE"),
         "read the API key (or JWT) from the first line of FILE; prefer this or $BEEOS_API_KEY to --api-key")  //
        ("api-key",
         po::value<std::string>()->value_name("KEY"),
         "the API key itself (discouraged: shell history keeps it, and it is visible in the process list until the tool has started)")  //
        ("ca-file",
         po::value<std::string>()->value_name("FILE"),
         "extra PEM trust anchors, added to the system store (default: $BEEOS_CA_FILE)")                                     //
        ("connections", po::value<long long>()->value_name("N"), "keep-alive connections at most (default 32)")              //
        ("rate", po::value<double>()->value_name("R"), "requests per second at most, retries included (default: no limit)")  //
        ("burst", po::value<long long>()->value_name("N"), "with --rate: requests that may leave back to back (default 1)")  //
        ("verbose,v", po::bool_switch(), "one line per HTTP attempt on stderr: id, attempt, result, status, latency");
    if (per_call_timeout)
        d.add_options(
        )("timeout", po::value<std::string>()->value_name("D"), "deadline of each call, retries included, e.g. 5s (default 30s)");
    return d;
}

po::options_description output_options()
{
    po::options_description d("Output options");
    d.add_options()                                                                                                                //
        ("json", po::bool_switch(), "one JSON object per line, keyed by the API's camelCase names (every field unless --fields)")  //
        ("fields",
         po::value<std::string>()->value_name("A,B,..."),
         "the columns (or JSON keys) to print, by wire name, e.g. id,status,publicIp")  //
        ("table", po::bool_switch(), "an aligned table even when stdout is not a terminal (otherwise tab-separated lines without a header)"
        );
    return d;
}

connection_settings resolve_connection(const po::variables_map& vm, const env_lookup& env, bool per_call_timeout)
{
    connection_settings s;
    client_options& o = s.client;

    o.base_url = std::string(default_url);
    if (std::string url = env_string(env, "BEEOS_API_URL"); !url.empty())
        o.base_url = url;
    if (vm.count("url"))
        o.base_url = vm["url"].as<std::string>();

    if (vm.count("api-key") && vm.count("api-key-file"))
        throw std::invalid_argument("--api-key and --api-key-file cannot be used together");
    o.token = env_string(env, "BEEOS_API_KEY");
    if (vm.count("api-key-file"))
        o.token = read_key_file(vm["api-key-file"].as<std::string>());
    if (vm.count("api-key"))
    {
        o.token = vm["api-key"].as<std::string>();
        if (o.token.empty())
            throw std::invalid_argument("--api-key: the key is empty");
    }

    o.ca_file = env_string(env, "BEEOS_CA_FILE");
    if (vm.count("ca-file"))
        o.ca_file = vm["ca-file"].as<std::string>();

    if (vm.count("connections"))
    {
        long long n = vm["connections"].as<long long>();
        if (n < 1 || n > 1024)
            throw std::invalid_argument("--connections: must be 1 to 1024");
        o.max_connections = static_cast<std::size_t>(n);
    }
    if (vm.count("rate"))
    {
        double r = vm["rate"].as<double>();
        if (!std::isfinite(r) || r < rate_limit_options::min_requests_per_second)
            throw std::invalid_argument("--rate: must be a number of requests per second, at least 0.000001");
        o.rate_limit.requests_per_second = r;
    }
    if (vm.count("burst"))
    {
        if (!vm.count("rate"))
            throw std::invalid_argument("--burst needs --rate");
        long long b = vm["burst"].as<long long>();
        if (b < 1 || b > 100000)
            throw std::invalid_argument("--burst: must be 1 to 100000");
        o.rate_limit.burst = static_cast<unsigned>(b);
    }
    if (per_call_timeout && vm.count("timeout"))
    {
        o.retry.total_timeout = duration_option(vm, "timeout");
        // One attempt never outlives the call it belongs to.
        o.request_timeout = std::min(o.request_timeout, o.retry.total_timeout);
        o.connect_timeout = std::min(o.connect_timeout, o.retry.total_timeout);
    }
    s.verbose = vm.count("verbose") && vm["verbose"].as<bool>();
    o.user_agent = "beeos-cli/" BEEOS_VERSION_STRING;
    return s;
}

output_settings resolve_output(const po::variables_map& vm)
{
    output_settings s;
    s.json = vm.count("json") && vm["json"].as<bool>();
    s.force_table = vm.count("table") && vm["table"].as<bool>();
    if (s.json && s.force_table)
        throw std::invalid_argument("--json and --table cannot be used together");
    if (vm.count("fields"))
        s.fields = parse_fields(vm["fields"].as<std::string>());
    else
        s.fields = s.json ? every_field() : default_table_fields();
    return s;
}

std::string environment_help(const env_lookup& env)
{
    auto state = [&](const char* name) { return env_string(env, name).empty() ? "(unset)" : "(set)"; };
    std::string out = "Environment:\n";
    out += "  BEEOS_API_KEY  the API key (or JWT) when neither --api-key-file nor --api-key is given ";
    out += state("BEEOS_API_KEY");
    out += "\n  BEEOS_API_URL  the API base URL when --url is not given ";
    out += state("BEEOS_API_URL");
    out += "\n  BEEOS_CA_FILE  extra PEM trust anchors when --ca-file is not given ";
    out += state("BEEOS_CA_FILE");
    out += "\n  The key is never printed: not here, not in errors, not with --verbose.\n";
    return out;
}

std::string read_key_file(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw std::invalid_argument("--api-key-file: cannot open '" + path + "'");
    std::string line;
    std::getline(in, line);
    if (in.bad())
        throw std::invalid_argument("--api-key-file: cannot read '" + path + "'");
    auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
    std::size_t b = 0;
    std::size_t e = line.size();
    while (b < e && blank(line[b]))
        ++b;
    while (e > b && blank(line[e - 1]))
        --e;
    if (b == e)
        throw std::invalid_argument("--api-key-file: '" + path + "' holds no key on its first line");
    return line.substr(b, e - b);
}

void scrub_secret_args(int argc, char** argv) noexcept
{
    constexpr std::string_view flag = "--api-key";
    auto scrub = [](char* value)
    {
        std::size_t n = std::strlen(value);
        if (n == 0)
            return;
        // One visible mark, the rest NULs, so `ps` shows neither the key nor its length.
        value[0] = '*';
        std::memset(value + 1, 0, n - 1);
    };
    for (int i = 1; i < argc; ++i)
    {
        std::string_view a = argv[i];
        if (a == "--")
            return;
        if (a == flag)
        {
            if (i + 1 < argc)
                scrub(argv[++i]);
        }
        else if (a.size() > flag.size() && a.starts_with(flag) && a[flag.size()] == '=')
            scrub(argv[i] + flag.size() + 1);
    }
}

}  // namespace beeos::cli
