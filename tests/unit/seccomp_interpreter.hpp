// A small classic-BPF interpreter for seccomp programs, as the kernel runs
// them on a syscall's seccomp_data: the unit tests check what a program
// answers and how many instructions it takes to answer.
#pragma once

#include <linux/filter.h>
#include <linux/seccomp.h>

#include <catch2/catch.hpp>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

namespace skiff::test {

struct SeccompVerdict {
  uint32_t action = 0;  // the RET's value
  size_t steps = 0;     // instructions run to reach it
  bool returned = false;  // false: ran off the end (only a stub does)
};

inline SeccompVerdict run_seccomp(const std::vector<sock_filter>& program, const seccomp_data& data) {
  SeccompVerdict verdict;
  uint32_t a = 0;
  for (size_t pc = 0; pc < program.size(); ++pc) {
    const sock_filter& insn = program[pc];
    ++verdict.steps;
    switch (insn.code) {
      case BPF_LD | BPF_W | BPF_ABS:
        REQUIRE(insn.k + sizeof a <= sizeof data);
        std::memcpy(&a, reinterpret_cast<const char*>(&data) + insn.k, sizeof a);
        break;
      case BPF_ALU | BPF_AND | BPF_K: a &= insn.k; break;
      case BPF_JMP | BPF_JA: pc += insn.k; break;
      case BPF_JMP | BPF_JEQ | BPF_K: pc += a == insn.k ? insn.jt : insn.jf; break;
      case BPF_JMP | BPF_JGT | BPF_K: pc += a > insn.k ? insn.jt : insn.jf; break;
      case BPF_JMP | BPF_JGE | BPF_K: pc += a >= insn.k ? insn.jt : insn.jf; break;
      case BPF_JMP | BPF_JSET | BPF_K: pc += (a & insn.k) ? insn.jt : insn.jf; break;
      case BPF_RET | BPF_K:
        verdict.action = insn.k;
        verdict.returned = true;
        return verdict;
      default: FAIL("unexpected instruction " << insn.code);
    }
  }
  return verdict;
}

inline SeccompVerdict run_seccomp(const std::vector<sock_filter>& program, uint32_t arch, uint32_t nr) {
  seccomp_data data{};
  data.arch = arch;
  data.nr = static_cast<int>(nr);
  return run_seccomp(program, data);
}

}  // namespace skiff::test
