// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#ifndef BEEOS_LISTING_HPP
#define BEEOS_LISTING_HPP

/// \file
/// `GET /api/v1/instances` (`listInstances`): a filter, one page, and a pager over all pages.

#include <beeos/config.hpp>
#include <beeos/client_options.hpp>
#include <beeos/error.hpp>
#include <beeos/instance.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/system/error_code.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace beeos {

namespace detail {
class client_impl;
}

/// Which instances to list. Empty strings filter nothing; the server compares exactly.
struct BEEOS_DECL list_filter
{
    std::string status;           ///< e.g. "running" (`status`)
    std::string provider_id;      ///< `providerId`
    std::string agent_framework;  ///< `agentFramework`
    std::string cluster_id;       ///< `clusterId`
    std::string search;           ///< `search`, free text

    /// Instances per page, 1..200 (the contract's maximum).
    std::uint32_t page_size = 100;
};

/// One page of the listing.
struct BEEOS_DECL instance_page
{
    std::vector<instance> items;  ///< the instances of this page, in the server's order
    /// Instances matching the filter when the page was served; std::nullopt when the server
    /// did not say.
    std::optional<std::int64_t> total;
    std::uint32_t page = 0;       ///< 0-based page number requested
    std::uint32_t page_size = 0;  ///< page size requested
};

/// Walks the listing page by page, on demand: each `async_next_page` fetches one page.
///
/// It stops after the page where `(page + 1) * page_size >= total`, with `total` as the latest
/// page reported it (so a listing that shrinks or grows meanwhile is walked to its current
/// end), or, when the server gives no total, after a page with fewer than `page_size` items.
/// Every page is requested exactly once; a failed page can be asked for again (the pager does
/// not advance past a failure). Offset paging cannot see a consistent snapshot: instances
/// created or deleted while walking may shift others between pages, so a poller should treat
/// the walk as a discovery pass, not as a transaction. One consumer at a time. Move-only.
class BEEOS_DECL instance_pager
{
public:
    /// Completion signature of `async_next_page`: a page, `std::nullopt` after the last one, or an error.
    using next_page_signature = void(boost::system::error_code, std::optional<instance_page>);

    /// A moved-from pager may only be assigned to or destroyed.
    ///@{
    instance_pager(instance_pager&&) noexcept;
    instance_pager& operator=(instance_pager&&) noexcept;
    ///@}
    instance_pager(const instance_pager&) = delete;
    instance_pager& operator=(const instance_pager&) = delete;
    ~instance_pager();

    /// True once the last page was delivered.
    bool done() const noexcept;

    /// The next page, or std::nullopt after the last. On failure `info` says why and the same
    /// page is fetched by the next call.
    template <class CompletionToken = boost::asio::deferred_t>
    auto async_next_page(error_info& info, CompletionToken&& token = {})
    {
        return boost::asio::async_initiate<CompletionToken, next_page_signature>(initiation{this}, token, &info);
    }

    /// `co_await pager.next_page()`. \throws beeos::error on failure.
    boost::asio::awaitable<std::optional<instance_page>> next_page();

private:
    friend class client;
    struct state;
    instance_pager(std::shared_ptr<detail::client_impl> client, list_filter filter, call_options options);

    struct initiation
    {
        instance_pager* self;
        void operator()(boost::asio::any_completion_handler<next_page_signature> handler, error_info* info) const
        {
            self->async_next_page_erased(info, std::move(handler));
        }
    };
    void async_next_page_erased(error_info* info, boost::asio::any_completion_handler<next_page_signature> handler);

    std::shared_ptr<state> state_;
};

}  // namespace beeos

#endif
