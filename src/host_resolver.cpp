// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#include "host_resolver.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <system_error>
#include <thread>
#include <vector>

namespace asio = boost::asio;
using boost::system::error_code;

namespace beeos::detail {

struct host_resolver::lookup
{
    struct waiter
    {
        std::uint64_t id;
        asio::any_io_executor ex;
        completion done;
    };

    std::mutex mtx;
    std::vector<waiter> waiters;  // guarded by mtx
    std::uint64_t next_id = 0;    // guarded by mtx
    bool finished = false;        // guarded by mtx
    error_code ec;                // once finished
    results_type results;         // once finished

    void leave(std::uint64_t id) noexcept
    {
        std::lock_guard lock(mtx);
        for (auto it = waiters.begin(); it != waiters.end(); ++it)
        {
            if (it->id == id)
            {
                waiters.erase(it);
                return;
            }
        }
    }
};

namespace {

host_resolver::results_type lookup_with_getaddrinfo(const std::string& host, const std::string& port, error_code& ec)
{
    // A synchronous resolve calls getaddrinfo on the calling thread; its io_context is never run.
    asio::io_context private_context(1);
    asio::ip::tcp::resolver resolver(private_context);
    host_resolver::results_type out;
    for (const auto& entry : resolver.resolve(host, port, ec))
        out.push_back(entry.endpoint());
    return out;
}

}  // namespace

host_resolver::host_resolver(lookup_function lookup) : lookup_(lookup ? std::move(lookup) : lookup_function(lookup_with_getaddrinfo)) {}

host_resolver::ticket& host_resolver::ticket::operator=(ticket&& other) noexcept
{
    if (this != &other)
    {
        reset();
        lookup_ = std::move(other.lookup_);
        id_ = other.id_;
    }
    return *this;
}

void host_resolver::ticket::reset() noexcept
{
    if (lookup_)
    {
        lookup_->leave(id_);
        lookup_.reset();
    }
}

host_resolver::ticket host_resolver::resolve(const std::string& host, const std::string& port, asio::any_io_executor ex, completion done)
{
    const std::string key = host + '\n' + port;
    std::shared_ptr<lookup> l;
    bool start = false;
    {
        std::lock_guard lock(mtx_);
        auto& slot = in_flight_[key];
        if (!slot)
        {
            slot = std::make_shared<lookup>();
            start = true;
        }
        l = slot;
    }
    std::uint64_t id = 0;
    {
        std::lock_guard lock(l->mtx);
        if (l->finished)
        {
            // Finished between our look into the map and now: its answer is still fresh.
            asio::post(ex, [done = std::move(done), ec = l->ec, results = l->results] { done(ec, results); });
            return ticket();
        }
        id = ++l->next_id;
        l->waiters.push_back({id, std::move(ex), std::move(done)});
    }
    if (start)
    {
        // The thread holds the lookup and a weak reference to the resolver only: a client that
        // is destroyed meanwhile leaves it nothing to touch but its own state.
        auto body = [weak = weak_from_this(), fn = lookup_, host, port, key, l] {
            error_code ec;
            results_type results;
            try
            {
                results = fn(host, port, ec);
            }
            catch (const std::exception&)
            {
                ec = make_error_code(boost::system::errc::not_enough_memory);
            }
            {
                std::lock_guard lock(l->mtx);
                l->finished = true;
                l->ec = ec;
                l->results = results;
                for (auto& w : l->waiters)
                    asio::post(w.ex, [done = std::move(w.done), ec, results] { done(ec, results); });
                l->waiters.clear();
            }
            if (auto self = weak.lock())
                self->finished(key, l);
        };
        try
        {
            std::thread(std::move(body)).detach();
        }
        catch (const std::system_error&)
        {
            // No thread to be had: every waiter of this lookup fails now, posted.
            {
                std::lock_guard lock(mtx_);
                in_flight_.erase(key);
            }
            std::lock_guard lock(l->mtx);
            l->finished = true;
            l->ec = make_error_code(boost::system::errc::resource_unavailable_try_again);
            for (auto& w : l->waiters)
                asio::post(w.ex, [done = std::move(w.done), ec = l->ec] { done(ec, results_type()); });
            l->waiters.clear();
        }
    }
    return ticket(std::move(l), id);
}

void host_resolver::finished(const std::string& key, const std::shared_ptr<lookup>& l)
{
    std::lock_guard lock(mtx_);
    auto it = in_flight_.find(key);
    if (it != in_flight_.end() && it->second == l)
        in_flight_.erase(it);
}

std::size_t host_resolver::lookups_in_flight() const
{
    std::lock_guard lock(mtx_);
    return in_flight_.size();
}

}  // namespace beeos::detail
