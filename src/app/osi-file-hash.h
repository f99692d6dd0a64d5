/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The SHA-256 of the file at path, read in a worker: a backup may be
 * gigabytes on a slow disk. source (may be NULL) is held until callback
 * runs, as g_task_new () holds it. */
void   osi_file_hash_async  (gpointer              source,
                             const char           *path,
                             GCancellable         *cancellable,
                             GAsyncReadyCallback   callback,
                             gpointer              user_data);
/* The digest in lowercase hex, or NULL with the error of
 * osi_sha256_file (). */
char  *osi_file_hash_finish (GAsyncResult         *result,
                             GError              **error);

G_END_DECLS
