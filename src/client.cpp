// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
//
// client_impl and the core coroutine of a call: validate, then attempts (wait for the rate
// limit, lease a connection, exchange, interpret) with retries as the policy, the budget and the
// deadline allow. Errors travel as {error_code, error_info}; only the coroutine forms throw.
#include <beeos/client.hpp>

#include "client_impl.hpp"
#include "completion.hpp"
#include "connection_pool.hpp"
#include "decode_instance.hpp"
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
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <cmath>
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
    const auto& rl = o.rate_limit;
    if (!std::isfinite(rl.requests_per_second) || rl.requests_per_second < 0)
        throw std::invalid_argument("client_options.rate_limit.requests_per_second must be a finite number >= 0 (0: no limit)");
    if (rl.burst == 0)
        throw std::invalid_argument("client_options.rate_limit.burst must be at least 1");
    if (!(rl.decrease_factor > 0 && rl.decrease_factor <= 1) || !(rl.min_rate_fraction > 0 && rl.min_rate_fraction <= 1) ||
        !(rl.recovery_step >= 0 && rl.recovery_step <= 1))
        throw std::invalid_argument("client_options.rate_limit: decrease_factor and min_rate_fraction must be in (0, 1], recovery_step in [0, 1]");
    if (rl.recovery_interval.count() <= 0)
        throw std::invalid_argument("client_options.rate_limit.recovery_interval must be positive");
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


void record_internal_error(std::exception_ptr ep, error_code& ec, error_info& info)
{
    ec = errc::protocol;
    try
    {
        std::rethrow_exception(ep);
    }
    catch (const std::exception& e)
    {
        info.detail = std::string("internal error: ") + e.what();
    }
    catch (...)
    {
        info.detail = "internal error";
    }
}

}  // namespace

/// One HTTP operation with its retries: validated, written once, attempted until it succeeds or
/// may not be tried again. Shared by its coroutine, its completion and `client_impl::close()`.
struct call_state : body_decoder, std::enable_shared_from_this<call_state>
{
    call_state(asio::any_io_executor s, std::string l, retry_policy p) : strand(std::move(s)), label(std::move(l)), policy(p) {}
    virtual ~call_state() = default;

    /// Checks the input before any I/O; fills `detail` when invalid.
    virtual error_code validate(std::string& detail) const = 0;
    /// Writes `request`; done once a connection is leased, so a queued call holds no request.
    virtual void write_request(const client_impl& impl) = 0;
    /// Forgets a partial result after a failure.
    virtual void discard_result() = 0;
    /// Hands the outcome to whoever waits for it (runs once, on `strand`).
    virtual void deliver(const asio::any_io_executor& fallback) = 0;

    /// Cancels the call; on `strand` only. The flag also covers a call whose coroutine has not
    /// started yet, when nothing is connected to `signal`.
    void cancel(asio::cancellation_type type)
    {
        cancel_requested = true;
        if (!done)
            signal.emit(type);
    }

    asio::any_io_executor strand;
    asio::cancellation_signal signal;  // emitted on `strand` only
    bool done = false;                 // touched on `strand` only
    bool cancel_requested = false;     // touched on `strand` only
    // A call that must wait for a connection first waits without a coroutine (its frames would
    // be most of the memory of 100,000 queued calls): `parked` while queued; then `prewaited`,
    // with the outcome of the wait in `first_lease` and `ec`, until its first attempt takes it.
    bool prewaited = false;
    std::shared_ptr<timed_waiter> parked;
    connection_lease first_lease;
    clock_type::time_point deadline{};  // from `policy.total_timeout`, set when the call starts
    std::list<std::shared_ptr<call_state>>::iterator registration;
    std::string label;  // the id, or e.g. "list_instances(page 2)": in errors and observer events
    retry_policy policy;
    std::string request;
    error_code ec;
    error_info info;
};

/// A caller of a `get_instance` call: the first one, or one that joined it (single-flight).
struct instance_waiter
{
    instance_waiter(std::uint64_t s, asio::any_completion_handler<client::get_instance_signature> h, error_info* i, asio::cancellation_slot sl)
        : seq(s), handler(std::move(h)), user_info(i), slot(sl)
    {
    }
    // Move-constructible only (see handler_box): kept in a list, which never assigns elements.
    instance_waiter(instance_waiter&&) noexcept = default;
    instance_waiter& operator=(instance_waiter&&) = delete;
    instance_waiter(const instance_waiter&) = delete;
    instance_waiter& operator=(const instance_waiter&) = delete;

    std::uint64_t seq = 0;
    asio::any_completion_handler<client::get_instance_signature> handler;
    error_info* user_info = nullptr;
    asio::cancellation_slot slot;
};

struct instance_call final : call_state
{
    using call_state::call_state;

    error_code validate(std::string& detail) const override { return validate_id(label, detail); }
    void write_request(const client_impl& impl) override;
    error_code decode_body(std::string_view body, std::string& detail) override
    {
        if (!result)
            result = std::make_unique<instance>();
        return decode_instance_envelope(body, *result, detail);
    }
    void discard_result() override { result.reset(); }
    void deliver(const asio::any_io_executor& fallback) override;

    // Allocated when a body arrives: a call waiting for a connection (there may be 100,000 of
    // them) does not carry an empty 1 KiB instance.
    std::unique_ptr<instance> result;
    std::list<instance_waiter> waiters;  // guarded by client_impl::flights_mtx_
    bool in_flights = false;               // guarded by client_impl::flights_mtx_
    client_impl* owner = nullptr;
};

struct page_call final : call_state
{
    page_call(asio::any_io_executor s, list_filter f, std::uint32_t p, retry_policy pol,
              asio::any_completion_handler<client::list_page_signature> h, error_info* i)
        : call_state(std::move(s), "list_instances(page " + std::to_string(p) + ")", pol),
          filter(std::move(f)),
          page(p),
          handler(std::move(h)),
          user_info(i),
          user_slot(asio::get_associated_cancellation_slot(handler))
    {
    }

    error_code validate(std::string& detail) const override { return validate_list_filter(filter, detail); }
    void write_request(const client_impl& impl) override;
    error_code decode_body(std::string_view body, std::string& detail) override
    {
        return decode_instance_page(body, result.items, result.total, detail);
    }
    void discard_result() override { result = instance_page{}; }
    void deliver(const asio::any_io_executor& fallback) override
    {
        if (user_slot.is_connected())
            user_slot.clear();
        if (user_info)
            *user_info = std::move(info);
        result.page = page;
        result.page_size = filter.page_size;
        dispatch_completion(std::move(handler), fallback, ec, std::move(result));
    }

    list_filter filter;
    std::uint32_t page;
    instance_page result;
    asio::any_completion_handler<client::list_page_signature> handler;
    error_info* user_info = nullptr;
    asio::cancellation_slot user_slot;
};

client_impl::client_impl(asio::any_io_executor ex, client_options opts)
    : ex_(std::move(ex)),
      settings_((validate(opts), make_settings(opts))),
      token_(std::move(opts.token)),
      fixed_headers_(make_fixed_headers(settings_->ep, token_, opts.user_agent)),
      request_timeout_(opts.request_timeout),
      default_policy_(opts.retry),
      budget_(opts.retry_budget),
      limiter_(opts.rate_limit),
      observer_(std::move(opts.on_attempt)),
      coalesce_(opts.coalesce_requests),
      batch_concurrency_(opts.batch_concurrency ? opts.batch_concurrency : opts.max_connections),
      pool_(ex_, settings_, opts.max_connections, opts.idle_timeout)
{
}

client_impl::~client_impl() = default;

void instance_call::write_request(const client_impl& impl)
{
    build_get_instance_request(request, impl.settings_->ep, impl.fixed_headers_, label);
}

void page_call::write_request(const client_impl& impl)
{
    build_list_instances_request(request, impl.settings_->ep, impl.fixed_headers_, filter, page);
}

void instance_call::deliver(const asio::any_io_executor& fallback)
{
    std::list<instance_waiter> taken;
    {
        std::lock_guard lock(owner->flights_mtx_);
        if (in_flights)
        {
            owner->flights_.erase(label);
            in_flights = false;
        }
        taken.swap(waiters);
    }
    // Every waiter gets its own copy; the last one takes the original. The instance travels to
    // the handler's executor behind a pointer: moving a 1 KiB struct through each layer of
    // dispatch cost about 5% of a request.
    std::size_t left = taken.size();
    for (auto& w : taken)
    {
        bool last = --left == 0;
        if (w.slot.is_connected())
            w.slot.clear();
        if (w.user_info)
            *w.user_info = last ? std::move(info) : info;
        std::unique_ptr<instance> value;
        if (result)
            value = last ? std::move(result) : std::make_unique<instance>(*result);
        auto ex = asio::get_associated_executor(w.handler, fallback);
        asio::dispatch(ex, [box = handler_box(std::move(w.handler)), ec = ec, value = std::move(value)]() mutable {
            std::move(box.handler)(ec, value ? std::move(*value) : instance{});
        });
    }
}

// A strand on the concrete io_context executor when the client was given one: one level of
// type erasure less on every hop of every call.
asio::any_io_executor client_impl::make_call_strand() const
{
    if (auto* io = ex_.target<asio::io_context::executor_type>())
        return asio::make_strand(*io);
    return asio::make_strand(ex_);
}

void client_impl::start_get_instance(
    std::string id,
    std::optional<retry_policy> policy,
    error_info* user_info,
    asio::any_completion_handler<client::get_instance_signature> handler
)
{
    const retry_policy& effective = policy ? *policy : default_policy_;
    auto user_slot = asio::get_associated_cancellation_slot(handler);
    std::shared_ptr<instance_call> call;
    {
        std::lock_guard lock(flights_mtx_);
        std::uint64_t seq = ++next_waiter_seq_;
        instance_call* joined = nullptr;
        if (coalesce_)
        {
            auto it = flights_.find(id);
            if (it != flights_.end() && it->second->policy == effective)
                joined = it->second;
        }
        if (joined)
        {
            // Join the request in flight; it is alive while it is in `flights_`.
            auto shared = std::static_pointer_cast<instance_call>(joined->shared_from_this());
            shared->waiters.emplace_back(seq, std::move(handler), user_info, user_slot);
            if (user_slot.is_connected())
                user_slot.assign([self = shared_from_this(), shared, seq](asio::cancellation_type) { self->cancel_waiter(shared, seq); });
            return;
        }
        call = std::make_shared<instance_call>(make_call_strand(), std::move(id), effective);
        call->owner = this;
        call->waiters.emplace_back(seq, std::move(handler), user_info, user_slot);
        if (user_slot.is_connected())
            user_slot.assign([self = shared_from_this(), call, seq](asio::cancellation_type) { self->cancel_waiter(call, seq); });
        if (coalesce_)
        {
            flights_.emplace(call->label, call.get());
            call->in_flights = true;
        }
        // Registered before the lock is released, so a joiner always finds it alive.
        std::lock_guard calls_lock(calls_mtx_);
        call->registration = calls_.insert(calls_.end(), call);
    }
    launch(std::move(call));
}

void client_impl::start_list_page(
    list_filter filter,
    std::uint32_t page,
    error_info* user_info,
    asio::any_completion_handler<client::list_page_signature> handler
)
{
    auto call = std::make_shared<page_call>(make_call_strand(), std::move(filter), page, default_policy_, std::move(handler), user_info);
    if (call->user_slot.is_connected())
    {
        // Asio cancellation is not thread-safe: hop to the call's strand before emitting.
        call->user_slot.assign([call](asio::cancellation_type type) {
            asio::dispatch(call->strand, [call, type] { call->cancel(type); });
        });
    }
    {
        std::lock_guard lock(calls_mtx_);
        call->registration = calls_.insert(calls_.end(), call);
    }
    launch(std::move(call));
}

// A waiter that cancels leaves the shared request; the request itself is cancelled only when
// nobody is left waiting for it.
void client_impl::cancel_waiter(const std::shared_ptr<instance_call>& call, std::uint64_t waiter_seq)
{
    std::optional<instance_waiter> leaving;
    {
        std::lock_guard lock(flights_mtx_);
        auto it = std::find_if(call->waiters.begin(), call->waiters.end(), [&](const instance_waiter& w) { return w.seq == waiter_seq; });
        if (it == call->waiters.end())
            return;  // already completed
        if (call->waiters.size() > 1)
        {
            leaving.emplace(std::move(*it));
            call->waiters.erase(it);
        }
        else if (call->in_flights)
        {
            // The last waiter: nobody may join a request about to be cancelled.
            flights_.erase(call->label);
            call->in_flights = false;
        }
    }
    if (!leaving)
    {
        // The sole waiter stays on the call, which completes it with the cancellation.
        asio::dispatch(call->strand, [call] { call->cancel(asio::cancellation_type::terminal); });
        return;
    }
    // The handler runs later, on its own executor: never inside the slot's emit.
    error_info info;
    info.id = call->label;
    info.detail = "cancelled while waiting for a request shared with other callers (it goes on for them)";
    if (leaving->user_info)
        *leaving->user_info = std::move(info);
    // The slot is cleared where its owner emits it: on the handler's executor.
    asio::post(ex_, [self = shared_from_this(), w = std::move(*leaving)]() mutable {
        auto ex = asio::get_associated_executor(w.handler, self->ex_);
        asio::dispatch(ex, [w = std::move(w)]() mutable {
            if (w.slot.is_connected())
                w.slot.clear();
            std::move(w.handler)(error_code(errc::cancelled), instance{});
        });
    });
}

void client_impl::launch(std::shared_ptr<call_state> call)
{
    auto strand = call->strand;
    asio::dispatch(strand, [self = shared_from_this(), call = std::move(call)]() mutable { self->start_on_strand(std::move(call)); });
}

// The completion of a parked call's timer wait. Move-only: a copy destroyed without running
// would unlink the call from the pool's queue while it still waits.
struct park_wake
{
    std::shared_ptr<client_impl> self;
    std::shared_ptr<call_state> call;

    park_wake(std::shared_ptr<client_impl> s, std::shared_ptr<call_state> c) : self(std::move(s)), call(std::move(c)) {}
    park_wake(park_wake&&) noexcept = default;
    park_wake(const park_wake&) = delete;
    park_wake& operator=(const park_wake&) = delete;
    park_wake& operator=(park_wake&&) = delete;
    ~park_wake()
    {
        // Destroyed without running: the io_context is going away with the call still queued.
        if (call && call->parked)
            self->forget_parked(*call);
    }

    void operator()(error_code wait_ec)
    {
        auto c = std::move(call);
        self->resume_parked(std::move(c), wait_ec);
    }
};

// Checks that need no I/O, done before the call queues for anything. Fills `ec` and `info`.
bool client_impl::admit(call_state& call) const
{
    call.info.id = call.label;
    if (auto e = call.validate(call.info.detail))
        call.ec = e;
    else if (const char* what = check_policy(call.policy))
    {
        call.ec = errc::invalid_argument;
        call.info.detail = what;
    }
    else if (closed_.load())
    {
        call.ec = errc::shut_down;
        call.info.detail = "the client was closed";
    }
    else if (call.cancel_requested)
    {
        call.ec = errc::cancelled;
        call.info.detail = "cancelled before it started";
    }
    return !call.ec;
}

// The first steps of a call, on its strand: checks, then a connection if one is free at once.
// A call that has to queue parks on a timer and gets its coroutine only when it is granted a
// connection (or its wait ends); the rate-limited path keeps the order turn, then connection.
void client_impl::start_on_strand(std::shared_ptr<call_state> call)
{
    if (!admit(*call))
    {
        spawn(std::move(call));
        return;
    }
    call->deadline = clock_type::now() + call->policy.total_timeout;
    if (limiter_.enabled())
    {
        spawn(std::move(call));
        return;
    }
    pool_.start_acquire(call->strand, call->deadline, call->first_lease, call->parked, call->ec, call->info);
    if (!call->parked)
    {
        call->prewaited = true;
        spawn(std::move(call));
        return;
    }
    call->signal.slot().assign([c = call.get()](asio::cancellation_type) {
        if (c->parked)
            c->parked->timer().cancel();
    });
    auto& timer = call->parked->timer();
    timer.async_wait(park_wake{shared_from_this(), std::move(call)});
}

void client_impl::resume_parked(std::shared_ptr<call_state> call, error_code wait_ec)
{
    auto waiter = std::move(call->parked);
    call->signal.slot().clear();
    pool_.finish_wait(*waiter, call->cancel_requested, wait_ec, call->first_lease, call->ec, call->info);
    call->prewaited = true;
    spawn(std::move(call));
}

void client_impl::forget_parked(call_state& call) noexcept
{
    pool_.forget(*call.parked);
    call.parked.reset();
}

void client_impl::spawn(std::shared_ptr<call_state> call)
{
    auto self = shared_from_this();
    auto strand = call->strand;
    asio::co_spawn(
        strand,
        run_call(self, call),
        asio::bind_cancellation_slot(call->signal.slot(), [self, call](std::exception_ptr ep) {
            call->done = true;
            if (ep)
                record_internal_error(ep, call->ec, call->info);
            self->finish(*call);
        })
    );
}

void client_impl::finish(call_state& call)
{
    // Out of `flights_` (inside deliver) before out of `calls_`, so a joiner never meets a call
    // that is being torn down.
    call.deliver(ex_);
    unregister(call);
}

void client_impl::start_shutdown(shutdown_mode mode, asio::any_completion_handler<void(error_code)> handler)
{
    closed_.store(true);
    if (mode == shutdown_mode::cancel)
        cancel_calls();
    auto self = shared_from_this();
    asio::co_spawn(asio::make_strand(ex_), drain_and_close(self), [self, box = handler_box(std::move(handler))](std::exception_ptr) mutable {
        dispatch_completion(std::move(box.handler), self->ex_, error_code{});
    });
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
    {
        asio::post(call->strand, [call] { call->cancel(asio::cancellation_type::terminal); });
    }
}

void client_impl::unregister(call_state& call)
{
    std::lock_guard lock(calls_mtx_);
    calls_.erase(call.registration);
    if (calls_.empty() && drain_timer_)
        asio::post(drain_strand_, [t = drain_timer_] { t->cancel(); });
}

// Waits for the calls in flight, then says goodbye on every idle connection.
asio::awaitable<void> client_impl::drain_and_close(std::shared_ptr<client_impl> self)
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

// Parameters, not lambda captures, carry the data: g++ 12 can free a coroutine lambda's
// captures too early.
asio::awaitable<void> client_impl::run_call(std::shared_ptr<client_impl> self, std::shared_ptr<call_state> call)
{
    // Every cancellation type ends the call: an interrupted exchange leaves its connection
    // unusable, so partial and total cancellation have nothing to preserve either.
    co_await asio::this_coro::reset_cancellation_state(asio::enable_total_cancellation());
    co_await self->run_attempts(*call);
    if (call->ec == errc::cancelled && self->closed_.load())
        call->ec = errc::shut_down;
    if (call->ec)
        call->discard_result();
}

void client_impl::observe(const call_state& call, unsigned attempt, clock_type::time_point started,
                          std::optional<std::chrono::milliseconds> next_delay) const noexcept
{
    if (!observer_)
        return;
    attempt_event ev;
    ev.id = call.label;
    ev.attempt = attempt;
    ev.result = call.ec;
    ev.http_status = call.info.http_status;
    ev.api_code = call.info.api_code;
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

asio::awaitable<void> client_impl::run_attempts(call_state& call)
{
    auto& ec = call.ec;
    auto& info = call.info;
    const auto& policy = call.policy;
    if (ec && !call.prewaited)
        co_return;  // refused by `admit`
    const auto call_deadline = call.deadline;

    for (unsigned attempt = 1;; ++attempt)
    {
        // The first attempt's latency includes its wait for a connection.
        auto started = attempt == 1 ? call_deadline - policy.total_timeout : clock_type::now();
        if (!call.prewaited)
        {
            ec = {};  // the previous attempt's error must not look like this one's
            info = error_info{};
            info.id = call.label;
        }
        co_await attempt_once(call, call_deadline);
        info.attempts = attempt;
        if (!ec)
        {
            budget_.on_success();
            observe(call, attempt, started, std::nullopt);
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
            observe(call, attempt, started, std::nullopt);
            co_return;
        }
        observe(call, attempt, started, decision.delay);

        // `ec` still holds the failure being retried; only a cancelled sleep changes it.
        bool slept = false;
        co_await sleep_before_retry(call, decision.delay, attempt + 1, slept);
        if (!slept)
            co_return;
    }
}

// Its own coroutine, so the timer is not part of every call's frame.
asio::awaitable<void> client_impl::sleep_before_retry(call_state& call, std::chrono::milliseconds delay, unsigned next_attempt, bool& slept)
{
    asio::steady_timer sleep(call.strand, delay);
    error_code sleep_ec;
    co_await sleep.async_wait(asio::redirect_error(asio::use_awaitable, sleep_ec));
    slept = !sleep_ec;
    if (sleep_ec)
    {
        call.ec = errc::cancelled;
        call.info.detail = "cancelled while waiting " + std::to_string(delay.count()) + " ms before attempt " + std::to_string(next_attempt);
    }
}

// Waits for this request's turn under the client-side rate limit.
asio::awaitable<void> client_impl::wait_for_rate_limit(call_state& call, clock_type::time_point call_deadline)
{
    for (;;)
    {
        auto now = clock_type::now();
        auto turn = limiter_.reserve(now);
        if (turn.send_at <= now)
            co_return;
        if (turn.send_at > call_deadline)
        {
            call.ec = errc::timeout;
            call.info.detail = "the client-side rate limit (" + std::to_string(limiter_.current_rate()) +
                               " requests/s) would delay this request past the call's total_timeout";
            co_return;
        }
        asio::steady_timer timer(call.strand, turn.send_at);
        error_code wait_ec;
        co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, wait_ec));
        if (wait_ec)
        {
            call.ec = errc::cancelled;
            call.info.detail = "cancelled while waiting for the client-side rate limit";
            co_return;
        }
        // The gateway asked us to slow down while we waited: take a turn at the new rate.
        if (limiter_.still_valid(turn.generation))
            co_return;
    }
}

// One attempt: (rate limit), lease, (connect), exchange, interpret. The connection wait is
// bounded by the call's deadline; the server's part by `request_timeout` as well.
asio::awaitable<void> client_impl::attempt_once(call_state& call, clock_type::time_point call_deadline)
{
    auto& ec = call.ec;
    auto& info = call.info;
    connection_lease lease;
    if (call.prewaited)
    {
        // The first attempt's connection wait happened before the coroutine started.
        call.prewaited = false;
        lease = std::move(call.first_lease);
    }
    else
    {
        if (limiter_.enabled())
        {
            co_await wait_for_rate_limit(call, call_deadline);
            if (ec)
                co_return;
        }
        co_await pool_.async_acquire(call_deadline, lease, ec, info);
    }
    if (ec)
        co_return;
    co_await exchange_on_lease(call, lease, call_deadline);
}

// The part of an attempt that holds a connection. A coroutine of its own so that the frames of
// calls still queued for a connection stay small: the response buffers live only here.
asio::awaitable<void> client_impl::exchange_on_lease(call_state& call, connection_lease& lease, clock_type::time_point call_deadline)
{
    auto& ec = call.ec;
    auto& info = call.info;
    if (call.request.empty())
        call.write_request(*this);
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
        co_await lease.conn->async_exchange(call.request, deadline, res, ec, info, failure);
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
    if (res.status == 429)
        limiter_.on_throttled(clock_type::now());
    else
        limiter_.on_accepted(clock_type::now());
    ec = interpret_response(res, call, info, token_, std::chrono::system_clock::now());
}

}  // namespace detail

namespace {

asio::awaitable<instance> get_instance_coro(std::shared_ptr<detail::client_impl> impl, std::string id, std::optional<retry_policy> policy)
{
    error_info info;
    auto start = [impl](auto handler, std::string call_id, std::optional<retry_policy> call_policy, error_info* call_info) {
        impl->start_get_instance(std::move(call_id), std::move(call_policy), call_info, std::move(handler));
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
    impl_->start_get_instance(std::move(id), std::move(policy), info, std::move(handler));
}

void client::async_shutdown_erased(shutdown_mode mode, asio::any_completion_handler<void(boost::system::error_code)> handler)
{
    if (!impl_)
        throw std::logic_error("beeos::client::async_shutdown called on a moved-from client");
    impl_->start_shutdown(mode, std::move(handler));
}

}  // namespace beeos
