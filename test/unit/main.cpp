// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#define BOOST_TEST_MODULE beeos_unit_tests
#include <boost/test/unit_test.hpp>
