/* A loopback HTTP server for the schema registry client tests, on an ephemeral port of 127.0.0.1,
 * answering from a thread. The including file defines `static int port;` (set here) and
 * `static void serve_one(int c)` (reads one request from c and writes the answer). stop_server()
 * ends and joins the thread (a thread still blocked in accept() at exit left its TLS block
 * "possibly lost" under valgrind). */
#ifndef ZR_TEST_LOOPBACK_SERVER_H
#define ZR_TEST_LOOPBACK_SERVER_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void serve_one(int c);

/* Read one HTTP request from @p c into @p req (NUL-terminated; cap bytes, headers must fit) and
 * drain its body (Content-Length). 0 on a whole request, -1 when the peer closed early. */
static int read_request(int c, char *req, size_t cap) {
  size_t got = 0;
  char *end = NULL;
  while (got < cap - 1) {
    ssize_t r = recv(c, req + got, cap - 1 - got, 0);
    if (r <= 0) return -1;
    got += (size_t)r;
    req[got] = '\0';
    if ((end = strstr(req, "\r\n\r\n"))) break;
  }
  if (!end) return -1;
  const char *cl = strcasestr(req, "Content-Length:");
  size_t body = cl && cl < end ? (size_t)strtoul(cl + 15, NULL, 10) : 0;
  size_t have = got - (size_t)(end + 4 - req);
  while (have < body) {
    char sink[4096];
    ssize_t r = recv(c, sink, sizeof sink, 0);
    if (r <= 0) return -1;
    have += (size_t)r;
  }
  return 0;
}

static atomic_int server_stopping;
static pthread_t server_thread;
static int server_running;

static void *server(void *arg) {
  int s = *(int *)arg;
  for (;;) {
    int c = accept(s, NULL, NULL);
    if (atomic_load(&server_stopping)) {
      if (c >= 0) close(c);
      break;
    }
    if (c < 0) continue;
    serve_one(c);
    close(c);
  }
  return NULL;
}

/* 0 when listening (port set), -1 otherwise */
static int server_fd = -1;
static int start_server(void) {
  int s = server_fd = socket(AF_INET, SOCK_STREAM, 0);
  if (s < 0) return -1;
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t al = sizeof a;
  if (bind(s, (struct sockaddr *)&a, sizeof a) || listen(s, 16) || getsockname(s, (struct sockaddr *)&a, &al)) return -1;
  port = ntohs(a.sin_port);
  if (pthread_create(&server_thread, NULL, server, &server_fd)) return -1;
  server_running = 1;
  return 0;
}

/* Stop the server of start_server() (if running): wake its accept() and join it. */
static void stop_server(void) {
  if (!server_running) return;
  atomic_store(&server_stopping, 1);
  /* one connection wakes the blocked accept(), which then sees the flag */
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons((unsigned short)port);
  int c = socket(AF_INET, SOCK_STREAM, 0);
  if (c >= 0) {
    (void)connect(c, (struct sockaddr *)&a, sizeof a);
    close(c);
  }
  pthread_join(server_thread, NULL);
  close(server_fd);
  server_fd = -1;
  server_running = 0;
}

#endif
