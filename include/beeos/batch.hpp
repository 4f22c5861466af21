// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#ifndef BEEOS_BATCH_HPP
#define BEEOS_BATCH_HPP

/// \file
/// The outcome of one lookup of a batch, and the stream that yields them as they complete.

#include <beeos/config.hpp>
#include <beeos/error.hpp>
#include <beeos/instance.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/system/error_code.hpp>

#include <cstddef>
#include <memory>
#include <optional>
#include <string>

namespace beeos {

namespace detail {
class lookup_runner;
}

/// The outcome of one id of `client::get_instances` or `client::stream_instances`: the
/// instance, or the failure for that id alone.
struct BEEOS_DECL lookup_result
{
    std::string id;                ///< the id this outcome is for
    boost::system::error_code ec;  ///< empty on success, else a `beeos::errc`
    error_info info;               ///< the details of a failure (empty on success)
    instance value;                ///< the instance when `ok()`

    bool ok() const noexcept { return !ec; }  ///< the lookup succeeded

    /// The instance. \throws beeos::error when the lookup failed.
    const instance& get() const&
    {
        if (ec)
            throw error(ec, info);
        return value;
    }
};

/// Yields the outcomes of `client::stream_instances` as they complete, in completion order.
///
/// Lookups run ahead of the consumer only by the batch concurrency: at most that many are in
/// flight or completed but not yet taken, so 100,000 ids never hold 100,000 results. Each
/// distinct id is looked up once and yielded once. Destroying the stream cancels the lookups
/// still running. One consumer at a time: call `async_next` again only after the previous one
/// completed. Move-only.
class BEEOS_DECL instance_stream
{
public:
    /// Completion signature of `async_next`: the next outcome, or `std::nullopt` at the end
    /// (also after cancellation of the stream; then the remaining ids are not reported).
    using next_signature = void(std::optional<lookup_result>);
    using executor_type = boost::asio::any_io_executor;  ///< the client's executor

    /// A moved-from stream may only be assigned to or destroyed.
    ///@{
    instance_stream(instance_stream&&) noexcept;
    instance_stream& operator=(instance_stream&&) noexcept;
    ///@}
    instance_stream(const instance_stream&) = delete;
    instance_stream& operator=(const instance_stream&) = delete;
    ~instance_stream();

    /// The number of distinct ids the stream will yield.
    std::size_t size() const noexcept;

    /// Waits for the next outcome. Cancelling this wait (through the token's cancellation
    /// slot) cancels the whole stream: its lookups end and the wait completes with nullopt.
    template <class CompletionToken = boost::asio::deferred_t>
    auto async_next(CompletionToken&& token = {})
    {
        return boost::asio::async_initiate<CompletionToken, next_signature>(next_initiation{this}, token);
    }

    /// `co_await stream.next()`: the coroutine form of `async_next`.
    boost::asio::awaitable<std::optional<lookup_result>> next();

    /// Ends the stream: lookups in flight are cancelled and later `async_next` calls complete
    /// with nullopt. Idempotent.
    void cancel();

private:
    friend class client;
    explicit instance_stream(std::shared_ptr<detail::lookup_runner> impl);

    struct next_initiation
    {
        instance_stream* self;
        void operator()(boost::asio::any_completion_handler<next_signature> handler) const { self->async_next_erased(std::move(handler)); }
    };
    void async_next_erased(boost::asio::any_completion_handler<next_signature> handler);

    std::shared_ptr<detail::lookup_runner> impl_;
};

}  // namespace beeos

#endif
