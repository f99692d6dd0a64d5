/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <archive.h>
#include <archive_entry.h>
#include <locale.h>
#include <sys/types.h>

#include <json-glib/json-glib.h>

#include "osi-archive.h"
#include "osi-open.h"
#include "osi-progress-relay.h"
#include "osi-rag-validator.h"
#include "osi-sha256.h"

G_BEGIN_DECLS

/* Each piece of a regular file's data as verification reads it, holes as
 * zeros, in order; path is the entry's checked path (OSI_RAG_PATH for a
 * bare .json knowledge base). A file listed twice is read once. */
typedef void (*OsiArchiveDataFunc) (const char   *path,
                                    const guint8 *data,
                                    gsize         len,
                                    gpointer      user_data);

/* What one pass over an archive is asked: verification, extraction, the
 * diff and the _async variants all describe their reading so. */
typedef struct
{
  int                     fd;            /* read from its first byte, left open; -1: open name */
  const char             *name;          /* the archive's path, or its name in the report */
  const OsiArchiveLimits *limits;        /* NULL: the defaults */
  OsiProgressRelay       *relay;         /* where progress goes (an _async caller's), or NULL */
  OsiArchiveDataFunc      on_data;       /* optional: handed the data it reads, in the reading thread */
  gpointer                on_data_user;
} ScanRequest;

/* The _async variants of the archive and swap operations: each does the
 * work of its synchronous variant in a worker thread, on a copy of its
 * arguments, progress relayed to the caller's main context (the
 * synchronous variants report none). */
typedef struct _ArchiveJob ArchiveJob;

typedef gboolean (*ArchiveJobFunc) (ArchiveJob    *job,
                                    GCancellable  *cancellable,
                                    GError       **error);

struct _ArchiveJob
{
  ArchiveJobFunc     func;
  char              *archive_path;
  char              *other_path;   /* the data folder (create, restore) */
  OsiArchiveLimits   limits;
  OsiCompression     compression;
  OsiProgressRelay  *relay;
  OsiVerifyReport   *report;
  char              *sha256;
};

ArchiveJob *_osi_archive_job_new    (ArchiveJobFunc           func,
                                     const char              *archive_path,
                                     const char              *other_path,
                                     const OsiArchiveLimits  *limits,
                                     OsiProgressFunc          progress,
                                     gpointer                 progress_data);
void        _osi_archive_job_start  (ArchiveJob              *job,
                                     gpointer                 source_tag,
                                     GCancellable            *cancellable,
                                     GAsyncReadyCallback      callback,
                                     gpointer                 user_data);
ArchiveJob *_osi_archive_job_finish (GAsyncResult            *result,
                                     gpointer                 source_tag,
                                     OsiVerifyReport        **out_report,
                                     GError                 **error);

/* What the files of the archive code share: osi-archive.c (limits, names,
 * the jobs of the asynchronous variants), osi-archive-read.c (the one pass
 * that verification and extraction share), osi-archive-extract.c (writing
 * that pass into a staging folder) and osi-archive-create.c. */

#define OSI_ARCHIVE_IO_BLOCK       (1024 * 1024)
#define OSI_ARCHIVE_PROGRESS_STEP  (4 * 1024 * 1024)

/* libarchive converts names through the locale's charset; under "C" it
 * cannot convert UTF-8 names at all. Archive work runs with a UTF-8 ctype
 * on its own thread, whatever the program's locale; every other category,
 * messages above all, stays the program's. */
typedef struct
{
  locale_t previous;
  locale_t utf8;
} LocaleScope;

void     _osi_archive_push_utf8_locale (LocaleScope  *scope);
void     _osi_archive_pop_locale       (LocaleScope  *scope);

/* osi-archive-pipe.c: a zstd archive decompressed in a thread of its own,
 * read by libarchive as it would have read it through its zstd filter,
 * and the knowledge base validated in another. */
typedef struct _ArchivePipe ArchivePipe;

gboolean     _osi_archive_pipe_wanted           (int              fd);
ArchivePipe *_osi_archive_pipe_new              (int              fd,
                                                 OsiRagValidator *rag);
int          _osi_archive_pipe_open             (ArchivePipe     *pipe,
                                                 struct archive  *a);
guint64      _osi_archive_pipe_compressed_bytes (ArchivePipe     *pipe,
                                                 struct archive  *a);
void         _osi_archive_pipe_feed_rag         (ArchivePipe     *pipe,
                                                 const guint8    *data,
                                                 gsize            len);
void         _osi_archive_pipe_sync_rag         (ArchivePipe     *pipe);
void         _osi_archive_pipe_stop             (ArchivePipe     *pipe);
void         _osi_archive_pipe_free             (ArchivePipe     *pipe);
/* Tests: FALSE reads every archive through libarchive's own filters, the
 * reference the pipe must match. */
void         _osi_archive_pipe_set_enabled      (gboolean         enabled);

typedef struct
{
  const char             *file;
  OsiVerifyReport        *report;
  OsiArchiveLimits        limits;
  OsiProgressRelay       *relay;
  GCancellable           *cancellable;
  OsiArchiveDataFunc      on_data;
  gpointer                on_data_user;

  struct archive         *archive;
  ArchivePipe            *pipe;       /* reading a zstd stream in threads, or NULL */
  guint64                 file_size;
  guint64                 content_bytes;
  guint64                 next_progress;
  guint64                 entries;
  guint64                 path_bytes; /* names and link targets, as read */

  /* canonical path → the report's OsiFileEntry, which owns both: each
   * path is stored once, and the table is bounded by max_path_bytes */
  GHashTable             *seen;
  JsonObject             *manifest;
  OsiRagValidator        *rag;
  gboolean                rag_seen;
  OsiSha256              *sha;
  guint8                 *buffer;

  /* extraction only */
  int                     root_fd;    /* -1 when only verifying */
  int                     dir_fd;     /* cached parent of the last file */
  char                   *dir_path;
  mode_t                  umask;      /* the process's */
  gboolean                write_failed;
  int                     write_errno;  /* the first write failure's */

  /* the stream could not be read to its end: completeness is unknowable */
  gboolean                aborted;
} Scan;

/* osi-archive-read.c: verifies what the request names, writing what it
 * reads into staging_dir when that is not NULL. */
OsiVerifyReport *_osi_archive_scan_run (const ScanRequest  *request,
                                        const char         *staging_dir,
                                        int                *out_write_errno,
                                        GCancellable       *cancellable,
                                        GError            **error);

/* osi-archive-extract.c: osi_archive_extract_fd () of a request. */
gboolean _osi_archive_extract (const ScanRequest  *request,
                               const char         *staging_dir,
                               OsiVerifyReport   **out_report,
                               GCancellable       *cancellable,
                               GError            **error);

/* osi-archive-extract.c: the scan's writing side. */
gboolean _osi_archive_scan_open_staging      (Scan                 *scan,
                                              const char           *staging_dir,
                                              GError              **error);
void     _osi_archive_scan_close_staging     (Scan                 *scan);
void     _osi_archive_scan_write_failed      (Scan                 *scan,
                                              const char           *path,
                                              int                   saved_errno);
void     _osi_archive_scan_make_dir          (Scan                 *scan,
                                              const char           *path,
                                              mode_t                archived);
int      _osi_archive_scan_create_file       (Scan                 *scan,
                                              const char           *path);
void     _osi_archive_scan_finish_file       (Scan                 *scan,
                                              int                   fd,
                                              struct archive_entry *entry,
                                              const char           *path);
gboolean _osi_archive_scan_copy_into_staging (Scan                 *scan,
                                              int                   src);

G_END_DECLS
