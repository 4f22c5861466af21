// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#ifndef BEEOS_CLI_PROGRESS_HPP
#define BEEOS_CLI_PROGRESS_HPP

#include <chrono>
#include <cstddef>
#include <string>

namespace beeos::cli
{

/// What the progress line shows at one moment.
struct progress_state
{
    std::size_t done = 0;
    std::size_t total = 0;
    std::size_t errors = 0;
    std::chrono::steady_clock::duration elapsed{};
};

/// One progress line of at most `width - 1` columns (the last column is left free: writing
/// into it makes some terminals wrap), e.g.
/// `[=========>          ] 4500/10000  45%  2250/s  errors 3  ETA 0:02`.
/// The rate is the mean since the start; the ETA is what is left at that rate (`--:--` until
/// a rate is known). The bar takes what the numbers leave and is dropped below 10 columns;
/// on a very narrow terminal the numbers are cut. Pure: no clock, no terminal.
std::string format_progress(const progress_state& s, std::size_t width);

/// `m:ss`, or `h:mm:ss` from an hour on.
std::string format_eta(std::chrono::seconds s);

}  // namespace beeos::cli

#endif
