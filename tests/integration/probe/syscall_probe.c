/* syscall_probe NR [ARG...]: make one raw system call inside a container and
 * print "ok RESULT" or "errno N NAME". Built static so it runs in the busybox
 * rootfs; the seccomp tests use it to reach syscalls busybox has no applet for. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s NR [ARG...]\n", argv[0]);
    return 2;
  }
  long args[6] = {0};
  for (int i = 2; i < argc && i < 8; ++i) args[i - 2] = (long)strtoull(argv[i], NULL, 0);
  long nr = strtol(argv[1], NULL, 0);
  long rc = syscall(nr, args[0], args[1], args[2], args[3], args[4], args[5]);
  if (rc < 0) {
    int err = errno;
    printf("errno %d %s\n", err, strerrorname_np(err) ? strerrorname_np(err) : "?");
  } else {
    printf("ok %ld\n", rc);
  }
  return 0;
}
