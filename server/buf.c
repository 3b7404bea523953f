/* buf.c -- growable byte buffer and the number writers every answer uses.
 *
 * Doubles are printed in the fewest significant digits that strtod reads back to the same value
 * (numfmt.c), so a value written through the API comes back bit for bit and common values stay short. */
#include "vizd/buf.h"

#include "vizd/numfmt.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_init(vz_buf *b) { buf_init_limited(b, 0); }

void buf_init_limited(vz_buf *b, size_t limit)
{
    *b = (vz_buf){.data = NULL, .len = 0, .cap = 0, .limit = limit};
}

void buf_free(vz_buf *b)
{
    free(b->data);
    buf_init_limited(b, b->limit);
}

char *buf_release(vz_buf *b, size_t *len)
{
    char *data = b->data;
    if (len) *len = b->len;
    buf_init_limited(b, b->limit);
    return data;
}

static size_t buf_limit(const vz_buf *b) { return b->limit ? b->limit : VZ_BUF_DEFAULT_LIMIT; }

int buf_reserve(vz_buf *b, size_t extra)
{
    if (b->is_failed) return -1;
    if (extra > buf_limit(b) - b->len) { /* checked first: len + extra cannot overflow below */
        b->is_failed = b->is_over_limit = true;
        return -1;
    }
    if (b->len + extra + 1 <= b->cap) return 0;
    size_t need = b->len + extra + 1, cap = b->cap ? b->cap : 256;
    while (cap < need) cap *= 2;
    if (cap > buf_limit(b) + 1) cap = buf_limit(b) + 1; /* doubling must not ask for more than the limit */
    char *grown = realloc(b->data, cap);
    if (!grown) {
        b->is_failed = true;
        return -1;
    }
    b->data = grown;
    b->cap = cap;
    return 0;
}

int buf_append(vz_buf *b, const void *data, size_t len)
{
    if (buf_reserve(b, len) < 0) return -1;
    if (len) memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

int buf_puts(vz_buf *b, const char *s) { return buf_append(b, s, strlen(s)); }

int buf_putc(vz_buf *b, char c) { return buf_append(b, &c, 1); }

int buf_check(const vz_buf *b, const char *what, vz_error *err)
{
    if (!b->is_failed) return 0;
    if (b->is_over_limit)
        return vz_fail(err, 413, "too_large", "", "%s would be larger than %zu bytes; ask for less", what,
                       buf_limit(b));
    return vz_out_of_memory(err, what);
}

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
    if (buf_reserve(b, (size_t)need) < 0) return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)need + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)need;
}

void buf_put_int64(vz_buf *b, int64_t v)
{
    char tmp[NUMFMT_MAX_BYTES];
    buf_append(b, tmp, numfmt_int64(tmp, v));
}

void buf_put_plain_double(vz_buf *b, double v)
{
    if (isnan(v)) { buf_puts(b, "NaN"); return; }
    if (isinf(v)) { buf_puts(b, v > 0 ? "Infinity" : "-Infinity"); return; }
    char tmp[NUMFMT_MAX_BYTES];
    buf_append(b, tmp, numfmt_double(tmp, v));
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
