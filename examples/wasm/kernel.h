/* A CPU-bound benchmark kernel whose one source, kernel.c, builds both
 * natively and for wasm32, so a benchmark can compare the two on identical
 * work. */
#ifndef CORRAL_EXAMPLES_WASM_KERNEL_H
#define CORRAL_EXAMPLES_WASM_KERNEL_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Number of 32-bit values that one round generates and sorts. */
#define CORRAL_KERNEL_VALUES 10000

/* Runs rounds rounds of the kernel and returns their checksum. Each round
 * fills an array of CORRAL_KERNEL_VALUES pseudo-random values from a seed
 * that depends on the previous round's result, heap-sorts it, and folds the
 * sorted values into the checksum. The result depends only on rounds and is
 * the same on every target, so native and WASM runs can be checked against
 * each other. The array lives on the stack (40,000 bytes), so concurrent
 * calls are safe. */
uint32_t corral_kernel(uint32_t rounds);

#ifdef __cplusplus
}
#endif

#endif /* CORRAL_EXAMPLES_WASM_KERNEL_H */
