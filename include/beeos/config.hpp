// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#ifndef BEEOS_CONFIG_HPP
#define BEEOS_CONFIG_HPP

// The library is built with hidden visibility (CMake's CXX_VISIBILITY_PRESET): in a shared
// libbeeos only what is marked BEEOS_DECL is exported, so the Boost and OpenSSL code compiled
// into it stays private and cannot clash with the application's own copies. Classes are marked
// whole (their members, vtables and typeinfo, so a beeos::error thrown inside the library is
// caught by type outside it); free functions one by one. A static build marks the same
// declarations, which changes nothing for it.
#if defined(__GNUC__) || defined(__clang__)
#define BEEOS_DECL __attribute__((visibility("default")))
#else
#define BEEOS_DECL
#endif

#endif
