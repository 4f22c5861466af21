// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
//
// Waits for one instance to be running and online while watching a few instances for changes.
//   BEEOS_API_KEY=oag_... [BEEOS_API_URL=https://...] [BEEOS_CA_FILE=ca.pem] beeos-watch-and-wait inst_1 [inst_2 ...]
// The first id is waited for (at most 5 minutes); all of them are watched every 10 s until the
// wait ends or Ctrl-C.
#include <beeos/client.hpp>
#include <beeos/waiter.hpp>
#include <beeos/watcher.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <vector>

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace
{

void print(const beeos::watch_event& e)
{
    std::cout << e.id << ": " << e.type;
    if (e.type == beeos::watch_event::kind::error)
        std::cout << ": " << beeos::format_error(e.ec, e.error);  // never holds the token
    else if (e.type == beeos::watch_event::kind::initial)
        std::cout << ": " << e.current.text(beeos::instance_field::status) << ", " << e.current.text(beeos::instance_field::connectivity);
    for (beeos::instance_field f : e.changed)
        std::cout << "\n  " << f << ": " << e.previous->text(f) << " -> " << e.current.text(f);
    std::cout << "\n";
}

asio::awaitable<void> wait_then_stop(beeos::client& client, std::string id, beeos::watcher& watcher)
{
    try
    {
        beeos::instance inst = co_await beeos::wait_until(client, id, beeos::running_and_online(), 5min);
        std::cout << id << " is ready at " << inst.endpoint << "\n";
    }
    catch (const beeos::wait_error& e)
    {
        // e.g. beeos: wait_until("inst_1"): condition can never hold: "running and online" cannot hold: status is terminated (...)
        std::cerr << e.what() << "\n";
        if (e.last_seen())
            std::cerr << "  last seen: " << beeos::to_string(e.last_seen()->status) << "\n";
    }
    watcher.stop();
}

}  // namespace

int main(int argc, char** argv)
{
    if (argc < 2)
    {
        std::cerr << "usage: BEEOS_API_KEY=... [BEEOS_API_URL=...] [BEEOS_CA_FILE=...] beeos-watch-and-wait INSTANCE_ID [MORE_IDS...]\n";
        return 2;
    }
    beeos::client_options options;
    // The variables every example (and the beeos tool) reads.
    if (const char* key = std::getenv("BEEOS_API_KEY"))
        options.token = key;
    if (const char* url = std::getenv("BEEOS_API_URL"); url && *url)
        options.base_url = url;
    if (const char* ca = std::getenv("BEEOS_CA_FILE"); ca && *ca)
        options.ca_file = ca;

    asio::io_context io;
    beeos::client client{io.get_executor(), options};
    beeos::watcher watcher{client, {.interval = 10s}};
    watcher.add(std::vector<std::string>(argv + 1, argv + argc));

    asio::cancellation_signal cancel_wait;
    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait(
        [&](boost::system::error_code ec, int)
        {
            if (ec)
                return;
            watcher.stop();
            cancel_wait.emit(asio::cancellation_type::terminal);  // the wait ends with errc::cancelled
        }
    );
    watcher.async_run(
        print,
        [&](boost::system::error_code ec)
        {
            signals.cancel();
            if (ec)
                std::cerr << "watcher: " << ec.message() << "\n";
        }
    );
    asio::co_spawn(io, wait_then_stop(client, argv[1], watcher), asio::bind_cancellation_slot(cancel_wait.slot(), asio::detached));
    io.run();
}
