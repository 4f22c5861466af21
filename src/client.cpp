// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
//
// client::impl and the core coroutine of a call: validate, lease a connection, exchange,
// interpret. Errors travel as {error_code, error_info}; only `get_instance` throws.
#include <beeos/client.hpp>

#include "connection_pool.hpp"
#include "error_mapping.hpp"
#include "http_connection.hpp"
#include "request.hpp"
#include "tls_context.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <list>
#include <mutex>
#include <stdexcept>

namespace asio = boost::asio;
using boost::system::error_code;

namespace beeos {
namespace detail {
namespace {

bool is_valid_header_value(std::string_view s)
{
    for (char c : s)
    {
        auto u = static_cast<unsigned char>(c);
        if ((u < 0x20 && c != '\t') || u == 0x7f)
            return false;
    }
    return true;
}

void validate(const client_options& o)
{
    // Messages name the field, never the token's value.
    if (!is_valid_header_value(o.token))
        throw std::invalid_argument("client_options.token contains control characters (CR, LF, ...)");
    if (!is_valid_header_value(o.user_agent))
        throw std::invalid_argument("client_options.user_agent contains control characters");
    if (o.max_connections == 0)
        throw std::invalid_argument("client_options.max_connections must be at least 1");
    if (o.connect_timeout <= std::chrono::milliseconds::zero())
        throw std::invalid_argument("client_options.connect_timeout must be positive");
    if (o.request_timeout <= std::chrono::milliseconds::zero())
        throw std::invalid_argument("client_options.request_timeout must be positive");
    if (o.idle_timeout < std::chrono::milliseconds::zero())
        throw std::invalid_argument("client_options.idle_timeout must not be negative");
    if (o.max_body_bytes == 0)
        throw std::invalid_argument("client_options.max_body_bytes must be at least 1");
    if (o.max_header_bytes < 1024)
        throw std::invalid_argument("client_options.max_header_bytes must be at least 1024");
}

std::shared_ptr<const connection_settings> make_settings(const client_options& o)
{
    auto s = std::make_shared<connection_settings>();
    s->ep = parse_base_url(o.base_url);
    if (s->ep.tls)
        s->tls = make_tls_context(o.ca_file);
    s->connect_timeout = o.connect_timeout;
    s->max_body_bytes = o.max_body_bytes;
    s->max_header_bytes = o.max_header_bytes;
    return s;
}

}  // namespace

/// The state of one call, shared by its coroutine, its completion and `client_impl::close()`.
struct call_state
{
    explicit call_state(asio::any_io_executor s) : strand(std::move(s)) {}

    asio::any_io_executor strand;
    asio::cancellation_signal signal;  // emitted on `strand` only
    bool done = false;                 // touched on `strand` only
    std::list<std::shared_ptr<call_state>>::iterator registration;
    error_code ec;
    error_info info;
    instance result;
};

class client_impl : public std::enable_shared_from_this<client_impl>
{
public:
    client_impl(asio::any_io_executor ex, client_options opts)
        : ex_(std::move(ex)),
          settings_((validate(opts), make_settings(opts))),
          token_(std::move(opts.token)),
          fixed_headers_(make_fixed_headers(settings_->ep, token_, opts.user_agent)),
          request_timeout_(opts.request_timeout),
          pool_(ex_, settings_, opts.max_connections, opts.idle_timeout)
    {
    }

    const asio::any_io_executor& executor() const noexcept { return ex_; }

    void start_call(std::string id, error_info* user_info, asio::any_completion_handler<client::get_instance_signature> handler)
    {
        auto call = std::make_shared<call_state>(asio::make_strand(ex_));
        auto user_slot = asio::get_associated_cancellation_slot(handler);
        if (user_slot.is_connected())
        {
            // Asio cancellation is not thread-safe: hop to the call's strand before emitting.
            user_slot.assign([call](asio::cancellation_type type) {
                asio::dispatch(call->strand, [call, type] {
                    if (!call->done)
                        call->signal.emit(type);
                });
            });
        }
        {
            std::lock_guard lock(calls_mtx_);
            call->registration = calls_.insert(calls_.end(), call);
        }
        auto self = shared_from_this();
        asio::co_spawn(
            call->strand,
            run_call(self, call, std::move(id)),
            asio::bind_cancellation_slot(
                call->signal.slot(),
                [self, call, user_info, user_slot, h = std::move(handler)](std::exception_ptr ep) mutable {
                    call->done = true;
                    if (ep)
                        record_internal_error(ep, *call);
                    {
                        std::lock_guard lock(self->calls_mtx_);
                        self->calls_.erase(call->registration);
                    }
                    if (user_slot.is_connected())
                        user_slot.clear();
                    if (user_info)
                        *user_info = std::move(call->info);
                    auto handler_ex = asio::get_associated_executor(h, self->ex_);
                    asio::dispatch(handler_ex, [h = std::move(h), ec = call->ec, inst = std::move(call->result)]() mutable {
                        std::move(h)(ec, std::move(inst));
                    });
                }
            )
        );
    }

    void close()
    {
        closed_.store(true);
        pool_.shut_down();
        std::lock_guard lock(calls_mtx_);
        for (auto& call : calls_)
        {
            asio::post(call->strand, [call] {
                if (!call->done)
                    call->signal.emit(asio::cancellation_type::terminal);
            });
        }
    }

    std::size_t connections_opened() const { return pool_.connections_opened(); }

private:
    static void record_internal_error(std::exception_ptr ep, call_state& call)
    {
        call.ec = errc::protocol;
        try
        {
            std::rethrow_exception(ep);
        }
        catch (const std::exception& e)
        {
            call.info.detail = std::string("internal error: ") + e.what();
        }
        catch (...)
        {
            call.info.detail = "internal error";
        }
    }

    // Parameters, not lambda captures, carry the data: g++ 12 can free a coroutine lambda's
    // captures too early.
    static asio::awaitable<void> run_call(std::shared_ptr<client_impl> self, std::shared_ptr<call_state> call, std::string id)
    {
        // Every cancellation type ends the call: an interrupted exchange leaves its connection
        // unusable, so partial and total cancellation have nothing to preserve either.
        co_await asio::this_coro::reset_cancellation_state(asio::enable_total_cancellation());
        call->info.id = id;
        co_await self->get_instance(id, call->result, call->ec, call->info);
        if (call->ec == errc::cancelled && self->closed_.load())
            call->ec = errc::shut_down;
        if (call->ec)
            call->result = instance{};
    }

    asio::awaitable<void> get_instance(const std::string& id, instance& out, error_code& ec, error_info& info)
    {
        if (auto e = validate_id(id, info.detail))
        {
            ec = e;
            co_return;
        }
        if (closed_.load())
        {
            ec = errc::shut_down;
            info.detail = "the client was closed";
            co_return;
        }
        auto deadline = clock_type::now() + request_timeout_;
        std::string request;
        build_get_instance_request(request, settings_->ep, fixed_headers_, id);

        connection_lease lease;
        co_await pool_.async_acquire(deadline, lease, ec, info);
        if (ec)
            co_return;

        http_response res;
        bool resent = false;
        for (;;)
        {
            if (lease.fresh)
            {
                co_await lease.conn->async_connect(deadline, ec, info);
                if (ec)
                {
                    lease.conn.reset();
                    pool_.release_slot();
                    co_return;
                }
            }
            exchange_failure failure;
            co_await lease.conn->async_exchange(request, deadline, res, ec, info, failure);
            if (!ec)
                break;
            // GET is idempotent, but re-send only when no response byte arrived on a pooled
            // connection: that is the server closing it while idle, not a failure of this call.
            bool keep_alive_race = !lease.fresh && !failure.response_started && ec == errc::connection && !resent;
            if (!keep_alive_race)
            {
                pool_.release(std::move(lease.conn));
                // A status line may have arrived before the failure (e.g. a body over the limit).
                info.http_status = res.status;
                info.request_id = res.request_id;
                scrub_secret(info.request_id, token_);
                co_return;
            }
            resent = true;
            ec = {};
            info.detail.clear();
            info.cause = {};
            lease.conn = pool_.replace(std::move(lease.conn));
            lease.fresh = true;
        }
        // Hand the connection back before decoding so the next call can use it meanwhile.
        pool_.release(std::move(lease.conn));
        ec = interpret_response(res, out, info, token_, std::chrono::system_clock::now());
    }

    asio::any_io_executor ex_;
    std::shared_ptr<const connection_settings> settings_;
    std::string token_;
    std::string fixed_headers_;
    std::chrono::milliseconds request_timeout_;
    connection_pool pool_;
    std::atomic<bool> closed_{false};
    std::mutex calls_mtx_;
    std::list<std::shared_ptr<call_state>> calls_;
};

}  // namespace detail

namespace {

asio::awaitable<instance> get_instance_coro(std::shared_ptr<detail::client_impl> impl, std::string id)
{
    error_info info;
    auto start = [impl](auto handler, std::string call_id, error_info* call_info) {
        impl->start_call(std::move(call_id), call_info, std::move(handler));
    };
    auto token = asio::as_tuple(asio::use_awaitable);
    auto [ec, inst] = co_await asio::async_initiate<decltype(token), client::get_instance_signature>(start, token, std::move(id), &info);
    if (ec)
        throw error(ec, std::move(info));
    co_return std::move(inst);
}

}  // namespace

client::client(executor_type ex, client_options options)
    : impl_(std::make_shared<detail::client_impl>(std::move(ex), std::move(options)))
{
}

client::client(client&&) noexcept = default;

client& client::operator=(client&& other) noexcept
{
    if (this != &other)
    {
        if (impl_)
            impl_->close();
        impl_ = std::move(other.impl_);
    }
    return *this;
}

client::~client()
{
    if (impl_)
        impl_->close();
}

client::executor_type client::get_executor() const noexcept { return impl_->executor(); }

asio::awaitable<instance> client::get_instance(std::string_view id)
{
    // Not a coroutine itself: the id is copied here, before anything can suspend.
    if (!impl_)
        throw std::logic_error("beeos::client::get_instance called on a moved-from client");
    return get_instance_coro(impl_, std::string(id));
}

void client::close()
{
    if (impl_)
        impl_->close();
}

void client::async_get_instance_erased(std::string id, error_info* info, asio::any_completion_handler<get_instance_signature> handler)
{
    if (!impl_)
        throw std::logic_error("beeos::client::async_get_instance called on a moved-from client");
    impl_->start_call(std::move(id), info, std::move(handler));
}

}  // namespace beeos
