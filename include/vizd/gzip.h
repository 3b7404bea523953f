/* gzip.h -- gzip content coding for answers (RFC 9110 8.4.1.3), on zlib.
 *
 * http.c decides per answer whether to compress (the client accepts gzip, the type is text, the body is
 * not tiny) and uses what is here to do it: a buffered body is deflated in one pass into a new buffer
 * (the compressed form, a fraction of the original, is the only extra memory), a streamed answer is
 * wrapped so that each block the client takes is deflated as it goes. */
#ifndef VIZD_GZIP_H
#define VIZD_GZIP_H

#include <stdbool.h>
#include <stddef.h>

#include "vizd/buf.h"
#include "vizd/error.h"
#include "vizd/http.h"

/* Bodies smaller than this go uncompressed: the gzip header and trailer (18 bytes) and the deflate block
 * would save little or nothing, and the client's inflate costs more than the bytes saved. */
#define GZIP_MIN_BYTES 1024

/* Whether an Accept-Encoding header value accepts gzip: "gzip" or "x-gzip" (or "*" when gzip is not
 * named) with a q-value above 0. NULL (no header) accepts only identity. */
bool gzip_is_accepted(const char *accept_encoding);

/* Whether answers of this content type are worth compressing: JSON, CSV and other text, JavaScript, SVG,
 * the binary columnar scalars (bincol.h).
 * Never images or other blobs (PNG and JPEG are compressed already) nor event streams (each event must
 * reach the client when it is written, and a deflate stream holds bytes back). */
bool gzip_is_compressible(const char *content_type);

/* Replace body by its gzip form. On failure body is unchanged and err says why. */
int gzip_buffer(vz_buf *body, vz_error *err);

/* Wrap a streaming answer so that the client receives it gzip-compressed; on failure (out of memory) the
 * stream is unchanged. */
int gzip_stream(http_stream *stream, vz_error *err);

#endif
