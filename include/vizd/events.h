/* events.h -- the live-event hub behind GET /api/v1/events (Server-Sent Events).
 *
 * The store's commit hook publishes one event per committed write; every open stream receives it. A
 * stream with nothing to send is suspended, so it holds no worker thread and spins no core. */
#ifndef VIZD_EVENTS_H
#define VIZD_EVENTS_H

#include "vizd/http.h"
#include "vizd/store.h"

typedef struct events_hub events_hub;

events_hub *events_create(void);
/* End every stream (they close cleanly); returns how many were open. */
int events_shutdown(events_hub *hub);
void events_destroy(events_hub *hub);
/* A store_commit_hook: ctx is the hub. */
void events_publish_write(void *hub, const vz_write *write);
/* Tell every stream a run was deleted: event "delete", data {"run": R}. */
void events_publish_delete(events_hub *hub, const char *run);
/* Publish an event another vizd process (replica) sent through the database: name "write" or "delete",
 * data its JSON (checked by nobody but the sender: replicas trust their database). */
void events_publish_remote(events_hub *hub, const char *event, const char *data);
/* Fill res with a new event stream. */
int events_open_stream(events_hub *hub, http_response *res, vz_error *err);

#endif
