// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
//
// `listInstances`: one page through `client_impl::start_list_page`, and the pager that walks
// the pages on demand.
#include <beeos/client.hpp>

#include "client_impl.hpp"
#include "completion.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <atomic>
#include <stdexcept>

namespace asio = boost::asio;
using boost::system::error_code;

namespace beeos {

struct instance_pager::state
{
    std::shared_ptr<detail::client_impl> client;
    list_filter filter;
    call_options options;
    std::atomic<std::uint32_t> next_page{0};
    std::atomic<bool> done{false};
    std::atomic<bool> busy{false};
};

namespace {

asio::awaitable<instance_page> list_page_coro(std::shared_ptr<detail::client_impl> impl, list_filter filter, std::uint32_t page, call_options options)
{
    error_info info;
    auto start = [impl](auto handler, list_filter&& f, std::uint32_t p, call_options&& o, error_info* i) {
        impl->start_list_page(std::move(f), p, std::move(o), i, std::move(handler));
    };
    auto token = asio::as_tuple(asio::use_awaitable);
    auto [ec, result] = co_await asio::async_initiate<decltype(token), client::list_page_signature>(start, token, std::move(filter), page,
                                                                                                    std::move(options), &info);
    if (ec)
        throw error(ec, std::move(info));
    co_return std::move(result);
}

// The page is the last one when the total says so, or, without a total, when it came short.
bool is_last_page(const instance_page& p)
{
    if (p.total)
        return std::uint64_t(p.page + 1) * p.page_size >= std::uint64_t(std::max<std::int64_t>(*p.total, 0));
    return p.items.size() < p.page_size;
}

}  // namespace

void client::async_list_instances_page_erased(
    list_filter filter,
    std::uint32_t page,
    call_options options,
    error_info* info,
    asio::any_completion_handler<list_page_signature> handler
)
{
    if (!impl_)
        throw std::logic_error("beeos::client::async_list_instances_page called on a moved-from client");
    impl_->start_list_page(std::move(filter), page, std::move(options), info, std::move(handler));
}

asio::awaitable<instance_page> client::list_instances_page(list_filter filter, std::uint32_t page)
{
    return list_instances_page(std::move(filter), page, call_options());
}

asio::awaitable<instance_page> client::list_instances_page(list_filter filter, std::uint32_t page, call_options options)
{
    if (!impl_)
        throw std::logic_error("beeos::client::list_instances_page called on a moved-from client");
    return list_page_coro(impl_, std::move(filter), page, std::move(options));
}

instance_pager client::list_instances(list_filter filter)
{
    return list_instances(std::move(filter), call_options());
}

instance_pager client::list_instances(list_filter filter, call_options options)
{
    if (!impl_)
        throw std::logic_error("beeos::client::list_instances called on a moved-from client");
    return instance_pager(impl_, std::move(filter), std::move(options));
}

instance_pager::instance_pager(std::shared_ptr<detail::client_impl> client, list_filter filter, call_options options)
    : state_(std::make_shared<state>())
{
    state_->client = std::move(client);
    state_->filter = std::move(filter);
    state_->options = std::move(options);
}

instance_pager::instance_pager(instance_pager&&) noexcept = default;
instance_pager& instance_pager::operator=(instance_pager&&) noexcept = default;
instance_pager::~instance_pager() = default;

bool instance_pager::done() const noexcept { return !state_ || state_->done.load(); }

void instance_pager::async_next_page_erased(error_info* info, asio::any_completion_handler<next_page_signature> handler)
{
    if (!state_)
        throw std::logic_error("beeos::instance_pager::async_next_page called on a moved-from pager");
    auto st = state_;
    auto ex = asio::get_associated_executor(handler, st->client->executor());
    if (st->done.load())
    {
        detail::post_completion(std::move(handler), st->client->executor(), error_code{}, std::optional<instance_page>());
        return;
    }
    if (st->busy.exchange(true))
    {
        // Two pages at once would fetch the same page twice: the second call fails, posted,
        // and the first goes on.
        if (info)
        {
            *info = error_info{};
            info->id = "list_instances(page " + std::to_string(st->next_page) + ")";
            info->detail = "instance_pager::async_next_page called while the previous page is still being fetched";
        }
        detail::post_completion(std::move(handler), st->client->executor(), error_code(errc::invalid_argument), std::optional<instance_page>());
        return;
    }
    // The page advances only on success, so a failed page is fetched again by the next call.
    // The wrapper carries the caller's executor and cancellation slot over to the call.
    auto slot = asio::get_associated_cancellation_slot(handler);
    auto on_page = [st, box = detail::handler_box(std::move(handler))](error_code ec, instance_page page) mutable {
        std::optional<instance_page> out;
        if (!ec)
        {
            ++st->next_page;
            if (is_last_page(page))
                st->done.store(true);
            out = std::move(page);
        }
        st->busy.store(false);
        std::move(box.handler)(ec, std::move(out));
    };
    st->client->start_list_page(st->filter, st->next_page, st->options, info, asio::bind_cancellation_slot(slot, asio::bind_executor(ex, std::move(on_page))));
}

asio::awaitable<std::optional<instance_page>> instance_pager::next_page()
{
    error_info info;
    auto [ec, page] = co_await async_next_page(info, asio::as_tuple(asio::use_awaitable));
    if (ec)
        throw error(ec, std::move(info));
    co_return std::move(page);
}

}  // namespace beeos
