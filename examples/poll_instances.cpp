// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
//
// The main job: look up many instances at once over the client's connection pool and print a
// summary. Run against the bundled gateway by tools/demo.sh, or against the real API:
//   BEEOS_API_KEY=oag_... beeos-poll-example --url https://openapi.beeos.ai --ids inst_a,inst_b
#include <beeos/client.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace asio = boost::asio;

namespace
{

struct tally
{
    std::map<std::string, int> by_status;  // instance status, or the error kind
    std::vector<double> latencies_ms;
    int failures = 0;
    std::string first_error;
};

asio::awaitable<void> look_up(beeos::client& client, std::string id, tally& t)
{
    auto start = std::chrono::steady_clock::now();
    try
    {
        beeos::instance inst = co_await client.get_instance(id);
        ++t.by_status[std::string(beeos::to_string(inst.status))];
    }
    catch (const beeos::error& e)
    {
        ++t.failures;
        ++t.by_status["error: " + e.code().message()];
        if (t.first_error.empty())
            t.first_error = e.what();
    }
    t.latencies_ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
}

void usage()
{
    std::cerr
        << "usage: beeos-poll-example [--url URL] [--ca CA.pem] [--token T] [--count N | --ids a,b,c] [--connections K]\n"
           "  defaults from $BEEOS_API_KEY, $BEEOS_API_URL and $BEEOS_CA_FILE; --count N looks up inst_0 .. inst_{N-1} (default 300)\n";
}

}  // namespace

int main(int argc, char** argv)
{
    beeos::client_options options;
    // The variables every example (and the beeos tool) reads; the flags below win over them.
    if (const char* key = std::getenv("BEEOS_API_KEY"))
        options.token = key;
    if (const char* url = std::getenv("BEEOS_API_URL"); url && *url)
        options.base_url = url;
    if (const char* ca = std::getenv("BEEOS_CA_FILE"); ca && *ca)
        options.ca_file = ca;
    int count = 300;
    std::vector<std::string> ids;
    for (int i = 1; i < argc; ++i)
    {
        std::string arg = argv[i];
        auto value = [&]() -> std::string
        {
            if (i + 1 >= argc)
            {
                usage();
                std::exit(2);
            }
            return argv[++i];
        };
        if (arg == "--url")
            options.base_url = value();
        else if (arg == "--ca")
            options.ca_file = value();
        else if (arg == "--token")
            options.token = value();
        else if (arg == "--count")
            count = std::stoi(value());
        else if (arg == "--connections")
            options.max_connections = static_cast<std::size_t>(std::stoul(value()));
        else if (arg == "--ids")
        {
            std::stringstream list(value());
            for (std::string id; std::getline(list, id, ',');)
                ids.push_back(id);
        }
        else
        {
            usage();
            return 2;
        }
    }
    if (ids.empty())
        for (int i = 0; i < count; ++i)
            ids.push_back("inst_" + std::to_string(i));

    asio::io_context io;
    tally t;
    auto start = std::chrono::steady_clock::now();
    try
    {
        beeos::client client{io.get_executor(), options};
        for (const auto& id : ids)  // every lookup in flight at once; the pool queues the excess
            asio::co_spawn(io, look_up(client, id, t), asio::detached);
        io.run();
    }
    catch (const std::invalid_argument& e)
    {
        std::cerr << "bad options: " << e.what() << "\n";
        return 2;
    }
    double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    std::sort(t.latencies_ms.begin(), t.latencies_ms.end());
    auto pct = [&](double p)
    { return t.latencies_ms.empty() ? 0.0 : t.latencies_ms[static_cast<std::size_t>(p * (t.latencies_ms.size() - 1))]; };
    std::cout << "looked up " << ids.size() << " instances in " << wall << " s over at most " << options.max_connections
              << " connections\n";
    for (const auto& [status, n] : t.by_status)
        std::cout << "  " << status << ": " << n << "\n";
    std::cout << "  latency ms: p50 " << pct(0.5) << ", p99 " << pct(0.99) << ", max " << pct(1.0) << "\n";
    if (!t.first_error.empty())
        std::cout << "  first error: " << t.first_error << "\n";
    return t.failures == 0 ? 0 : 1;
}
