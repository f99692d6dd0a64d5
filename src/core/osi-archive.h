/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "osi-verify-report.h"

G_BEGIN_DECLS

/* The archive format of docs/archive-format.md: a tar (zstd or gzip), zip or bare JSON
 * file holding rag/, config/, data/ and a manifest.json. */

typedef enum
{
  OSI_COMPRESSION_ZSTD,
  OSI_COMPRESSION_GZIP,
} OsiCompression;

/* What a reader accepts before it stops and calls the archive not
 * restorable. Metadata is bounded like data: what reading costs in time
 * and memory (the report, the table of paths seen) grows with the entries
 * and their names, not only with the files' bytes. */
typedef struct
{
  guint64 max_content_bytes;  /* sum of the entries' uncompressed sizes */
  guint64 max_entries;        /* entries of every kind, refused ones too */
  guint64 max_path_bytes;     /* sum of the entries' names and link targets */
  guint64 max_ratio;          /* uncompressed (data or stream, the larger) / compressed */
  guint64 ratio_grace_bytes;  /* the ratio is only judged past this much output */
  gsize   max_manifest_bytes;
  /* Extraction refuses what verification cannot prove whole (no manifest:
   * a bare .json knowledge base from an older backend, an archive made by
   * hand) unless the caller accepts it. */
  gboolean allow_unproven;
} OsiArchiveLimits;

/* done and total are bytes; total is 0 when unknown. Called from the thread
 * doing the work, at most every few MiB. */
typedef void (*OsiProgressFunc) (guint64  done,
                                 guint64  total,
                                 gpointer user_data);

#define OSI_MANIFEST_NAME "manifest.json"
#define OSI_RAG_PATH      "rag/search.json"

void             osi_archive_limits_init     (OsiArchiveLimits        *limits);

/* backup_YYYYMMDD_HHMMSS.tar.zst (or .tar.gz) from the UTC time. */
char            *osi_archive_default_name    (GDateTime               *time,
                                              OsiCompression           compression);

/* Writes an archive of every file and folder of data_dir to archive_path,
 * through a temporary file in the same folder, synced then renamed: the
 * final name never holds an incomplete archive, and an existing file of
 * that name is never replaced. zstd is written at level 3, gzip at 6.
 * out_sha256 (optional) receives the archive's own SHA-256. */
gboolean         osi_archive_create          (const char              *data_dir,
                                              const char              *archive_path,
                                              OsiCompression           compression,
                                              char                   **out_sha256,
                                              GCancellable            *cancellable,
                                              GError                 **error);
/* The same in a worker thread, progress (optional) called in the caller's
 * main context. */
void             osi_archive_create_async    (const char              *data_dir,
                                              const char              *archive_path,
                                              OsiCompression           compression,
                                              OsiProgressFunc          progress,
                                              gpointer                 progress_data,
                                              GCancellable            *cancellable,
                                              GAsyncReadyCallback      callback,
                                              gpointer                 user_data);
gboolean         osi_archive_create_finish   (GAsyncResult            *result,
                                              char                   **out_sha256,
                                              GError                 **error);

/* Whether a file so named is read as a bare knowledge base (an older
 * backend's backup, docs/archive-format.md §7): its suffix is .json, of
 * any case. */
gboolean         osi_archive_name_is_bare_json (const char            *name);

/* Reads the archive once, streaming, in bounded memory, and reports every
 * finding of docs/archive-format.md §8.2. Writes nothing. Returns NULL only with an error
 * (cancelled); a bad archive is a report with findings. limits may be
 * NULL for the defaults. */
OsiVerifyReport *osi_archive_verify          (const char              *archive_path,
                                              const OsiArchiveLimits  *limits,
                                              GCancellable            *cancellable,
                                              GError                 **error);
/* The same, reading from archive_fd (from its first byte, whatever its
 * offset; the descriptor stays open), which the caller opened with
 * osi_open_regular_at (): what it checked is what is verified.
 * archive_name names it in the report; with archive_fd -1, it is the path
 * of the archive. */
OsiVerifyReport *osi_archive_verify_fd       (int                      archive_fd,
                                              const char              *archive_name,
                                              const OsiArchiveLimits  *limits,
                                              GCancellable            *cancellable,
                                              GError                 **error);
/* The same in a worker thread, progress (optional) called in the caller's
 * main context. */
void             osi_archive_verify_async    (const char              *archive_path,
                                              const OsiArchiveLimits  *limits,
                                              OsiProgressFunc          progress,
                                              gpointer                 progress_data,
                                              GCancellable            *cancellable,
                                              GAsyncReadyCallback      callback,
                                              gpointer                 user_data);
OsiVerifyReport *osi_archive_verify_finish   (GAsyncResult            *result,
                                              GError                 **error);

/* Verifies and extracts in the same pass into staging_dir, an existing
 * empty directory, never writing outside it (no links, no devices, no
 * "..", parents opened without following symlinks). manifest.json is not
 * extracted. Returns TRUE when the archive is restorable and fully written
 * and synced (an archive whose integrity is unproven counts only with
 * limits->allow_unproven); on FALSE the staging directory may hold a
 * partial tree that the caller removes. The report (optional) says why. */
gboolean         osi_archive_extract         (const char              *archive_path,
                                              const char              *staging_dir,
                                              const OsiArchiveLimits  *limits,
                                              OsiVerifyReport        **out_report,
                                              GCancellable            *cancellable,
                                              GError                 **error);
/* The same, reading from archive_fd as osi_archive_verify_fd () does;
 * with archive_fd -1, archive_name is the path of the archive. */
gboolean         osi_archive_extract_fd      (int                      archive_fd,
                                              const char              *archive_name,
                                              const char              *staging_dir,
                                              const OsiArchiveLimits  *limits,
                                              OsiVerifyReport        **out_report,
                                              GCancellable            *cancellable,
                                              GError                 **error);

G_END_DECLS
