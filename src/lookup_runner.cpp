// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
//
// Batch lookups and streams (`client::get_instances`, `client::stream_instances`) on top of
// `client_impl::start_get_instance`.
#include "lookup_runner.hpp"

#include "completion.hpp"

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <stdexcept>
#include <unordered_map>

namespace asio = boost::asio;
using boost::system::error_code;

namespace beeos::detail {

lookup_runner::lookup_runner(std::shared_ptr<client_impl> client, std::vector<std::string> ids, mode m, call_options options)
    : client_(std::move(client)), strand_(asio::make_strand(client_->executor())), mode_(m), options_(std::move(options))
{
    // Duplicates are looked up once; a batch copies the outcome back to every position.
    std::unordered_map<std::string_view, std::size_t> seen;
    seen.reserve(ids.size());
    if (mode_ == mode::batch)
        input_to_unique_.reserve(ids.size());
    unique_.reserve(ids.size());
    for (auto& id : ids)
    {
        auto [it, inserted] = seen.try_emplace(id, unique_.size());
        if (inserted)
        {
            unique_.push_back(std::move(id));
            // The key must view the stored string, not the moved-from one.
            auto node = seen.extract(it);
            node.key() = unique_.back();
            seen.insert(std::move(node));
        }
        if (mode_ == mode::batch)
            input_to_unique_.push_back(inserted ? unique_.size() - 1 : it->second);
    }
    if (mode_ == mode::batch)
        results_.resize(unique_.size());
    std::size_t concurrency = std::max<std::size_t>(1, std::min(client_->batch_concurrency(), unique_.size()));
    slots_.reserve(concurrency);
    for (std::size_t i = 0; i < concurrency; ++i)
        slots_.push_back(std::make_unique<slot>());
}

void lookup_runner::start_batch(asio::any_completion_handler<void(std::vector<lookup_result>)> handler)
{
    // The cancellation handler first: once the start is posted, another thread may complete
    // the batch and the caller's operation, slot included, may be gone.
    watch_cancellation(asio::get_associated_cancellation_slot(handler), 0);
    // Posted, never dispatched (a dispatch to an idle strand may run at once, and an empty
    // batch would complete inside this initiating function).
    asio::post(strand_, [self = shared_from_this(), box = handler_box(std::move(handler))]() mutable {
        self->batch_handler_.emplace(std::move(box.handler));
        if (self->cancelled_ || self->unique_.empty())
        {
            self->cancelled_ = false;  // report the ids as cancelled, below
            if (!self->unique_.empty())
                return self->cancel_on_strand();
            return self->complete_batch();
        }
        self->launch_more();
    });
}

void lookup_runner::next(asio::any_completion_handler<void(std::optional<lookup_result>)> handler)
{
    const std::uint64_t wait = next_waits_.fetch_add(1) + 1;
    watch_cancellation(asio::get_associated_cancellation_slot(handler), wait);
    asio::post(strand_, [self = shared_from_this(), box = handler_box(std::move(handler)), wait]() mutable {
        auto& h = box.handler;
        if (self->stream_handler_)
        {
            // One consumer at a time: a second concurrent wait is a usage error, reported as
            // the end of the stream rather than by losing either handler.
            post_completion(std::move(h), self->client_->executor(), std::optional<lookup_result>());
            return;
        }
        self->stream_handler_.emplace(std::move(h));
        self->pending_wait_ = wait;
        if (self->cancelled_wait_ == wait)
            self->cancel_on_strand();  // cancelled before this wait got here
        self->launch_more();
        self->serve_stream();
    });
}

// Installed by the initiating function and never cleared: the slot is its owner's, who may
// emit from any thread. The handler keeps nothing alive and cancels only while the wait that
// installed it is pending (for a batch, while the batch is), so a slot reused by the owner's
// later operations never reaches a stream it no longer waits on.
void lookup_runner::watch_cancellation(asio::cancellation_slot slot, std::uint64_t wait)
{
    if (!slot.is_connected())
        return;
    slot.assign([weak = weak_from_this(), wait](asio::cancellation_type) {
        auto self = weak.lock();
        if (!self)
            return;
        asio::post(self->strand_, [self, wait] {
            if (self->mode_ == mode::batch)
            {
                if (!self->batch_completed_)
                    self->cancel_on_strand();
            }
            else if (self->pending_wait_ == wait && self->stream_handler_)
            {
                self->cancel_on_strand();
            }
            else if (wait > self->pending_wait_)
            {
                self->cancelled_wait_ = wait;  // its `next` has not reached the strand yet
            }
        });
    });
}

void lookup_runner::cancel()
{
    // Posted: from a cancellation handler or a destructor, the lookups must not complete inline.
    asio::post(strand_, [self = shared_from_this()] { self->cancel_on_strand(); });
}

void lookup_runner::cancel_on_strand()
{
    if (cancelled_)
        return;
    cancelled_ = true;
    if (mode_ == mode::batch && !batch_handler_ && !batch_completed_)
        return;  // before the batch started: it reports every id as cancelled when it does
    for (auto& s : slots_)
        if (s->busy)
            s->signal.emit(asio::cancellation_type::terminal);
    if (mode_ == mode::batch)
    {
        // Ids never started are reported as cancelled too: one outcome per id, always.
        for (; launched_ < unique_.size(); ++launched_)
        {
            auto& r = results_[launched_];
            r.id = unique_[launched_];
            r.ec = errc::cancelled;
            r.info.id = r.id;
            r.info.detail = "the batch was cancelled before this id was looked up";
        }
        if (finished())
            complete_batch();
    }
    else
    {
        launched_ = unique_.size();
        ready_.clear();
        serve_stream();
    }
}

void lookup_runner::launch_more()
{
    if (cancelled_)
        return;
    // A stream does not run ahead of its consumer by more than the concurrency.
    while (launched_ < unique_.size() && in_flight_ + (mode_ == mode::stream ? ready_.size() : 0) < slots_.size())
    {
        std::size_t k = 0;
        while (slots_[k]->busy)
            ++k;
        auto& s = *slots_[k];
        s.busy = true;
        s.info = error_info{};
        std::size_t index = launched_++;
        ++in_flight_;
        client_->start_get_instance(
            unique_[index],
            options_,
            &s.info,
            asio::bind_cancellation_slot(
                s.signal.slot(),
                asio::bind_executor(strand_, [self = shared_from_this(), k, index](error_code ec, instance value) {
                    self->on_lookup_done(k, index, ec, std::move(value));
                })
            )
        );
    }
}

void lookup_runner::on_lookup_done(std::size_t slot_index, std::size_t unique_index, error_code ec, instance value)
{
    auto& s = *slots_[slot_index];
    s.busy = false;
    --in_flight_;
    lookup_result r;
    r.id = unique_[unique_index];
    r.ec = ec;
    if (ec)
        r.info = std::move(s.info);
    else
        r.value = std::move(value);

    if (mode_ == mode::batch)
    {
        results_[unique_index] = std::move(r);
        launch_more();
        if (finished())
            complete_batch();
        return;
    }
    if (!cancelled_)
        ready_.push_back(std::move(r));
    serve_stream();
    launch_more();
}

void lookup_runner::complete_batch()
{
    if (!batch_handler_)
        return;
    // Each distinct outcome is moved to its last position and copied to the earlier ones.
    std::vector<std::size_t> remaining(unique_.size(), 0);
    for (auto u : input_to_unique_)
        ++remaining[u];
    std::vector<lookup_result> out;
    out.reserve(input_to_unique_.size());
    for (auto u : input_to_unique_)
    {
        if (--remaining[u] == 0)
            out.push_back(std::move(results_[u]));
        else
            out.push_back(results_[u]);
    }
    batch_completed_ = true;
    auto h = std::move(*batch_handler_);
    batch_handler_.reset();
    dispatch_completion(std::move(h), client_->executor(), std::move(out));
}

void lookup_runner::serve_stream()
{
    if (!stream_handler_)
        return;
    std::optional<lookup_result> item;
    if (!ready_.empty())
    {
        item = std::move(ready_.front());
        ready_.pop_front();
    }
    else if (!finished())
    {
        // Wait for the next completion; when cancelled, until the cancelled lookups are back,
        // then report the end.
        return;
    }
    pending_wait_ = 0;
    auto h = std::move(*stream_handler_);
    stream_handler_.reset();
    // Posted, not dispatched: the consumer usually asks for the next item from inside the
    // handler, and must not recurse through this strand.
    post_completion(std::move(h), client_->executor(), std::move(item));
}

}  // namespace beeos::detail

namespace beeos {

instance_stream::instance_stream(std::shared_ptr<detail::lookup_runner> impl) : impl_(std::move(impl)) {}
instance_stream::instance_stream(instance_stream&&) noexcept = default;

instance_stream& instance_stream::operator=(instance_stream&& other) noexcept
{
    if (this != &other)
    {
        cancel();
        impl_ = std::move(other.impl_);
    }
    return *this;
}

instance_stream::~instance_stream() { cancel(); }

std::size_t instance_stream::size() const noexcept { return impl_ ? impl_->distinct_ids() : 0; }

void instance_stream::cancel()
{
    if (impl_)
        impl_->cancel();
}

void instance_stream::async_next_erased(asio::any_completion_handler<next_signature> handler)
{
    if (!impl_)
        throw std::logic_error("beeos::instance_stream::async_next called on a moved-from stream");
    impl_->next(std::move(handler));
}

asio::awaitable<std::optional<lookup_result>> instance_stream::next()
{
    return async_next(asio::use_awaitable);
}

void client::async_get_instances_erased(std::vector<std::string> ids, call_options options, asio::any_completion_handler<get_instances_signature> handler)
{
    if (!impl_)
        throw std::logic_error("beeos::client::async_get_instances called on a moved-from client");
    auto runner = std::make_shared<detail::lookup_runner>(impl_, std::move(ids), detail::lookup_runner::mode::batch, std::move(options));
    runner->start_batch(std::move(handler));
}

instance_stream client::stream_instances_erased(std::vector<std::string> ids, const call_options& options)
{
    if (!impl_)
        throw std::logic_error("beeos::client::stream_instances called on a moved-from client");
    return instance_stream(std::make_shared<detail::lookup_runner>(impl_, std::move(ids), detail::lookup_runner::mode::stream, options));
}

}  // namespace beeos
