// The ENOSYS stub put in front of libseccomp's program: per architecture,
// syscall numbers above the highest one the profile names return ENOSYS.
//
//   ld  arch                       one block per architecture:
//   jeq AUDIT_ARCH_X, 0, <next block>
//   ld  nr
//   jgt MAX_X, <enosys>, <filter>  (x86_64: x32 numbers carry bit 30 and have their own MAX)
//   ...
//   ja  <filter>                   no block matched
//   enosys: ret ERRNO(ENOSYS)
//   filter: libseccomp's program (it loads what it needs itself)
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <seccomp.h>

#include <cerrno>
#include <cstddef>
#include <map>

#include "security/seccomp.hpp"
#include "util/error.hpp"

namespace skiff::security {

namespace {

constexpr uint32_t kX32SyscallBit = 0x40000000;

// Labels resolved once their position is known; 0 and up are relative jumps.
enum Label : int { kBlockEnd = -1, kEnosys = -2, kFilter = -3 };

class StubBuilder {
 public:
  void load(uint32_t offset) { code_.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offset)); }

  void jump(uint16_t condition, uint32_t k, int if_true, int if_false) {
    code_.push_back(BPF_JUMP(BPF_JMP | condition | BPF_K, k, 0, 0));
    branch(if_true, true);
    branch(if_false, false);
  }

  void jump_always(int target) {
    code_.push_back(BPF_STMT(BPF_JMP | BPF_JA, 0));
    branch(target, true);
  }

  void end_block() { resolve(kBlockEnd, code_.size()); }

  std::vector<sock_filter> finish() {
    jump_always(kFilter);
    resolve(kEnosys, code_.size());
    code_.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA)));
    resolve(kFilter, code_.size());
    return std::move(code_);
  }

 private:
  struct Pending {
    size_t at;
    bool if_true;
    int label;
  };

  void branch(int target, bool if_true) {
    if (target >= 0)
      set_offset(code_.size() - 1, if_true, static_cast<uint32_t>(target));
    else
      pending_.push_back({code_.size() - 1, if_true, target});
  }

  void resolve(int label, size_t position) {
    for (auto it = pending_.begin(); it != pending_.end();) {
      if (it->label != label) {
        ++it;
        continue;
      }
      set_offset(it->at, it->if_true, static_cast<uint32_t>(position - it->at - 1));
      it = pending_.erase(it);
    }
  }

  void set_offset(size_t at, bool if_true, uint32_t offset) {
    sock_filter& insn = code_[at];
    if (BPF_OP(insn.code) == BPF_JA) {
      insn.k = offset;
      return;
    }
    if (offset > 255)
      throw Error("linux.seccomp: the ENOSYS stub is too long for a conditional jump");
    (if_true ? insn.jt : insn.jf) = static_cast<uint8_t>(offset);
  }

  std::vector<sock_filter> code_;
  std::vector<Pending> pending_;
};

// Numbers above max get ENOSYS, the others go to libseccomp's program.
void limit_check(StubBuilder& stub, int max_syscall) {
  if (max_syscall < 0)
    stub.jump_always(kFilter);
  else
    stub.jump(BPF_JGT, static_cast<uint32_t>(max_syscall), kEnosys, kFilter);
}

// x32 shares AUDIT_ARCH_X86_64 and marks its numbers with bit 30.
void x86_64_block(StubBuilder& stub, int max_x86_64, int max_x32) {
  stub.jump(BPF_JSET, kX32SyscallBit, 1, 0);
  limit_check(stub, max_x86_64);
  limit_check(stub, max_x32);
}

}  // namespace

std::vector<sock_filter> enosys_stub(const std::vector<ArchLimit>& limits) {
  // AUDIT_ARCH -> (max, max for x32); libseccomp's tokens are AUDIT_ARCH
  // values except for x32.
  std::map<uint32_t, std::pair<int, int>> by_audit_arch;
  bool any = false;
  for (const auto& limit : limits) {
    any = any || limit.max_syscall >= 0;
    bool x32 = limit.arch == SCMP_ARCH_X32;
    auto& entry =
        by_audit_arch.try_emplace(x32 ? AUDIT_ARCH_X86_64 : limit.arch, -1, -1).first->second;
    (x32 ? entry.second : entry.first) =
        std::max(x32 ? entry.second : entry.first, limit.max_syscall);
  }
  if (!any) return {};

  StubBuilder stub;
  for (const auto& [audit_arch, max] : by_audit_arch) {
    if (max.first < 0 && max.second < 0) continue;
    stub.load(offsetof(seccomp_data, arch));
    stub.jump(BPF_JEQ, audit_arch, 0, kBlockEnd);
    stub.load(offsetof(seccomp_data, nr));
    if (audit_arch == AUDIT_ARCH_S390 || audit_arch == AUDIT_ARCH_S390X)
      // s390 turns numbers it does not know into 0 (the long-gone setup(2)).
      stub.jump(BPF_JEQ, 0, kEnosys, 0);
    if (audit_arch == AUDIT_ARCH_X86_64)
      x86_64_block(stub, max.first, max.second);
    else
      limit_check(stub, max.first);
    stub.end_block();
  }
  return stub.finish();
}

}  // namespace skiff::security
