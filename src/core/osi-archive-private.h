/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "osi-archive.h"

G_BEGIN_DECLS

/* Each piece of a regular file's data as verification reads it, holes as
 * zeros, in order; path is the entry's checked path (OSI_RAG_PATH for a
 * bare .json knowledge base). A file listed twice is read once. */
typedef void (*OsiArchiveDataFunc) (const char   *path,
                                    const guint8 *data,
                                    gsize         len,
                                    gpointer      user_data);

/* osi_archive_verify, also handing the data it reads to on_data (called
 * from the calling thread), so that a caller can look into the content
 * without a second pass. */
OsiVerifyReport *osi_archive_verify_reading (const char              *archive_path,
                                             const OsiArchiveLimits  *limits,
                                             OsiArchiveDataFunc       on_data,
                                             gpointer                 user_data,
                                             GCancellable            *cancellable,
                                             GError                 **error);

/* The same from a descriptor, as osi_archive_verify_fd (). */
OsiVerifyReport *osi_archive_verify_reading_fd (int                      archive_fd,
                                                const char              *archive_name,
                                                const OsiArchiveLimits  *limits,
                                                OsiArchiveDataFunc       on_data,
                                                gpointer                 user_data,
                                                GCancellable            *cancellable,
                                                GError                 **error);

G_END_DECLS
