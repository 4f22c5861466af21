// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#ifndef BEEOS_TEST_UNIT_READ_FIXTURE_HPP
#define BEEOS_TEST_UNIT_READ_FIXTURE_HPP

#include <boost/test/unit_test.hpp>

#include <fstream>
#include <sstream>
#include <string>

namespace beeos::test
{

/// The text of `test/unit/fixtures/<name>`; fails the test when it cannot be read.
inline std::string read_fixture(const char* name)
{
    const std::string path = std::string(BEEOS_UNIT_FIXTURES_DIR) + "/" + name;
    std::ifstream in(path, std::ios::binary);
    BOOST_TEST_REQUIRE(in.good(), "cannot open " << path);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace beeos::test

#endif
