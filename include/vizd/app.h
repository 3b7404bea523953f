/* app.h -- what every handler can reach: the store, the live-event hub and the settings. */
#ifndef VIZD_APP_H
#define VIZD_APP_H

#include <stddef.h>

#include "vizd/events.h"
#include "vizd/store.h"

#define VIZD_VERSION "0.1.0"

struct vz_app {
    vz_store *store;
    events_hub *events;
    const char *db_path;
    const char *web_dir;     /* NULL: serve the embedded dashboard */
    const char *token;       /* NULL: writes need no token; else "Authorization: Bearer TOKEN" */
    size_t max_body_bytes;
    double started_at_s;
};

#endif
