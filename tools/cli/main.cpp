// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
//
// beeos: the command-line tool for operating BeeOS fleets. See docs/cli.md.
#include "commands.hpp"
#include "exit_status.hpp"

#include <fcntl.h>

#include <cerrno>
#include <cstdlib>

namespace
{

// A standard descriptor closed by the caller (`beeos get x >&-`) would be reused by the first
// file the process opens, an eventfd of Asio's say, and rows written "to stdout" would go
// there. Each closed one is taken by /dev/null opened read-only: nothing else can land on it,
// and a write to it fails (EBADF), which the console reports as lost output.
void hold_standard_descriptors()
{
    for (int fd = 0; fd <= 2; ++fd)
        if (::fcntl(fd, F_GETFD) == -1 && errno == EBADF)
            if (::open("/dev/null", O_RDONLY) != fd)  // open() takes the lowest free descriptor
                std::_Exit(beeos::cli::exit_failed);
}

}  // namespace

int main(int argc, char** argv)
{
    hold_standard_descriptors();
    beeos::cli::console con;
    return beeos::cli::run(
        argc, argv, [](const char* name) { return std::getenv(name); }, con
    );
}
