/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define OSI_SHA256_LEN 32
#define OSI_SHA256_HEX_LEN 64

typedef struct _OsiSha256 OsiSha256;

OsiSha256 *osi_sha256_new        (void);
void       osi_sha256_free       (OsiSha256    *self);
void       osi_sha256_reset      (OsiSha256    *self);
void       osi_sha256_update     (OsiSha256    *self,
                                  const void   *data,
                                  gsize         len);
/* Writes 64 lowercase hex digits and a NUL into hex, then resets. */
void       osi_sha256_finish_hex (OsiSha256    *self,
                                  char          hex[OSI_SHA256_HEX_LEN + 1]);
void       osi_sha256_finish_raw (OsiSha256    *self,
                                  guint8        raw[OSI_SHA256_LEN]);

/* Writes len bytes as 2 × len lowercase hexadecimal digits and a NUL
 * into hex, which holds 2 × len + 1 bytes. */
void       osi_hex_encode        (const guint8 *bytes,
                                  gsize         len,
                                  char         *hex);

/* Whether text is exactly 64 hexadecimal digits, of either case: what a
 * list, a manifest or a checksum file may hold. Whoever compares it with
 * a computed digest (lowercase) lowers it first or compares without case. */
gboolean   osi_sha256_is_hex     (const char   *text);

/* The SHA-256 of a whole file, read in blocks; blocking. The path is
 * opened with osi_open_regular_at (), following a symlink: a FIFO or a
 * device is refused rather than waited on. */
gboolean   osi_sha256_file       (const char   *path,
                                  char          hex[OSI_SHA256_HEX_LEN + 1],
                                  GCancellable *cancellable,
                                  GError      **error);
/* The SHA-256 of the whole regular file behind fd, from its first byte,
 * read with pread () so that the descriptor's offset does not move and
 * another reader of it is not disturbed; blocking. out_size receives the
 * number of bytes hashed. */
gboolean   osi_sha256_fd         (int           fd,
                                  char          hex[OSI_SHA256_HEX_LEN + 1],
                                  guint64      *out_size,
                                  GCancellable *cancellable,
                                  GError      **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OsiSha256, osi_sha256_free)

G_END_DECLS
