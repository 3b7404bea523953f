/* error.h -- errors as values.
 *
 * A function that can fail returns 0 on success or -1 and fills a vz_error. The error carries the HTTP
 * status it should become, a machine-readable code, the JSON path of the offending field (empty when the
 * error is not about a field) and a human message. Only http.c turns it into an answer. */
#ifndef VIZD_ERROR_H
#define VIZD_ERROR_H

typedef struct {
    int status;          /* HTTP status this error maps to: 400, 404, 413, 500 ... */
    char code[32];       /* "invalid_value", "not_found", "body_too_large" ... */
    char path[160];      /* "scalars[3].value", or "" */
    char message[320];   /* "scalars[3].value: expected a number" */
} vz_error;

/* Fill err. The message is formatted; when path is non-empty it is prefixed as "path: ". Returns -1 so
 * callers can write `return vz_fail(err, ...)`. err may be NULL. */
int vz_fail(vz_error *err, int status, const char *code, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* The one out-of-memory policy: a request that cannot get the memory it needs is answered 503
 * "out_of_memory" (it may succeed later, when other requests are done) and vizd keeps serving; no request
 * path aborts. what names what was being built ("a blob", "the answer"). Returns -1. */
int vz_out_of_memory(vz_error *err, const char *what);

#endif
