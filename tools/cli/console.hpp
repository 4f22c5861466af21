// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#ifndef BEEOS_CLI_CONSOLE_HPP
#define BEEOS_CLI_CONSOLE_HPP

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace beeos::cli
{

/// The tool's stdout and stderr, and the status line (the progress bar) on stderr.
///
/// Every write to either stream first erases the status line, so rows, error lines and the
/// bar never mix on a terminal shared by both streams; the bar comes back at its next
/// redraw (rows going elsewhere, to a file or a pipe, leave the bar alone). Stdout is buffered here and written in whole lines only, and always flushed before
/// the bar is drawn, so a partial row never sits in front of the bar. Stderr is written at
/// once. Not thread-safe: the tool runs one thread.
class console
{
public:
    console(int out_fd = 1, int err_fd = 2);
    ~console();
    console(const console&) = delete;
    console& operator=(const console&) = delete;

    bool stdout_is_tty() const noexcept { return out_tty_; }
    bool stderr_is_tty() const noexcept { return err_tty_; }

    /// Text that must never reach stderr (the API key): replaced by `***` in every line.
    /// Strings under 6 bytes are ignored: hiding them would garble ordinary words.
    void add_secret(std::string_view secret);

    /// Flush stdout after every write (a terminal, or a long-running `watch`) instead of in
    /// 64 KiB blocks.
    void set_flush_each_write(bool on) noexcept { flush_each_write_ = on; }

    /// Appends whole lines (each ending in '\n') to stdout.
    void out(std::string_view lines);

    /// Writes `line` and a newline to stderr.
    void err_line(std::string_view line);

    void flush();

    /// Draws `line` as the status line on stderr (replacing the previous one). Only on a
    /// terminal; otherwise nothing.
    void show_status(std::string_view line);

    /// Erases the status line, leaving the cursor at the start of the empty line.
    void clear_status();

    /// The terminal width of stderr, 80 when unknown.
    std::size_t stderr_columns() const noexcept;

    /// A write to stdout failed (a full disk, `>/dev/full`, stdout closed when the tool
    /// started); what was printed after that is lost, so the run must not exit 0.
    bool output_failed() const noexcept { return out_errno_ != 0; }
    /// `output_failed()` as one line, e.g. "cannot write to standard output: No space left on device".
    std::string output_error() const;

private:
    void write_all(int fd, std::string_view data);

    int out_fd_;
    int err_fd_;
    bool out_tty_;
    bool err_tty_;
    bool status_shown_ = false;
    bool flush_each_write_ = false;
    int out_errno_ = 0;
    std::string out_buf_;
    std::vector<std::string> secrets_;
};

}  // namespace beeos::cli

#endif
