#include "wasm/wasmtime_stdio.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <initializer_list>
#include <string>
#include <string_view>

#include "wasm/wasmtime_util.hpp"

namespace skiff::wasm::wt {

namespace {

constexpr std::string_view kWasiModule = "wasi_snapshot_preview1";

// What a covered module may import besides our fd calls: Wasmtime answers
// these without its fd table or its tokio runtime.
constexpr std::array<std::string_view, 10> kWasiCallsWithoutFds = {
    "args_get",       "args_sizes_get", "environ_get", "environ_sizes_get", "clock_res_get",
    "clock_time_get", "random_get",     "sched_yield", "proc_exit",         "proc_raise"};

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
  kPipe = 64,
  kInvalidSeek = 70,
};
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

wasm_functype_t* function_type(const wasm_valkind_t* params, size_t count) {
  wasm_valtype_vec_t param_types, result_types;
  wasm_valtype_vec_new_uninitialized(&param_types, count);
  for (size_t i = 0; i < count; ++i) param_types.data[i] = wasm_valtype_new(params[i]);
  wasm_valtype_vec_new_uninitialized(&result_types, 1);
  result_types.data[0] = wasm_valtype_new(WASM_I32);  // the errno
  return wasm_functype_new(&param_types, &result_types);
}

}  // namespace

struct DirectStdio::Definition {
  std::string_view name;
  std::array<wasm_valkind_t, 4> params;
  size_t param_count;
  wasmtime_func_callback_t callback;
};

const std::array<DirectStdio::Definition, 4> DirectStdio::kDefinitions = {{
    {"fd_write", {WASM_I32, WASM_I32, WASM_I32, WASM_I32}, 4, &DirectStdio::fd_write},
    {"fd_fdstat_get", {WASM_I32, WASM_I32}, 2, &DirectStdio::fd_fdstat_get},
    {"fd_close", {WASM_I32}, 1, &DirectStdio::fd_close},
    {"fd_seek", {WASM_I32, WASM_I64, WASM_I32, WASM_I32}, 4, &DirectStdio::fd_seek},
}};

bool DirectStdio::covers(const wasmtime_module_t& module) {
  auto is_covered = [](std::string_view name) {
    for (const auto& definition : kDefinitions)
      if (name == definition.name) return true;
    for (std::string_view call : kWasiCallsWithoutFds)
      if (name == call) return true;
    return false;
  };
  wasm_importtype_vec_t imports;
  wasmtime_module_imports(&module, &imports);
  bool covered = true;
  for (size_t i = 0; i < imports.size && covered; ++i) {
    const wasm_name_t* from = wasm_importtype_module(imports.data[i]);
    const wasm_name_t* name = wasm_importtype_name(imports.data[i]);
    covered = std::string_view(from->data, from->size) == kWasiModule &&
              is_covered(std::string_view(name->data, name->size));
  }
  wasm_importtype_vec_delete(&imports);

  wasm_exporttype_vec_t exports;
  wasmtime_module_exports(&module, &exports);
  bool has_memory = false;
  for (size_t i = 0; i < exports.size && !has_memory; ++i) {
    const wasm_name_t* name = wasm_exporttype_name(exports.data[i]);
    has_memory = std::string_view(name->data, name->size) == "memory" &&
                 wasm_externtype_kind(wasm_exporttype_type(exports.data[i])) == WASM_EXTERN_MEMORY;
  }
  wasm_exporttype_vec_delete(&exports);
  return covered && has_memory;
}

void DirectStdio::define(wasmtime_linker_t& linker) {
  wasmtime_linker_allow_shadowing(&linker, true);
  for (const Definition& definition : kDefinitions) {
    wasm_functype_t* type = function_type(definition.params.data(), definition.param_count);
    wasmtime_error_t* error =
        wasmtime_linker_define_func(&linker, kWasiModule.data(), kWasiModule.size(), definition.name.data(),
                                    definition.name.size(), type, definition.callback, this, nullptr);
    wasm_functype_delete(type);
    check(error, "WASI " + std::string(definition.name));
  }
}

void DirectStdio::reset(size_t preopens) {
  fds_ = {Fd::Stdin, Fd::Stdout, Fd::Stderr};
  fds_.resize(3 + preopens, Fd::Directory);
  for (int number = 0; number < 3; ++number) tty_[number] = ::isatty(number) == 1;
}

DirectStdio::Fd DirectStdio::fd(int32_t number) const {
  return number >= 0 && static_cast<size_t>(number) < fds_.size() ? fds_[number] : Fd::Closed;
}

// fd_write(fd, iovs, iovs_len, nwritten) -> errno. Like Wasmtime, writes the
// first non-empty iovec, whole (wasi-libc calls again for the rest).
wasm_trap_t* DirectStdio::fd_write(void* self, wasmtime_caller_t* caller, const wasmtime_val_t* args, size_t,
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
  Fd kind = static_cast<DirectStdio*>(self)->fd(number);
  if (kind != Fd::Stdout && kind != Fd::Stderr) return set_errno(results, kBadDescriptor);
  if (int error = write_fully(number, bytes, length); error != 0) return set_errno(results, wasi_errno(error));
  uint8_t* nwritten = memory.at(u32(args[3]), sizeof length, 4);
  if (!nwritten) return trap("fd_write", "nwritten out of bounds or misaligned");
  std::memcpy(nwritten, &length, sizeof length);
  return set_errno(results, kSuccess);
}

// fd_fdstat_get(fd, fdstat) -> errno.
wasm_trap_t* DirectStdio::fd_fdstat_get(void* self, wasmtime_caller_t* caller, const wasmtime_val_t* args, size_t,
                                        wasmtime_val_t* results, size_t) {
  auto* stdio = static_cast<DirectStdio*>(self);
  int32_t number = args[0].of.i32;
  uint8_t filetype = kDirectory;
  uint64_t base = kPreopenRights, inherited = kPreopenInheritedRights;
  switch (stdio->fd(number)) {
    case Fd::Closed: return set_errno(results, kBadDescriptor);
    case Fd::Stdin: base = inherited = uint64_t{1} << kFdRead; break;
    case Fd::Stdout:
    case Fd::Stderr: base = inherited = uint64_t{1} << kFdWrite; break;
    case Fd::Directory: break;
  }
  if (number < 3) filetype = stdio->tty_[number] ? kCharacterDevice : kUnknown;
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
wasm_trap_t* DirectStdio::fd_close(void* self, wasmtime_caller_t*, const wasmtime_val_t* args, size_t,
                                   wasmtime_val_t* results, size_t) {
  auto* stdio = static_cast<DirectStdio*>(self);
  int32_t number = args[0].of.i32;
  if (stdio->fd(number) == Fd::Closed) return set_errno(results, kBadDescriptor);
  stdio->fds_[number] = Fd::Closed;
  return set_errno(results, kSuccess);
}

// fd_seek(fd, offset, whence, newoffset) -> errno: no fd of ours seeks.
wasm_trap_t* DirectStdio::fd_seek(void* self, wasmtime_caller_t*, const wasmtime_val_t* args, size_t,
                                  wasmtime_val_t* results, size_t) {
  if (u32(args[2]) > 2) return trap("fd_seek", "invalid whence");  // not SET, CUR or END
  Fd kind = static_cast<DirectStdio*>(self)->fd(args[0].of.i32);
  bool stdio = kind == Fd::Stdin || kind == Fd::Stdout || kind == Fd::Stderr;
  return set_errno(results, stdio ? kInvalidSeek : kBadDescriptor);
}

}  // namespace skiff::wasm::wt
