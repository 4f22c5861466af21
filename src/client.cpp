// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
//
// client_impl and the core coroutine of a call: validate, then attempts (lease a connection,
// exchange, interpret) with retries as the policy, the budget and the deadline allow. Errors
// travel as {error_code, error_info}; only `get_instance` throws.
#include <beeos/client.hpp>

#include "connection_pool.hpp"
#include "error_mapping.hpp"
#include "http_connection.hpp"
#include "request.hpp"
#include "retry.hpp"
#include "tls_context.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <list>
#include <mutex>
#include <random>
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

// Returns what is wrong with a retry policy, or nullptr.
const char* check_policy(const retry_policy& p)
{
    if (p.max_attempts == 0)
        return "retry_policy.max_attempts must be at least 1";
    if (p.initial_backoff.count() < 0 || p.max_backoff.count() < 0 || p.max_retry_after.count() < 0)
        return "retry_policy backoffs and max_retry_after must not be negative";
    if (!(p.multiplier >= 1.0))
        return "retry_policy.multiplier must be at least 1";
    if (p.total_timeout.count() <= 0)
        return "retry_policy.total_timeout must be positive";
    return nullptr;
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
    if (const char* what = check_policy(o.retry))
        throw std::invalid_argument(std::string("client_options.") + what);
    if (o.retry_budget.retry_cost == 0)
        throw std::invalid_argument("client_options.retry_budget.retry_cost must be at least 1");
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

// Jitter needs no cryptographic quality, only independence between clients and threads.
double unit_random()
{
    thread_local std::minstd_rand engine{std::random_device{}()};
    return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
}

// Completes a type-erased handler on its own executor, as Asio operations do.
template <class Signature, class... Args>
void complete_on_handler_executor(asio::any_completion_handler<Signature> h, const asio::any_io_executor& fallback, Args&&... args)
{
    auto ex = asio::get_associated_executor(h, fallback);
    asio::dispatch(ex, [h = std::move(h), ... args = std::forward<Args>(args)]() mutable { std::move(h)(std::move(args)...); });
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
          default_policy_(opts.retry),
          budget_(opts.retry_budget),
          observer_(std::move(opts.on_attempt)),
          pool_(ex_, settings_, opts.max_connections, opts.idle_timeout)
    {
    }

    const asio::any_io_executor& executor() const noexcept { return ex_; }

    void start_call(
        std::string id,
        std::optional<retry_policy> policy,
        error_info* user_info,
        asio::any_completion_handler<client::get_instance_signature> handler
    )
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
            run_call(self, call, std::move(id), policy ? *policy : default_policy_),
            asio::bind_cancellation_slot(
                call->signal.slot(),
                [self, call, user_info, user_slot, h = std::move(handler)](std::exception_ptr ep) mutable {
                    call->done = true;
                    if (ep)
                        record_internal_error(ep, *call);
                    self->unregister(*call);
                    if (user_slot.is_connected())
                        user_slot.clear();
                    if (user_info)
                        *user_info = std::move(call->info);
                    complete_on_handler_executor(std::move(h), self->ex_, call->ec, std::move(call->result));
                }
            )
        );
    }

    void start_shutdown(shutdown_mode mode, asio::any_completion_handler<void(error_code)> handler)
    {
        closed_.store(true);
        if (mode == shutdown_mode::cancel)
            cancel_calls();
        auto self = shared_from_this();
        asio::co_spawn(asio::make_strand(ex_), drain_and_close(self), [self, h = std::move(handler)](std::exception_ptr) mutable {
            complete_on_handler_executor(std::move(h), self->ex_, error_code{});
        });
    }

    void close()
    {
        closed_.store(true);
        pool_.shut_down();
        cancel_calls();
    }

private:
    void cancel_calls()
    {
        std::lock_guard lock(calls_mtx_);
        for (auto& call : calls_)
        {
            asio::post(call->strand, [call] {
                if (!call->done)
                    call->signal.emit(asio::cancellation_type::terminal);
            });
        }
    }

    void unregister(call_state& call)
    {
        std::lock_guard lock(calls_mtx_);
        calls_.erase(call.registration);
        if (calls_.empty() && drain_timer_)
            asio::post(drain_strand_, [t = drain_timer_] { t->cancel(); });
    }

    // Waits for the calls in flight, then says goodbye on every idle connection.
    static asio::awaitable<void> drain_and_close(std::shared_ptr<client_impl> self)
    {
        auto strand = co_await asio::this_coro::executor;
        asio::steady_timer drained(strand, asio::steady_timer::time_point::max());
        bool wait = false;
        {
            std::lock_guard lock(self->calls_mtx_);
            if (!self->calls_.empty())
            {
                self->drain_timer_ = &drained;
                self->drain_strand_ = strand;
                wait = true;
            }
        }
        if (wait)
        {
            error_code ignored;
            co_await drained.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
            std::lock_guard lock(self->calls_mtx_);
            self->drain_timer_ = nullptr;
        }
        auto idle = self->pool_.take_idle_and_shut_down();
        // A bounded goodbye: a peer that never answers close_notify cannot stall shutdown.
        auto deadline = clock_type::now() + std::min<clock_type::duration>(self->settings_->connect_timeout, std::chrono::seconds(2));
        for (auto& conn : idle)
            co_await conn->async_close_gracefully(deadline);
    }

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
    static asio::awaitable<void> run_call(std::shared_ptr<client_impl> self, std::shared_ptr<call_state> call, std::string id, retry_policy policy)
    {
        // Every cancellation type ends the call: an interrupted exchange leaves its connection
        // unusable, so partial and total cancellation have nothing to preserve either.
        co_await asio::this_coro::reset_cancellation_state(asio::enable_total_cancellation());
        co_await self->get_instance(id, policy, call->result, call->ec, call->info);
        if (call->ec == errc::cancelled && self->closed_.load())
            call->ec = errc::shut_down;
        if (call->ec)
            call->result = instance{};
    }

    void observe(std::string_view id, unsigned attempt, const error_code& ec, const error_info& info, clock_type::time_point started,
                 std::optional<std::chrono::milliseconds> next_delay) const noexcept
    {
        if (!observer_)
            return;
        attempt_event ev;
        ev.id = id;
        ev.attempt = attempt;
        ev.result = ec;
        ev.http_status = info.http_status;
        ev.api_code = info.api_code;
        ev.latency = std::chrono::duration_cast<std::chrono::microseconds>(clock_type::now() - started);
        ev.next_delay = next_delay;
        try
        {
            observer_(ev);
        }
        catch (...)
        {
            // A faulty hook must not change the outcome of the call it watches.
        }
    }

    asio::awaitable<void> get_instance(const std::string& id, const retry_policy& policy, instance& out, error_code& ec, error_info& info)
    {
        info.id = id;
        if (auto e = validate_id(id, info.detail))
        {
            ec = e;
            co_return;
        }
        if (const char* what = check_policy(policy))
        {
            ec = errc::invalid_argument;
            info.detail = what;
            co_return;
        }
        if (closed_.load())
        {
            ec = errc::shut_down;
            info.detail = "the client was closed";
            co_return;
        }
        auto call_deadline = clock_type::now() + policy.total_timeout;
        std::string request;
        build_get_instance_request(request, settings_->ep, fixed_headers_, id);

        for (unsigned attempt = 1;; ++attempt)
        {
            auto started = clock_type::now();
            ec = {};  // the previous attempt's error must not look like this one's
            info = error_info{};
            info.id = id;
            co_await attempt_once(request, call_deadline, out, ec, info);
            info.attempts = attempt;
            if (!ec)
            {
                budget_.on_success();
                observe(id, attempt, ec, info, started, std::nullopt);
                co_return;
            }
            auto now = clock_type::now();
            if (ec == errc::timeout && now >= call_deadline)
                info.detail += info.detail.empty() ? "the call's total_timeout passed" : " (the call's total_timeout passed)";
            auto decision = decide_retry(policy, attempt, ec, info, call_deadline - now, unit_random());
            if (decision.retry && !budget_.try_spend())
            {
                decision.retry = false;
                decision.why_not = "not retried: the client's retry budget is spent (too many failures)";
            }
            if (!decision.retry)
            {
                if (!decision.why_not.empty())
                    info.detail += (info.detail.empty() ? "" : "; ") + decision.why_not;
                observe(id, attempt, ec, info, started, std::nullopt);
                co_return;
            }
            observe(id, attempt, ec, info, started, decision.delay);

            auto strand = co_await asio::this_coro::executor;
            asio::steady_timer sleep(strand, decision.delay);
            error_code sleep_ec;
            co_await sleep.async_wait(asio::redirect_error(asio::use_awaitable, sleep_ec));
            if (sleep_ec)
            {
                ec = errc::cancelled;
                info.detail = "cancelled while waiting " + std::to_string(decision.delay.count()) + " ms before attempt " +
                              std::to_string(attempt + 1);
                co_return;
            }
        }
    }

    // One attempt: lease, (connect), exchange, interpret. The connection wait is bounded by the
    // call's deadline; the server's part by `request_timeout` as well.
    asio::awaitable<void> attempt_once(const std::string& request, clock_type::time_point call_deadline, instance& out, error_code& ec, error_info& info)
    {
        connection_lease lease;
        co_await pool_.async_acquire(call_deadline, lease, ec, info);
        if (ec)
            co_return;
        auto deadline = std::min(call_deadline, clock_type::now() + request_timeout_);

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
            // connection: that is the server closing it while idle, not a failure of this call,
            // so it costs no attempt.
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
    retry_policy default_policy_;
    retry_budget budget_;
    attempt_observer observer_;
    connection_pool pool_;
    std::atomic<bool> closed_{false};
    std::mutex calls_mtx_;
    std::list<std::shared_ptr<call_state>> calls_;
    asio::steady_timer* drain_timer_ = nullptr;  // guarded by calls_mtx_
    asio::any_io_executor drain_strand_;         // guarded by calls_mtx_
};

}  // namespace detail

namespace {

asio::awaitable<instance> get_instance_coro(std::shared_ptr<detail::client_impl> impl, std::string id, std::optional<retry_policy> policy)
{
    error_info info;
    auto start = [impl](auto handler, std::string call_id, std::optional<retry_policy> call_policy, error_info* call_info) {
        impl->start_call(std::move(call_id), std::move(call_policy), call_info, std::move(handler));
    };
    auto token = asio::as_tuple(asio::use_awaitable);
    auto [ec, inst] = co_await asio::async_initiate<decltype(token), client::get_instance_signature>(start, token, std::move(id), std::move(policy), &info);
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
    return get_instance_coro(impl_, std::string(id), std::nullopt);
}

asio::awaitable<instance> client::get_instance(std::string_view id, const retry_policy& policy)
{
    if (!impl_)
        throw std::logic_error("beeos::client::get_instance called on a moved-from client");
    return get_instance_coro(impl_, std::string(id), policy);
}

void client::close()
{
    if (impl_)
        impl_->close();
}

void client::async_get_instance_erased(
    std::string id,
    std::optional<retry_policy> policy,
    error_info* info,
    asio::any_completion_handler<get_instance_signature> handler
)
{
    if (!impl_)
        throw std::logic_error("beeos::client::async_get_instance called on a moved-from client");
    impl_->start_call(std::move(id), std::move(policy), info, std::move(handler));
}

void client::async_shutdown_erased(shutdown_mode mode, asio::any_completion_handler<void(boost::system::error_code)> handler)
{
    if (!impl_)
        throw std::logic_error("beeos::client::async_shutdown called on a moved-from client");
    impl_->start_shutdown(mode, std::move(handler));
}

}  // namespace beeos
