// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
//
// The smallest useful program: fetch one instance and print its status.
//   BEEOS_API_KEY=oag_... [BEEOS_API_URL=https://...] [BEEOS_CA_FILE=ca.pem] beeos-quickstart inst_123 [base_url] [ca_file]
// The arguments win over the variables.
#include <beeos/client.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <cstdlib>
#include <iostream>

boost::asio::awaitable<void> show(beeos::client& client, std::string id)
{
    try
    {
        beeos::instance inst = co_await client.get_instance(id);
        std::cout << inst.id << " " << inst.name << ": " << beeos::to_string(inst.status) << ", " << beeos::to_string(inst.connectivity)
                  << "\n";
    }
    catch (const beeos::error& e)
    {
        std::cerr << e.what() << "\n";  // kind, HTTP status, API code and request id; never the token
    }
}

int main(int argc, char** argv)
{
    if (argc < 2)
    {
        std::cerr << "usage: BEEOS_API_KEY=... [BEEOS_API_URL=...] [BEEOS_CA_FILE=...] beeos-quickstart INSTANCE_ID [BASE_URL] [CA_FILE]\n";
        return 2;
    }
    const char* key = std::getenv("BEEOS_API_KEY");  // may be unset: never build a string from null
    beeos::client_options options{.token = key ? key : ""};
    if (const char* url = std::getenv("BEEOS_API_URL"); url && *url)
        options.base_url = url;
    if (const char* ca = std::getenv("BEEOS_CA_FILE"); ca && *ca)
        options.ca_file = ca;
    if (argc > 2)
        options.base_url = argv[2];
    if (argc > 3)
        options.ca_file = argv[3];

    boost::asio::io_context io;
    beeos::client client{io.get_executor(), options};
    boost::asio::co_spawn(io, show(client, argv[1]), boost::asio::detached);
    io.run();
}
