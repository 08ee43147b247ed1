/* Wraps the benchmark kernel of kernel.c as a freestanding corral agent, so
 * a benchmark can time the same work natively and under the WASM backend.
 *
 *   run <rounds>   replies with corral_kernel(rounds) in decimal. rounds
 *                  is a decimal from 0 to 4294967295 of at most 16 bytes.
 *
 * The handler returns 1 for an invalid rounds value or an unknown topic,
 * so the requester gets a failure. It ignores one-way messages.
 *
 * There is no libc, so the module imports nothing but the corral functions
 * it calls. Build (kernel.c is linked, not included, so the native
 * benchmark compiles kernel.c alone):
 *   clang --target=wasm32 -O2 -ffreestanding -nostdlib -Wl,--no-entry \
 *     -Wl,--export=corral_kernel -Wl,--stack-first -Wl,-z,stack-size=131072 \
 *     kernel_agent.c kernel.c -o kernel_agent.wasm
 *
 * One round executes about 7.9 million instructions (clang 14 -O2, counted
 * with wabt 1.0.32's wasm-interp --trace), so the default fuel_per_message
 * of 100,000,000 instructions covers about 12 rounds per request. Natively
 * a round took about 0.6 ms (gcc 12 -O2, x86-64). */
#include <stdint.h>

#include "corral.h"
#include "kernel.h"

/* "4294967295" has 10 digits, and the other 6 bytes allow leading zeros. */
enum { PAYLOAD_CAPACITY = 16 };

/* Parses a decimal into *rounds. Returns 0 on success and -1 for an empty
 * text, a non-digit or a value above UINT32_MAX. */
static int parse_rounds(const char *text, int32_t length, uint32_t *rounds) {
  uint64_t value = 0;

  if (length <= 0)
    return -1;
  for (int32_t i = 0; i < length; ++i) {
    if (text[i] < '0' || text[i] > '9')
      return -1;
    value = value * 10 + (uint64_t)(text[i] - '0');
    /* Checking every step keeps value far below 2^64. */
    if (value > UINT32_MAX)
      return -1;
  }
  *rounds = (uint32_t)value;
  return 0;
}

/* Writes value in decimal to the end of text[0, 10) and returns the index
 * of its first digit. */
static int32_t format_decimal(uint32_t value, char text[10]) {
  int32_t start = 10;
  do {
    text[--start] = (char)('0' + value % 10);
    value /= 10;
  } while (value != 0);
  return start;
}

__attribute__((export_name("corral_on_message")))
int32_t corral_on_message(int32_t kind, int32_t topic_len, int32_t payload_len) {
  char topic[3];
  char payload[PAYLOAD_CAPACITY];
  uint32_t rounds;
  char text[10];

  if (kind != CORRAL_KIND_REQUEST)
    return 0;

  /* The only topic is "run", so a topic of another length cannot match. */
  if (topic_len != 3)
    return 1;
  corral_message_topic(topic, 3);
  if (topic[0] != 'r' || topic[1] != 'u' || topic[2] != 'n')
    return 1;

  if (payload_len > PAYLOAD_CAPACITY)
    return 1;
  corral_message_payload(payload, payload_len);
  if (parse_rounds(payload, payload_len, &rounds) != 0)
    return 1;

  int32_t start = format_decimal(corral_kernel(rounds), text);
  return corral_reply(text + start, 10 - start) < 0 ? 1 : 0;
}
