// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#ifndef BEEOS_TEST_UNIT_PRINT_TIMESTAMP_HPP
#define BEEOS_TEST_UNIT_PRINT_TIMESTAMP_HPP

#include <beeos/timestamp.hpp>

#include <boost/test/unit_test.hpp>

#include <optional>
#include <ostream>

// Lets BOOST_TEST print both sides of a failed timestamp comparison. Specialising
// print_log_value is Boost.Test's documented customisation point; adding overloads to namespace
// std for ADL would be undefined behaviour. One header keeps the specialisations identical in
// every test file (ODR).
template <>
struct boost::test_tools::tt_detail::print_log_value<beeos::timestamp>
{
    void operator()(std::ostream& os, const beeos::timestamp& t)
    {
        os << beeos::format_timestamp(t) << " (" << t.time_since_epoch().count() << "us)";
    }
};

template <>
struct boost::test_tools::tt_detail::print_log_value<std::optional<beeos::timestamp>>
{
    void operator()(std::ostream& os, const std::optional<beeos::timestamp>& t)
    {
        if (t)
            print_log_value<beeos::timestamp>()(os, *t);
        else
            os << "nullopt";
    }
};

#endif
