#include "runtime/wasm_entry.hpp"

#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <climits>

#include "runtime/process_setup.hpp"
#include "util/error.hpp"
#include "wasm/detect.hpp"

namespace skiff::runtime {

namespace {

bool is_regular_file(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// args[0] as the init will see it once in process.cwd, without asking for
// the exec bit (a module needs none); "" when there is no such file.
std::string locate_entrypoint(const oci::Process& process) {
  const std::string& name = process.args.at(0);
  if (name.find('/') == std::string::npos) return find_on_path(process, is_regular_file);
  if (name.front() == '/') return name;
  return process.cwd + "/" + name;
}

void close_range_or_throw(unsigned first, unsigned last) {
  if (first <= last && ::syscall(SYS_close_range, first, last, 0) != 0) throw_errno("close_range");
}

}  // namespace

std::unique_ptr<wasm::Program> load_wasm_entrypoint(const oci::Spec& spec, wasm::CompileCache* cache) {
  if (!spec.process || spec.process->args.empty() || wasm::is_pod_sandbox(spec.annotations)) return nullptr;
  wasm::Handler handler = wasm::handler_from_annotations(spec.annotations);
  const std::string& args0 = spec.process->args.front();
  std::string path = locate_entrypoint(*spec.process);
  if (path.empty() || !wasm::runs_as_wasm(handler, args0, wasm::read_head(path))) return nullptr;
  return wasm::load_program(path, cache);
}

void close_inherited_fds(int preserve_fds, std::vector<int> keep) {
  std::sort(keep.begin(), keep.end());
  unsigned from = 3 + static_cast<unsigned>(preserve_fds);
  for (int fd : keep) {
    if (fd < 0 || static_cast<unsigned>(fd) < from) continue;
    close_range_or_throw(from, static_cast<unsigned>(fd) - 1);
    from = static_cast<unsigned>(fd) + 1;
  }
  close_range_or_throw(from, UINT_MAX);
}

void run_wasm_entrypoint(wasm::Program& program, const oci::Process& process,
                         const security::SeccompProgram* seccomp) {
  wasm::RunConfig config{process.args, process.env, {{"/", "/", true}}};
  prepare_to_run(process, seccomp);
  ::_exit(program.run(config));
}

}  // namespace skiff::runtime
