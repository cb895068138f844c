// A WASI preview 1 command for the wasm integration tests (built with
// clang --target=wasm32-wasi). argv[1] picks what it does:
//   args            print "argc=N" and each argument
//   env NAME...     print NAME=value for each (or NAME unset)
//   cat PATH        print the file's contents
//   write PATH TEXT write TEXT to PATH, read it back and print it
//   echo            copy stdin to stdout
//   exit N          exit with code N through proc_exit
//   sleep SECONDS   sleep, then print "woke"
//   trap            execute `unreachable`
//   mkdir PATH      create the directory, print "made PATH" (or the error)
//   grow MIB        grow linear memory 1 MiB at a time up to MIB; print
//                   "grew to N MiB" or "refused at N MiB"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static int print_file(const char* path) {
  FILE* file = fopen(path, "r");
  if (!file) {
    perror(path);
    return 1;
  }
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, file)) > 0) fwrite(buffer, 1, n, stdout);
  fclose(file);
  return 0;
}

static int write_and_read_back(const char* path, const char* text) {
  FILE* file = fopen(path, "w");
  if (!file) {
    perror(path);
    return 1;
  }
  fputs(text, file);
  fclose(file);
  return print_file(path);
}

static int echo_stdin(void) {
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, stdin)) > 0) fwrite(buffer, 1, n, stdout);
  return 0;
}

static int sleep_seconds(const char* seconds) {
  struct timespec ts = {atoi(seconds), 0};
  nanosleep(&ts, NULL);
  puts("woke");
  return 0;
}

static int grow_memory(int target_mib) {
  const int pages_per_mib = 16;  // 64 KiB pages
  int mib = (int)(__builtin_wasm_memory_size(0) / pages_per_mib);
  while (mib < target_mib) {
    size_t old_pages = __builtin_wasm_memory_grow(0, pages_per_mib);
    if (old_pages == (size_t)-1) {
      printf("refused at %d MiB\n", mib);
      return 0;
    }
    mib = (int)(__builtin_wasm_memory_size(0) / pages_per_mib);
  }
  printf("grew to %d MiB\n", mib);
  return 0;
}

int main(int argc, char** argv) {
  const char* command = argc > 1 ? argv[1] : "args";
  if (strcmp(command, "args") == 0) {
    printf("argc=%d\n", argc);
    for (int i = 0; i < argc; i++) printf("%s\n", argv[i]);
    return 0;
  }
  if (strcmp(command, "env") == 0) {
    for (int i = 2; i < argc; i++) {
      const char* value = getenv(argv[i]);
      printf(value ? "%s=%s\n" : "%s unset\n", argv[i], value);
    }
    return 0;
  }
  if (strcmp(command, "cat") == 0 && argc == 3) return print_file(argv[2]);
  if (strcmp(command, "write") == 0 && argc == 4) return write_and_read_back(argv[2], argv[3]);
  if (strcmp(command, "echo") == 0) return echo_stdin();
  if (strcmp(command, "exit") == 0 && argc == 3) exit(atoi(argv[2]));
  if (strcmp(command, "sleep") == 0 && argc == 3) return sleep_seconds(argv[2]);
  if (strcmp(command, "trap") == 0) __builtin_trap();
  if (strcmp(command, "grow") == 0 && argc == 3) return grow_memory(atoi(argv[2]));
  if (strcmp(command, "mkdir") == 0 && argc == 3) {
    if (mkdir(argv[2], 0755) != 0) {
      printf("mkdir %s: %s\n", argv[2], strerror(errno));
      return 1;
    }
    printf("made %s\n", argv[2]);
    return 0;
  }
  fprintf(stderr, "probe: unknown command %s\n", command);
  return 2;
}
