/* Peak memory of `zerial convert --stream` on a large JSON-lines input.
 *
 * Generates SIZE bytes of JSON lines (default 4 GiB) in DIR (default /tmp), runs the CLI as a
 * child process to convert them to a stream and back to JSON lines, and reports each child's
 * peak RSS (getrusage through wait4), CPU time and wall time. Every file it makes is deleted.
 *
 *   bench_stream_rss [--cli PATH] [--size BYTES[K|M|G]] [--dir DIR] [--runs N] [-- extra convert options]
 *
 * PATH defaults to $ZR_CLI, then ./zerial. Target (issue 9): peak RSS ≤ 64 MiB for 4 GiB. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static unsigned long long parse_size(const char *s) {
  char *end;
  unsigned long long v = strtoull(s, &end, 10);
  if (*end == 'K') v <<= 10;
  else if (*end == 'M') v <<= 20;
  else if (*end == 'G') v <<= 30;
  return v;
}

static const char *const CITIES[] = {"Lisbon", "Nairobi", "Osaka", "Montreal", "Zurich", "Sao Paulo", "Pune", "Oslo"};

static int generate(const char *path, unsigned long long size, unsigned long long *lines) {
  FILE *f = fopen(path, "w");
  if (!f) return -1;
  static char buf[1 << 16];
  setvbuf(f, buf, _IOFBF, sizeof buf);
  unsigned long long written = 0, n = 0, x = 88172645463325252ull;
  while (written < size) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    int len = fprintf(f,
                      "{\"id\":%llu,\"user\":\"user-%llu\",\"city\":\"%s\",\"score\":%.3f,\"visits\":%llu,"
                      "\"active\":%s,\"tags\":[\"t%llu\",\"t%llu\"],\"note\":\"%.*s\"}\n",
                      n, x % 1000000, CITIES[x % 8], (double)(x % 100000) / 1000.0, x % 5000,
                      x % 3 ? "true" : "false", x % 17, x % 23, (int)(x % 60),
                      "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor");
    if (len < 0) {
      fclose(f);
      return -1;
    }
    written += (unsigned long long)len;
    n++;
  }
  *lines = n;
  return fclose(f);
}

typedef struct result {
  double wall, cpu, rss_mib;
  int status;
} result;

static result run(char *const argv[], const char *stdout_path) {
  result r = {0, 0, 0, -1};
  double t0 = now_s();
  pid_t pid = fork();
  if (pid < 0) return r;
  if (pid == 0) {
    if (stdout_path) {
      int fd = open(stdout_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd < 0 || dup2(fd, 1) < 0) _exit(127);
      close(fd);
    }
    execv(argv[0], argv);
    _exit(127);
  }
  int status;
  struct rusage ru;
  if (wait4(pid, &status, 0, &ru) != pid) return r;
  r.wall = now_s() - t0;
  r.cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
  r.rss_mib = ru.ru_maxrss / 1024.0;
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

int main(int argc, char **argv) {
  const char *cli = getenv("ZR_CLI") ? getenv("ZR_CLI") : "./zerial";
  const char *dir = "/tmp";
  unsigned long long size = 4ull << 30;
  int runs = 1, extra = argc;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--cli") == 0 && i + 1 < argc) cli = argv[++i];
    else if (strcmp(argv[i], "--size") == 0 && i + 1 < argc) size = parse_size(argv[++i]);
    else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc) dir = argv[++i];
    else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc) runs = atoi(argv[++i]);
    else if (strcmp(argv[i], "--") == 0) {
      extra = i + 1;
      break;
    } else {
      fprintf(stderr, "usage: %s [--cli PATH] [--size BYTES] [--dir DIR] [--runs N] [-- convert options]\n", argv[0]);
      return 2;
    }
  }
  if (access(cli, X_OK) != 0) {
    fprintf(stderr, "stream_rss: no CLI at %s (pass --cli or set ZR_CLI)\n", cli);
    return 2;
  }
  char in[512], out[512], back[512];
  snprintf(in, sizeof in, "%s/zr_stream_rss_%d.jsonl", dir, (int)getpid());
  snprintf(out, sizeof out, "%s/zr_stream_rss_%d.zrs", dir, (int)getpid());
  snprintf(back, sizeof back, "%s/zr_stream_rss_%d.back.jsonl", dir, (int)getpid());
  unsigned long long lines = 0;
  double t0 = now_s();
  if (generate(in, size, &lines) != 0) {
    fprintf(stderr, "stream_rss: cannot write %s: %s\n", in, strerror(errno));
    unlink(in);
    return 1;
  }
  printf("input: %llu lines, %.2f GiB of JSON lines (generated in %.1f s)\n", lines, size / 1073741824.0,
         now_s() - t0);
  int rc = 0;
  for (int k = 0; k < runs; k++) {
    char *fwd[64] = {(char *)cli, "convert", "--stream", in, out, "--quiet"};
    int n = 6;
    for (int i = extra; i < argc && n < 62; i++) fwd[n++] = argv[i];
    fwd[n] = NULL;
    result a = run(fwd, NULL);
    struct stat sb;
    unsigned long long out_size = stat(out, &sb) == 0 ? (unsigned long long)sb.st_size : 0;
    char *rev[] = {(char *)cli, "convert", "--stream", out, "-", "--quiet", NULL};
    result b = run(rev, back);
    unsigned long long back_size = stat(back, &sb) == 0 ? (unsigned long long)sb.st_size : 0;
    printf("run %d: jsonl -> stream: exit %d, peak RSS %.1f MiB, CPU %.1f s, wall %.1f s (%.0f MiB/s of input by CPU), "
           "output %.2f GiB\n",
           k + 1, a.status, a.rss_mib, a.cpu, a.wall, a.cpu > 0 ? size / 1048576.0 / a.cpu : 0.0,
           out_size / 1073741824.0);
    printf("run %d: stream -> jsonl: exit %d, peak RSS %.1f MiB, CPU %.1f s, wall %.1f s, output %.2f GiB\n", k + 1,
           b.status, b.rss_mib, b.cpu, b.wall, back_size / 1073741824.0);
    if (a.status != 0 || b.status != 0) rc = 1;
    unlink(out);
    unlink(back);
  }
  unlink(in);
  return rc;
}
