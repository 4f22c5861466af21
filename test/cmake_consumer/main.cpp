// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
// Links against beeos::beeos and exercises the public API without a network: an invalid id
// fails before any I/O with a beeos::error.
#include <beeos/client.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <iostream>

int main()
{
    boost::asio::io_context io;
    beeos::client client{io.get_executor(), {.base_url = "https://127.0.0.1:9", .token = "oag_x"}};
    int status = 1;
    boost::asio::co_spawn(
        io,
        [](beeos::client& c, int& status) -> boost::asio::awaitable<void> {
            try
            {
                (void)co_await c.get_instance("");
            }
            catch (const beeos::error& e)
            {
                status = e.code() == beeos::errc::invalid_argument ? 0 : 1;
                std::cout << e.what() << "\n";
            }
        }(client, status),
        [](std::exception_ptr) {}
    );
    io.run();
    return status;
}
