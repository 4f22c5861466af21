// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#include "token_manager.hpp"

#include <beeos/error.hpp>

#include <boost/asio/post.hpp>

#include <algorithm>

#include <openssl/evp.h>

namespace asio = boost::asio;
using boost::system::error_code;

namespace beeos {

token_source sync_token_source(std::function<std::string(const token_request&)> get)
{
    return [get = std::move(get)](const token_request& request, token_handler handler) {
        std::string token;
        error_code ec;
        try
        {
            token = get(request);
        }
        catch (const std::exception&)
        {
            ec = make_error_code(boost::system::errc::operation_not_permitted);
        }
        std::move(handler)(ec, std::move(token));
    };
}

namespace detail {

std::string credential_tag(std::string_view token)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_Digest(token.data(), token.size(), digest, &n, EVP_sha256(), nullptr);
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    for (unsigned i = 0; i < 4 && i < n; ++i)
    {
        out += hex[digest[i] >> 4];
        out += hex[digest[i] & 15];
    }
    return out;
}

bool is_valid_token(std::string_view token) noexcept
{
    for (char c : token)
    {
        auto u = static_cast<unsigned char>(c);
        if ((u < 0x20 && c != '\t') || u == 0x7f)
            return false;
    }
    return true;
}

token_manager::token_manager(token_source source, make_credential make) : source_(std::move(source)), make_(std::move(make)) {}

void token_manager::accept(error_code ec, std::string token, bool refreshed, error_code& out_ec, std::shared_ptr<const credential>& out)
{
    out_ec = {};
    out.reset();
    if (ec)
    {
        out_ec = ec;
        return;
    }
    if (token.empty() || !is_valid_token(token))
    {
        out_ec = make_error_code(boost::system::errc::invalid_argument);
        return;
    }
    std::lock_guard lock(mtx_);
    if (current_ && current_->token == token && !refreshed)
    {
        out = current_;
        return;
    }
    if (current_ && current_->token != token)
        previous_token_ = current_->token;
    current_ = make_(std::move(token), ++generation_);
    out = current_;
}

void token_manager::get(const asio::any_io_executor& ex, done_fn done)
{
    auto self = shared_from_this();
    source_(token_request{false}, [self, ex, done = std::move(done)](error_code ec, std::string token) mutable {
        error_code out_ec;
        std::shared_ptr<const credential> cred;
        self->accept(ec, std::move(token), false, out_ec, cred);
        asio::post(ex, [done = std::move(done), out_ec, cred = std::move(cred)] { done(out_ec, cred); });
    });
}

void token_manager::refresh(const credential& rejected, const asio::any_io_executor& ex,
                            std::chrono::steady_clock::time_point gives_up_at, done_fn done)
{
    std::uint64_t round = 0;
    {
        std::lock_guard lock(mtx_);
        if (current_ && current_->generation > rejected.generation)
        {
            // Refreshed since this token was handed out: the new one is the answer.
            asio::post(ex, [done = std::move(done), cred = current_] { done({}, cred); });
            return;
        }
        if (refreshing_ && std::chrono::steady_clock::now() < refresh_abandoned_at_)
        {
            refresh_waiters_.push_back({ex, std::move(done)});
            refresh_abandoned_at_ = std::max(refresh_abandoned_at_, gives_up_at);
            return;
        }
        // No refresh in flight, or one every waiter has given up on: the waiters still held
        // are past their deadlines (their calls have moved on), so they are dropped here
        // rather than kept alive by a source that may never answer.
        refresh_waiters_.clear();
        refresh_waiters_.push_back({ex, std::move(done)});
        refreshing_ = true;
        round = ++refresh_round_;
        refresh_abandoned_at_ = gives_up_at;
        ++refreshes_;
    }
    auto self = shared_from_this();
    source_(token_request{true}, [self, round](error_code ec, std::string token) {
        error_code out_ec;
        std::shared_ptr<const credential> cred;
        self->accept(ec, std::move(token), true, out_ec, cred);
        std::vector<waiter> waiters;
        {
            std::lock_guard lock(self->mtx_);
            if (self->refresh_round_ != round)
                return;  // given up on; a later refresh serves its own waiters (the token is kept)
            self->refreshing_ = false;
            waiters.swap(self->refresh_waiters_);
        }
        for (auto& w : waiters)
            asio::post(w.ex, [done = std::move(w.done), out_ec, cred] { done(out_ec, cred); });
    });
}

std::vector<std::string> token_manager::recent_tokens() const
{
    std::lock_guard lock(mtx_);
    std::vector<std::string> out;
    if (current_)
        out.push_back(current_->token);
    if (!previous_token_.empty())
        out.push_back(previous_token_);
    return out;
}

std::uint64_t token_manager::refreshes() const
{
    std::lock_guard lock(mtx_);
    return refreshes_;
}

}  // namespace detail
}  // namespace beeos
