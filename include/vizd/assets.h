/* assets.h -- the web dashboard's files, compiled into the binary by server/embed.py. */
#ifndef VIZD_ASSETS_H
#define VIZD_ASSETS_H

#include <stddef.h>

typedef struct {
    const char *url_path;     /* "/index.html", "/vendor/chart.umd.js" */
    const char *content_type;
    const char *etag;         /* strong ETag, quotes included */
    const unsigned char *data;
    size_t size;
    const unsigned char *gz_data; /* its gzip form (made at build time), or NULL when not worth it */
    size_t gz_size;
    const char *gz_etag;          /* the gzip form's strong ETag: etag with "-gz" before the closing quote */
} vz_asset;

/* Terminated by an entry whose url_path is NULL. */
extern const vz_asset vz_assets[];

#endif
