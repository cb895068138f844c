#include "cgroups/devices_bpf.hpp"

#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

#include "util/error.hpp"
#include "util/fd.hpp"

namespace skiff::cgroups {

namespace {

// Registers after the prologue: r2 type, r3 access, r4 major, r5 minor.
constexpr uint8_t kType = 2, kAccess = 3, kMajor = 4, kMinor = 5, kScratch = 1;

bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  bpf_insn i{};
  i.code = code;
  i.dst_reg = dst & 0xf;
  i.src_reg = src & 0xf;
  i.off = off;
  i.imm = imm;
  return i;
}

bpf_insn load_word(uint8_t dst, int16_t offset) {
  return insn(BPF_LDX | BPF_W | BPF_MEM, dst, 1, offset, 0);
}
bpf_insn alu32_imm(uint8_t op, uint8_t dst, int32_t imm) {
  return insn(BPF_ALU | op | BPF_K, dst, 0, 0, imm);
}
bpf_insn mov32_reg(uint8_t dst, uint8_t src) {
  return insn(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0);
}
bpf_insn mov64_imm(uint8_t dst, int32_t imm) {
  return insn(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm);
}
bpf_insn jump_imm(uint8_t op, uint8_t dst, int32_t imm) {
  return insn(BPF_JMP | op | BPF_K, dst, 0, 0, imm);
}
bpf_insn jump_reg(uint8_t op, uint8_t dst, uint8_t src) {
  return insn(BPF_JMP | op | BPF_X, dst, src, 0, 0);
}
bpf_insn exit_insn() { return insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0); }

int32_t access_bits(const std::string& access) {
  int32_t bits = 0;
  for (char c : access)
    bits |= c == 'r'   ? BPF_DEVCG_ACC_READ
            : c == 'w' ? BPF_DEVCG_ACC_WRITE
            : c == 'm' ? BPF_DEVCG_ACC_MKNOD
                       : 0;
  return bits;
}

constexpr int32_t kAllAccess = BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD;

// One rule: conditions that jump past the block when they do not hold, then
// "return allow". Returns false when the rule matches everything.
bool append_rule(std::vector<bpf_insn>& out, const DeviceRule& rule) {
  std::vector<bpf_insn> block;
  if (rule.type != 'a')
    block.push_back(
        jump_imm(BPF_JNE, kType, rule.type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR));
  int32_t access = access_bits(rule.access);
  if (access != kAllAccess) {
    block.push_back(mov32_reg(kScratch, kAccess));
    block.push_back(alu32_imm(BPF_AND, kScratch, access));
    // allow: every requested bit granted; deny: any requested bit named.
    block.push_back(rule.allow ? jump_reg(BPF_JNE, kScratch, kAccess)
                               : jump_imm(BPF_JEQ, kScratch, 0));
  }
  if (rule.major >= 0) block.push_back(jump_imm(BPF_JNE, kMajor, static_cast<int32_t>(rule.major)));
  if (rule.minor >= 0) block.push_back(jump_imm(BPF_JNE, kMinor, static_cast<int32_t>(rule.minor)));
  bool wildcard = block.empty();
  block.push_back(mov64_imm(0, rule.allow ? 1 : 0));
  block.push_back(exit_insn());
  // A jump at index i lands after the block: pc + off + 1 == size.
  for (size_t i = 0; i < block.size(); ++i)
    if (BPF_CLASS(block[i].code) == BPF_JMP && BPF_OP(block[i].code) != BPF_EXIT)
      block[i].off = static_cast<int16_t>(block.size() - i - 1);
  out.insert(out.end(), block.begin(), block.end());
  return !wildcard;
}

long bpf(int cmd, bpf_attr& attr) { return ::syscall(SYS_bpf, cmd, &attr, sizeof attr); }

UniqueFd load(const std::vector<bpf_insn>& program, const std::string& field) {
  static const char kLicense[] = "GPL";
  bpf_attr attr{};
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = reinterpret_cast<uint64_t>(program.data());
  attr.insn_cnt = static_cast<uint32_t>(program.size());
  attr.license = reinterpret_cast<uint64_t>(kLicense);
  UniqueFd fd(static_cast<int>(bpf(BPF_PROG_LOAD, attr)));
  if (fd) return fd;
  // Only on failure: the verifier's log costs time on every load.
  std::string log(64 * 1024, '\0');
  attr.log_level = 1;
  attr.log_buf = reinterpret_cast<uint64_t>(log.data());
  attr.log_size = static_cast<uint32_t>(log.size());
  fd.reset(static_cast<int>(bpf(BPF_PROG_LOAD, attr)));
  if (!fd) {
    int err = errno;
    log.resize(std::strlen(log.c_str()));
    throw_errno(field + ": loading the device filter" + (log.empty() ? "" : " (" + log + ")"), err);
  }
  return fd;
}

std::vector<uint32_t> attached(int cgroup_fd, const std::string& field) {
  std::vector<uint32_t> ids(64);
  bpf_attr attr{};
  attr.query.target_fd = static_cast<uint32_t>(cgroup_fd);
  attr.query.attach_type = BPF_CGROUP_DEVICE;
  attr.query.prog_ids = reinterpret_cast<uint64_t>(ids.data());
  attr.query.prog_cnt = static_cast<uint32_t>(ids.size());
  if (bpf(BPF_PROG_QUERY, attr) != 0) throw_errno(field + ": listing device filters", errno);
  ids.resize(attr.query.prog_cnt);
  return ids;
}

}  // namespace

std::vector<bpf_insn> device_filter(const std::vector<DeviceRule>& rules) {
  std::vector<bpf_insn> program = {
      load_word(kType, 0),   alu32_imm(BPF_AND, kType, 0xffff),
      load_word(kAccess, 0), alu32_imm(BPF_RSH, kAccess, 16),
      load_word(kMajor, 4),  load_word(kMinor, 8),
  };
  // Last rule first: the first block that matches returns.
  for (auto it = rules.rbegin(); it != rules.rend(); ++it)
    if (!append_rule(program, *it)) return program;  // the rest is unreachable
  program.push_back(mov64_imm(0, 0));
  program.push_back(exit_insn());
  return program;
}

void attach_device_filter(int cgroup_fd, const std::vector<bpf_insn>& program,
                          const std::string& field) {
  UniqueFd prog = load(program, field);
  auto old = attached(cgroup_fd, field);
  bpf_attr attr{};
  attr.target_fd = static_cast<uint32_t>(cgroup_fd);
  attr.attach_bpf_fd = static_cast<uint32_t>(prog.get());
  attr.attach_type = BPF_CGROUP_DEVICE;
  attr.attach_flags = BPF_F_ALLOW_MULTI;
  if (bpf(BPF_PROG_ATTACH, attr) != 0) throw_errno(field + ": attaching the device filter", errno);
  // The new filter is in place before the old ones go, so no gap opens.
  for (uint32_t id : old) {
    bpf_attr get{};
    get.prog_id = id;
    UniqueFd old_fd(static_cast<int>(bpf(BPF_PROG_GET_FD_BY_ID, get)));
    if (!old_fd) continue;  // already gone
    bpf_attr detach{};
    detach.target_fd = static_cast<uint32_t>(cgroup_fd);
    detach.attach_bpf_fd = static_cast<uint32_t>(old_fd.get());
    detach.attach_type = BPF_CGROUP_DEVICE;
    if (bpf(BPF_PROG_DETACH, detach) != 0 && errno != ENOENT)
      throw_errno(field + ": detaching the previous device filter", errno);
  }
}

}  // namespace skiff::cgroups
