// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#include "console.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace beeos::cli
{

namespace
{

constexpr std::size_t out_block = 64 * 1024;
// Carriage return, then erase to the end of the line (ECMA-48 EL).
constexpr std::string_view erase_line = "\r\x1b[K";

}  // namespace

console::console(int out_fd, int err_fd)
    : out_fd_(out_fd), err_fd_(err_fd), out_tty_(::isatty(out_fd) == 1), err_tty_(::isatty(err_fd) == 1)
{
    out_buf_.reserve(out_block);
}

console::~console()
{
    clear_status();
    flush();
}

void console::add_secret(std::string_view secret)
{
    if (secret.size() < 6)
        return;
    for (const std::string& s : secrets_)
        if (s == secret)
            return;
    secrets_.emplace_back(secret);
}

void console::write_all(int fd, std::string_view data)
{
    while (!data.empty())
    {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0)
        {
            if (errno == EINTR)
                continue;
            // The reader went away (`beeos list | head`) with SIGPIPE ignored: stop as the
            // default SIGPIPE action would, with the status shells report for it.
            if (errno == EPIPE && fd == out_fd_)
                std::_Exit(128 + 13);
            // Any other failure of stdout loses rows: remembered, so the run fails. (A failed
            // write to stderr has nowhere left to be reported.)
            if (fd == out_fd_ && out_errno_ == 0)
                out_errno_ = errno;
            return;
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
}

void console::out(std::string_view lines)
{
    // Only rows that go to the terminal would run into the bar.
    if (out_tty_)
        clear_status();
    out_buf_ += lines;
    if (flush_each_write_ || out_buf_.size() >= out_block)
        flush();
}

void console::flush()
{
    if (out_buf_.empty())
        return;
    if (out_errno_ == 0)
        write_all(out_fd_, out_buf_);
    out_buf_.clear();
}

std::string console::output_error() const
{
    return std::string("cannot write to standard output: ") + std::strerror(out_errno_);
}

void console::err_line(std::string_view line)
{
    clear_status();
    // Rows printed before this line come first, as they happened.
    flush();
    std::string text(line);
    for (const std::string& secret : secrets_)
        for (std::size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at + 3))
            text.replace(at, secret.size(), "***");
    text += '\n';
    write_all(err_fd_, text);
}

void console::show_status(std::string_view line)
{
    if (!err_tty_)
        return;
    flush();
    std::string text(erase_line.substr(0, 1));
    text += line;
    text += erase_line.substr(1);
    write_all(err_fd_, text);
    status_shown_ = true;
}

void console::clear_status()
{
    if (!status_shown_)
        return;
    write_all(err_fd_, erase_line);
    status_shown_ = false;
}

std::size_t console::stderr_columns() const noexcept
{
    winsize ws{};
    if (err_tty_ && ::ioctl(err_fd_, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    return 80;
}

}  // namespace beeos::cli
