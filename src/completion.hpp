// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#ifndef BEEOS_SRC_COMPLETION_HPP
#define BEEOS_SRC_COMPLETION_HPP

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>

#include <utility>

namespace beeos::detail {

/// A type-erased handler that is move-only to the type system too.
///
/// Boost 1.81's `any_completion_handler` has two traps: its converting constructor accepts an
/// lvalue of its own type, so a lambda capturing one looks copyable, and its move assignment
/// goes through that constructor and wraps the handler in itself without end. Never assign one
/// (construct it, or keep it in a `std::optional` and `emplace`), and capture this box instead.
template <class Signature>
struct handler_box
{
    explicit handler_box(boost::asio::any_completion_handler<Signature> h) noexcept : handler(std::move(h)) {}
    handler_box(handler_box&&) noexcept = default;
    handler_box& operator=(handler_box&&) = delete;
    handler_box(const handler_box&) = delete;
    handler_box& operator=(const handler_box&) = delete;

    boost::asio::any_completion_handler<Signature> handler;
};

/// Completes a type-erased handler on its own executor, as Asio operations do. Dispatched: for
/// callers already off the initiating call stack (a coroutine's completion, a strand hop).
template <class Signature, class... Args>
void dispatch_completion(boost::asio::any_completion_handler<Signature> h, const boost::asio::any_io_executor& fallback, Args&&... args)
{
    auto ex = boost::asio::get_associated_executor(h, fallback);
    boost::asio::dispatch(ex, [box = handler_box<Signature>(std::move(h)), ... args = std::forward<Args>(args)]() mutable {
        std::move(box.handler)(std::move(args)...);
    });
}

/// As `dispatch_completion`, but never inline: first posted to `fallback` (an
/// `any_completion_executor` cannot be posted to directly). For completions decided inside an
/// initiating function or a cancellation handler.
template <class Signature, class... Args>
void post_completion(boost::asio::any_completion_handler<Signature> h, const boost::asio::any_io_executor& fallback, Args&&... args)
{
    boost::asio::post(fallback, [box = handler_box<Signature>(std::move(h)), fallback, ... args = std::forward<Args>(args)]() mutable {
        dispatch_completion(std::move(box.handler), fallback, std::move(args)...);
    });
}

}  // namespace beeos::detail

#endif
