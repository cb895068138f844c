#include "runtime/wasm_cache.hpp"

#include <fcntl.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/mman.h>
#include <unistd.h>
#if defined(__x86_64__)
#include <cpuid.h>
#endif

#include <algorithm>
#include <array>
#include <cinttypes>
#include <cstdio>
#include <filesystem>

#include "runtime/container.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/fd.hpp"
#include "wasm/compiler.hpp"

namespace skiff::runtime {

namespace {

std::string read_all(int fd) {
  std::string content;
  char buffer[65536];
  for (off_t offset = 0;;) {
    ssize_t n = ::pread(fd, buffer, sizeof buffer, offset);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("reading a compiled wasm module");
    if (n == 0) return content;
    content.append(buffer, static_cast<size_t>(n));
    offset += n;
  }
}

// The host CPU's features, for entry names: the runner trusts the entry it
// is given, and code compiled for one CPU may be refused on another (a VM
// moved to another host, a disk moved to another machine).
std::string host_cpu_features() {
  std::array<uint64_t, 3> words{};
#if defined(__x86_64__)
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (__get_cpuid(1, &a, &b, &c, &d)) words[0] = uint64_t{c} << 32 | d;
  if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
    words[1] = uint64_t{b} << 32 | c;
    words[2] = uint64_t{d} << 32;
  }
  if (words[0] >> 32 & bit_OSXSAVE) {  // the vector state the kernel saves (XCR0)
    uint32_t low, high;
    __asm__("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
    words[2] |= low;
  }
#else
  words[0] = ::getauxval(AT_HWCAP);
#ifdef AT_HWCAP2
  words[1] = ::getauxval(AT_HWCAP2);
#endif
#endif
  char text[3 * 16 + 1];
  std::snprintf(text, sizeof text, "%016" PRIx64 "%016" PRIx64 "%016" PRIx64, words[0], words[1], words[2]);
  return text;
}

// Keys come from the container's init: only a plain file name is accepted.
bool valid_key(const std::string& key) {
  return !key.empty() && key.size() <= 128 && std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

}  // namespace

void SyncCompileCache::request(const std::string& key) {
  answered_by_pushed_ = pushed_ && key == pushed_key_;
  if (answered_by_pushed_) return;
  pushed_.reset();
  sync_.send(SyncType::WasmCacheLookup, 0, key);
}

wasm::CacheEntry SyncCompileCache::lookup() {
  if (answered_by_pushed_) {
    UniqueFd pushed = std::move(pushed_);
    return {read_all(pushed.get()), true};
  }
  SyncMessage entry = sync_.expect(SyncType::WasmCacheEntry);
  if (!entry.fd) return {};
  return {read_all(entry.fd.get()), entry.value != kCompiledAhead};
}

void SyncCompileCache::store(const std::string&, std::string_view entry) {
  UniqueFd memfd(::memfd_create("skiff-wasm-module", MFD_CLOEXEC));
  if (memfd && write_all(memfd.get(), entry)) sync_.send_fd(SyncType::WasmCacheStore, memfd.get());
}

void CompileCacheServer::expect_lookups() { cpu_features(); }

// Not the device: overlayfs gives every mount its own, while a file of an
// image's lower layer keeps its inode and times in every container.
void CompileCacheServer::expect_module(const struct stat& file, WasmCompiler compiler) {
  if (options_.wasm_cache_dir.empty()) return;
  char name[160];
  std::snprintf(name, sizeof name, "file-%" PRIu64 "-%" PRId64 "-%" PRId64 ".%09ld-%" PRId64 ".%09ld-",
                static_cast<uint64_t>(file.st_ino), static_cast<int64_t>(file.st_size),
                static_cast<int64_t>(file.st_mtim.tv_sec), file.st_mtim.tv_nsec,
                static_cast<int64_t>(file.st_ctim.tv_sec), file.st_ctim.tv_nsec);
  file_ = name + std::string(wasm::compiler_name(compiler));
}

std::string CompileCacheServer::remembered() const {
  char target[129];
  ssize_t n = ::readlink((options_.wasm_cache_dir + "/" + file_).c_str(), target, sizeof target - 1);
  std::string key(target, static_cast<size_t>(std::max<ssize_t>(n, 0)));
  return valid_key(key) ? key : std::string();
}

CompileCacheServer::Pushed CompileCacheServer::entry_to_push() {
  if (file_.empty()) return {};
  std::string key = remembered();
  if (key.empty()) return {};
  UniqueFd entry(::open((options_.wasm_cache_dir + "/" + key + "-" + cpu_features()).c_str(),
                        O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!entry) return {};
  // What a store is for when the runner finds the pushed entry damaged (it
  // asks instead when its key is another).
  asked_ = key;
  key_ = key + "-" + cpu_features();
  return {key, std::move(entry)};
}

// A symlink made under a name of our own, then renamed over the old one.
// A new hint only comes with a new entry (one per compile, not one per
// rootfs copy of a module that is already cached); a hit corrects one.
void CompileCacheServer::remember(const std::string& key, bool new_entry) {
  if (file_.empty() || key.empty()) return;
  std::string known = remembered();
  if (known == key || (known.empty() && !new_entry)) return;
  std::string hint = options_.wasm_cache_dir + "/" + file_;
  std::string temp = hint + ".tmp" + std::to_string(::getpid());
  if (::symlink(key.c_str(), temp.c_str()) != 0) return;
  if (::rename(temp.c_str(), hint.c_str()) != 0) ::unlink(temp.c_str());
}

const std::string& CompileCacheServer::cpu_features() {
  if (cpu_.empty()) cpu_ = host_cpu_features();
  return cpu_;
}

bool CompileCacheServer::handle(const SyncMessage& message, const SyncSocket& sync) {
  if (message.type == SyncType::WasmCacheLookup) {
    lookup(message.text, sync);
    return true;
  }
  if (message.type == SyncType::WasmCacheStore) {
    try {
      store(message.fd.get());
    } catch (const Error& e) {
      log(options_, LogLevel::Warning, std::string("wasm compile cache: ") + e.what());
    }
    return true;
  }
  return false;
}

void CompileCacheServer::lookup(const std::string& key, const SyncSocket& sync) {
  asked_ = valid_key(key) && !options_.wasm_cache_dir.empty() ? key : std::string();
  key_ = asked_.empty() ? std::string() : asked_ + "-" + cpu_features();
  if (ahead_) {
    UniqueFd compiled = ahead_->take(key);
    ahead_ = nullptr;
    if (compiled) {
      log(options_, LogLevel::Debug, "wasm module compiled ahead: " + key);
      return sync.send_fd(SyncType::WasmCacheEntry, compiled.get(), {}, kCompiledAhead);
    }
  }
  UniqueFd entry;
  if (!key_.empty())
    entry.reset(::open((options_.wasm_cache_dir + "/" + key_).c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!entry) return sync.send(SyncType::WasmCacheEntry);
  sync.send_fd(SyncType::WasmCacheEntry, entry.get());
  remember(asked_, false);  // while the runner loads it
}

// Written under a name of our own, then renamed: creates running the same
// module at once must never leave a mixed file (it is native code).
void CompileCacheServer::store(int fd) {
  if (key_.empty() || fd < 0) return;
  make_directories(std::filesystem::path(options_.wasm_cache_dir).parent_path().string());
  if (::mkdir(options_.wasm_cache_dir.c_str(), 0700) != 0 && errno != EEXIST) throw_errno(options_.wasm_cache_dir);
  std::string path = options_.wasm_cache_dir + "/" + key_;
  std::string temp = path + ".tmp" + std::to_string(::getpid());
  UniqueFd out(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!out) throw_errno(temp);
  bool written = write_all(out.get(), read_all(fd)) && ::fsync(out.get()) == 0;
  out.reset();
  if (!written || ::rename(temp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(temp.c_str());
    throw_errno(path, err);
  }
  remember(asked_, true);
}

}  // namespace skiff::runtime
