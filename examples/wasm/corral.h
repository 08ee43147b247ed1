/* Host functions and constants of the corral WASM agent ABI, for agents
 * written in C or C++ and compiled with clang for wasm32 or wasm32-wasi.
 * docs/wasm-abi.md is the contract, and this header follows it name for
 * name.
 *
 * A module imports only the functions it calls, because wasm-ld drops
 * unused imports. That matters when a spawn request restricts
 * capabilities.host_functions.
 *
 * Pointers and lengths are offsets into the module's exported memory. The
 * host checks every range and traps the guest on a range outside the
 * memory. Text arguments (topics, targets) must be UTF-8. */
#ifndef CORRAL_WASM_H
#define CORRAL_WASM_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Values of the handler's kind argument. */
#define CORRAL_KIND_ONE_WAY 0
#define CORRAL_KIND_REQUEST 1
/* A reply to a request this agent sent with corral_request. */
#define CORRAL_KIND_REPLY 2
/* A request this agent sent failed, and the payload names the error. */
#define CORRAL_KIND_REQUEST_FAILED 3

/* Negative results of the host functions that return int32_t (and of
 * corral_request). 0, or a positive correlation id, means success. */
#define CORRAL_ERROR_INVALID_ARGUMENT (-1) /* not UTF-8, empty topic or target, negative timeout */
#define CORRAL_ERROR_UNKNOWN_TARGET (-2)   /* no live agent has that pid or agent_id */
#define CORRAL_ERROR_DENIED (-3)           /* refused by can_send or can_publish */
#define CORRAL_ERROR_UNDELIVERABLE (-4)    /* mailbox full or receiver exited */
#define CORRAL_ERROR_NO_REQUEST (-5)       /* no current request, or it has a reply already */
#define CORRAL_ERROR_TOO_LARGE (-6)        /* payload over CORRAL_MAX_PAYLOAD_BYTES */
#define CORRAL_ERROR_NOT_AVAILABLE (-7)    /* called from start, _initialize or corral_init */

/* Levels of corral_log. */
#define CORRAL_LOG_DEBUG 0
#define CORRAL_LOG_INFO 1
#define CORRAL_LOG_WARNING 2
#define CORRAL_LOG_ERROR 3

/* The largest payload the host accepts (16 MiB). */
#define CORRAL_MAX_PAYLOAD_BYTES (16 * 1024 * 1024)

/* On wasm targets each declaration becomes an import from module "corral".
 * Elsewhere the attribute is left out, so a native test harness can define
 * these functions and run the same agent code. */
#if defined(__wasm__)
#define CORRAL_IMPORT(name) __attribute__((import_module("corral"), import_name(name)))
#else
#define CORRAL_IMPORT(name)
#endif

/* The copy functions copy at most cap bytes and return the full length, so
 * a caller whose buffer was too small can call again with a larger one. The
 * handler's topic_len and payload_len arguments already give the lengths. */
CORRAL_IMPORT("message_topic") int32_t corral_message_topic(void *dst, int32_t cap);
CORRAL_IMPORT("message_payload") int32_t corral_message_payload(void *dst, int32_t cap);
/* Copies the sender's global pid, "node:pid". */
CORRAL_IMPORT("message_sender") int32_t corral_message_sender(void *dst, int32_t cap);
/* The correlation id of the current request, reply or failure. */
CORRAL_IMPORT("message_correlation") int64_t corral_message_correlation(void);

/* Replies to the current request, before the handler returns. A second
 * call returns CORRAL_ERROR_NO_REQUEST. */
CORRAL_IMPORT("reply") int32_t corral_reply(const void *ptr, int32_t len);

/* Sends a one-way message. target is a pid, "node:pid" or agent_id. */
CORRAL_IMPORT("send")
int32_t corral_send(const char *target, int32_t target_len, const char *topic, int32_t topic_len,
                    const void *payload, int32_t payload_len);

/* Sends a request and returns its correlation id, or a negative error. The
 * reply arrives later as a message of kind CORRAL_KIND_REPLY or
 * CORRAL_KIND_REQUEST_FAILED with the same corral_message_correlation. */
CORRAL_IMPORT("request")
int64_t corral_request(const char *target, int32_t target_len, const char *topic, int32_t topic_len,
                       const void *payload, int32_t payload_len, int32_t timeout_ms);

/* Sends to every subscriber of the topic. */
CORRAL_IMPORT("publish")
int32_t corral_publish(const char *topic, int32_t topic_len, const void *payload, int32_t payload_len);
/* Sends to every other live agent of the node. */
CORRAL_IMPORT("broadcast")
int32_t corral_broadcast(const char *topic, int32_t topic_len, const void *payload, int32_t payload_len);
CORRAL_IMPORT("subscribe") int32_t corral_subscribe(const char *topic, int32_t topic_len);
CORRAL_IMPORT("unsubscribe") int32_t corral_unsubscribe(const char *topic, int32_t topic_len);

/* Writes one node log line tagged with this agent's node, pid and
 * agent_id. level is one of CORRAL_LOG_*. */
CORRAL_IMPORT("log") void corral_log(int32_t level, const char *ptr, int32_t len);

CORRAL_IMPORT("self_pid") int64_t corral_self_pid(void);
/* Copies this agent's agent_id. */
CORRAL_IMPORT("self_id") int32_t corral_self_id(char *dst, int32_t cap);
/* Wall-clock time in milliseconds since the Unix epoch. */
CORRAL_IMPORT("now_ms") int64_t corral_now_ms(void);
/* A monotonic clock in nanoseconds, for measuring intervals. */
CORRAL_IMPORT("monotonic_ns") int64_t corral_monotonic_ns(void);

/* Ends the agent: code 0 gives exit reason normal, any other code
 * crashed{exit code N}. Does not return. */
CORRAL_IMPORT("exit") __attribute__((noreturn)) void corral_exit(int32_t code);

#undef CORRAL_IMPORT

#ifdef __cplusplus
}
#endif

#endif /* CORRAL_WASM_H */
