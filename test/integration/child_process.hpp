// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#ifndef BEEOS_TEST_INTEGRATION_CHILD_PROCESS_HPP
#define BEEOS_TEST_INTEGRATION_CHILD_PROCESS_HPP

// Real third-party programs the suite runs beside the client (Node.js's own HTTPS server,
// tinyproxy): a child process with its stdout on a pipe, killed and reaped on destruction, and
// a temporary directory for their files.

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace beeos::test {

/// A fresh directory under the system's temporary directory, removed with everything in it.
struct temp_dir
{
    temp_dir()
    {
        std::string tmpl = (std::filesystem::temp_directory_path() / "beeos-test.XXXXXX").string();
        BOOST_REQUIRE_MESSAGE(::mkdtemp(tmpl.data()), "mkdtemp: " << std::strerror(errno));
        path = tmpl;
    }
    ~temp_dir()
    {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;

    /// Writes `content` to `name` in the directory; returns its path.
    std::string write(const std::string& name, const std::string& content) const
    {
        auto p = path / name;
        std::ofstream(p, std::ios::binary) << content;
        return p.string();
    }

    std::filesystem::path path;
};

/// `program args...` found on PATH, with stdout (and, if asked, stderr) on a pipe; SIGTERM and
/// waitpid on destruction.
class child_process
{
public:
    child_process(const std::string& program, const std::vector<std::string>& args, bool merge_stderr = false)
    {
        std::vector<std::string> argv_strings{program};
        argv_strings.insert(argv_strings.end(), args.begin(), args.end());
        std::vector<char*> argv;
        for (auto& a : argv_strings)
            argv.push_back(a.data());
        argv.push_back(nullptr);

        int fds[2];
        BOOST_REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
        posix_spawn_file_actions_t actions;
        ::posix_spawn_file_actions_init(&actions);
        ::posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
        if (merge_stderr)
            ::posix_spawn_file_actions_adddup2(&actions, fds[1], STDERR_FILENO);
        int rc = ::posix_spawnp(&pid_, program.c_str(), &actions, nullptr, argv.data(), environ);
        ::posix_spawn_file_actions_destroy(&actions);
        ::close(fds[1]);
        out_ = fds[0];
        if (rc != 0)
            pid_ = -1;
        BOOST_REQUIRE_MESSAGE(rc == 0, "cannot run `" << program << "` (" << std::strerror(rc)
                                                      << "): this test needs it on PATH (tools/install-deps.sh installs it)");
    }
    ~child_process()
    {
        terminate();
        if (out_ >= 0)
            ::close(out_);
    }

    /// SIGTERM and reap it now; its stdout pipe then reads end of file. Returns its exit
    /// status, or -1 when it was killed by a signal or had been reaped already.
    int terminate() noexcept
    {
        int code = -1;
        if (pid_ > 0)
        {
            ::kill(pid_, SIGTERM);
            int status = 0;
            if (::waitpid(pid_, &status, 0) == pid_ && WIFEXITED(status))
                code = WEXITSTATUS(status);
            pid_ = -1;
        }
        return code;
    }

    /// The next line on its stdout; false at end of file or after `timeout`. Asserts nothing,
    /// so another thread may read with it.
    bool try_read_line(std::chrono::milliseconds timeout, std::string& line)
    {
        line.clear();
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;)
        {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0)
                return false;
            pollfd pfd{out_, POLLIN, 0};
            if (::poll(&pfd, 1, static_cast<int>(std::min<long long>(left.count(), 1000))) <= 0)
                continue;
            char c;
            if (::read(out_, &c, 1) != 1)
                return false;
            if (c == '\n')
                return true;
            line += c;
        }
    }
    child_process(const child_process&) = delete;
    child_process& operator=(const child_process&) = delete;

    /// The next line on its stdout, within `timeout`; fails the test otherwise.
    std::string read_line(std::chrono::milliseconds timeout)
    {
        std::string line;
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;)
        {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            BOOST_REQUIRE_MESSAGE(left.count() > 0, "the child printed no line in time; got '" << line << "'");
            pollfd pfd{out_, POLLIN, 0};
            if (::poll(&pfd, 1, static_cast<int>(left.count())) <= 0)
                continue;
            char c;
            ssize_t n = ::read(out_, &c, 1);
            BOOST_REQUIRE_MESSAGE(n == 1, "the child exited before printing a line; got '" << line << "'");
            if (c == '\n')
                return line;
            line += c;
        }
    }

    pid_t pid() const noexcept { return pid_; }

private:
    pid_t pid_ = -1;
    int out_ = -1;
};

}  // namespace beeos::test

#endif
