// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
//
// beeos-gateway-sim: runs the local gateway simulator until SIGINT/SIGTERM and prints, on
// stdout, the three lines a demo or script needs to reach it.
#include "gateway.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <stdexcept>
#include <string>
#include <string_view>

namespace {

constexpr std::string_view usage = R"(usage: beeos-gateway-sim [options]

Serves GET /api/v1/instances/{id} and GET /api/v1/instances (listing) of the BeeOS
OpenAPI on 127.0.0.1 over TLS with a certificate made at start-up, until SIGINT or SIGTERM.
Prints BEEOS_SIM_URL, BEEOS_SIM_CA and BEEOS_SIM_TOKEN lines on stdout once listening.

options:
  --port N         listen on port N (default: an ephemeral port)
  --address A      listen on address A (default: 127.0.0.1)
  --token T        accept bearer token T; repeatable (default: oag_test_token)
  --tenant T=OWNER accept bearer token T too, answering as owner OWNER sees the
                   instances (ownerId OWNER, name "OWNER:sim-<id>"); repeatable
  --gzip           gzip bodies for clients that send Accept-Encoding: gzip
  --instances N    ids inst_0 .. inst_{N-1} exist (default: 1000)
  --churn-ms N     every inst_<n> flips connectivity online/offline every N ms, phases
                   spread evenly over the period (default: 0, off)
  --ca-out FILE    write the CA certificate (PEM) to FILE (default: ca.pem in a new
                   temporary directory)
  --plain-http     serve plain HTTP instead of TLS
  --threads N      server threads (default: 1)
  --prefix P       serve the API under path prefix P, e.g. /gw
  --help           show this text
)";

struct usage_error : std::runtime_error
{
    using std::runtime_error::runtime_error;
};

unsigned long parse_number(std::string_view option, std::string_view text, unsigned long max)
{
    unsigned long n = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc() || end != text.data() + text.size() || n > max)
        throw usage_error(std::string(option) + ": expected a number up to " +
                          std::to_string(max) + ", got '" + std::string(text) + "'");
    return n;
}

std::string make_temp_dir()
{
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/beeos-gateway-sim.XXXXXX";
    if (!::mkdtemp(tmpl.data()))
        throw std::runtime_error("cannot create a temporary directory from " + tmpl);
    return tmpl;
}

}  // namespace

int main(int argc, char** argv)
{
    beeos::sim::config cfg;
    std::string ca_out;
    try
    {
        bool tokens_given = false;
        for (int i = 1; i < argc; ++i)
        {
            std::string_view arg = argv[i];
            std::string_view inline_value;
            bool has_inline = false;
            if (auto eq = arg.find('='); arg.starts_with("--") && eq != std::string_view::npos)
            {
                inline_value = arg.substr(eq + 1);
                arg = arg.substr(0, eq);
                has_inline = true;
            }
            auto value = [&]() -> std::string_view {
                if (has_inline)
                    return inline_value;
                if (i + 1 >= argc)
                    throw usage_error(std::string(arg) + " needs a value");
                return argv[++i];
            };
            if (arg == "--help" || arg == "-h")
            {
                std::cout << usage;
                return 0;
            }
            else if (arg == "--port")
                cfg.port = static_cast<unsigned short>(parse_number(arg, value(), 65535));
            else if (arg == "--address")
                cfg.address = value();
            else if (arg == "--token")
            {
                if (!tokens_given)
                    cfg.tokens.clear();
                tokens_given = true;
                cfg.tokens.emplace_back(value());
            }
            else if (arg == "--tenant")
            {
                std::string_view spec = value();
                auto eq = spec.find('=');
                if (eq == std::string_view::npos || eq == 0 || eq + 1 == spec.size())
                    throw usage_error("--tenant: expected TOKEN=OWNER, got '" +
                                      std::string(spec) + "'");
                cfg.token_owners[std::string(spec.substr(0, eq))] = spec.substr(eq + 1);
            }
            else if (arg == "--gzip")
                cfg.gzip = true;
            else if (arg == "--instances")
                cfg.instance_count = parse_number(arg, value(), static_cast<unsigned long>(-1));
            else if (arg == "--churn-ms")
                cfg.churn_period = std::chrono::milliseconds(
                    parse_number(arg, value(), 24UL * 3600 * 1000 * 365));
            else if (arg == "--ca-out")
                ca_out = value();
            else if (arg == "--plain-http")
                cfg.tls = false;
            else if (arg == "--threads")
                cfg.threads = static_cast<int>(parse_number(arg, value(), 256));
            else if (arg == "--prefix")
                cfg.path_prefix = value();
            else
                throw usage_error("unknown option '" + std::string(argv[i]) + "'");
        }
        if (cfg.threads < 1)
            throw usage_error("--threads: must be at least 1");
    }
    catch (const usage_error& e)
    {
        std::cerr << "beeos-gateway-sim: " << e.what() << "\n(see --help)\n";
        return 2;
    }

    try
    {
        if (ca_out.empty())
            ca_out = make_temp_dir() + "/ca.pem";
        const std::string token = cfg.tokens.front();

        // Before the server threads exist, so a signal never meets the default handler.
        boost::asio::io_context signals_ioc;
        boost::asio::signal_set signals(signals_ioc, SIGINT, SIGTERM);
        signals.async_wait([](const boost::system::error_code&, int) {});

        beeos::sim::gateway gw(std::move(cfg));
        if (!beeos::sim::write_file(ca_out, gw.pki().ca_cert_pem))
            throw std::runtime_error("cannot write the CA certificate to " + ca_out);
        gw.start();

        // The demo token is a fake, local-only value, so printing it is fine.
        std::cout << "BEEOS_SIM_URL=" << gw.url() << '\n'
                  << "BEEOS_SIM_CA=" << ca_out << '\n'
                  << "BEEOS_SIM_TOKEN=" << token << '\n'
                  << std::flush;

        signals_ioc.run();
        gw.stop();
        return 0;
    }
    catch (const std::exception& e)
    {
        std::cerr << "beeos-gateway-sim: " << e.what() << '\n';
        return 2;
    }
}
