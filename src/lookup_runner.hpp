// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#ifndef BEEOS_SRC_LOOKUP_RUNNER_HPP
#define BEEOS_SRC_LOOKUP_RUNNER_HPP

#include "client_impl.hpp"

#include <beeos/batch.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/cancellation_state.hpp>

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace beeos::detail {

/// Runs the lookups of one batch or stream: each distinct id once, at most `concurrency` at a
/// time. All its state lives on one strand; the public objects only post to it.
///
/// A batch collects every outcome and completes once, in input order. A stream keeps at most
/// `concurrency` lookups in flight or completed-but-untaken, and hands them out one by one.
class lookup_runner : public std::enable_shared_from_this<lookup_runner>
{
public:
    enum class mode { batch, stream };

    lookup_runner(std::shared_ptr<client_impl> client, std::vector<std::string> ids, mode m, call_options options = {});

    std::size_t distinct_ids() const noexcept { return unique_.size(); }

    /// Batch: starts the lookups; `handler` gets every outcome in input order.
    void start_batch(boost::asio::any_completion_handler<void(std::vector<lookup_result>)> handler);

    /// Stream: the next outcome, or nullopt at the end or after `cancel()`.
    void next(boost::asio::any_completion_handler<void(std::optional<lookup_result>)> handler);

    /// Cancels the lookups in flight; ids not started yet are never looked up.
    void cancel();

private:
    struct slot
    {
        boost::asio::cancellation_signal signal;
        error_info info;
        bool busy = false;
    };

    void watch_cancellation(boost::asio::cancellation_slot slot, std::uint64_t wait);
    void launch_more();
    void on_lookup_done(std::size_t slot_index, std::size_t unique_index, boost::system::error_code ec, instance value);
    void cancel_on_strand();
    void complete_batch();
    void serve_stream();
    bool finished() const noexcept { return launched_ == unique_.size() && in_flight_ == 0; }

    std::shared_ptr<client_impl> client_;
    boost::asio::any_io_executor strand_;
    mode mode_;
    call_options options_;  // of every lookup
    std::vector<std::string> unique_;          // distinct ids, in first-seen order
    std::vector<std::size_t> input_to_unique_; // batch: position in the input -> index in unique_
    std::vector<lookup_result> results_;       // batch: one per distinct id
    std::deque<lookup_result> ready_;          // stream: completed, not yet taken
    std::vector<std::unique_ptr<slot>> slots_;
    std::size_t launched_ = 0;
    std::size_t in_flight_ = 0;
    bool cancelled_ = false;
    // Optional, never assigned: see handler_box in completion.hpp.
    std::optional<boost::asio::any_completion_handler<void(std::vector<lookup_result>)>> batch_handler_;
    std::optional<boost::asio::any_completion_handler<void(std::optional<lookup_result>)>> stream_handler_;
    bool batch_completed_ = false;
    std::atomic<std::uint64_t> next_waits_{0};  // `next` calls so far, numbered from 1
    std::uint64_t pending_wait_ = 0;             // the number of the `next` waiting now (strand)
    std::uint64_t cancelled_wait_ = 0;           // a `next` cancelled before it reached the strand
};

}  // namespace beeos::detail

#endif
