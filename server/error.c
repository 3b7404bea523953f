/* error.c -- filling a vz_error (see error.h). */
#include "vizd/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

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
    return -1;
}
