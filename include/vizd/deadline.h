/* deadline.h -- the head deadline: every connection must deliver each request's head (request line and
 * headers) within a time limit, or be cut off.
 *
 * libmicrohttpd's only timeout counts from a connection's last byte, so a client sending one header line
 * every few seconds (slowloris) would hold its connection for as long as it likes. Here the clock starts
 * when the connection opens, or when the previous answer is done, and stops when the head is complete; a
 * connection over the limit has its socket shut down, which libmicrohttpd notices and closes it.
 *
 * Thread-safe: libmicrohttpd's threads add, mark and remove entries; one thread of ours enforces. */
#ifndef VIZD_DEADLINE_H
#define VIZD_DEADLINE_H

typedef struct deadline_watch deadline_watch;
typedef struct deadline_entry deadline_entry;

/* Start the enforcing thread; NULL when out of memory or threads. */
deadline_watch *deadline_start(double limit_s);
/* Stop the thread and free the watch (every entry must have been removed). */
void deadline_stop(deadline_watch *watch);
/* Watch socket fd from now on; NULL when out of memory (the connection is then simply not watched). */
deadline_entry *deadline_add(deadline_watch *watch, int fd);
/* The head has arrived: no deadline until deadline_restart. */
void deadline_head_done(deadline_watch *watch, deadline_entry *entry);
/* The answer is done; the next request's head must arrive within the limit from now. */
void deadline_restart(deadline_watch *watch, deadline_entry *entry);
/* Stop watching, before the socket is closed (so the watch never touches a reused descriptor). */
void deadline_remove(deadline_watch *watch, deadline_entry *entry);

#endif
