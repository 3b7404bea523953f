/* error.c -- filling a vz_error (see error.h). */
#include "vizd/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* The length of the valid UTF-8 sequence at s (at most left bytes), or 0 when there is none. */
static size_t utf8_sequence_length(const unsigned char *s, size_t left)
{
    unsigned c = s[0];
    size_t extra;
    unsigned min;
    if (c < 0x80) return 1;
    if ((c & 0xE0) == 0xC0) { extra = 1; min = 0x80; c &= 0x1F; }
    else if ((c & 0xF0) == 0xE0) { extra = 2; min = 0x800; c &= 0x0F; }
    else if ((c & 0xF8) == 0xF0) { extra = 3; min = 0x10000; c &= 0x07; }
    else return 0;
    if (left <= extra) return 0;
    for (size_t i = 1; i <= extra; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        c = (c << 6) | (s[i] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0; /* overlong, surrogate */
    return extra + 1;
}

/* Make s valid UTF-8 in place: an error may quote what a client sent (a URL, a name) and may have cut it
 * to fit, but every answer must be valid JSON text. A character cut at the end is dropped; any other
 * invalid byte becomes '?'. */
static void repair_utf8(char *s)
{
    unsigned char *p = (unsigned char *)s;
    size_t left = strlen(s);
    while (left) {
        size_t n = utf8_sequence_length(p, left);
        if (n == 0) {
            size_t tail = 1; /* a lead byte whose continuation bytes run to the end: a cut character */
            while (tail < left && tail < 4 && (p[tail] & 0xC0) == 0x80) tail++;
            if (p[0] >= 0xC0 && tail == left) {
                *p = '\0';
                return;
            }
            *p = '?';
            n = 1;
        }
        p += n;
        left -= n;
    }
}

/* Copy text after the first used bytes of dst, cutting it to fit; returns the new length. */
static size_t append_cut(char *dst, size_t used, size_t size, const char *text)
{
    size_t n = strlen(text);
    if (n > size - 1 - used) n = size - 1 - used;
    memcpy(dst + used, text, n);
    dst[used + n] = '\0';
    return used + n;
}

int vz_fail(vz_error *err, int status, const char *code, const char *path, const char *fmt, ...)
{
    if (!err) return -1;
    err->status = status;
    snprintf(err->code, sizeof err->code, "%s", code);
    snprintf(err->path, sizeof err->path, "%s", path ? path : "");
    repair_utf8(err->path); /* before the message quotes it */
    char detail[sizeof err->message];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    /* "path: detail", cut to fit: a long message is still better than none. */
    size_t used = 0;
    if (err->path[0]) used = append_cut(err->message, used, sizeof err->message, err->path);
    if (err->path[0]) used = append_cut(err->message, used, sizeof err->message, ": ");
    append_cut(err->message, used, sizeof err->message, detail);
    repair_utf8(err->code);
    repair_utf8(err->message);
    return -1;
}

int vz_out_of_memory(vz_error *err, const char *what)
{
    return vz_fail(err, 503, "out_of_memory", "", "not enough memory for %s; try again later", what);
}
