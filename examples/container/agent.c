/* A corral container agent in C, linked statically so that the image needs
 * no libc. It reads one JSON line per message from stdin and writes its
 * lines to stdout (docs/container-protocol.md). Requests by topic:
 *
 *   echo     replies with the payload
 *   env      replies with the value of the environment variable named in
 *            the payload
 *   alloc    touches the number of MiB in the payload, then replies "done"
 *   connect  tries TCP to the "IPv4:port" in the payload and replies
 *            "connected" or "failed: <reason>"
 *   ask      requests "echo" from the agent named in the payload and
 *            replies with that agent's reply
 *   tell     sends "hello from a container" with topic "note" to the agent
 *            named in the payload, then replies "sent"
 *   exit     exits with the code in the payload
 *
 * It parses only the fields it needs and assumes payloads without escape
 * sequences, which is enough for an example; agents in other languages use
 * a JSON library. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum { max_line = 1 << 20 };

static char line[max_line];
static char topic[4096];
static char payload[65536];

/* Copies the JSON string value of `key` into `out`; returns 0 when the
 * line has no such field. */
static int string_field(const char *text, const char *key, char *out,
                        size_t size) {
  char pattern[64];
  snprintf(pattern, sizeof pattern, "\"%s\":\"", key);
  const char *start = strstr(text, pattern);
  if (start == NULL)
    return 0;
  start += strlen(pattern);
  size_t n = 0;
  while (start[n] != '\0' && start[n] != '"' && n + 1 < size) {
    out[n] = start[n];
    ++n;
  }
  out[n] = '\0';
  return 1;
}

static unsigned long number_field(const char *text, const char *key) {
  char pattern[64];
  snprintf(pattern, sizeof pattern, "\"%s\":", key);
  const char *start = strstr(text, pattern);
  return start == NULL ? 0 : strtoul(start + strlen(pattern), NULL, 10);
}

static void reply(unsigned long id, const char *text) {
  printf("{\"type\":\"reply\",\"id\":%lu,\"payload\":\"%s\"}\n", id, text);
  fflush(stdout);
}

static void do_alloc(unsigned long id, const char *mib) {
  size_t bytes = strtoul(mib, NULL, 10) << 20;
  char *block = malloc(bytes);
  if (block == NULL) {
    reply(id, "malloc failed");
    return;
  }
  for (size_t i = 0; i < bytes; i += 4096)
    block[i] = 1;
  reply(id, "done");
  free(block);
}

static void do_connect(unsigned long id, const char *address) {
  char host[64];
  const char *colon = strchr(address, ':');
  if (colon == NULL || (size_t)(colon - address) >= sizeof host) {
    reply(id, "failed: payload is not IPv4:port");
    return;
  }
  memcpy(host, address, (size_t)(colon - address));
  host[colon - address] = '\0';
  struct sockaddr_in target;
  memset(&target, 0, sizeof target);
  target.sin_family = AF_INET;
  target.sin_port = htons((unsigned short)atoi(colon + 1));
  if (inet_pton(AF_INET, host, &target.sin_addr) != 1) {
    reply(id, "failed: invalid IPv4 address");
    return;
  }
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  char answer[128];
  if (fd < 0) {
    snprintf(answer, sizeof answer, "failed: socket: %s", strerror(errno));
  } else if (connect(fd, (struct sockaddr *)&target, sizeof target) != 0) {
    snprintf(answer, sizeof answer, "failed: %s", strerror(errno));
  } else {
    snprintf(answer, sizeof answer, "connected");
  }
  if (fd >= 0)
    close(fd);
  reply(id, answer);
}

/* Requests "echo" from `target` and waits for the node's response line;
 * message lines that arrive meanwhile are not expected in this example
 * and are dropped. */
static void do_ask(unsigned long id, const char *target) {
  printf("{\"type\":\"request\",\"ref\":1,\"to\":\"%s\",\"topic\":\"echo\","
         "\"payload\":\"asked by a container\",\"timeout_ms\":5000}\n",
         target);
  fflush(stdout);
  while (fgets(line, sizeof line, stdin) != NULL) {
    if (strstr(line, "\"type\":\"response\"") == NULL)
      continue;
    char answer[4096];
    if (string_field(line, "payload", answer, sizeof answer))
      reply(id, answer);
    else
      reply(id, "request failed");
    return;
  }
}

static void do_tell(unsigned long id, const char *target) {
  printf("{\"type\":\"send\",\"to\":\"%s\",\"topic\":\"note\","
         "\"payload\":\"hello from a container\"}\n",
         target);
  reply(id, "sent");
}

static void handle(void) {
  unsigned long id = number_field(line, "id");
  if (!string_field(line, "topic", topic, sizeof topic))
    return;
  if (!string_field(line, "payload", payload, sizeof payload))
    payload[0] = '\0';
  if (strcmp(topic, "exit") == 0)
    exit(atoi(payload));
  if (id == 0)
    return;
  if (strcmp(topic, "echo") == 0) {
    reply(id, payload);
  } else if (strcmp(topic, "env") == 0) {
    const char *value = getenv(payload);
    reply(id, value ? value : "");
  } else if (strcmp(topic, "alloc") == 0) {
    do_alloc(id, payload);
  } else if (strcmp(topic, "connect") == 0) {
    do_connect(id, payload);
  } else if (strcmp(topic, "ask") == 0) {
    do_ask(id, payload);
  } else if (strcmp(topic, "tell") == 0) {
    do_tell(id, payload);
  } else {
    printf("{\"type\":\"error\",\"id\":%lu,\"message\":\"unknown topic\"}\n",
           id);
    fflush(stdout);
  }
}

int main(void) {
  printf("{\"type\":\"ready\"}\n");
  fflush(stdout);
  while (fgets(line, sizeof line, stdin) != NULL) {
    if (strstr(line, "\"type\":\"shutdown\"") != NULL)
      return 0;
    if (strstr(line, "\"type\":\"message\"") != NULL)
      handle();
  }
  return 0;
}
