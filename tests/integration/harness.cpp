#include "integration/harness.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>

namespace skiff_test {

void fail_errno(const std::string& what) { throw std::runtime_error(what + ": " + std::strerror(errno)); }

namespace {

fs::path make_temp_dir(std::string_view prefix) {
  std::string tmpl = (fs::temp_directory_path() / (std::string(prefix) + "XXXXXX")).string();
  if (!mkdtemp(tmpl.data())) fail_errno("mkdtemp " + tmpl);
  // Others need to traverse it: user-namespaced containers run as uid 100000.
  chmod(tmpl.c_str(), 0755);
  return tmpl;
}

// Unmount everything under dir (deepest first), then delete the tree.
void remove_tree(const fs::path& dir) {
  auto mounts = mounts_under(dir);
  for (auto it = mounts.rbegin(); it != mounts.rend(); ++it) umount2(it->c_str(), MNT_DETACH);
  std::error_code ec;
  fs::remove_all(dir, ec);
}

// The rootfs template: busybox, an applet link per command, /etc basics.
class RootfsTemplate {
 public:
  RootfsTemplate() : top_(make_temp_dir("skiff-it-rootfs.")), rootfs_(top_ / "rootfs") {
    for (const char* d : {"bin", "sbin", "usr/bin", "usr/sbin", "etc", "dev", "proc", "sys",
                          "tmp", "root", "var", "run"})
      fs::create_directories(rootfs_ / d);
    chmod((rootfs_ / "tmp").c_str(), 01777);
    fs::copy_file("/bin/busybox", rootfs_ / "bin/busybox");
    chmod((rootfs_ / "bin/busybox").c_str(), 0755);
    Output list = run_command({.argv = {"/bin/busybox", "--list-full"}});
    if (list.exit_code != 0) throw std::runtime_error("busybox --list-full: " + list.describe());
    std::istringstream lines(list.out);
    for (std::string applet; std::getline(lines, applet);) {
      if (applet.empty() || applet == "bin/busybox") continue;
      fs::path link = rootfs_ / applet;
      fs::create_directories(link.parent_path());
      std::error_code ec;
      fs::create_symlink("/bin/busybox", link, ec);
    }
    write_file(rootfs_ / "etc/passwd",
               "root:x:0:0:root:/root:/bin/sh\n"
               "user:x:1000:1000:user:/tmp:/bin/sh\n"
               "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n");
    write_file(rootfs_ / "etc/group", "root:x:0:\nuser:x:1000:\nnobody:x:65534:\n");
    write_file(rootfs_ / "etc/hostname", "skiff\n");
  }
  ~RootfsTemplate() { remove_tree(top_); }

  const fs::path& path() const { return rootfs_; }

 private:
  fs::path top_;
  fs::path rootfs_;
};

json baseline_config(const std::vector<std::string>& args) {
  const json caps = {"CAP_CHOWN",  "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
                     "CAP_MKNOD",  "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
                     "CAP_SETFCAP", "CAP_SETPCAP",     "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
                     "CAP_KILL",   "CAP_AUDIT_WRITE"};
  return {
      {"ociVersion", "1.0.2"},
      {"process",
       {{"terminal", false},
        {"user", {{"uid", 0}, {"gid", 0}}},
        {"args", args},
        {"env", {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                 "TERM=xterm"}},
        {"cwd", "/"},
        {"capabilities",
         {{"bounding", caps}, {"effective", caps}, {"permitted", caps}}},
        {"rlimits", {{{"type", "RLIMIT_NOFILE"}, {"hard", 1024}, {"soft", 1024}}}},
        {"noNewPrivileges", true}}},
      {"root", {{"path", "rootfs"}, {"readonly", true}}},
      {"hostname", "skiff-test"},
      {"mounts",
       {{{"destination", "/proc"}, {"type", "proc"}, {"source", "proc"}},
        {{"destination", "/dev"},
         {"type", "tmpfs"},
         {"source", "tmpfs"},
         {"options", {"nosuid", "strictatime", "mode=755", "size=65536k"}}},
        {{"destination", "/dev/pts"},
         {"type", "devpts"},
         {"source", "devpts"},
         {"options", {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"}}},
        {{"destination", "/dev/shm"},
         {"type", "tmpfs"},
         {"source", "shm"},
         {"options", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}}},
        {{"destination", "/dev/mqueue"},
         {"type", "mqueue"},
         {"source", "mqueue"},
         {"options", {"nosuid", "noexec", "nodev"}}},
        {{"destination", "/sys"},
         {"type", "sysfs"},
         {"source", "sysfs"},
         {"options", {"nosuid", "noexec", "nodev", "ro"}}}}},
      {"linux",
       {{"namespaces",
         {{{"type", "pid"}},
          {{"type", "ipc"}},
          {{"type", "uts"}},
          {{"type", "mount"}},
          {{"type", "network"}}}},
        {"maskedPaths",
         {"/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
          "/proc/sched_debug", "/sys/firmware", "/proc/scsi"}},
        {"readonlyPaths",
         {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}}}}};
}

std::string proc_cmdline(const fs::path& proc_dir) {
  std::string text = read_file(proc_dir / "cmdline");
  for (char& c : text)
    if (c == '\0') c = ' ';
  return text;
}

bool is_zombie_or_gone(const fs::path& proc_dir) {
  std::string stat = read_file(proc_dir / "stat");
  auto close_paren = stat.rfind(')');
  if (close_paren == std::string::npos || close_paren + 2 >= stat.size()) return true;
  char state = stat[close_paren + 2];
  return state == 'Z' || state == 'X';
}

// Live processes (other than us) whose command line contains any needle.
std::vector<std::pair<pid_t, std::string>> processes_mentioning(
    const std::vector<std::string>& needles) {
  std::vector<std::pair<pid_t, std::string>> found;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    pid_t pid = std::stoi(name);
    if (pid == getpid()) continue;
    std::string cmdline = proc_cmdline(entry.path());
    for (const auto& needle : needles) {
      if (!needle.empty() && cmdline.find(needle) != std::string::npos &&
          !is_zombie_or_gone(entry.path())) {
        found.emplace_back(pid, cmdline);
        break;
      }
    }
  }
  return found;
}

// Every cgroup hierarchy's mount point.
std::vector<fs::path> cgroup_mounts() {
  std::vector<fs::path> mounts;
  std::istringstream lines(read_file("/proc/self/mountinfo"));
  for (std::string line; std::getline(lines, line);) {
    auto dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    auto fstype = split_words(line.substr(dash + 3));
    auto fields = split_words(line.substr(0, dash));
    if (fstype.empty() || fields.size() < 5) continue;
    if (fstype[0] == "cgroup" || fstype[0] == "cgroup2") mounts.emplace_back(fields[4]);
  }
  return mounts;
}

// Directories named name within a few levels of each cgroup hierarchy.
std::vector<fs::path> cgroup_dirs_named(const std::string& name) {
  std::vector<fs::path> found;
  if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..")
    return found;
  for (const auto& mount : cgroup_mounts()) {
    std::error_code ec;
    fs::recursive_directory_iterator it(mount, fs::directory_options::skip_permission_denied, ec);
    for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (!it->is_directory(ec)) continue;
      if (it->path().filename() == name) found.push_back(it->path());
      if (it.depth() >= 3) it.disable_recursion_pending();
    }
  }
  return found;
}

std::atomic<int> g_sandbox_serial{0};

}  // namespace

// ---------------------------------------------------------------- helpers

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_file(const fs::path& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

std::string trim(std::string_view text) {
  const char* space = " \t\r\n";
  auto begin = text.find_first_not_of(space);
  if (begin == std::string_view::npos) return {};
  auto end = text.find_last_not_of(space);
  return std::string(text.substr(begin, end - begin + 1));
}

std::vector<std::string> split_words(std::string_view text) {
  std::vector<std::string> words;
  std::istringstream in{std::string(text)};
  for (std::string word; in >> word;) words.push_back(word);
  return words;
}

std::string read_link(const fs::path& path) {
  std::error_code ec;
  auto target = fs::read_symlink(path, ec);
  return ec ? std::string() : target.string();
}

std::vector<std::string> mounts_under(const fs::path& prefix) {
  std::vector<std::string> found;
  const std::string p = prefix.string();
  std::istringstream lines(read_file("/proc/self/mountinfo"));
  for (std::string line; std::getline(lines, line);) {
    auto fields = split_words(line);
    if (fields.size() < 5) continue;
    const std::string& mount_point = fields[4];
    if (mount_point == p || mount_point.rfind(p + "/", 0) == 0) found.push_back(mount_point);
  }
  return found;
}

double host_uptime() { return std::stod(read_file("/proc/uptime")); }

const std::string& skiff_binary() {
  static const std::string binary = [] {
    if (const char* env = std::getenv("SKIFF_TEST_BINARY")) return std::string(env);
    return std::string(SKIFF_BINARY);
  }();
  return binary;
}

const std::string& wasm_runner() {
  static const std::string runner = [] {
    if (const char* env = std::getenv("SKIFF_TEST_WASM_RUNNER")) return std::string(env);
#ifdef SKIFF_WASM_RUNNER
    return std::string(SKIFF_WASM_RUNNER);
#else
    return std::string();
#endif
  }();
  return runner;
}

const fs::path& busybox_rootfs() {
  static RootfsTemplate rootfs;  // destroyed (and removed) at exit
  return rootfs.path();
}

// ---------------------------------------------------------------- Output

std::string Output::describe() const {
  std::ostringstream text;
  text << "exit " << exit_code << (timed_out ? " (TIMED OUT)" : "") << "\n--- stdout\n"
       << out << "\n--- stderr\n"
       << err;
  return text.str();
}

std::vector<std::string> Output::err_lines() const {
  std::vector<std::string> lines;
  std::istringstream in(err);
  for (std::string line; std::getline(in, line);)
    if (!trim(line).empty()) lines.push_back(line);
  return lines;
}

// ---------------------------------------------------------------- Bundle

Bundle::Bundle(fs::path dir_in, std::vector<std::string> args)
    : dir(std::move(dir_in)), rootfs(dir / "rootfs"), config(baseline_config(args)) {
  fs::create_directories(dir);
  fs::copy(busybox_rootfs(), rootfs, fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  save();
}

void Bundle::save() const { write_file(dir / "config.json", config.dump(2)); }

void Bundle::set_args(std::vector<std::string> args) { config["process"]["args"] = args; }

void Bundle::add_namespace(std::string_view type, std::string_view path) {
  remove_namespace(type);
  json ns = {{"type", type}};
  if (!path.empty()) ns["path"] = path;
  config["linux"]["namespaces"].push_back(ns);
}

void Bundle::remove_namespace(std::string_view type) {
  auto& list = config["linux"]["namespaces"];
  json kept = json::array();
  for (const auto& ns : list)
    if (ns.value("type", "") != type) kept.push_back(ns);
  list = kept;
}

bool Bundle::has_namespace(std::string_view type) const {
  for (const auto& ns : config["linux"]["namespaces"])
    if (ns.value("type", "") == type) return true;
  return false;
}

void Bundle::remove_mounts_of_type(std::string_view type) {
  json kept = json::array();
  for (const auto& m : config["mounts"])
    if (m.value("type", "") != type) kept.push_back(m);
  config["mounts"] = kept;
}

fs::path Bundle::bind_out() {
  fs::path out = dir / "out";
  fs::create_directories(out);
  chmod(out.c_str(), 0777);
  config["mounts"].push_back({{"destination", "/out"},
                              {"type", "bind"},
                              {"source", out.string()},
                              {"options", {"rbind", "rw"}}});
  return out;
}

void Bundle::use_user_namespace(uint32_t base, uint32_t size) {
  add_namespace("user");
  json map = json::array({{{"containerID", 0}, {"hostID", base}, {"size", size}}});
  config["linux"]["uidMappings"] = map;
  config["linux"]["gidMappings"] = map;
  // Root inside is uid `base` outside: give it its rootfs.
  lchown(rootfs.c_str(), base, base);
  for (const auto& entry : fs::recursive_directory_iterator(rootfs)) {
    struct stat st {};
    if (lstat(entry.path().c_str(), &st) == 0)
      lchown(entry.path().c_str(), base + st.st_uid, base + st.st_gid);
  }
}

// ---------------------------------------------------------------- Sandbox

Sandbox::Sandbox() : dir(make_temp_dir("skiff-it.")), root(dir / "state") {
  busybox_rootfs();  // build the template before the first test needs it
}

Sandbox::~Sandbox() { cleanup(); }

std::string Sandbox::new_id(std::string_view tag) {
  return "it-" + std::string(tag) + "-" + std::to_string(getpid()) + "-" +
         std::to_string(++g_sandbox_serial) + "-" + std::to_string(++counter_);
}

Bundle Sandbox::bundle(std::vector<std::string> args, std::string_view name) {
  std::string dirname = name.empty() ? "bundle" + std::to_string(++counter_) : std::string(name);
  return Bundle(dir / dirname, std::move(args));
}

Output Sandbox::skiff(std::vector<std::string> args, std::optional<std::string> input,
                      std::chrono::milliseconds timeout, std::vector<int> fds) {
  return skiff_async(std::move(args), std::move(input), timeout, std::move(fds)).wait();
}

Child Sandbox::skiff_async(std::vector<std::string> args, std::optional<std::string> input,
                           std::chrono::milliseconds timeout, std::vector<int> fds) {
  std::vector<std::string> argv = {skiff_binary(), "--root", root.string()};
  if (!wasm_runner().empty()) argv.push_back("--wasm-runner=" + wasm_runner());
  argv.insert(argv.end(), args.begin(), args.end());
  return Child({.argv = argv, .input = std::move(input), .fds = std::move(fds), .timeout = timeout});
}

Output Sandbox::run(const Bundle& bundle, std::optional<std::string> input,
                    std::chrono::milliseconds timeout) {
  bundle.save();
  return skiff({"run", "--bundle", bundle.dir.string(), new_id("run")}, std::move(input),
               timeout);
}

json Sandbox::state(const std::string& id) {
  Output out = skiff({"state", id});
  if (out.exit_code != 0) throw std::runtime_error("skiff state " + id + ": " + out.describe());
  return json::parse(out.out);
}

bool Sandbox::wait_for_status(const std::string& id, std::string_view status,
                              std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  do {
    Output out = skiff({"state", id});
    if (out.exit_code == 0) {
      auto parsed = json::parse(out.out, nullptr, false);
      if (!parsed.is_discarded() && parsed.value("status", "") == status) return true;
    }
    usleep(20'000);
  } while (std::chrono::steady_clock::now() < deadline);
  return false;
}

skiff::Runtime Sandbox::runtime() const {
  skiff::RuntimeOptions options;
  options.root = root.string();
  options.wasm_runner = wasm_runner();
  return skiff::Runtime(options);
}

std::vector<std::string> Sandbox::leftovers(const std::string& id) const {
  std::vector<std::string> found;
  std::error_code ec;
  if (fs::exists(root, ec))
    for (const auto& entry : fs::directory_iterator(root, ec))
      found.push_back("state entry " + entry.path().string());
  for (const auto& mount : mounts_under(dir)) found.push_back("mount " + mount);
  for (const auto& [pid, cmdline] : processes_mentioning({id, dir.string()}))
    found.push_back("process " + std::to_string(pid) + ": " + cmdline);
  for (const auto& cg : cgroup_dirs_named(id)) found.push_back("cgroup " + cg.string());
  return found;
}

void Sandbox::cleanup() {
  std::error_code ec;
  std::vector<std::string> ids;
  if (fs::is_directory(root, ec))
    for (const auto& entry : fs::directory_iterator(root, ec))
      if (entry.is_directory(ec)) ids.push_back(entry.path().filename().string());
  for (const auto& id : ids) {
    Output out = run_command({.argv = {skiff_binary(), "--root", root.string(), "delete",
                                       "--force", id},
                              .timeout = 10s});
    (void)out;
    for (const auto& cg : cgroup_dirs_named(id)) rmdir(cg.c_str());
  }
  // Whatever still runs from this sandbox is ours: end it.
  for (const auto& [pid, cmdline] : processes_mentioning({dir.string()})) kill(pid, SIGKILL);
  remove_tree(dir);
}

// ---------------------------------------------------------------- SubreaperScope

SubreaperScope::SubreaperScope() { prctl(PR_SET_CHILD_SUBREAPER, 1); }

SubreaperScope::~SubreaperScope() {
  prctl(PR_SET_CHILD_SUBREAPER, 0);
  // Reap orphans that were handed to us while we were the subreaper.
  while (waitpid(-1, nullptr, WNOHANG) > 0) {
  }
}

std::vector<fs::path> wasm_cache_entries(const fs::path& cache) {
  std::vector<fs::path> entries;
  if (!fs::exists(cache)) return entries;
  for (const auto& entry : fs::directory_iterator(cache))
    if (entry.path().filename().string().rfind("file-", 0) != 0) entries.push_back(entry.path());
  return entries;
}

}  // namespace skiff_test
