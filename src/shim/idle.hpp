// What the shim gives back while its containers just run: between requests
// it needs next to no code and little heap.
#pragma once

#include <cstddef>

namespace skiff::shim {

// Return free heap to the kernel (malloc_trim) and unmap the pages of our
// binary's read-only segments (code, constants) from this process. Those
// pages are clean copies of the file: they stay in the page cache, shared
// with every other shim, and fault back in when the next request runs the
// code again. Create and start touch most of libskiff's code once; without
// this, the idle shim would keep all of it in its RSS. Returns the bytes of
// read-only segments advised away.
size_t release_idle_memory();

}  // namespace skiff::shim
