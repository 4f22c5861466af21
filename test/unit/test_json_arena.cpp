// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
//
// The arena behind a decoded instance's JSON members: carved from its buffer while the decoder
// fills it, from the heap once sealed or full.
#include "json_arena.hpp"

#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <memory>

using beeos::detail::json_arena;

namespace
{

bool inside(const json_arena& a, const void* p)
{
    auto* begin = reinterpret_cast<const unsigned char*>(&a);
    auto* q = static_cast<const unsigned char*>(p);
    return q >= begin && q < begin + sizeof(json_arena);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(json_arena_tests)

BOOST_AUTO_TEST_CASE(allocations_come_from_the_buffer_until_it_is_full)
{
    json_arena* self = nullptr;
    auto a = std::make_unique<json_arena>(self);
    BOOST_TEST(self == a.get());

    void* p = a->allocate(100, 8);
    BOOST_TEST(inside(*a, p));
    BOOST_TEST(a->used() == 100u);
    void* q = a->allocate(10, 16);  // aligned up from 100 to 112
    BOOST_TEST(inside(*a, q));
    BOOST_TEST(reinterpret_cast<std::uintptr_t>(q) % 16 == 0u);
    BOOST_TEST(a->used() == 122u);
    a->deallocate(p, 100, 8);  // a no-op inside the buffer
    BOOST_TEST(a->used() == 122u);

    void* big = a->allocate(json_arena::capacity, 8);  // does not fit any more
    BOOST_TEST(!inside(*a, big));
    BOOST_TEST(a->spilled() == 1u);
    a->deallocate(big, json_arena::capacity, 8);  // really freed (ASan and LSan check)
    BOOST_TEST(a->used() == 122u);
}

BOOST_AUTO_TEST_CASE(a_sealed_arena_sends_every_allocation_to_the_heap)
{
    json_arena* self = nullptr;
    auto a = std::make_unique<json_arena>(self);
    void* before = a->allocate(64, 8);
    a->seal();
    void* after = a->allocate(64, 8);
    BOOST_TEST(inside(*a, before));
    BOOST_TEST(!inside(*a, after));
    BOOST_TEST(a->used() == 64u);
    BOOST_TEST(a->spilled() == 0u);  // only counts misses before sealing
    a->deallocate(after, 64, 8);
    a->deallocate(before, 64, 8);
}

BOOST_AUTO_TEST_CASE(over_aligned_requests_go_to_the_heap)
{
    json_arena* self = nullptr;
    auto a = std::make_unique<json_arena>(self);
    constexpr std::size_t align = alignof(std::max_align_t) * 2;
    void* p = a->allocate(32, align);
    BOOST_TEST(!inside(*a, p));
    BOOST_TEST(reinterpret_cast<std::uintptr_t>(p) % align == 0u);
    a->deallocate(p, 32, align);
}

BOOST_AUTO_TEST_SUITE_END()
