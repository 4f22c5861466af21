// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
//
// beeos: the command-line tool for operating BeeOS fleets. See docs/cli.md.
#include "commands.hpp"

#include <cstdlib>

int main(int argc, char** argv)
{
    beeos::cli::console con;
    return beeos::cli::run(
        argc, argv, [](const char* name) { return std::getenv(name); }, con
    );
}
