/* store_pg_listen.c -- hear the other replicas' commits: LISTEN on a connection of its own, in a thread.
 *
 * Every replica's writer queues a NOTIFY on STORE_PG_CHANNEL in each group it commits (store_pg_commit);
 * PostgreSQL delivers it to every listening connection once the group has committed, in commit order.
 * The thread sleeps in poll() on the connection's socket and on a pipe that store_pg_listener_stop writes
 * to, so it wakes for a notification or to end, never to check. When the connection is lost (PostgreSQL
 * restarted) it connects again, once a second until it succeeds; notifications sent meanwhile are lost,
 * which costs a dashboard a live update, not data (it reloads what it shows on the next one). A replica
 * hears its own notifications too; the payload says who sent it (store_pg_backend.c). */
#include "vizd/store_pg.h"

#include <libpq-fe.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct store_pg_listener {
    char *conninfo;
    store_pg_notice_fn notice;
    void *ctx;
    int wake[2]; /* a byte written to wake[1] ends the thread */
    pthread_t thread;
    PGconn *conn;
};

static void ignore_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message; /* "terminating connection due to administrator command": the loop sees the loss itself */
}

/* A listening connection, or NULL when the server cannot be reached now. */
static PGconn *listen_connection(const char *conninfo)
{
    PGconn *conn = PQconnectdb(conninfo);
    if (PQstatus(conn) == CONNECTION_OK) {
        PQsetNoticeProcessor(conn, ignore_notice, NULL);
        PGresult *res = PQexec(conn, "LISTEN " STORE_PG_CHANNEL);
        bool is_listening = PQresultStatus(res) == PGRES_COMMAND_OK;
        PQclear(res);
        if (is_listening) return conn;
    }
    PQfinish(conn);
    return NULL;
}

static void *listen_thread(void *arg)
{
    store_pg_listener *l = arg;
    for (;;) {
        if (!l->conn) l->conn = listen_connection(l->conninfo);
        struct pollfd fds[2] = {{.fd = l->wake[0], .events = POLLIN}, {.fd = -1, .events = POLLIN}};
        if (l->conn) fds[1].fd = PQsocket(l->conn);
        /* Without a connection, try again in a second. */
        int ready = poll(fds, 2, l->conn ? -1 : 1000);
        if (ready < 0) continue;
        if (fds[0].revents) break;
        if (!l->conn || !fds[1].revents) continue;
        if (!PQconsumeInput(l->conn) || PQstatus(l->conn) != CONNECTION_OK) {
            PQfinish(l->conn);
            l->conn = NULL;
            continue;
        }
        for (PGnotify *n; (n = PQnotifies(l->conn)) != NULL; PQfreemem(n)) l->notice(l->ctx, n->extra);
    }
    return NULL;
}

int store_pg_listener_start(store_pg_listener **out, const char *conninfo, store_pg_notice_fn notice, void *ctx,
                            vz_error *err)
{
    *out = NULL;
    store_pg_listener *l = calloc(1, sizeof *l);
    if (!l || !(l->conninfo = strdup(conninfo))) {
        free(l);
        return vz_out_of_memory(err, "a listener");
    }
    l->notice = notice;
    l->ctx = ctx;
    if (pipe(l->wake) < 0) {
        free(l->conninfo);
        free(l);
        return vz_fail(err, 500, "internal", "", "cannot create the listener's pipe");
    }
    /* The first connection is made here, so that a notification committed after start returns is heard. */
    l->conn = listen_connection(conninfo);
    if (pthread_create(&l->thread, NULL, listen_thread, l) != 0) {
        PQfinish(l->conn);
        close(l->wake[0]);
        close(l->wake[1]);
        free(l->conninfo);
        free(l);
        return vz_fail(err, 500, "internal", "", "cannot start the listener thread");
    }
    *out = l;
    return 0;
}

void store_pg_listener_stop(store_pg_listener *l)
{
    if (!l) return;
    char byte = 0;
    while (write(l->wake[1], &byte, 1) < 0) {
    }
    pthread_join(l->thread, NULL);
    PQfinish(l->conn);
    close(l->wake[0]);
    close(l->wake[1]);
    free(l->conninfo);
    free(l);
}
