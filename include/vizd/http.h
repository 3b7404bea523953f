/* http.h -- the HTTP layer: the daemon's listener, the routing table, request and answer objects.
 *
 * Handlers see a parsed request (method, path, query, whole body) and fill an answer, or return -1 with a
 * vz_error that http.c turns into the JSON error answer. Nothing of libmicrohttpd leaks out: a streaming
 * answer (Server-Sent Events) gets an opaque http_conn it may suspend while it has nothing to send. */
#ifndef VIZD_HTTP_H
#define VIZD_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "vizd/buf.h"
#include "vizd/error.h"

typedef struct vz_app vz_app;
typedef struct http_conn http_conn;
typedef struct http_server http_server;

typedef struct {
    http_conn *conn;
    const char *method;
    const char *path;
    const char *body;
    size_t body_len;
    void *state; /* http.c's own, for http_defer */
} http_request;

/* A streaming answer: read() is called whenever the client can take more bytes. It returns how many it
 * wrote into buf (at most max), or 0 after suspending conn (it must then arrange for http_resume), or
 * HTTP_STREAM_END to end the stream, or HTTP_STREAM_FAILED to cut it off as failed (the client sees an
 * incomplete answer, never a complete-looking one). done() frees ctx when the connection closes, also
 * when the client went away first: that is how a stream learns to stop its work. */
#define HTTP_STREAM_END (-1)
#define HTTP_STREAM_FAILED (-2)
typedef struct {
    ssize_t (*read)(void *ctx, http_conn *conn, char *buf, size_t max);
    void (*done)(void *ctx);
    void *ctx;
    size_t block_bytes; /* most bytes asked of read() at once; 0: 4096 */
} http_stream;

typedef struct {
    int status;
    const char *content_type; /* a static string */
    vz_buf body;
    char etag[72];            /* "" or a quoted strong ETag */
    const char *cache_control;
    const char *content_disposition_name; /* non-NULL: offer the body as a download of that name */
    http_stream stream;       /* stream.read non-NULL: a streaming answer instead of body */
} http_response;

/* An answer produced a piece at a time, as the client takes it (a streaming answer built on http_stream):
 * produce() appends the next piece to out (which holds at most piece_limit bytes) and sets *is_done after
 * the last one; it is called again only once the client has taken everything before. An error after the
 * first piece cuts the answer off as incomplete. free_ctx(ctx) runs when the connection closes, also when
 * the client went away first. */
typedef int (*http_producer)(void *ctx, vz_buf *out, bool *is_done, vz_error *err);
int http_answer_produced(http_response *res, const char *content_type, http_producer produce,
                         void (*free_ctx)(void *ctx), void *ctx, size_t piece_limit, vz_error *err);

typedef int (*http_handler)(vz_app *app, const http_request *req, http_response *res, vz_error *err);

/* A handler whose answer waits for work done on another thread (a write waiting for its group commit) need
 * not hold its thread meanwhile: it calls http_defer(req) before handing the work over, and returns 0.
 * Whoever finishes the work fills res (or the err the handler was given) as the handler would have, then
 * calls http_deferred_done with the handler's result; the answer is sent from there, and only from there,
 * also when handing the work over failed. res and err stay valid until then. */
typedef struct http_deferred http_deferred;
http_deferred *http_defer(const http_request *req);
void http_deferred_done(http_deferred *deferred, int rc);

typedef struct {
    const char *host;
    int port;
    size_t max_body_bytes;
    unsigned threads;
    unsigned max_connections;        /* open connections at once, event streams included */
    unsigned max_connections_per_ip; /* of those, from one client address; 0: no cap */
    const char *const *allowed_hosts; /* names the Host header may carry besides addresses and localhost */
    size_t allowed_host_count;
} http_options;

/* Start listening; a port in use or a bad address is an error naming it. */
int http_start(http_server **out, vz_app *app, const http_options *options, vz_error *err);
/* Stop accepting, let in-flight requests finish, close every connection. */
void http_stop(http_server *server);

/* The first value of a query parameter, or NULL. */
const char *http_query(const http_request *req, const char *key);
#define VZ_MAX_RUNS_PER_QUERY 256

/* Every value of a repeated name parameter (run=a&run=b), in order: at least one, at most max (more is
 * a 400 too_many_items naming key, never a silent cut), each following the name rules; errors name key. */
int http_query_names(const http_request *req, const char *key, const char **values, size_t max, size_t *count,
                     vz_error *err);
/* An integer query parameter, or fallback when absent; anything but a whole int64 is an error naming key. */
int http_query_int64(const http_request *req, const char *key, int64_t fallback, int64_t *out, vz_error *err);
/* The optional wall_time query parameter of a raw upload (finite seconds since the epoch), else fallback. */
int http_query_wall_time(const http_request *req, double fallback, double *out, vz_error *err);
/* A required run or tag name from the query: missing_field, or the name rules, naming key. */
int http_query_name(const http_request *req, const char *key, const char **out, vz_error *err);
const char *http_header(const http_request *req, const char *name);

/* Whether an If-None-Match header (a list, weak forms, or "*") matches a strong ETag. */
bool http_etag_matches(const char *if_none_match, const char *etag);

void http_suspend(http_conn *conn);
void http_resume(http_conn *conn);
/* Whether the client of a suspended connection has closed its end (or the connection failed): a suspended
 * connection is not watched by the listener, so its owner asks. Safe from any thread while the connection
 * is suspended. */
bool http_peer_has_closed(http_conn *conn);

/* Convenience for handlers: a JSON body from a buffer the handler built. */
void http_set_json(http_response *res, int status);
/* A 200 JSON answer holding value (written with json_write), whose reference it takes. Returns 0. */
int http_answer_json(http_response *res, json_t *value);

#endif
