// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#ifndef BEEOS_WAITER_HPP
#define BEEOS_WAITER_HPP

/// \file
/// `beeos::wait_until`: polls one instance with backoff until a condition holds, can never
/// hold, or a deadline passes.

#include <beeos/config.hpp>
#include <beeos/error.hpp>
#include <beeos/instance.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <type_traits>

namespace beeos {

class client;

/// Why a wait failed, beyond the `beeos::errc` of a failed poll.
enum class wait_errc
{
    // 0 is success, as for every error_code enum.
    condition_unreachable = 1,  ///< `wait_condition::unreachable` said the condition can never hold
    deadline_passed,            ///< the timeout passed before the condition held
};

/// The error category of `wait_errc`; its name is `"beeos.wait"`.
BEEOS_DECL const boost::system::error_category& wait_category() noexcept;

/// Makes `wait_errc` values `boost::system::error_code`s of `wait_category()`.
inline boost::system::error_code make_error_code(wait_errc e) noexcept { return {static_cast<int>(e), wait_category()}; }

/// Writes the error's message.
inline std::ostream& operator<<(std::ostream& os, wait_errc e) { return os << make_error_code(e).message(); }

/// What to wait for.
struct BEEOS_DECL wait_condition
{
    /// For messages, e.g. `"running and online"`.
    std::string description;

    /// True when the wait is over. Required.
    std::function<bool(const instance&)> satisfied;

    /// The reason why the condition can never hold from this state on (e.g. `"status is
    /// terminated"`), or `std::nullopt` to keep waiting. Optional. Asked only when `satisfied`
    /// is false.
    std::function<std::optional<std::string>(const instance&)> unreachable;
};

/// Status `running` and connectivity `online`. Unreachable when the status is `terminated`,
/// `error_message` is not empty, or `desired_status` is known and not `running` (the control
/// plane is driving the instance elsewhere).
BEEOS_DECL wait_condition running_and_online();

/// Status `s`. Unreachable when the status is `terminated` (unless `s` is `terminated`).
BEEOS_DECL wait_condition status_is(instance_status s);

/// How often to look. The first poll is immediate; the n-th wait is
/// `min(max_delay, initial_delay * multiplier^(n-1))`, less a random fraction in [0, jitter)
/// of it, so the waits never exceed `max_delay`.
struct BEEOS_DECL wait_options
{
    std::chrono::milliseconds initial_delay{1000};  ///< pause after the first poll
    std::chrono::milliseconds max_delay{15'000};  ///< the longest pause between two polls
    double multiplier = 1.5;  ///< growth of the pause from one poll to the next
    double jitter = 0.2;  ///< each pause is randomised by up to this fraction, either way
};

/// The exception of `wait_until`: the failure (`code()` is a `wait_errc` or the `beeos::errc`
/// of the poll that ended the wait), its details and the instance as last seen.
class BEEOS_DECL wait_error : public error
{
public:
    /// `what()` is `format_wait_error(ec, info)`.
    wait_error(boost::system::error_code ec, error_info info, std::optional<instance> last_seen);

    /// The instance from the last successful poll; `std::nullopt` when none succeeded.
    const std::optional<instance>& last_seen() const noexcept { return last_seen_; }

    /// One line, e.g. `beeos: wait_until("inst_1"): condition can never hold: "running and
    /// online" cannot hold: status is terminated (last seen: status terminated, desired
    /// terminated, connectivity offline)`.
    const char* what() const noexcept override { return what_.c_str(); }

private:
    std::optional<instance> last_seen_;
    std::string what_;
};

/// The one line of `wait_error::what()` for an `async_wait_until` failure.
BEEOS_DECL std::string format_wait_error(const boost::system::error_code& ec, const error_info& info);

namespace detail {
BEEOS_DECL boost::asio::any_io_executor client_executor(client& c) noexcept;
BEEOS_DECL void async_wait_until_erased(
    client& c,
    std::string id,
    wait_condition cond,
    std::chrono::steady_clock::duration timeout,
    wait_options opts,
    error_info* info,
    std::optional<instance>* last_seen,
    boost::asio::any_completion_handler<void(boost::system::error_code, instance)> handler
);

struct BEEOS_DECL wait_initiation
{
    client* c;
    boost::asio::any_io_executor get_executor() const noexcept { return client_executor(*c); }
    void operator()(
        boost::asio::any_completion_handler<void(boost::system::error_code, instance)> handler,
        std::string id,
        wait_condition cond,
        std::chrono::steady_clock::duration timeout,
        wait_options opts,
        error_info* info,
        std::optional<instance>* last_seen
    ) const
    {
        async_wait_until_erased(*c, std::move(id), std::move(cond), timeout, opts, info, last_seen, std::move(handler));
    }
};
}  // namespace detail

/// Polls `id` until `cond` holds and completes with that instance.
///
/// Completion signature: `void(boost::system::error_code, beeos::instance)`. On failure the
/// instance is empty, `info` says why (`format_wait_error(ec, info)` makes one line) and
/// `last_seen` holds the instance of the last successful poll, if any:
/// - `wait_errc::condition_unreachable` as soon as `cond.unreachable` gives a reason;
/// - `wait_errc::deadline_passed` when `timeout` passes first: a poll in flight then is
///   cancelled, and no sleep reaches past the deadline; `info.cause` is the error of the last
///   poll when it failed;
/// - a permanent poll failure ends the wait with its `beeos::errc`: `not_found`,
///   `unauthorized`, `forbidden`, `bad_request`, `certificate`, `decode`, `http_error`,
///   `protocol`, `body_too_large`, `headers_too_large`, `invalid_argument`, `shut_down`.
///   Transient ones, which the client has already retried (`timeout`, `connection`,
///   `server_error`, `rate_limited`, `tls`), keep the wait going;
/// - `errc::cancelled` when cancelled (any cancellation type) through the token's slot;
/// - `errc::invalid_argument` for bad options (no `satisfied`, a negative delay, multiplier
///   under 1, jitter outside [0, 1]); nothing is sent.
///
/// `info` and `last_seen` must outlive the operation; both are written just before the
/// completion. The id and the condition are copied at initiation. `c` must outlive the
/// operation. The condition's functions run on a strand of the client's executor.
template <class CompletionToken = boost::asio::deferred_t>
auto async_wait_until(
    client& c,
    std::string_view id,
    wait_condition cond,
    std::chrono::steady_clock::duration timeout,
    wait_options opts,
    error_info& info,
    std::optional<instance>& last_seen,
    CompletionToken&& token = {}
)
{
    return boost::asio::async_initiate<CompletionToken, void(boost::system::error_code, instance)>(
        detail::wait_initiation{&c}, token, std::string(id), std::move(cond), timeout, opts, &info, &last_seen
    );
}

/// `co_await wait_until(client, id, running_and_online(), 5min)`: `async_wait_until` as an
/// awaitable. The id is copied before anything suspends.
/// \throws wait_error on every failure, with `last_seen()`.
boost::asio::awaitable<instance> wait_until(
    client& c,
    std::string_view id,
    wait_condition cond,
    std::chrono::steady_clock::duration timeout,
    wait_options opts = {}
);

}  // namespace beeos

// The trait that makes the enum an error_code enum is not part of the reference.
/// \cond
template <>
struct boost::system::is_error_code_enum<beeos::wait_errc> : std::true_type
{
};
/// \endcond

#endif
