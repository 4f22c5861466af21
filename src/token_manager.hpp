// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#ifndef BEEOS_SRC_TOKEN_MANAGER_HPP
#define BEEOS_SRC_TOKEN_MANAGER_HPP

#include "credential.hpp"

#include <beeos/client_options.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>

#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace beeos::detail {

/// The client's side of a `token_source`: asks it for the token of each request, and on a
/// rejected token for a fresh one, once for all the calls that saw the rejection
/// (single-flight: a refresh in progress is joined, and a rejection of a token older than the
/// current one is answered with the current one). Thread-safe; the source is never called
/// with the lock held, and completions are always posted to the caller's executor, so a source
/// that completes inline cannot re-enter its caller.
class token_manager : public std::enable_shared_from_this<token_manager>
{
public:
    using make_credential = std::function<std::shared_ptr<const credential>(std::string token, std::uint64_t generation)>;
    using done_fn = std::function<void(boost::system::error_code, std::shared_ptr<const credential>)>;

    token_manager(token_source source, make_credential make);

    /// The credential for a new request: asks the source (`refresh` false).
    void get(const boost::asio::any_io_executor& ex, done_fn done);

    /// A fresh credential after the API rejected `rejected`; the caller stops waiting at
    /// `gives_up_at`. A refresh that outlives every one of its waiters' deadlines is given up on:
    /// the next rejection asks the source again instead of joining it, so a source that lost one
    /// request cannot starve every later call.
    void refresh(const credential& rejected, const boost::asio::any_io_executor& ex,
                 std::chrono::steady_clock::time_point gives_up_at, done_fn done);

    /// The tokens given out last and before: scrubbed from server text like the fixed token.
    std::vector<std::string> recent_tokens() const;

    /// Refreshes asked of the source so far.
    std::uint64_t refreshes() const;

private:
    struct waiter
    {
        boost::asio::any_io_executor ex;
        done_fn done;
    };

    // Turns what the source said into a credential (the current one when the token is the same).
    void accept(boost::system::error_code ec, std::string token, bool refreshed, boost::system::error_code& out_ec,
                std::shared_ptr<const credential>& out);

    token_source source_;
    make_credential make_;
    mutable std::mutex mtx_;
    std::shared_ptr<const credential> current_;   // guarded by mtx_
    std::string previous_token_;                  // guarded by mtx_
    std::uint64_t generation_ = 0;                // guarded by mtx_
    bool refreshing_ = false;                     // guarded by mtx_
    std::uint64_t refresh_round_ = 0;             // guarded by mtx_; which refresh the waiters wait for
    std::chrono::steady_clock::time_point refresh_abandoned_at_{};  // guarded by mtx_; last waiter's deadline
    std::vector<waiter> refresh_waiters_;         // guarded by mtx_
    std::uint64_t refreshes_ = 0;                 // guarded by mtx_
};

}  // namespace beeos::detail

#endif
