// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#include "progress.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace beeos::cli
{

std::string format_eta(std::chrono::seconds s)
{
    long long t = std::max<long long>(s.count(), 0);
    char buf[32];
    if (t >= 3600)
        std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", t / 3600, t / 60 % 60, t % 60);
    else
        std::snprintf(buf, sizeof buf, "%lld:%02lld", t / 60, t % 60);
    return buf;
}

std::string format_progress(const progress_state& s, std::size_t width)
{
    using namespace std::chrono;
    const double secs = duration<double>(s.elapsed).count();
    const double rate = secs > 0.05 ? static_cast<double>(s.done) / secs : 0.0;
    const std::size_t left = s.total > s.done ? s.total - s.done : 0;

    std::string numbers = std::to_string(s.done) + "/" + std::to_string(s.total);
    const int percent = s.total == 0 ? 100 : static_cast<int>(100.0 * static_cast<double>(s.done) / static_cast<double>(s.total));
    numbers += "  " + std::to_string(percent) + "%";
    numbers += "  " + (rate > 0 ? std::to_string(std::llround(rate)) : std::string("-")) + "/s";
    numbers += "  errors " + std::to_string(s.errors);
    numbers += "  ETA ";
    if (left == 0)
        numbers += format_eta(seconds(0));
    else if (rate > 0)
        numbers += format_eta(seconds(std::llround(static_cast<double>(left) / rate)));
    else
        numbers += "--:--";

    const std::size_t usable = width > 0 ? width - 1 : 0;
    if (numbers.size() >= usable)
        return numbers.substr(0, usable);
    // "[" + inner + "] " before the numbers.
    const std::size_t room = usable - numbers.size();
    if (room < 10 + 3)
        return numbers;
    const std::size_t inner = std::min<std::size_t>(room - 3, 50);
    const std::size_t filled =
        s.total == 0 ? inner
                     : static_cast<std::size_t>(static_cast<double>(inner) * static_cast<double>(s.done) / static_cast<double>(s.total));
    std::string bar = "[";
    bar.append(filled, '=');
    if (filled < inner)
    {
        bar += '>';
        bar.append(inner - filled - 1, ' ');
    }
    bar += "] ";
    return bar + numbers;
}

}  // namespace beeos::cli
