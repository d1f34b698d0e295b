/* A loopback HTTP server for the schema registry client tests, on an ephemeral port of 127.0.0.1,
 * answering from a detached thread. The including file defines `static int port;` (set here) and
 * `static void serve_one(int c)` (reads one request from c and writes the answer). */
#ifndef ZR_TEST_LOOPBACK_SERVER_H
#define ZR_TEST_LOOPBACK_SERVER_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void serve_one(int c);

static void *server(void *arg) {
  int s = *(int *)arg;
  for (;;) {
    int c = accept(s, NULL, NULL);
    if (c < 0) continue;
    serve_one(c);
    close(c);
  }
  return NULL;
}

/* 0 when listening (port set), -1 otherwise */
static int start_server(void) {
  static int s;
  s = socket(AF_INET, SOCK_STREAM, 0);
  if (s < 0) return -1;
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t al = sizeof a;
  if (bind(s, (struct sockaddr *)&a, sizeof a) || listen(s, 16) || getsockname(s, (struct sockaddr *)&a, &al)) return -1;
  port = ntohs(a.sin_port);
  pthread_t t;
  if (pthread_create(&t, NULL, server, &s)) return -1;
  pthread_detach(t);
  return 0;
}

#endif
