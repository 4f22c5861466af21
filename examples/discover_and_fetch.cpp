// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
//
// High-volume polling in three steps: discover instances with the pager, fetch a handful as a
// batch, and stream them all, under a client-side rate limit. tools/demo.sh runs it against
// the bundled gateway; by hand, with the lines that beeos-gateway-sim prints:
//   BEEOS_API_KEY=$BEEOS_SIM_TOKEN build/examples/beeos-discover-and-fetch --url URL --ca CA.pem
#include <beeos/client.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <cstdlib>
#include <iostream>
#include <map>
#include <string>
#include <vector>

namespace asio = boost::asio;

namespace
{

asio::awaitable<void> run(beeos::client& client)
{
    // 1. Discover: walk every page of the listing (100 per page), on demand.
    std::vector<std::string> ids;
    auto pager = client.list_instances({.page_size = 100});
    while (auto page = co_await pager.next_page())
    {
        for (const auto& inst : page->items)
            ids.push_back(inst.id);
    }
    std::cout << "listed " << ids.size() << " instances\n";

    // 2. A small batch: one outcome per id, in input order; one bad id fails alone.
    std::vector<std::string> few = {ids.empty() ? "inst_0" : ids.front(), "no_such_instance"};
    auto results = co_await client.get_instances(few);
    for (const auto& r : results)
        std::cout << "  " << r.id << ": " << (r.ok() ? std::string(beeos::to_string(r.value.status)) : beeos::format_error(r.ec, r.info))
                  << "\n";

    // 3. Everything else as a stream: memory bounded by the concurrency, not by the id count.
    std::map<std::string, int> by_status;
    auto stream = client.stream_instances(ids);
    while (auto r = co_await stream.next())
        ++by_status[r->ok() ? std::string(beeos::to_string(r->value.status)) : "error: " + r->ec.message()];
    for (const auto& [status, n] : by_status)
        std::cout << "  " << status << ": " << n << "\n";
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
    for (int i = 1; i + 1 < argc; i += 2)
    {
        std::string arg = argv[i];
        if (arg == "--url")
            options.base_url = argv[i + 1];
        else if (arg == "--ca")
            options.ca_file = argv[i + 1];
        else if (arg == "--token")
            options.token = argv[i + 1];
        else
        {
            std::cerr << "usage: beeos-discover-and-fetch [--url URL] [--ca CA.pem] [--token T]\n"
                         "  defaults from $BEEOS_API_KEY, $BEEOS_API_URL and $BEEOS_CA_FILE\n";
            return 2;
        }
    }
    // Stay under the gateway's quota instead of meeting 429s; back off if they come anyway.
    options.rate_limit.requests_per_second = 2000;
    options.rate_limit.burst = 50;

    asio::io_context io;
    beeos::client client{io.get_executor(), options};
    int status = 0;
    asio::co_spawn(
        io,
        run(client),
        [&](std::exception_ptr e)
        {
            if (!e)
                return;
            try
            {
                std::rethrow_exception(e);
            }
            catch (const std::exception& ex)
            {
                std::cerr << "failed: " << ex.what() << "\n";
                status = 1;
            }
        }
    );
    io.run();
    return status;
}
