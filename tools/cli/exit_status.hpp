// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#ifndef BEEOS_CLI_EXIT_STATUS_HPP
#define BEEOS_CLI_EXIT_STATUS_HPP

#include <boost/system/error_code.hpp>

#include <cstddef>
#include <string_view>

namespace beeos::cli
{

/// The process exit codes, one per class of failure.
enum exit_code : int
{
    exit_ok = 0,
    exit_failed = 1,         ///< failures outside the classes below (decode, bad_request, unreachable condition, ...)
    exit_usage = 2,          ///< bad command line or configuration; nothing was sent
    exit_auth = 3,           ///< unauthorized, forbidden
    exit_not_found = 4,      ///< every failure was not_found
    exit_transient = 5,      ///< timeout, connection, server_error, rate_limited, tls, shut_down, a wait's deadline
    exit_certificate = 6,    ///< the server's certificate or host name failed verification
    exit_interrupted = 130,  ///< SIGINT or SIGTERM (128 + SIGINT, as shells report it)
};

/// The class of one failure: a `beeos::errc` or a `beeos::wait_errc`. `errc::cancelled` is
/// `exit_interrupted` (the tool cancels only on a signal).
exit_code classify(const boost::system::error_code& ec) noexcept;

/// Collects the outcomes of a command and gives its exit code. When several classes occur,
/// the first in this order wins: interrupted (130), certificate (6), auth (3), transient (5),
/// other failures (1), not found (4). A certificate or auth failure is a fault of the whole
/// setup that the others follow from; a transient one says the run may succeed when repeated;
/// not found wins only when it is all that went wrong.
class exit_status
{
public:
    void add_success() noexcept { ++succeeded_; }
    void add_failure(const boost::system::error_code& ec) noexcept { add(classify(ec)); }
    void add(exit_code c) noexcept;

    std::size_t succeeded() const noexcept { return succeeded_; }
    std::size_t failed() const noexcept { return failed_; }

    exit_code code() const noexcept;

private:
    std::size_t succeeded_ = 0;
    std::size_t failed_ = 0;
    bool seen_[7] = {};
    bool interrupted_ = false;
};

/// The exit-code table of `--help`.
std::string_view exit_code_help() noexcept;

}  // namespace beeos::cli

#endif
