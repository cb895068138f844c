#include "wasm/wasmtime_direct_wasi.hpp"

#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <initializer_list>
#include <string>
#include <string_view>

#include "util/error.hpp"
#include "wasm/wasmtime_util.hpp"

namespace skiff::wasm::wt {

namespace {

constexpr std::string_view kWasiModule = "wasi_snapshot_preview1";

// WASI preview 1's values (wasi_snapshot_preview1.witx).
enum WasiErrno : int32_t {
  kSuccess = 0,
  kAccess = 2,
  kBadDescriptor = 8,
  kFileTooLarge = 22,
  kInvalid = 28,
  kIo = 29,
  kNoSpace = 51,
  kNotPermitted = 63,
  kNotSupported = 58,
  kPipe = 64,
  kInvalidSeek = 70,
};
enum Clock : uint32_t { kRealtime = 0, kMonotonic, kProcessCputime, kThreadCputime };
constexpr uint32_t kSignals = 31;  // WASI's signal enum: none (0) to sys (30)
enum Filetype : uint8_t { kUnknown = 0, kCharacterDevice = 2, kDirectory = 3 };
enum Right : int {
  kFdDatasync = 0, kFdRead, kFdSeek, kFdFdstatSetFlags, kFdSync, kFdTell, kFdWrite, kFdAdvise, kFdAllocate,
  kPathCreateDirectory, kPathCreateFile, kPathLinkSource, kPathLinkTarget, kPathOpen, kFdReaddir,
  kPathReadlink, kPathRenameSource, kPathRenameTarget, kPathFilestatGet, kPathFilestatSetSize,
  kPathFilestatSetTimes, kFdFilestatGet, kFdFilestatSetSize, kFdFilestatSetTimes, kPathSymlink,
  kPathRemoveDirectory, kPathUnlinkFile, kPollFdReadwrite,
};

constexpr uint64_t rights(std::initializer_list<Right> list) {
  uint64_t bits = 0;
  for (Right right : list) bits |= uint64_t{1} << right;
  return bits;
}

// The rights Wasmtime reports for a preopened directory, and for what is
// opened under it.
constexpr uint64_t kPreopenRights =
    rights({kPathCreateDirectory, kPathCreateFile, kPathLinkSource, kPathLinkTarget, kPathOpen, kFdReaddir,
            kPathReadlink, kPathRenameSource, kPathRenameTarget, kPathSymlink, kPathRemoveDirectory,
            kPathUnlinkFile, kPathFilestatGet, kPathFilestatSetTimes, kFdFilestatGet, kFdFilestatSetTimes});
constexpr uint64_t kPreopenInheritedRights =
    kPreopenRights | rights({kFdDatasync, kFdRead, kFdSeek, kFdFdstatSetFlags, kFdSync, kFdTell, kFdWrite,
                             kFdAdvise, kFdAllocate, kFdFilestatGet, kFdFilestatSetSize, kFdFilestatSetTimes,
                             kPollFdReadwrite});

constexpr uint32_t kFdstatSize = 24;  // filetype u8, flags u16 at 2, rights u64 at 8 and 16
constexpr uint32_t kCiovecSize = 8;   // buf u32, buf_len u32

// The errno of a failed write to stdout or stderr, as Wasmtime maps it.
int32_t wasi_errno(int err) {
  switch (err) {
    case EACCES: return kAccess;
    case EBADF: return kBadDescriptor;
    case EFBIG: return kFileTooLarge;
    case EINVAL: return kInvalid;
    case ENOSPC: return kNoSpace;
    case EPERM: return kNotPermitted;
    case EPIPE: return kPipe;
    default: return kIo;
  }
}

wasm_trap_t* trap(std::string_view call, std::string_view cause) {
  std::string message = std::string(call) + ": " + std::string(cause);
  return wasmtime_trap_new(message.data(), message.size());
}

// The caller's linear memory. A pointer outside it, or misaligned, traps
// (as in Wasmtime's WASI).
class GuestMemory {
 public:
  explicit GuestMemory(wasmtime_caller_t* caller) {
    wasmtime_extern_t memory;
    if (!wasmtime_caller_export_get(caller, "memory", 6, &memory)) return;
    if (memory.kind == WASMTIME_EXTERN_MEMORY) {
      wasmtime_context_t* context = wasmtime_caller_context(caller);
      base_ = wasmtime_memory_data(context, &memory.of.memory);
      size_ = wasmtime_memory_data_size(context, &memory.of.memory);
    }
    wasmtime_extern_delete(&memory);
  }

  // Null unless [offset, offset + length) is inside and offset aligned.
  uint8_t* at(uint64_t offset, uint64_t length, uint32_t alignment) const {
    if (!base_ || offset % alignment != 0 || offset + length > size_) return nullptr;
    return base_ + offset;
  }

  // Stores value (little-endian, as wasm) at offset; false when out of
  // bounds or misaligned.
  template <typename T>
  bool put(uint64_t offset, T value) const {
    uint8_t* out = at(offset, sizeof value, alignof(T));
    if (out) std::memcpy(out, &value, sizeof value);
    return out != nullptr;
  }

 private:
  uint8_t* base_ = nullptr;
  size_t size_ = 0;
};

uint32_t u32(const wasmtime_val_t& value) { return static_cast<uint32_t>(value.of.i32); }

wasm_trap_t* set_errno(wasmtime_val_t* results, int32_t value) {
  results[0].kind = WASMTIME_I32;
  results[0].of.i32 = value;
  return nullptr;
}

// 0, or the errno of the write that failed.
int write_fully(int fd, const uint8_t* bytes, size_t length) {
  while (length > 0) {
    ssize_t n = ::write(fd, bytes, length);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    bytes += n;
    length -= static_cast<size_t>(n);
  }
  return 0;
}

// (params...) -> errno, or -> () for a call that never returns.
wasm_functype_t* function_type(const wasm_valkind_t* params, size_t count, bool returns) {
  wasm_valtype_vec_t param_types, result_types;
  wasm_valtype_vec_new_uninitialized(&param_types, count);
  for (size_t i = 0; i < count; ++i) param_types.data[i] = wasm_valtype_new(params[i]);
  wasm_valtype_vec_new_uninitialized(&result_types, returns ? 1 : 0);
  if (returns) result_types.data[0] = wasm_valtype_new(WASM_I32);
  return wasm_functype_new(&param_types, &result_types);
}

uint64_t nanoseconds(const timespec& time) {
  return static_cast<uint64_t>(time.tv_sec) * 1'000'000'000 + static_cast<uint64_t>(time.tv_nsec);
}

uint64_t now(clockid_t clock) {
  timespec time{};
  ::clock_gettime(clock, &time);
  return nanoseconds(time);
}

// Rust's str rules (what Wasmtime's C API checks args and env against): no
// overlong forms, no surrogates, nothing above U+10FFFF.
bool is_utf8(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    auto byte = [&](size_t at) { return at < text.size() ? static_cast<uint8_t>(text[at]) : 0; };
    uint8_t lead = byte(i);
    auto continuation = [&](size_t at) { return (byte(at) & 0xc0) == 0x80; };
    size_t length = lead < 0x80 ? 1 : lead >= 0xc2 && lead <= 0xdf ? 2 : lead >= 0xe0 && lead <= 0xef ? 3
                                  : lead >= 0xf0 && lead <= 0xf4 ? 4 : 0;
    if (length == 0) return false;
    for (size_t k = 1; k < length; ++k)
      if (!continuation(i + k)) return false;
    uint8_t second = byte(i + 1);
    if ((lead == 0xe0 && second < 0xa0) || (lead == 0xed && second > 0x9f) || (lead == 0xf0 && second < 0x90) ||
        (lead == 0xf4 && second > 0x8f))
      return false;
    i += length;
  }
  return true;
}

// What args_get and environ_get copy out: the strings with their NULs.
std::vector<std::string> nul_terminated(const std::vector<std::string>& strings, const char* field) {
  std::vector<std::string> result;
  for (const auto& text : strings) {
    if (!is_utf8(text)) throw Error(std::string(field) + ": not valid for WASI (not UTF-8?)");
    result.push_back(text + '\0');
  }
  return result;
}

// args_get and environ_get: a pointer per string at list, the strings from
// buffer on.
wasm_trap_t* copy_strings(wasmtime_caller_t* caller, const std::vector<std::string>& strings, uint32_t list,
                          uint32_t buffer, std::string_view call) {
  GuestMemory memory(caller);
  uint64_t pointer = list, next = buffer;
  for (const auto& text : strings) {
    if (!memory.put(pointer, static_cast<uint32_t>(next))) return trap(call, "pointer out of bounds or misaligned");
    uint8_t* out = memory.at(next, text.size(), 1);
    if (!out) return trap(call, "buffer out of bounds");
    std::memcpy(out, text.data(), text.size());
    pointer += sizeof(uint32_t);
    next += text.size();
  }
  return nullptr;
}

// args_sizes_get and environ_sizes_get: the count and the bytes of the
// strings.
wasm_trap_t* put_sizes(wasmtime_caller_t* caller, const std::vector<std::string>& strings,
                       const wasmtime_val_t* args, wasmtime_val_t* results, std::string_view call) {
  uint32_t bytes = 0;
  for (const auto& text : strings) bytes += static_cast<uint32_t>(text.size());
  GuestMemory memory(caller);
  if (!memory.put(u32(args[0]), static_cast<uint32_t>(strings.size())) || !memory.put(u32(args[1]), bytes))
    return trap(call, "pointer out of bounds or misaligned");
  return set_errno(results, kSuccess);
}

}  // namespace

struct DirectWasi::Definition {
  std::string_view name;
  std::array<wasm_valkind_t, 4> params;
  size_t param_count;
  bool returns;  // an errno; proc_exit does not return
  wasmtime_func_callback_t callback;
};

const std::array<DirectWasi::Definition, 14> DirectWasi::kDefinitions = {{
    {"fd_write", {WASM_I32, WASM_I32, WASM_I32, WASM_I32}, 4, true, &DirectWasi::fd_write},
    {"fd_fdstat_get", {WASM_I32, WASM_I32}, 2, true, &DirectWasi::fd_fdstat_get},
    {"fd_close", {WASM_I32}, 1, true, &DirectWasi::fd_close},
    {"fd_seek", {WASM_I32, WASM_I64, WASM_I32, WASM_I32}, 4, true, &DirectWasi::fd_seek},
    {"args_get", {WASM_I32, WASM_I32}, 2, true, &DirectWasi::args_get},
    {"args_sizes_get", {WASM_I32, WASM_I32}, 2, true, &DirectWasi::args_sizes_get},
    {"environ_get", {WASM_I32, WASM_I32}, 2, true, &DirectWasi::environ_get},
    {"environ_sizes_get", {WASM_I32, WASM_I32}, 2, true, &DirectWasi::environ_sizes_get},
    {"clock_res_get", {WASM_I32, WASM_I32}, 2, true, &DirectWasi::clock_res_get},
    {"clock_time_get", {WASM_I32, WASM_I64, WASM_I32}, 3, true, &DirectWasi::clock_time_get},
    {"random_get", {WASM_I32, WASM_I32}, 2, true, &DirectWasi::random_get},
    {"sched_yield", {}, 0, true, &DirectWasi::sched_yield},
    {"proc_exit", {WASM_I32}, 1, false, &DirectWasi::proc_exit},
    {"proc_raise", {WASM_I32}, 1, true, &DirectWasi::proc_raise},
}};

bool DirectWasi::covers(const ModuleInterface& interface) {
  auto answered = [](const ModuleInterface::Import& import) {
    return import.module == kWasiModule &&
           std::any_of(kDefinitions.begin(), kDefinitions.end(),
                       [&](const Definition& definition) { return definition.name == import.name; });
  };
  return std::all_of(interface.imports.begin(), interface.imports.end(), answered) &&
         interface.exports_a(WASM_EXTERN_MEMORY, "memory");
}

void DirectWasi::define(wasmtime_linker_t& linker, const ModuleInterface& interface) {
  std::array<bool, kDefinitions.size()> defined{};
  for (const auto& import : interface.imports) {
    for (size_t i = 0; i < kDefinitions.size(); ++i) {
      const Definition& definition = kDefinitions[i];
      if (definition.name != import.name || defined[i]) continue;
      defined[i] = true;
      wasm_functype_t* type = function_type(definition.params.data(), definition.param_count, definition.returns);
      wasmtime_error_t* error =
          wasmtime_linker_define_func(&linker, kWasiModule.data(), kWasiModule.size(), definition.name.data(),
                                      definition.name.size(), type, definition.callback, this, nullptr);
      wasm_functype_delete(type);
      check(error, "WASI " + std::string(definition.name));
    }
  }
}

void DirectWasi::reset(const RunConfig& config) {
  args_ = nul_terminated(config.args, "process.args");
  std::vector<std::string> environ;
  // Wasmtime's WASI holds NAME and value apart and joins them with "=".
  for (const auto& entry : config.env) environ.push_back(entry.find('=') == std::string::npos ? entry + "=" : entry);
  environ_ = nul_terminated(environ, "process.env");
  fds_ = {Fd::Stdin, Fd::Stdout, Fd::Stderr};
  fds_.resize(3 + config.preopens.size(), Fd::Directory);
  for (int number = 0; number < 3; ++number) tty_[number] = ::isatty(number) == 1;
  monotonic_start_ = now(CLOCK_MONOTONIC);
  exit_status_.reset();
}

DirectWasi::Fd DirectWasi::fd(int32_t number) const {
  return number >= 0 && static_cast<size_t>(number) < fds_.size() ? fds_[number] : Fd::Closed;
}

// fd_write(fd, iovs, iovs_len, nwritten) -> errno. Like Wasmtime, writes the
// first non-empty iovec, whole (wasi-libc calls again for the rest).
wasm_trap_t* DirectWasi::fd_write(void* self, wasmtime_caller_t* caller, const wasmtime_val_t* args, size_t,
                                   wasmtime_val_t* results, size_t) {
  GuestMemory memory(caller);
  uint32_t count = u32(args[2]);
  const uint8_t* bytes = nullptr;
  uint32_t length = 0;
  for (uint32_t i = 0; i < count && length == 0; ++i) {
    const uint8_t* ciovec = memory.at(u32(args[1]) + uint64_t{i} * kCiovecSize, kCiovecSize, 4);
    if (!ciovec) return trap("fd_write", "iovec out of bounds or misaligned");
    uint32_t buffer;
    std::memcpy(&buffer, ciovec, 4);
    std::memcpy(&length, ciovec + 4, 4);
    bytes = memory.at(buffer, length, 1);
    if (length > 0 && !bytes) return trap("fd_write", "buffer out of bounds");
  }
  int32_t number = args[0].of.i32;
  Fd kind = static_cast<DirectWasi*>(self)->fd(number);
  if (kind != Fd::Stdout && kind != Fd::Stderr) return set_errno(results, kBadDescriptor);
  if (int error = write_fully(number, bytes, length); error != 0) return set_errno(results, wasi_errno(error));
  uint8_t* nwritten = memory.at(u32(args[3]), sizeof length, 4);
  if (!nwritten) return trap("fd_write", "nwritten out of bounds or misaligned");
  std::memcpy(nwritten, &length, sizeof length);
  return set_errno(results, kSuccess);
}

// fd_fdstat_get(fd, fdstat) -> errno.
wasm_trap_t* DirectWasi::fd_fdstat_get(void* self, wasmtime_caller_t* caller, const wasmtime_val_t* args, size_t,
                                        wasmtime_val_t* results, size_t) {
  auto* wasi = static_cast<DirectWasi*>(self);
  int32_t number = args[0].of.i32;
  uint8_t filetype = kDirectory;
  uint64_t base = kPreopenRights, inherited = kPreopenInheritedRights;
  switch (wasi->fd(number)) {
    case Fd::Closed: return set_errno(results, kBadDescriptor);
    case Fd::Stdin: base = inherited = uint64_t{1} << kFdRead; break;
    case Fd::Stdout:
    case Fd::Stderr: base = inherited = uint64_t{1} << kFdWrite; break;
    case Fd::Directory: break;
  }
  if (number < 3) filetype = wasi->tty_[number] ? kCharacterDevice : kUnknown;
  uint8_t* out = GuestMemory(caller).at(u32(args[1]), kFdstatSize, 8);
  if (!out) return trap("fd_fdstat_get", "fdstat out of bounds or misaligned");
  std::memset(out, 0, kFdstatSize);
  out[0] = filetype;
  std::memcpy(out + 8, &base, sizeof base);
  std::memcpy(out + 16, &inherited, sizeof inherited);
  return set_errno(results, kSuccess);
}

// fd_close(fd) -> errno. The container's stdio stays open: only the
// module's fd goes.
wasm_trap_t* DirectWasi::fd_close(void* self, wasmtime_caller_t*, const wasmtime_val_t* args, size_t,
                                   wasmtime_val_t* results, size_t) {
  auto* wasi = static_cast<DirectWasi*>(self);
  int32_t number = args[0].of.i32;
  if (wasi->fd(number) == Fd::Closed) return set_errno(results, kBadDescriptor);
  wasi->fds_[number] = Fd::Closed;
  return set_errno(results, kSuccess);
}

// fd_seek(fd, offset, whence, newoffset) -> errno: no fd of ours seeks.
wasm_trap_t* DirectWasi::fd_seek(void* self, wasmtime_caller_t*, const wasmtime_val_t* args, size_t,
                                  wasmtime_val_t* results, size_t) {
  if (u32(args[2]) > 2) return trap("fd_seek", "invalid whence");  // not SET, CUR or END
  Fd kind = static_cast<DirectWasi*>(self)->fd(args[0].of.i32);
  bool stdio = kind == Fd::Stdin || kind == Fd::Stdout || kind == Fd::Stderr;
  return set_errno(results, stdio ? kInvalidSeek : kBadDescriptor);
}

// args_get(argv, argv_buf) -> errno.
wasm_trap_t* DirectWasi::args_get(void* self, wasmtime_caller_t* caller, const wasmtime_val_t* args, size_t,
                                  wasmtime_val_t* results, size_t) {
  wasm_trap_t* trapped = copy_strings(caller, static_cast<DirectWasi*>(self)->args_, u32(args[0]), u32(args[1]),
                                      "args_get");
  return trapped ? trapped : set_errno(results, kSuccess);
}

// args_sizes_get(argc, argv_buf_size) -> errno.
wasm_trap_t* DirectWasi::args_sizes_get(void* self, wasmtime_caller_t* caller, const wasmtime_val_t* args, size_t,
                                        wasmtime_val_t* results, size_t) {
  return put_sizes(caller, static_cast<DirectWasi*>(self)->args_, args, results, "args_sizes_get");
}

// environ_get(environ, environ_buf) -> errno.
wasm_trap_t* DirectWasi::environ_get(void* self, wasmtime_caller_t* caller, const wasmtime_val_t* args, size_t,
                                     wasmtime_val_t* results, size_t) {
  wasm_trap_t* trapped = copy_strings(caller, static_cast<DirectWasi*>(self)->environ_, u32(args[0]),
                                      u32(args[1]), "environ_get");
  return trapped ? trapped : set_errno(results, kSuccess);
}

// environ_sizes_get(count, buf_size) -> errno.
wasm_trap_t* DirectWasi::environ_sizes_get(void* self, wasmtime_caller_t* caller, const wasmtime_val_t* args,
                                           size_t, wasmtime_val_t* results, size_t) {
  return put_sizes(caller, static_cast<DirectWasi*>(self)->environ_, args, results, "environ_sizes_get");
}

// clock_res_get(id, resolution) -> errno. The CPU-time clocks are EBADF,
// as in Wasmtime; an id outside the enum traps (as every bad enum value).
wasm_trap_t* DirectWasi::clock_res_get(void*, wasmtime_caller_t* caller, const wasmtime_val_t* args, size_t,
                                       wasmtime_val_t* results, size_t) {
  uint32_t id = u32(args[0]);
  if (id > kThreadCputime) return trap("clock_res_get", "invalid clock id");
  if (id == kProcessCputime || id == kThreadCputime) return set_errno(results, kBadDescriptor);
  timespec resolution{};
  ::clock_getres(id == kRealtime ? CLOCK_REALTIME : CLOCK_MONOTONIC, &resolution);
  if (!GuestMemory(caller).put(u32(args[1]), nanoseconds(resolution)))
    return trap("clock_res_get", "resolution out of bounds or misaligned");
  return set_errno(results, kSuccess);
}

// clock_time_get(id, precision, time) -> errno. The monotonic clock counts
// from reset(), as Wasmtime's counts from its WASI context's creation.
wasm_trap_t* DirectWasi::clock_time_get(void* self, wasmtime_caller_t* caller, const wasmtime_val_t* args, size_t,
                                        wasmtime_val_t* results, size_t) {
  uint32_t id = u32(args[0]);
  if (id > kThreadCputime) return trap("clock_time_get", "invalid clock id");
  if (id == kProcessCputime || id == kThreadCputime) return set_errno(results, kBadDescriptor);
  uint64_t time = id == kRealtime ? now(CLOCK_REALTIME)
                                  : now(CLOCK_MONOTONIC) - static_cast<DirectWasi*>(self)->monotonic_start_;
  if (!GuestMemory(caller).put(u32(args[2]), time)) return trap("clock_time_get", "time out of bounds or misaligned");
  return set_errno(results, kSuccess);
}

// random_get(buf, buf_len) -> errno.
wasm_trap_t* DirectWasi::random_get(void*, wasmtime_caller_t* caller, const wasmtime_val_t* args, size_t,
                                    wasmtime_val_t* results, size_t) {
  uint32_t length = u32(args[1]);
  uint8_t* buffer = GuestMemory(caller).at(u32(args[0]), length, 1);
  if (!buffer) return trap("random_get", "buffer out of bounds");
  for (uint32_t done = 0; done < length;) {
    ssize_t n = ::getrandom(buffer + done, length - done, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return trap("random_get", std::strerror(errno));
    done += static_cast<uint32_t>(n);
  }
  return set_errno(results, kSuccess);
}

// sched_yield() -> errno: nothing to do, as in Wasmtime.
wasm_trap_t* DirectWasi::sched_yield(void*, wasmtime_caller_t*, const wasmtime_val_t*, size_t,
                                     wasmtime_val_t* results, size_t) {
  return set_errno(results, kSuccess);
}

// proc_exit(status): ends the run (a trap the runner tells apart by
// exit_status()). WASI's statuses are 0..125; Wasmtime traps on the rest.
wasm_trap_t* DirectWasi::proc_exit(void* self, wasmtime_caller_t*, const wasmtime_val_t* args, size_t,
                                   wasmtime_val_t*, size_t) {
  uint32_t status = u32(args[0]);
  if (status >= 126) return trap("proc_exit", "exit with invalid exit status outside of [0..126)");
  static_cast<DirectWasi*>(self)->exit_status_ = static_cast<int>(status);
  return trap("proc_exit", "exit");
}

// proc_raise(signal) -> errno: not supported, as in Wasmtime.
wasm_trap_t* DirectWasi::proc_raise(void*, wasmtime_caller_t*, const wasmtime_val_t* args, size_t,
                                    wasmtime_val_t* results, size_t) {
  if (u32(args[0]) >= kSignals) return trap("proc_raise", "invalid signal");
  return set_errno(results, kNotSupported);
}

}  // namespace skiff::wasm::wt
