// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#ifndef BEEOS_SRC_CALLS_HPP
#define BEEOS_SRC_CALLS_HPP

// The state of one HTTP operation of the client (a getInstance lookup with the callers that
// share it, or one page of listInstances), between its initiating function and its completion.

#include "call_fsm.hpp"
#include "credential.hpp"
#include "connection_pool.hpp"
#include "error_mapping.hpp"

#include <beeos/client.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdint>
#include <list>
#include <memory>
#include <string>

namespace beeos::detail {

class client_impl;

/// One HTTP operation with its retries: validated, written once, attempted until it succeeds or
/// may not be tried again. Its steps are decided by `fsm` and carried out by the client's
/// driver, one at a time, on `strand`. Shared by the driver's pending handlers, the caller's
/// cancellation handler and `client_impl::close()`.
struct call_state : body_decoder, std::enable_shared_from_this<call_state>
{
    call_state(client_impl& c, boost::asio::any_io_executor s, std::string l, retry_policy p, std::shared_ptr<const credential> cred);
    virtual ~call_state() = default;

    /// Checks the input before any I/O; fills `detail` when invalid.
    virtual boost::system::error_code validate(std::string& detail) const = 0;
    /// Writes `request`; done once a connection is leased, so a queued call holds no request.
    virtual void write_request() = 0;
    /// Forgets a partial result after a failure.
    virtual void discard_result() = 0;
    /// Hands the outcome to whoever waits for it (runs once, on `strand`).
    virtual void deliver() = 0;

    /// Cancels the call; on `strand` only. Ends whatever step is pending; a call between steps
    /// sees the flag at its next one.
    void cancel(boost::asio::cancellation_type type);

    /// What the call is doing, so that `cancel` knows what to interrupt.
    enum class phase
    {
        idle,        ///< between steps (or not started)
        waiting,     ///< on `timer`: a rate-limit turn, a backoff, or the token source
        queued,      ///< on `parked`'s timer, in the pool's queue
        exchanging,  ///< in the exchange coroutine, which `signal` reaches
        done,
    };

    client_impl& client;
    boost::asio::any_io_executor strand;
    std::string label;  // the id, or e.g. "list_instances(page 2)": in errors and observer events
    retry_policy policy;
    /// The token of this call's requests: fixed for a call with its own token or a client with
    /// a fixed token; from the token source otherwise (null until asked).
    std::shared_ptr<const credential> cred;
    boost::system::error_code ec;
    error_info info;
    call_fsm fsm;  // refers to policy, ec and info
    std::string request;

    // Strand only, below.
    phase current = phase::idle;
    bool cancel_requested = false;
    boost::asio::cancellation_signal signal;  // to the exchange coroutine
    connection_lease lease;
    std::shared_ptr<timed_waiter> parked;
    std::unique_ptr<boost::asio::steady_timer> timer;
    exchange_outcome outcome;
    std::uint64_t credential_wait = 0;  // numbers the token source requests of this call
    unsigned attempts_counted = 1;      // the attempts already in stats().retries, plus the first
    bool credential_answered = false;   // the pending one has been answered

    std::list<std::shared_ptr<call_state>>::iterator registration;  // in client_impl::calls_
};

/// A caller of a `get_instance` call: the first one, or one that joined it (single-flight).
struct instance_waiter
{
    instance_waiter(std::uint64_t s, boost::asio::any_completion_handler<client::get_instance_signature> h, error_info* i)
        : seq(s), handler(std::move(h)), user_info(i)
    {
    }
    // Move-constructible only (see handler_box): kept in a list, which never assigns elements.
    instance_waiter(instance_waiter&&) noexcept = default;
    instance_waiter& operator=(instance_waiter&&) = delete;
    instance_waiter(const instance_waiter&) = delete;
    instance_waiter& operator=(const instance_waiter&) = delete;

    std::uint64_t seq = 0;
    boost::asio::any_completion_handler<client::get_instance_signature> handler;
    error_info* user_info = nullptr;
};

struct instance_call final : call_state
{
    using call_state::call_state;

    boost::system::error_code validate(std::string& detail) const override;
    void write_request() override;
    boost::system::error_code decode_body(std::string_view body, std::string& detail) override;
    void discard_result() override { result.reset(); }
    void deliver() override;

    // Allocated when a body arrives: a call waiting for a connection (there may be 100,000 of
    // them) does not carry an empty 1 KiB instance.
    std::unique_ptr<instance> result;
    std::list<instance_waiter> waiters;  // guarded by client_impl::flights_mtx_
    bool in_flights = false;             // guarded by client_impl::flights_mtx_
    std::string own_token;               // call_options::token: calls share a request only with the same one
};

struct page_call final : call_state
{
    page_call(client_impl& c, boost::asio::any_io_executor s, list_filter f, std::uint32_t p, retry_policy pol,
              std::shared_ptr<const credential> cred, boost::asio::any_completion_handler<client::list_page_signature> h, error_info* i);

    boost::system::error_code validate(std::string& detail) const override;
    void write_request() override;
    boost::system::error_code decode_body(std::string_view body, std::string& detail) override;
    void discard_result() override { result = instance_page{}; }
    void deliver() override;

    list_filter filter;
    std::uint32_t page;
    instance_page result;
    boost::asio::any_completion_handler<client::list_page_signature> handler;
    error_info* user_info = nullptr;
};

}  // namespace beeos::detail

#endif
