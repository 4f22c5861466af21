// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
//
// client_impl: options, the start of every call (validation, single-flight, registration),
// delivery to the callers, shutdown, and the public `client` on top. The steps of a call are
// carried out in call_driver.cpp.
#include <beeos/client.hpp>

#include "calls.hpp"
#include "client_impl.hpp"
#include "completion.hpp"
#include "decode_instance.hpp"
#include "error_mapping.hpp"
#include "http_connection.hpp"
#include "proxy_config.hpp"
#include "request.hpp"
#include "sanitise.hpp"
#include "tls_context.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <cmath>
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
    if (const char* what = check_retry_policy(o.retry))
        throw std::invalid_argument(std::string("client_options.") + what);
    if (o.retry_budget.retry_cost == 0)
        throw std::invalid_argument("client_options.retry_budget.retry_cost must be at least 1");
    const auto& rl = o.rate_limit;
    // Below one request in about 11.6 days the interval no longer fits the clock's duration and
    // the limit would silently vanish.
    if (!std::isfinite(rl.requests_per_second) || rl.requests_per_second < 0 ||
        (rl.requests_per_second > 0 && rl.requests_per_second < rate_limit_options::min_requests_per_second))
        throw std::invalid_argument(
            "client_options.rate_limit.requests_per_second must be 0 (no limit) or a finite number >= 1e-6"
        );
    if (rl.burst == 0)
        throw std::invalid_argument("client_options.rate_limit.burst must be at least 1");
    if (!(rl.decrease_factor > 0 && rl.decrease_factor <= 1) || !(rl.min_rate_fraction > 0 && rl.min_rate_fraction <= 1) ||
        !(rl.recovery_step >= 0 && rl.recovery_step <= 1))
        throw std::invalid_argument("client_options.rate_limit: decrease_factor and min_rate_fraction must be in (0, 1], recovery_step in [0, 1]");
    if (rl.recovery_interval.count() <= 0)
        throw std::invalid_argument("client_options.rate_limit.recovery_interval must be positive");
}

std::shared_ptr<const connection_settings> make_settings(const client_options& o, const client_hooks& hooks)
{
    auto s = std::make_shared<connection_settings>();
    s->ep = parse_base_url(o.base_url);
    if (s->ep.tls)
        s->tls = make_tls_context(o.ca_file);
    s->proxy = decide_proxy(s->ep.tls, s->ep.host, s->ep.port, o.proxy, o.no_proxy, hooks.env ? hooks.env : process_env).proxy;
    if (s->proxy && !s->ep.tls)
    {
        // An http API through a proxy: requests name the origin (absolute form).
        s->ep.target_origin = "http://" + s->ep.host_header;
    }
    s->user_agent = user_agent_value(o.user_agent);
    s->accept_gzip = o.accept_gzip;
    s->resolver = std::make_shared<host_resolver>(hooks.lookup);
    s->connect_timeout = o.connect_timeout;
    s->max_body_bytes = o.max_body_bytes;
    s->max_header_bytes = o.max_header_bytes;
    return s;
}

connection_factory make_factory(const asio::any_io_executor& ex, const std::shared_ptr<const connection_settings>& settings, const client_hooks& hooks)
{
    if (hooks.make_connection)
        return [ex, settings, make = hooks.make_connection] { return make(ex, settings); };
    return [ex, settings] { return make_http_connection(ex, settings); };
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// The calls

call_state::call_state(client_impl& c, asio::any_io_executor s, std::string l, retry_policy p, std::shared_ptr<const credential> own)
    : client(c),
      strand(std::move(s)),
      label(std::move(l)),
      policy(p),
      cred(own ? std::move(own) : c.default_credential_),
      fsm(policy, c.request_timeout_, c.limiter_, c.budget_, ec, info, !cred && c.tokens_)
{
    if (cred)
        info.credential_tag = cred->tag;
}

void call_state::cancel(asio::cancellation_type type)
{
    cancel_requested = true;
    switch (current)
    {
    case phase::waiting:
        if (timer)
            timer->cancel();
        break;
    case phase::queued:
        if (parked)
            parked->timer().cancel();
        break;
    case phase::exchanging:
        signal.emit(type);
        // The emit reaches the operation pending now; closing the connection also ends the
        // ones Beast or the exchange would start after it. It is never reused anyway.
        if (lease.conn)
            lease.conn->close();
        break;
    case phase::idle:
    case phase::done: break;
    }
}

error_code instance_call::validate(std::string& detail) const { return validate_id(label, detail); }

void instance_call::write_request() { build_get_instance_request(request, client.settings_->ep, cred->fixed_headers, label); }

error_code instance_call::decode_body(std::string_view body, std::string& detail)
{
    if (!result)
        result = std::make_unique<instance>();
    auto e = decode_instance_envelope(body, *result, detail, cred->token);
    if (e)
        return e;
    // The last line of defence against a connection out of step or a misrouting intermediary:
    // an answer for another id is never handed over as this one. An id that is merely absent
    // is lenient (the request says which instance it is).
    if (result->id.empty())
    {
        result->id = label;
        return {};
    }
    if (result->id != label)
    {
        std::string server_id = result->id;
        // Scrubbed before it is cut: a cut can leave half a token that no scrub finds.
        client.redact(server_id);
        if (cred)
            scrub_secret(server_id, cred->token);
        detail = "the server answered with instance \"";
        append_sanitised(detail, server_id, 140);
        detail += "\" to a request for this one; the connection was closed";
        return errc::mismatched_response;
    }
    return {};
}

void instance_call::deliver()
{
    std::list<instance_waiter> taken;
    {
        // Out of `flights_` in the same step as the waiters are taken: a caller either joined
        // in time and is served here, or starts a call of its own.
        std::lock_guard lock(client.flights_mtx_);
        client.erase_flight_locked(*this);
        taken.swap(waiters);
    }
    // Every waiter gets its own copy; the last one takes the original. The instance travels to
    // the handler's executor behind a pointer: moving a 1 KiB struct through each layer of
    // dispatch cost about 5% of a request. The callers' cancellation slots are left alone: only
    // their owners may touch them, and the handlers installed there do nothing once the
    // waiter is gone.
    std::size_t left = taken.size();
    for (auto& w : taken)
    {
        bool last = --left == 0;
        if (w.user_info)
            *w.user_info = last ? std::move(info) : info;
        std::unique_ptr<instance> value;
        if (result)
            value = last ? std::move(result) : std::make_unique<instance>(*result);
        auto ex = asio::get_associated_executor(w.handler, client.ex_);
        asio::dispatch(ex, [box = handler_box(std::move(w.handler)), ec = ec, value = std::move(value)]() mutable {
            std::move(box.handler)(ec, value ? std::move(*value) : instance{});
        });
    }
}

page_call::page_call(client_impl& c, asio::any_io_executor s, list_filter f, std::uint32_t p, retry_policy pol,
                     std::shared_ptr<const credential> own, asio::any_completion_handler<client::list_page_signature> h, error_info* i)
    : call_state(c, std::move(s), "list_instances(page " + std::to_string(p) + ")", pol, std::move(own)),
      filter(std::move(f)),
      page(p),
      handler(std::move(h)),
      user_info(i)
{
}

error_code page_call::validate(std::string& detail) const { return validate_list_filter(filter, detail); }

void page_call::write_request() { build_list_instances_request(request, client.settings_->ep, cred->fixed_headers, filter, page); }

error_code page_call::decode_body(std::string_view body, std::string& detail)
{
    auto e = decode_instance_page(body, result.items, result.total, detail, cred->token);
    if (e)
        return e;
    // A page can only be matched to its request by its size: more items than asked for is an
    // answer to another question.
    if (result.items.size() > filter.page_size)
    {
        detail = "the server sent " + std::to_string(result.items.size()) + " items for a page of " + std::to_string(filter.page_size) +
                 "; the connection was closed";
        return errc::mismatched_response;
    }
    return {};
}

void page_call::deliver()
{
    if (user_info)
        *user_info = std::move(info);
    result.page = page;
    result.page_size = filter.page_size;
    dispatch_completion(std::move(handler), client.ex_, ec, std::move(result));
}

// ---------------------------------------------------------------------------------------------
// client_impl

client_impl::client_impl(asio::any_io_executor ex, client_options opts, const client_hooks& hooks)
    : ex_(std::move(ex)),
      settings_((validate(opts), make_settings(opts, hooks))),
      token_(std::move(opts.token)),
      user_agent_(opts.user_agent),
      proxy_authorization_(settings_->proxy && !settings_->ep.tls ? settings_->proxy->authorization : std::string()),
      request_timeout_(opts.request_timeout),
      default_policy_(opts.retry),
      budget_(opts.retry_budget),
      limiter_(opts.rate_limit),
      observer_(std::move(opts.on_attempt)),
      coalesce_(opts.coalesce_requests),
      batch_concurrency_(opts.batch_concurrency ? opts.batch_concurrency : opts.max_connections),
      pool_(make_factory(ex_, settings_, hooks), opts.max_connections, opts.idle_timeout, opts.max_connection_age)
{
    if (opts.token_source)
    {
        tokens_ = std::make_shared<token_manager>(std::move(opts.token_source), [this](std::string token, std::uint64_t generation) {
            return make_credential(std::move(token), generation, false);
        });
    }
    else
    {
        default_credential_ = make_credential(token_, 0, false);
    }
}

std::shared_ptr<const credential> client_impl::make_credential(std::string token, std::uint64_t generation, bool tagged) const
{
    auto c = std::make_shared<credential>();
    c->fixed_headers = make_fixed_headers(settings_->ep, token, user_agent_, proxy_authorization_, settings_->accept_gzip);
    if (tagged)
        c->tag = credential_tag(token);
    c->token = std::move(token);
    c->generation = generation;
    return c;
}

std::shared_ptr<const credential> client_impl::credential_for(const call_options& options) const
{
    if (options.token.empty())
        return nullptr;
    return make_credential(options.token, 0, true);
}

client_impl::~client_impl() = default;

client_stats client_impl::stats() const
{
    client_stats s;
    const auto pool = pool_.stats();
    const auto opening = std::min(stats_.connecting.load(std::memory_order_relaxed), pool.open - pool.idle);
    s.connections_open = pool.open;
    s.connections_idle = pool.idle;
    s.connections_opening = opening;
    s.connections_leased = pool.open - pool.idle - opening;
    s.calls_queued = pool.waiting;
    {
        // Finished first: both only grow, so the difference is never an undercount of what
        // was started. (`calls_` itself keeps a call until after its handler was delivered.)
        const auto finished = stats_.calls_finished.load(std::memory_order_relaxed);
        const auto started = stats_.calls_started.load(std::memory_order_relaxed);
        s.calls_in_flight = started > finished ? started - finished : 0;
    }
    s.retry_budget_tokens = budget_.tokens();
    s.rate_limit_current = limiter_.current_rate();
    s.calls_started = stats_.calls_started.load(std::memory_order_relaxed);
    s.calls_failed = stats_.calls_failed.load(std::memory_order_relaxed);
    s.requests_sent = stats_.requests_sent.load(std::memory_order_relaxed);
    s.retries = stats_.retries.load(std::memory_order_relaxed);
    s.resends_after_stale = stats_.resends.load(std::memory_order_relaxed);
    s.coalesced_joins = stats_.joins.load(std::memory_order_relaxed);
    s.rate_limit_refusals = stats_.refusals.load(std::memory_order_relaxed);
    s.token_refreshes = tokens_ ? tokens_->refreshes() : 0;  // single-flight: one per source refresh
    s.bytes_received = stats_.bytes_received.load(std::memory_order_relaxed);
    s.connections_opened = pool.opened;
    s.connections_closed.idle_timeout = pool.closed.idle_timeout;
    s.connections_closed.max_age = pool.closed.max_age;
    s.connections_closed.stale = pool.closed.stale;
    s.connections_closed.not_reusable = pool.closed.not_reusable;
    s.connections_closed.shutdown = pool.closed.shutdown;
    return s;
}

void client_impl::redact(std::string& text) const
{
    scrub_secret(text, token_);
    if (tokens_)
        for (const auto& t : tokens_->recent_tokens())
            scrub_secret(text, t);
}

// A strand on the concrete io_context executor when the client was given one: one level of
// type erasure less on every hop of every call.
asio::any_io_executor client_impl::make_call_strand() const
{
    if (auto* io = ex_.target<asio::io_context::executor_type>())
        return asio::make_strand(*io);
    return asio::make_strand(ex_);
}

void client_impl::register_call(const std::shared_ptr<call_state>& call)
{
    stats_.calls_started.fetch_add(1, std::memory_order_relaxed);
    std::lock_guard lock(calls_mtx_);
    call->registration = calls_.insert(calls_.end(), call);
}

void client_impl::start_get_instance(
    std::string id,
    call_options options,
    error_info* user_info,
    asio::any_completion_handler<client::get_instance_signature> handler
)
{
    const retry_policy& effective = options.retry ? *options.retry : default_policy_;
    if (!options.token.empty() && !is_valid_token(options.token))
    {
        // Refused before anything is shared or sent; the message names the field only.
        error_info info;
        info.id = id;
        info.detail = "call_options.token contains control characters (CR, LF, ...)";
        if (user_info)
            *user_info = std::move(info);
        post_completion(std::move(handler), ex_, error_code(errc::invalid_argument), instance{});
        return;
    }
    auto own = credential_for(options);
    auto user_slot = asio::get_associated_cancellation_slot(handler);
    std::shared_ptr<instance_call> call;
    {
        std::lock_guard lock(flights_mtx_);
        const std::uint64_t seq = ++next_waiter_seq_;
        instance_call* joined = nullptr;
        if (coalesce_)
        {
            auto [first, last] = flights_.equal_range(id);
            for (auto it = first; it != last; ++it)
            {
                // A call with a short deadline never inherits a long one, and a call never gets
                // a response fetched with another token: only equal policies and tokens share.
                if (it->second->policy == effective && it->second->own_token == options.token)
                {
                    joined = it->second;
                    break;
                }
            }
        }
        // Alive while it is in `flights_`: deliver() takes it out first.
        auto target = joined ? std::static_pointer_cast<instance_call>(joined->shared_from_this())
                             : std::make_shared<instance_call>(*this, make_call_strand(), std::move(id), effective, std::move(own));
        // The caller's cancellation handler is installed here, in the initiating function, and
        // before the waiter is published: once it is in the list, another thread may complete
        // it, and the caller's operation (and the slot with it) may be gone. It is never
        // cleared: the slot belongs to the caller, who may emit on it from any thread. It does
        // nothing once this waiter has been served, and keeps nothing alive.
        if (user_slot.is_connected())
        {
            user_slot.assign([weak_self = weak_from_this(), weak_call = std::weak_ptr<instance_call>(target), seq](asio::cancellation_type) {
                auto self = weak_self.lock();
                auto c = weak_call.lock();
                if (self && c)
                    self->cancel_waiter(c, seq);
            });
        }
        target->waiters.emplace_back(seq, std::move(handler), user_info);
        if (joined)
            stats_.joins.fetch_add(1, std::memory_order_relaxed);
        if (!joined)
        {
            target->own_token = std::move(options.token);
            if (coalesce_)
            {
                flights_.emplace(target->label, target.get());
                target->in_flights = true;
            }
            // Registered before the lock is released, so a joiner always finds it alive.
            register_call(target);
            call = std::move(target);
        }
    }
    if (call)
        launch(std::move(call));
}

void client_impl::erase_flight_locked(instance_call& call)
{
    if (!call.in_flights)
        return;
    auto [first, last] = flights_.equal_range(call.label);
    for (auto it = first; it != last; ++it)
    {
        if (it->second == &call)
        {
            flights_.erase(it);
            break;
        }
    }
    call.in_flights = false;
}

void client_impl::start_list_page(
    list_filter filter,
    std::uint32_t page,
    call_options options,
    error_info* user_info,
    asio::any_completion_handler<client::list_page_signature> handler
)
{
    if (!options.token.empty() && !is_valid_token(options.token))
    {
        if (user_info)
        {
            *user_info = error_info{};
            user_info->id = "list_instances(page " + std::to_string(page) + ")";
            user_info->detail = "call_options.token contains control characters (CR, LF, ...)";
        }
        post_completion(std::move(handler), ex_, error_code(errc::invalid_argument), instance_page{});
        return;
    }
    auto user_slot = asio::get_associated_cancellation_slot(handler);
    const retry_policy& effective = options.retry ? *options.retry : default_policy_;
    auto call = std::make_shared<page_call>(*this, make_call_strand(), std::move(filter), page, effective, credential_for(options),
                                            std::move(handler), user_info);
    register_call(call);
    if (user_slot.is_connected())
    {
        // Installed in the initiating function and never cleared (see start_get_instance).
        // Cancellation runs on the emitter's thread: hop to the call's strand first (posted,
        // so nothing runs inside the emit).
        user_slot.assign([weak = std::weak_ptr<page_call>(call)](asio::cancellation_type type) {
            if (auto c = weak.lock())
                asio::post(c->strand, [c, type] { c->cancel(type); });
        });
    }
    launch(std::move(call));
}

// A waiter that cancels leaves the shared request; the request itself is cancelled only when
// nobody is left waiting for it.
void client_impl::cancel_waiter(const std::shared_ptr<instance_call>& call, std::uint64_t waiter_seq)
{
    std::optional<instance_waiter> leaving;
    bool cancel_call = false;
    {
        std::lock_guard lock(flights_mtx_);
        auto it = std::find_if(call->waiters.begin(), call->waiters.end(), [&](const instance_waiter& w) { return w.seq == waiter_seq; });
        if (it == call->waiters.end())
            return;  // already served
        if (call->waiters.size() > 1)
        {
            leaving.emplace(std::move(*it));
            call->waiters.erase(it);
        }
        else
        {
            // The last waiter: nobody may join a request about to be cancelled. It stays on
            // the call, which completes it with the cancellation.
            erase_flight_locked(*call);
            cancel_call = true;
        }
    }
    if (cancel_call)
    {
        asio::post(call->strand, [call] { call->cancel(asio::cancellation_type::terminal); });
        return;
    }
    error_info info;
    info.id = call->label;
    info.detail = "cancelled while waiting for a request shared with other callers (it goes on for them)";
    if (leaving->user_info)
        *leaving->user_info = std::move(info);
    // The handler runs later, on its own executor: never inside the slot's emit.
    post_completion(std::move(leaving->handler), ex_, error_code(errc::cancelled), instance{});
}

void client_impl::launch(std::shared_ptr<call_state> call)
{
    // Posted, never dispatched: a dispatch to an idle strand runs at once on a thread of the
    // io_context, and a call refused at admission would then complete inside its initiating
    // function.
    auto strand = call->strand;
    asio::post(strand, [self = shared_from_this(), call = std::move(call)]() mutable { self->begin(std::move(call)); });
}

void client_impl::close()
{
    closed_.store(true);
    pool_.shut_down();
    cancel_calls();
}

void client_impl::cancel_calls()
{
    std::lock_guard lock(calls_mtx_);
    for (auto& call : calls_)
        asio::post(call->strand, [call] { call->cancel(asio::cancellation_type::terminal); });
}

void client_impl::unregister(call_state& call)
{
    bool goodbye = false;
    {
        std::lock_guard lock(calls_mtx_);
        calls_.erase(call.registration);
        if (calls_.empty() && shutdown_ == shutdown_phase::draining)
        {
            shutdown_ = shutdown_phase::saying_goodbye;
            goodbye = true;
        }
    }
    if (goodbye)
        start_goodbye();
}

// ---------------------------------------------------------------------------------------------
// Shutdown: open -> draining (calls in flight finish) -> saying_goodbye (close_notify on the
// idle connections, bounded) -> closed. Every async_shutdown waits for `closed`, whenever it
// was asked for, and all of them complete, each on its own executor.

void client_impl::start_shutdown(shutdown_mode mode, asio::any_completion_handler<void(error_code)> handler)
{
    closed_.store(true);
    if (mode == shutdown_mode::cancel)
        cancel_calls();
    bool goodbye = false;
    std::optional<handler_box<void(error_code)>> closed_already;
    {
        std::lock_guard lock(calls_mtx_);
        if (shutdown_ == shutdown_phase::closed)
        {
            closed_already.emplace(std::move(handler));
        }
        else
        {
            if (shutdown_ == shutdown_phase::open)
            {
                shutdown_ = calls_.empty() ? shutdown_phase::saying_goodbye : shutdown_phase::draining;
                goodbye = shutdown_ == shutdown_phase::saying_goodbye;
            }
            shutdown_waiters_.emplace_back(std::move(handler));
        }
    }
    if (closed_already)
    {
        post_completion(std::move(closed_already->handler), ex_, error_code{});
        return;
    }
    if (goodbye)
        start_goodbye();
}

void client_impl::start_goodbye()
{
    auto self = shared_from_this();
    asio::co_spawn(asio::make_strand(ex_), say_goodbye(self), [self](const std::exception_ptr&) {
        std::list<handler_box<void(error_code)>> waiters;
        {
            std::lock_guard lock(self->calls_mtx_);
            self->shutdown_ = shutdown_phase::closed;
            waiters.swap(self->shutdown_waiters_);
        }
        for (auto& w : waiters)
            dispatch_completion(std::move(w.handler), self->ex_, error_code{});
    });
}

// Says goodbye on every idle connection: a TLS close_notify, bounded, so a peer that never
// answers cannot stall the shutdown.
asio::awaitable<void> client_impl::say_goodbye(std::shared_ptr<client_impl> self)
{
    auto idle = self->pool_.take_idle_and_shut_down();
    auto deadline = clock_type::now() + std::min<clock_type::duration>(self->settings_->connect_timeout, std::chrono::seconds(2));
    for (auto& conn : idle)
        co_await conn->async_close_gracefully(deadline);
}

client client_access::make(asio::any_io_executor ex, client_options opts, const client_hooks& hooks)
{
    return client(std::make_shared<client_impl>(std::move(ex), std::move(opts), hooks));
}

}  // namespace detail

// ---------------------------------------------------------------------------------------------
// client

namespace {

asio::awaitable<instance> get_instance_coro(std::shared_ptr<detail::client_impl> impl, std::string id, call_options options)
{
    error_info info;
    auto start = [impl](auto handler, std::string&& call_id, call_options&& call_opts, error_info* call_info) {
        impl->start_get_instance(std::move(call_id), std::move(call_opts), call_info, std::move(handler));
    };
    auto token = asio::as_tuple(asio::use_awaitable);
    auto [ec, inst] =
        co_await asio::async_initiate<decltype(token), client::get_instance_signature>(start, token, std::move(id), std::move(options), &info);
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

client_stats client::stats() const
{
    if (!impl_)
        throw std::logic_error("beeos::client::stats called on a moved-from client");
    return impl_->stats();
}

asio::awaitable<instance> client::get_instance(std::string_view id)
{
    // Not a coroutine itself: the id is copied here, before anything can suspend.
    if (!impl_)
        throw std::logic_error("beeos::client::get_instance called on a moved-from client");
    return get_instance_coro(impl_, std::string(id), call_options());
}

asio::awaitable<instance> client::get_instance(std::string_view id, const retry_policy& policy)
{
    if (!impl_)
        throw std::logic_error("beeos::client::get_instance called on a moved-from client");
    return get_instance_coro(impl_, std::string(id), call_options{.retry = policy, .token = {}});
}

asio::awaitable<instance> client::get_instance(std::string_view id, const call_options& options)
{
    if (!impl_)
        throw std::logic_error("beeos::client::get_instance called on a moved-from client");
    return get_instance_coro(impl_, std::string(id), options);
}

void client::close()
{
    if (impl_)
        impl_->close();
}

void client::async_get_instance_erased(
    std::string id,
    call_options options,
    error_info* info,
    asio::any_completion_handler<get_instance_signature> handler
)
{
    if (!impl_)
        throw std::logic_error("beeos::client::async_get_instance called on a moved-from client");
    impl_->start_get_instance(std::move(id), std::move(options), info, std::move(handler));
}

void client::async_shutdown_erased(shutdown_mode mode, asio::any_completion_handler<void(boost::system::error_code)> handler)
{
    if (!impl_)
        throw std::logic_error("beeos::client::async_shutdown called on a moved-from client");
    impl_->start_shutdown(mode, std::move(handler));
}

}  // namespace beeos
