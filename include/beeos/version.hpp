// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#ifndef BEEOS_VERSION_HPP
#define BEEOS_VERSION_HPP

#define BEEOS_VERSION_STRING "0.1.0"

#endif
