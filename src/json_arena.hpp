// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#ifndef BEEOS_SRC_JSON_ARENA_HPP
#define BEEOS_SRC_JSON_ARENA_HPP

#include <boost/json/memory_resource.hpp>
#include <boost/json/storage_ptr.hpp>

#include <cstddef>
#include <functional>
#include <new>

namespace beeos::detail {

/// The memory of the JSON members of one decoded instance (providerConfig, mcpServers,
/// capabilities): built with about thirty small allocations each time, they come from one
/// block here instead.
///
/// While the decoder fills it, allocations are carved from an inline buffer, falling back to
/// the heap once it is full. `seal()` ends that: from then on every allocation goes to the heap
/// and is freed normally, so a copy or an edit the caller makes later never grows the block.
/// Frees inside the buffer are no-ops; the buffer goes with the last object that uses it
/// (`make_shared_resource` counts the owners).
class json_arena final : public boost::json::memory_resource
{
public:
    /// Room for the three members of a fully populated instance (the fixture's take ~1 KB).
    static constexpr std::size_t capacity = 1536;

    /// `make_shared_resource` keeps the arena inside a wrapper of its own, which is what the
    /// storage_ptr points to: `self` is told where the arena itself is, for `seal()`.
    explicit json_arena(json_arena*& self) noexcept { self = this; }

    void seal() noexcept { sealed_ = true; }
    std::size_t used() const noexcept { return used_; }
    /// Allocations made before `seal()` that did not fit in the buffer.
    std::size_t spilled() const noexcept { return spilled_; }

private:
    void* do_allocate(std::size_t n, std::size_t align) override
    {
        if (!sealed_ && align <= alignof(std::max_align_t))
        {
            std::size_t start = (used_ + align - 1) & ~(align - 1);
            if (start <= capacity && n <= capacity - start)
            {
                used_ = start + n;
                return buffer_ + start;
            }
            ++spilled_;
        }
        return allocate_on_heap(n, align);
    }

    void do_deallocate(void* p, std::size_t n, std::size_t align) override
    {
        if (!in_buffer(p))
            free_from_heap(p, n, align);
    }

    // Out of line: inlined next to a pointer into the buffer, GCC warns (-Wfree-nonheap-object)
    // about a delete that `in_buffer` rules out.
    // Boost.JSON 1.81 frees a pending key of an unfinished parse with alignment 16 after
    // allocating it with alignment 1: the alignment of a deallocation cannot be trusted to
    // match. Every block of ordinary alignment comes from the plain operator new, so a plain
    // delete frees it whatever alignment is passed.
    static void* allocate_on_heap(std::size_t n, std::size_t align)
    {
        if (align <= __STDCPP_DEFAULT_NEW_ALIGNMENT__)
            return ::operator new(n);
        return ::operator new(n, std::align_val_t(align));
    }

    [[gnu::noinline]] static void free_from_heap(void* p, std::size_t, std::size_t align) noexcept
    {
        if (align <= __STDCPP_DEFAULT_NEW_ALIGNMENT__)
            ::operator delete(p);
        else
            ::operator delete(p, std::align_val_t(align));
    }

    bool do_is_equal(const boost::json::memory_resource& other) const noexcept override { return this == &other; }

    bool in_buffer(const void* p) const noexcept
    {
        std::less<const void*> before;
        return !before(p, buffer_) && before(p, buffer_ + capacity);
    }

    alignas(std::max_align_t) unsigned char buffer_[capacity];
    std::size_t used_ = 0;
    std::size_t spilled_ = 0;
    bool sealed_ = false;
};

}  // namespace beeos::detail

#endif
