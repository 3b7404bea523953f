/* bincol.h -- the byte encodings of the binary columnar answer (GET /api/v1/scalars?format=binary).
 *
 * The answer's layout (frames of a JSON header and columns) is written by api_scalars.c, on the same
 * path as the JSON columns; what is here turns one number into its bytes: steps as LEB128 varints of
 * zigzagged deltas, values as little-endian IEEE 754 float32 or float64. Every function writes bytes,
 * never text, and whatever the host's byte order, the answer is little-endian. */
#ifndef VIZD_BINCOL_H
#define VIZD_BINCOL_H

#include <stdbool.h>
#include <stdint.h>

#include "vizd/buf.h"

/* The first four bytes of every binary columnar answer; the digit is the layout's version. */
#define BINCOL_MAGIC "VZC1"
#define BINCOL_MEDIA_TYPE "application/vnd.vizd.columns"
/* The most bytes one LEB128 varint of a uint64 takes: ceil(64 / 7). */
#define BINCOL_MAX_VARINT_BYTES 10

/* Small magnitudes of either sign to small unsigned numbers: 0, -1, 1, -2 ... -> 0, 1, 2, 3 ... */
uint64_t bincol_zigzag(int64_t v);
/* The difference step - previous as the int64 whose zigzag is sent: computed modulo 2^64, so any two
 * steps (INT64_MIN after INT64_MAX too) give a delta the decoder adds back modulo 2^64. */
int64_t bincol_step_delta(int64_t step, int64_t previous);
/* v as unsigned LEB128: 7 bits a byte, least significant first, the high bit set on all but the last.
 * Writes at most BINCOL_MAX_VARINT_BYTES into out; returns how many. */
size_t bincol_varint(uint8_t out[BINCOL_MAX_VARINT_BYTES], uint64_t v);

/* Whether v survives double -> float -> double bit for bit (NaN payloads and -0 included), so that
 * four bytes carry it exactly. */
bool bincol_is_float32(double v);

/* Appenders; like buf's, they leave a failed buffer failed. */
void bincol_put_u32(vz_buf *b, uint32_t v);
void bincol_put_varint(vz_buf *b, uint64_t v);
/* v as float32: only for a value bincol_is_float32 accepts. */
void bincol_put_float32(vz_buf *b, double v);
void bincol_put_float64(vz_buf *b, double v);

#endif
