/* bincol.c -- the byte encodings of the binary columnar answer (format=binary): varints, zigzag,
 * little-endian floats.
 *
 * A reduced answer's steps are increasing and mostly evenly spaced, so the difference from the previous
 * step is small and its varint is one or two bytes; zigzag keeps a negative first step (or a decreasing
 * pair, which the layout allows) small too. Values logged from float32 (every loss a framework reports
 * as a float tensor) are exact in four bytes instead of eight, which is half of what a JSON answer
 * spends on the 17 digits their widened doubles need. Floats are written from their bit patterns with
 * shifts, so the bytes are little-endian on any host. */
#include "vizd/bincol.h"

#include <float.h>
#include <math.h>
#include <string.h>

uint64_t bincol_zigzag(int64_t v)
{
    /* (v << 1) ^ (v >> 63) without shifting a negative signed value: the sign fills every bit. */
    uint64_t u = (uint64_t)v;
    return (u << 1) ^ (v < 0 ? UINT64_MAX : 0);
}

int64_t bincol_step_delta(int64_t step, int64_t previous)
{
    uint64_t difference = (uint64_t)step - (uint64_t)previous;
    /* Back to a signed value without the implementation-defined conversion of one above INT64_MAX. */
    int64_t delta;
    memcpy(&delta, &difference, sizeof delta);
    return delta;
}

size_t bincol_varint(uint8_t out[BINCOL_MAX_VARINT_BYTES], uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        out[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    out[n++] = (uint8_t)v;
    return n;
}

bool bincol_is_float32(double v)
{
    /* A finite double beyond float's range has no float value (converting it is undefined behaviour);
     * the infinities and NaN convert. */
    if (isfinite(v) && fabs(v) > FLT_MAX) return false;
    double back = (double)(float)v;
    return memcmp(&back, &v, sizeof v) == 0;
}

static void put_little_endian(vz_buf *b, uint64_t bits, size_t bytes)
{
    uint8_t out[8];
    for (size_t i = 0; i < bytes; i++) out[i] = (uint8_t)(bits >> (8 * i));
    buf_append(b, out, bytes);
}

void bincol_put_u32(vz_buf *b, uint32_t v) { put_little_endian(b, v, 4); }

void bincol_put_varint(vz_buf *b, uint64_t v)
{
    uint8_t out[BINCOL_MAX_VARINT_BYTES];
    buf_append(b, out, bincol_varint(out, v));
}

void bincol_put_float32(vz_buf *b, double v)
{
    float f = (float)v;
    uint32_t bits;
    memcpy(&bits, &f, sizeof bits);
    put_little_endian(b, bits, 4);
}

void bincol_put_float64(vz_buf *b, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    put_little_endian(b, bits, 8);
}
