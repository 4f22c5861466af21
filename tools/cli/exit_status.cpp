// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#include "exit_status.hpp"

#include <beeos/error.hpp>
#include <beeos/waiter.hpp>

namespace beeos::cli
{

exit_code classify(const boost::system::error_code& ec) noexcept
{
    if (!ec)
        return exit_ok;
    if (ec.category() == wait_category())
        return ec == wait_errc::deadline_passed ? exit_transient : exit_failed;
    if (ec.category() != error_category())
        return exit_failed;
    switch (static_cast<errc>(ec.value()))
    {
        case errc::unauthorized:
        case errc::forbidden:
            return exit_auth;
        case errc::not_found:
            return exit_not_found;
        case errc::timeout:
        case errc::connection:
        case errc::server_error:
        case errc::rate_limited:
        case errc::tls:
        case errc::shut_down:
            return exit_transient;
        case errc::certificate:
            return exit_certificate;
        case errc::cancelled:
            return exit_interrupted;
        default:
            return exit_failed;
    }
}

void exit_status::add(exit_code c) noexcept
{
    if (c == exit_ok)
        return;
    if (c == exit_interrupted)
    {
        interrupted_ = true;
        return;
    }
    ++failed_;
    if (c >= 0 && c < 7)
        seen_[c] = true;
}

exit_code exit_status::code() const noexcept
{
    if (interrupted_)
        return exit_interrupted;
    for (exit_code c : {exit_usage, exit_certificate, exit_auth, exit_transient, exit_failed, exit_not_found})
        if (seen_[c])
            return c;
    return exit_ok;
}

std::string_view exit_code_help() noexcept
{
    return "Exit status:\n"
           "  0    every id succeeded (wait: the condition holds; watch --until: it holds for every id)\n"
           "  1    some ids failed with errors outside the classes below (bad request, decode, a condition\n"
           "       that can never hold, ...), or not-found mixed with such errors; or standard output\n"
           "       could not be written (a full disk, a closed descriptor)\n"
           "  2    usage: bad options, arguments or configuration; nothing was sent\n"
           "  3    auth: unauthorized or forbidden\n"
           "  4    not found: every failure was not_found\n"
           "  5    transient: timeout, connection, server_error, rate_limited, tls, shut_down, or a wait's\n"
           "       deadline passed; running again may succeed\n"
           "  6    TLS certificate or host name verification failed\n"
           "  130  interrupted by SIGINT or SIGTERM\n"
           "  When failures of several classes occur: 6, then 3, then 5, then 1, then 4.\n";
}

}  // namespace beeos::cli
