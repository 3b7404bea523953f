/* events.c -- live events for open dashboards (GET /api/v1/events, Server-Sent Events).
 *
 * The store calls events_publish_write on its writer thread after each commit. The hub formats one SSE
 * frame per write, keeps the last EVENT_RING of them in a ring numbered by a sequence counter, and wakes
 * every stream. A stream remembers the next sequence number it has to send; when it has sent everything
 * it suspends its connection (under the hub lock, so a publish cannot slip between "nothing to send" and
 * "suspended"), and so costs no thread and no CPU while idle.
 *
 * A stream that falls more than EVENT_RING events behind (its client reads too slowly) is ended rather
 * than silently skipped ahead: the browser reconnects by itself and the dashboard refreshes what it
 * shows on every reconnection, so it misses nothing.
 *
 * A timer thread ticks every second. It looks at each suspended stream's socket: a suspended connection
 * is not watched by libmicrohttpd, so a client that went away would otherwise keep its connection (and a
 * slot under the connection caps) until the next ping; such a stream is resumed and ended. Every
 * PING_INTERVAL_S it wakes every stream to send a comment line. */
#include "vizd/events.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define EVENT_RING 1024
#define PING_INTERVAL_S 15
#define TICK_S 1
/* A stream copies events from the ring into its own buffer up to this much at a time: a slow reader
 * holds at most this (plus one event) of its own, the rest stays in the ring it shares. */
#define PENDING_LIMIT_BYTES (64 * 1024)

typedef struct event_stream {
    events_hub *hub;
    http_conn *conn;
    uint64_t next_seq;
    bool is_suspended, is_ping_due, has_greeted, is_ending;
    vz_buf pending;
    size_t pending_sent;
    struct event_stream *prev, *next;
} event_stream;

struct events_hub {
    pthread_mutex_t lock;
    pthread_cond_t wake_timer;
    pthread_t timer_thread;
    bool is_shutting_down;
    uint64_t seq; /* number of events published so far */
    char *ring[EVENT_RING];
    event_stream *streams;
};

static void resume_all_locked(events_hub *hub, bool ping)
{
    for (event_stream *s = hub->streams; s; s = s->next) {
        if (ping) s->is_ping_due = true;
        if (s->is_suspended) {
            s->is_suspended = false;
            http_resume(s->conn);
        }
    }
}

/* Resume and end every suspended stream whose client has closed its end. */
static void end_abandoned_locked(events_hub *hub)
{
    for (event_stream *s = hub->streams; s; s = s->next) {
        if (!s->is_suspended || !http_peer_has_closed(s->conn)) continue;
        s->is_ending = true;
        s->is_suspended = false;
        http_resume(s->conn);
    }
}

static void *timer_main(void *arg)
{
    events_hub *hub = arg;
    pthread_mutex_lock(&hub->lock);
    for (unsigned tick = 1; !hub->is_shutting_down; tick++) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += TICK_S;
        int rc = 0;
        while (!hub->is_shutting_down && rc != ETIMEDOUT)
            rc = pthread_cond_timedwait(&hub->wake_timer, &hub->lock, &until);
        if (hub->is_shutting_down) break;
        if (tick % (PING_INTERVAL_S / TICK_S) == 0) resume_all_locked(hub, true);
        else end_abandoned_locked(hub);
    }
    pthread_mutex_unlock(&hub->lock);
    return NULL;
}

events_hub *events_create(void)
{
    events_hub *hub = calloc(1, sizeof *hub);
    if (!hub) return NULL;
    pthread_mutex_init(&hub->lock, NULL);
    pthread_cond_init(&hub->wake_timer, NULL);
    if (pthread_create(&hub->timer_thread, NULL, timer_main, hub) != 0) {
        free(hub);
        return NULL;
    }
    return hub;
}

int events_shutdown(events_hub *hub)
{
    int open_streams = 0;
    pthread_mutex_lock(&hub->lock);
    for (event_stream *s = hub->streams; s; s = s->next) open_streams++;
    hub->is_shutting_down = true;
    resume_all_locked(hub, false);
    pthread_cond_signal(&hub->wake_timer);
    pthread_mutex_unlock(&hub->lock);
    pthread_join(hub->timer_thread, NULL);
    return open_streams;
}

void events_destroy(events_hub *hub)
{
    if (!hub) return;
    for (int i = 0; i < EVENT_RING; i++) free(hub->ring[i]);
    pthread_mutex_destroy(&hub->lock);
    pthread_cond_destroy(&hub->wake_timer);
    free(hub);
}

static char *format_write_event(const vz_write *w)
{
    char *data = write_event_data(w, 0);
    if (!data) return NULL;
    vz_buf b;
    buf_init(&b);
    buf_puts(&b, "event: write\ndata: ");
    buf_puts(&b, data);
    buf_puts(&b, "\n\n");
    free(data);
    return buf_release(&b, NULL);
}

static void publish_frame(events_hub *hub, char *frame)
{
    pthread_mutex_lock(&hub->lock);
    char **slot = &hub->ring[hub->seq % EVENT_RING];
    free(*slot);
    *slot = frame;
    hub->seq++;
    resume_all_locked(hub, false);
    pthread_mutex_unlock(&hub->lock);
}

void events_publish_write(void *ctx, const vz_write *write) { publish_frame(ctx, format_write_event(write)); }

void events_publish_remote(events_hub *hub, const char *event, const char *data)
{
    vz_buf b;
    buf_init(&b);
    buf_puts(&b, "event: ");
    buf_puts(&b, event);
    buf_puts(&b, "\ndata: ");
    buf_puts(&b, data);
    buf_puts(&b, "\n\n");
    publish_frame(hub, buf_release(&b, NULL));
}

void events_publish_delete(events_hub *hub, const char *run)
{
    vz_buf b;
    buf_init(&b);
    buf_puts(&b, "event: delete\ndata: {\"run\":");
    buf_put_json_string(&b, run);
    buf_puts(&b, "}\n\n");
    publish_frame(hub, buf_release(&b, NULL));
}

/* Queue what the stream has not sent yet: a greeting first, then missed events, then a ping. A stream
 * whose next event has left the ring is marked to end instead. */
static void fill_pending_locked(event_stream *s)
{
    events_hub *hub = s->hub;
    if (!s->has_greeted) {
        buf_puts(&s->pending, "retry: 2000\n: connected\n\n");
        s->has_greeted = true;
    }
    if (hub->seq > EVENT_RING && s->next_seq < hub->seq - EVENT_RING) {
        s->is_ending = true;
        return;
    }
    for (; s->next_seq < hub->seq && s->pending.len < PENDING_LIMIT_BYTES; s->next_seq++)
        buf_puts(&s->pending, hub->ring[s->next_seq % EVENT_RING]);
    if (s->is_ping_due) {
        buf_puts(&s->pending, ": ping\n\n");
        s->is_ping_due = false;
    }
}

static ssize_t stream_read(void *ctx, http_conn *conn, char *out, size_t max)
{
    event_stream *s = ctx;
    events_hub *hub = s->hub;
    pthread_mutex_lock(&hub->lock);
    s->conn = conn;
    if (s->pending_sent == s->pending.len) {
        s->pending.len = 0;
        s->pending_sent = 0;
        fill_pending_locked(s);
    }
    ssize_t n;
    if (s->pending_sent < s->pending.len) {
        size_t left = s->pending.len - s->pending_sent;
        n = (ssize_t)(left < max ? left : max);
        memcpy(out, s->pending.data + s->pending_sent, (size_t)n);
        s->pending_sent += (size_t)n;
    } else if (hub->is_shutting_down || s->is_ending) {
        n = -1;
    } else {
        s->is_suspended = true;
        http_suspend(conn);
        n = 0;
    }
    pthread_mutex_unlock(&hub->lock);
    return n;
}

static void stream_done(void *ctx)
{
    event_stream *s = ctx;
    events_hub *hub = s->hub;
    pthread_mutex_lock(&hub->lock);
    if (s->prev) s->prev->next = s->next;
    else hub->streams = s->next;
    if (s->next) s->next->prev = s->prev;
    pthread_mutex_unlock(&hub->lock);
    buf_free(&s->pending);
    free(s);
}

int events_open_stream(events_hub *hub, http_response *res, vz_error *err)
{
    event_stream *s = calloc(1, sizeof *s);
    if (!s) return vz_out_of_memory(err, "an event stream");
    s->hub = hub;
    buf_init(&s->pending);
    pthread_mutex_lock(&hub->lock);
    if (hub->is_shutting_down) {
        pthread_mutex_unlock(&hub->lock);
        free(s);
        return vz_fail(err, 503, "shutting_down", "", "vizd is shutting down");
    }
    s->next_seq = hub->seq;
    s->next = hub->streams;
    if (hub->streams) hub->streams->prev = s;
    hub->streams = s;
    pthread_mutex_unlock(&hub->lock);
    res->status = 200;
    res->content_type = "text/event-stream";
    res->stream = (http_stream){.read = stream_read, .done = stream_done, .ctx = s};
    return 0;
}
