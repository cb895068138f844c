#include "shim/idle.hpp"

#include <link.h>
#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>

namespace skiff::shim {

namespace {

// Every PT_LOAD segment of the main program that is never writable: its
// pages are the file's own (RELRO data is in a writable segment, made
// read-only only after relocation, and is left alone).
int drop_read_only_segments(dl_phdr_info* info, size_t, void* data) {
  auto page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  size_t& dropped = *static_cast<size_t*>(data);
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& segment = info->dlpi_phdr[i];
    if (segment.p_type != PT_LOAD || (segment.p_flags & PF_W)) continue;
    uintptr_t start = (info->dlpi_addr + segment.p_vaddr) & ~(page - 1);
    uintptr_t end = info->dlpi_addr + segment.p_vaddr + segment.p_filesz;  // no bss in a read-only segment
    end = (end + page - 1) & ~(page - 1);
    if (::madvise(reinterpret_cast<void*>(start), end - start, MADV_DONTNEED) == 0) dropped += end - start;
  }
  return 1;  // the main program comes first: stop there
}

}  // namespace

size_t release_idle_memory() {
  ::malloc_trim(0);
  size_t dropped = 0;
  ::dl_iterate_phdr(drop_read_only_segments, &dropped);
  return dropped;
}

}  // namespace skiff::shim
