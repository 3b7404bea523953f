/* crc32c.h -- CRC32C (Castagnoli), the checksum of TFRecord framing, at memory speed.
 *
 * Two implementations giving the same value: slicing-by-8 in portable C, and the SSE4.2 crc32
 * instruction on x86-64 processors that have it. crc32c() uses the instruction when the processor has it
 * (decided once), else the portable one; both are offered so the tests can hold them to the same vectors. */
#ifndef VIZD_CRC32C_H
#define VIZD_CRC32C_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

uint32_t crc32c(const void *data, size_t size);
uint32_t crc32c_portable(const void *data, size_t size);
/* Only when crc32c_has_sse42(); elsewhere it is crc32c_portable. */
uint32_t crc32c_sse42(const void *data, size_t size);
bool crc32c_has_sse42(void);

#endif
