/* buf.c -- growable byte buffer and the number formatting every answer uses.
 *
 * Doubles are printed with 15 significant digits when strtod reads those back to the same value, else
 * with 17, so a value written through the API comes back bit for bit and common values stay short. */
#include "vizd/buf.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_init(vz_buf *b) { b->data = NULL; b->len = 0; b->cap = 0; }

void buf_free(vz_buf *b) { free(b->data); buf_init(b); }

char *buf_release(vz_buf *b, size_t *len)
{
    char *data = b->data;
    if (len) *len = b->len;
    buf_init(b);
    return data;
}

void buf_reserve(vz_buf *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap) return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1) cap *= 2;
    char *grown = realloc(b->data, cap);
    if (!grown) abort(); /* out of memory: nothing sensible to answer */
    b->data = grown;
    b->cap = cap;
}

void buf_append(vz_buf *b, const void *data, size_t len)
{
    buf_reserve(b, len);
    if (len) memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
}

void buf_puts(vz_buf *b, const char *s) { buf_append(b, s, strlen(s)); }

void buf_putc(vz_buf *b, char c) { buf_append(b, &c, 1); }

void buf_printf(vz_buf *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int need = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (need < 0) return;
    if ((size_t)need < sizeof small) {
        buf_append(b, small, (size_t)need);
        return;
    }
    buf_reserve(b, (size_t)need);
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)need + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)need;
}

void buf_put_int64(vz_buf *b, int64_t v)
{
    char tmp[24];
    int n = snprintf(tmp, sizeof tmp, "%lld", (long long)v);
    buf_append(b, tmp, (size_t)n);
}

/* 15 significant digits when they read back exactly (most values people log: 0.1, 1e-300, 2.5), else
 * 17, which always do. Trying 16 as well would give the shortest form in a few more cases, at the cost of
 * another printf and strtod for every 17-digit number (a float32 value widened to double, a wall time):
 * formatting is the largest cost of a reduced query, so 16 is skipped. */
static int format_exact(char *out, size_t size, double v)
{
    if (v > -9007199254740992.0 && v < 9007199254740992.0 && v == (double)(int64_t)v && !(v == 0 && signbit(v)))
        return snprintf(out, size, "%lld", (long long)v); /* whole numbers below 2^53: no float formatting */
    int n = snprintf(out, size, "%.15g", v);
    if (strtod(out, NULL) == v) return n;
    return snprintf(out, size, "%.17g", v);
}

void buf_put_plain_double(vz_buf *b, double v)
{
    if (isnan(v)) { buf_puts(b, "NaN"); return; }
    if (isinf(v)) { buf_puts(b, v > 0 ? "Infinity" : "-Infinity"); return; }
    char tmp[40];
    int n = format_exact(tmp, sizeof tmp, v);
    buf_append(b, tmp, (size_t)n);
}

void buf_put_json_double(vz_buf *b, double v)
{
    if (!isfinite(v)) {
        buf_putc(b, '"');
        buf_put_plain_double(b, v);
        buf_putc(b, '"');
        return;
    }
    buf_put_plain_double(b, v);
}

void buf_put_json_string(vz_buf *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    buf_putc(b, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': buf_puts(b, "\\\""); break;
        case '\\': buf_puts(b, "\\\\"); break;
        case '\n': buf_puts(b, "\\n"); break;
        case '\r': buf_puts(b, "\\r"); break;
        case '\t': buf_puts(b, "\\t"); break;
        default:
            if (*p < 0x20) {
                char esc[7] = {'\\', 'u', '0', '0', hex[*p >> 4], hex[*p & 15], 0};
                buf_puts(b, esc);
            } else {
                buf_putc(b, (char)*p);
            }
        }
    }
    buf_putc(b, '"');
}
