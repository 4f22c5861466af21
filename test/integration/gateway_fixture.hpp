// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#ifndef BEEOS_TEST_INTEGRATION_GATEWAY_FIXTURE_HPP
#define BEEOS_TEST_INTEGRATION_GATEWAY_FIXTURE_HPP

#include <beeos/client.hpp>
#include <gateway.hpp>
#include <test_pki.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <unistd.h>
#include <exception>
#include <fstream>
#include <string>
#include <string_view>

namespace beeos::test {

/// A token distinctive enough that finding it in any output proves a leak.
inline constexpr std::string_view secret_token = "oag_SECRET_7f3a9c2e_do_not_print";

/// Writes `pem` to a fresh file under /tmp and removes it at the end.
class temp_pem_file
{
public:
    explicit temp_pem_file(const std::string& pem)
    {
        char name[] = "/tmp/beeos-test-ca-XXXXXX";
        int fd = ::mkstemp(name);
        BOOST_REQUIRE(fd >= 0);
        ::close(fd);
        path_ = name;
        std::ofstream(path_, std::ios::binary) << pem;
    }
    ~temp_pem_file() { std::remove(path_.c_str()); }
    temp_pem_file(const temp_pem_file&) = delete;
    temp_pem_file& operator=(const temp_pem_file&) = delete;
    const std::string& path() const noexcept { return path_; }

private:
    std::string path_;
};

/// One certificate set for the whole test binary: key generation is the slow part.
inline const sim::test_pki& shared_pki()
{
    static const sim::test_pki pki = sim::make_test_pki();
    return pki;
}

inline const std::string& shared_ca_file()
{
    static const temp_pem_file file(shared_pki().ca_cert_pem);
    return file.path();
}

inline sim::config default_gateway_config()
{
    sim::config cfg;
    cfg.tokens = {std::string(secret_token)};
    return cfg;
}

/// A started gateway plus the options of a client that trusts it.
struct gateway_fixture
{
    explicit gateway_fixture(sim::config cfg = default_gateway_config()) : gw(std::move(cfg), shared_pki()) { gw.start(); }

    client_options options() const
    {
        client_options o;
        o.base_url = gw.url();
        o.token = std::string(secret_token);
        o.ca_file = shared_ca_file();
        o.request_timeout = std::chrono::seconds(10);
        return o;
    }

    sim::gateway gw;
};

/// Runs `coro` on `io` and fails the test when it does not finish within `limit`: no test can
/// hang the suite.
/// One lookup's whole outcome, for tests that look at the error details as well as the value.
struct lookup
{
    boost::system::error_code ec;
    beeos::instance inst;
    beeos::error_info info;
};

/// `get_instance` that never throws: the outcome, error details included.
inline boost::asio::awaitable<lookup> get(beeos::client& c, std::string id)
{
    lookup r;
    auto [ec, inst] = co_await c.async_get_instance(id, r.info, boost::asio::as_tuple(boost::asio::use_awaitable));
    r.ec = ec;
    r.inst = std::move(inst);
    co_return r;
}

template <class Awaitable>
void run_test_coroutine(boost::asio::io_context& io, Awaitable coro, std::chrono::steady_clock::duration limit = std::chrono::seconds(30))
{
    bool done = false;
    std::exception_ptr failure;
    io.restart();
    boost::asio::co_spawn(io, std::move(coro), [&](std::exception_ptr e) {
        failure = e;
        done = true;
    });
    io.run_for(limit);
    BOOST_REQUIRE_MESSAGE(done, "the test coroutine did not finish in time");
    if (failure)
        std::rethrow_exception(failure);
}

/// Runs `io` on this thread until `pred()` holds; false when `limit` passed first or the
/// io_context ran out of work with `pred()` still false (a call that never completes).
/// `pred()` is checked after every handler and at least every 5 ms, so a condition that another
/// thread makes true (the simulator's counters) is seen before the client moves on.
template <class Pred>
bool run_until(boost::asio::io_context& io, Pred pred, std::chrono::steady_clock::duration limit)
{
    using namespace std::chrono_literals;
    auto deadline = std::chrono::steady_clock::now() + limit;
    io.restart();
    while (!pred())
    {
        auto now = std::chrono::steady_clock::now();
        if (now >= deadline)
            return false;
        if (io.run_one_for(std::min<std::chrono::steady_clock::duration>(deadline - now, 5ms)) == 0 && io.stopped())
            return pred();
    }
    return true;
}

/// Asserts that `text` does not contain the test token.
inline void check_no_token(std::string_view text)
{
    // On failure say where, but never print the text: it holds the token.
    auto pos = text.find(secret_token);
    BOOST_TEST(pos == std::string_view::npos, "the token leaked into a message, at offset " << pos);
}

inline void check_no_token(const beeos::error& e)
{
    check_no_token(std::string_view(e.what()));
    const auto& i = e.info();
    for (std::string_view field : {std::string_view(i.message), std::string_view(i.detail), std::string_view(i.api_code),
                                   std::string_view(i.request_id), std::string_view(i.id), std::string_view(i.api_type)})
        check_no_token(field);
}

}  // namespace beeos::test

#endif
