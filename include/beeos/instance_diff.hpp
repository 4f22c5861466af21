// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#ifndef BEEOS_INSTANCE_DIFF_HPP
#define BEEOS_INSTANCE_DIFF_HPP

/// \file
/// What a monitor compares between two looks at one instance: `instance_field`, `field_set`,
/// the compact `instance_snapshot` and `diff()`.

#include <beeos/config.hpp>
#include <beeos/instance.hpp>

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <ostream>
#include <string>
#include <string_view>

namespace beeos {

/// The fields of an instance whose change a monitor reports, one bit each.
///
/// These are the fields that say whether an instance works and how to reach it. Left out on
/// purpose: the timestamps (`updated_at`, `status_entered_at`, `connectivity_updated_at`,
/// `ms_connection_updated_at`, `screenshot_updated_at`, `started_at`, `stopped_at`), which move
/// together with a field listed here or on every heartbeat, so they would report "changes" that
/// say nothing new; `total_run_seconds`, which grows on every poll of a running instance; and
/// configuration (`provider_config`, `mcp_servers`, `system_prompt`, `models`, `capabilities`,
/// image, owner, ...), which is large, rarely changes and is not health. Look at
/// `watch_event::full` for those.
enum class instance_field : std::uint32_t
{
    status = 1u << 0,                ///< `status`
    desired_status = 1u << 1,        ///< `desiredStatus`
    connectivity = 1u << 2,          ///< `connectivity`
    connectivity_reason = 1u << 3,   ///< `connectivityReason`
    ms_connection_status = 1u << 4,  ///< `msConnectionStatus`
    error_message = 1u << 5,         ///< `errorMessage`
    endpoint = 1u << 6,              ///< `endpoint`
    halt_reason = 1u << 7,           ///< `haltReason`
    public_ip = 1u << 8,             ///< `publicIp`
    screenshot_url = 1u << 9,        ///< `screenshotUrl`
};

/// Number of `instance_field` values.
inline constexpr std::size_t instance_field_count = 10;

/// The wire (camelCase) name of a field, e.g. `"desiredStatus"`.
BEEOS_DECL std::string_view to_string(instance_field f) noexcept;

/// Writes `to_string(f)`.
inline std::ostream& operator<<(std::ostream& os, instance_field f) { return os << to_string(f); }

/// A set of `instance_field`s: a 32-bit mask. Iteration yields the fields in declaration order.
class BEEOS_DECL field_set
{
public:
    class iterator
    {
    public:
        using value_type = instance_field;
        using difference_type = std::ptrdiff_t;
        using reference = instance_field;
        using iterator_category = std::forward_iterator_tag;

        constexpr iterator() noexcept = default;
        constexpr explicit iterator(std::uint32_t rest) noexcept : rest_(rest) {}
        constexpr instance_field operator*() const noexcept { return static_cast<instance_field>(rest_ & (~rest_ + 1u)); }
        constexpr iterator& operator++() noexcept
        {
            rest_ &= rest_ - 1u;  // drop the lowest set bit
            return *this;
        }
        constexpr iterator operator++(int) noexcept
        {
            iterator old = *this;
            ++*this;
            return old;
        }
        friend constexpr bool operator==(iterator, iterator) noexcept = default;

    private:
        std::uint32_t rest_ = 0;
    };

    /// The empty set, the set of one field, or of the fields listed.
    ///@{
    constexpr field_set() noexcept = default;
    constexpr field_set(instance_field f) noexcept : bits_(static_cast<std::uint32_t>(f)) {}
    constexpr field_set(std::initializer_list<instance_field> fs) noexcept
    {
        for (auto f : fs)
            insert(f);
    }
    ///@}

    /// Every field.
    static constexpr field_set all() noexcept { return from_bits((1u << instance_field_count) - 1u); }
    /// Only the bits of known fields are kept.
    static constexpr field_set from_bits(std::uint32_t bits) noexcept
    {
        field_set s;
        s.bits_ = bits & ((1u << instance_field_count) - 1u);
        return s;
    }

    /// `f` is in the set.
    constexpr bool contains(instance_field f) const noexcept { return (bits_ & static_cast<std::uint32_t>(f)) != 0; }
    constexpr bool empty() const noexcept { return bits_ == 0; }  ///< no field is in the set
    /// How many fields are in the set.
    constexpr std::size_t size() const noexcept { return static_cast<std::size_t>(std::popcount(bits_)); }
    /// One bit per field, as `instance_field`'s values (for storing or hashing a set).
    constexpr std::uint32_t bits() const noexcept { return bits_; }

    /// Adds or removes one field.
    ///@{
    constexpr void insert(instance_field f) noexcept { bits_ |= static_cast<std::uint32_t>(f); }
    constexpr void erase(instance_field f) noexcept { bits_ &= ~static_cast<std::uint32_t>(f); }
    ///@}

    /// The fields in the set, in `instance_field` order.
    ///@{
    constexpr iterator begin() const noexcept { return iterator(bits_); }
    constexpr iterator end() const noexcept { return iterator(0); }
    ///@}

    /// Union, intersection and equality of sets.
    ///@{
    friend constexpr field_set operator|(field_set a, field_set b) noexcept { return from_bits(a.bits_ | b.bits_); }
    friend constexpr field_set operator&(field_set a, field_set b) noexcept { return from_bits(a.bits_ & b.bits_); }
    friend constexpr bool operator==(field_set, field_set) noexcept = default;
    ///@}

private:
    std::uint32_t bits_ = 0;
};

/// The wire names joined by commas, e.g. `"status,connectivity"`; empty for an empty set.
BEEOS_DECL std::string to_string(field_set s);

/// Writes the fields in braces, e.g. `{status,connectivity}`.
inline std::ostream& operator<<(std::ostream& os, field_set s) { return os << '{' << to_string(s) << '}'; }

/// A compact copy of just the `instance_field`s of one instance: what a watcher keeps per id.
///
/// The four enums are one byte each. When an enum is `unknown` (a value this version does not
/// know), its raw text is kept too, so a change between two new values is still seen. The
/// text fields live back to back in one `std::string` with a 16-bit length each: 56 bytes
/// (`sizeof`, x86-64 libstdc++) plus one heap block for the text when it is over 15 bytes (152
/// bytes of text, a 176-byte block, for a typical running instance with an endpoint, public IP
/// and screenshot URL). A full `instance` is 1,160 bytes of members plus its strings and JSON
/// objects (several KiB).
///
/// A text field longer than 65,535 bytes is kept as its first 65,535 bytes (no field the API
/// documents comes near that), so a change past that point is not seen.
struct BEEOS_DECL instance_snapshot
{
    /// Copies the monitored fields of `inst`.
    static instance_snapshot from(const instance& inst);

    /// The monitored fields, as in `instance` (the text ones view the snapshot's storage).
    ///@{
    instance_status status() const noexcept { return static_cast<instance_status>(status_); }
    desired_state desired_status() const noexcept { return static_cast<desired_state>(desired_); }
    connectivity_state connectivity() const noexcept { return static_cast<connectivity_state>(connectivity_); }
    ms_connection_state ms_connection_status() const noexcept { return static_cast<ms_connection_state>(ms_connection_); }

    std::string_view connectivity_reason() const noexcept { return slice(slot::connectivity_reason); }
    std::string_view error_message() const noexcept { return slice(slot::error_message); }
    std::string_view endpoint() const noexcept { return slice(slot::endpoint); }
    std::string_view halt_reason() const noexcept { return slice(slot::halt_reason); }
    std::string_view public_ip() const noexcept { return slice(slot::public_ip); }
    std::string_view screenshot_url() const noexcept { return slice(slot::screenshot_url); }
    ///@}

    /// The value of `f` as text: an enum's wire spelling (the server's raw text when the value
    /// is `unknown` and the server sent one), a text field as it is. For logs, e.g.
    /// `status: provisioning -> running`.
    std::string_view text(instance_field f) const noexcept;

    /// Equal when every watched field is.
    friend bool operator==(const instance_snapshot&, const instance_snapshot&) = default;

private:
    // Text slots, in the order they are stored in `text_`.
    enum class slot : std::uint8_t
    {
        connectivity_reason,
        error_message,
        endpoint,
        halt_reason,
        public_ip,
        screenshot_url,
        status_text,                // only when status is unknown
        desired_status_text,        // only when desired_status is unknown
        connectivity_text,          // only when connectivity is unknown
        ms_connection_status_text,  // only when ms_connection_status is unknown
        count_
    };
    static constexpr std::size_t slot_count = static_cast<std::size_t>(slot::count_);

    std::string_view slice(slot s) const noexcept
    {
        std::size_t begin = 0;
        auto i = static_cast<std::size_t>(s);
        for (std::size_t k = 0; k < i; ++k)
            begin += len_[k];
        return std::string_view(text_).substr(begin, len_[i]);
    }

    std::string text_;
    std::array<std::uint16_t, slot_count> len_{};
    std::uint8_t status_ = 0;
    std::uint8_t desired_ = 0;
    std::uint8_t connectivity_ = 0;
    std::uint8_t ms_connection_ = 0;
};

/// The fields whose value differs between `before` and `after`; empty when they are equal.
/// An enum that is `unknown` on both sides differs when the server's raw text differs.
field_set diff(const instance_snapshot& before, const instance_snapshot& after) noexcept;

}  // namespace beeos

#endif
