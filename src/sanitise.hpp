// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#ifndef BEEOS_SRC_SANITISE_HPP
#define BEEOS_SRC_SANITISE_HPP

#include <cstddef>
#include <string>
#include <string_view>

namespace beeos::detail {

/// Appends `text` to `out` as data for a one-line message: control characters become spaces and
/// at most `limit` bytes are kept (then "..."), so a hostile peer cannot forge log lines or flood
/// a message. The cut never splits a UTF-8 sequence. Ids, descriptions and server text go
/// through here.
inline void append_sanitised(std::string& out, std::string_view text, std::size_t limit)
{
    std::size_t end = text.size();
    bool cut = false;
    if (end > limit)
    {
        end = limit;
        while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xc0) == 0x80)
            --end;
        cut = true;
    }
    for (char c : text.substr(0, end))
    {
        auto u = static_cast<unsigned char>(c);
        out += (u < 0x20 || u == 0x7f) ? ' ' : c;
    }
    if (cut)
        out += "...";
}

}  // namespace beeos::detail

#endif
