#include "runtime/wasm_cache.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "runtime/container.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/fd.hpp"

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

// Keys come from the container's init: only a plain file name is accepted.
bool valid_key(const std::string& key) {
  return !key.empty() && key.size() <= 128 && std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

}  // namespace

void SyncCompileCache::request(const std::string& key) { sync_.send(SyncType::WasmCacheLookup, 0, key); }

std::string SyncCompileCache::lookup() {
  SyncMessage entry = sync_.expect(SyncType::WasmCacheEntry);
  return entry.fd ? read_all(entry.fd.get()) : std::string();
}

void SyncCompileCache::store(const std::string&, std::string_view compiled) {
  UniqueFd memfd(::memfd_create("skiff-wasm-module", MFD_CLOEXEC));
  if (memfd && write_all(memfd.get(), compiled)) sync_.send_fd(SyncType::WasmCacheStore, memfd.get());
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
  key_ = valid_key(key) && !options_.wasm_cache_dir.empty() ? key : std::string();
  UniqueFd entry;
  if (!key_.empty())
    entry.reset(::open((options_.wasm_cache_dir + "/" + key_).c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (entry) sync.send_fd(SyncType::WasmCacheEntry, entry.get());
  else sync.send(SyncType::WasmCacheEntry);
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
}

}  // namespace skiff::runtime
