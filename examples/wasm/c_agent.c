/* A C agent built against wasi-libc as a WASI reactor. It shows that
 * ordinary libc code runs under the node: printf reaches the node log
 * through fd_write, and getenv reads the spawn request's env through
 * environ_get.
 *
 * Topics it handles as requests:
 *   greet <name>        "hello, <name>", plus " (<GREETING>)" when the
 *                       spawn request's env sets GREETING
 *   sum <integers>      the sum of whitespace-separated decimal integers,
 *                       0 for none
 *   hash <bytes>        the 64-bit FNV-1a hash of the payload in 16 hex digits
 *
 * The handler returns 1 for an unknown topic, an integer that does not
 * parse, a sum outside the int64_t range or a failed allocation, so the
 * requester gets a failure. One-way messages, including signals such as
 * $down, are only logged.
 *
 * Build:
 *   clang --target=wasm32-wasi -O2 -mexec-model=reactor c_agent.c -o c_agent.wasm */
/* asprintf is a GNU and BSD extension that wasi-libc declares only then. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corral.h"

/* Longer topics cannot match any of the topics above. */
enum { TOPIC_CAPACITY = 64, SENDER_CAPACITY = 128 };

/* Runs once at spawn, after _initialize. */
__attribute__((export_name("corral_init"))) int32_t corral_init(void) {
  /* docs/wasm-abi.md allows fd_fdstat_get to return EBADF for every fd.
   * wasi-libc then takes stdout for a file rather than a terminal and
   * buffers it fully, and a reactor never exits to flush that buffer, so
   * lines would reach the log late or never. Line buffering writes each
   * line as soon as it is complete. */
  setvbuf(stdout, NULL, _IOLBF, 0);

  const char *greeting = getenv("GREETING");
  printf("c_agent ready, GREETING %s\n", greeting ? "is set" : "is not set");
  return 0;
}

/* Compares by length because a topic may contain NUL bytes. */
static int topic_is(const char *topic, int32_t topic_len, const char *name) {
  return (size_t)topic_len == strlen(name) && memcmp(topic, name, (size_t)topic_len) == 0;
}

static int is_separator(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Replies with the C string text. Returns the handler's result: 0, or 1
 * when the host rejected the reply. */
static int32_t reply_text(const char *text) {
  return corral_reply(text, (int32_t)strlen(text)) < 0 ? 1 : 0;
}

static int32_t handle_greet(const char *payload, int32_t payload_len) {
  const char *greeting = getenv("GREETING");
  char *text = NULL;
  int length;

  /* %.*s copies the name by length, so a payload that contains NUL
   * bytes is cut there instead of being read past its end. */
  if (greeting)
    length = asprintf(&text, "hello, %.*s (%s)", (int)payload_len, payload, greeting);
  else
    length = asprintf(&text, "hello, %.*s", (int)payload_len, payload);
  if (length < 0)
    return 1;

  int32_t result = corral_reply(text, length) < 0 ? 1 : 0;
  free(text);
  return result;
}

/* payload must have a NUL byte at payload_len. */
static int32_t handle_sum(const char *payload, int32_t payload_len) {
  const char *payload_end = payload + payload_len;
  const char *cursor = payload;
  int64_t sum = 0;

  for (;;) {
    while (is_separator(*cursor))
      ++cursor;
    if (cursor == payload_end)
      break;

    /* strtoll stops at a NUL byte inside the payload, and "12ab" would
     * read as 12, so both checks after it reject what it did not consume. */
    char *end;
    errno = 0;
    long long value = strtoll(cursor, &end, 10);
    if (end == cursor || errno == ERANGE || (end != payload_end && !is_separator(*end))) {
      fprintf(stderr, "sum: invalid integer at byte %td\n", cursor - payload);
      return 1;
    }
    if (__builtin_add_overflow(sum, (int64_t)value, &sum)) {
      fprintf(stderr, "sum: result is outside the int64_t range\n");
      return 1;
    }
    cursor = end;
  }

  char text[24];
  snprintf(text, sizeof text, "%" PRId64, sum);
  return reply_text(text);
}

/* 64-bit FNV-1a, chosen because it is short and its constants are public.
 * It is not a cryptographic hash. */
static int32_t handle_hash(const char *payload, int32_t payload_len) {
  uint64_t hash = 0xcbf29ce484222325u;
  for (int32_t i = 0; i < payload_len; ++i) {
    hash ^= (unsigned char)payload[i];
    hash *= 0x100000001b3u;
  }

  char text[17];
  snprintf(text, sizeof text, "%016" PRIx64, hash);
  return reply_text(text);
}

static int32_t handle_request(const char *topic, int32_t topic_len, char *payload,
                              int32_t payload_len) {
  if (topic_is(topic, topic_len, "greet"))
    return handle_greet(payload, payload_len);
  if (topic_is(topic, topic_len, "sum"))
    return handle_sum(payload, payload_len);
  if (topic_is(topic, topic_len, "hash"))
    return handle_hash(payload, payload_len);

  fprintf(stderr, "unknown topic \"%s\"\n", topic);
  return 1;
}

/* Copies the sender's global pid as a C string, cut to fit sender. */
static void copy_sender(char *sender, int32_t capacity) {
  int32_t length = corral_message_sender(sender, capacity - 1);
  if (length > capacity - 1)
    length = capacity - 1;
  sender[length < 0 ? 0 : length] = '\0';
}

__attribute__((export_name("corral_on_message")))
int32_t corral_on_message(int32_t kind, int32_t topic_len, int32_t payload_len) {
  char topic[TOPIC_CAPACITY];
  char sender[SENDER_CAPACITY];

  /* Kinds 2 and 3 carry replies to requests, which this agent never sends. */
  if (kind != CORRAL_KIND_ONE_WAY && kind != CORRAL_KIND_REQUEST)
    return 0;

  copy_sender(sender, SENDER_CAPACITY);

  if (topic_len >= TOPIC_CAPACITY) {
    fprintf(stderr, "topic of %" PRId32 " bytes from %s is too long (max %d)\n", topic_len,
            sender, TOPIC_CAPACITY - 1);
    return kind == CORRAL_KIND_REQUEST ? 1 : 0;
  }
  corral_message_topic(topic, topic_len);
  topic[topic_len] = '\0';

  if (kind == CORRAL_KIND_ONE_WAY) {
    printf("one-way \"%s\" from %s ignored\n", topic, sender);
    return 0;
  }
  printf("request \"%s\" from %s, %" PRId32 " payload bytes\n", topic, sender, payload_len);

  /* One byte more than the payload ends it with a NUL for strtoll. A
   * payload larger than the memory limit allows ends the agent with
   * limit_exceeded{memory} inside malloc instead of returning NULL. */
  char *payload = malloc((size_t)payload_len + 1);
  if (!payload) {
    fprintf(stderr, "malloc failed for a payload of %" PRId32 " bytes\n", payload_len);
    return 1;
  }
  corral_message_payload(payload, payload_len);
  payload[payload_len] = '\0';

  int32_t result = handle_request(topic, topic_len, payload, payload_len);
  free(payload);
  return result;
}
