/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "osi-verify-report.h"

G_BEGIN_DECLS

/* The last check of each local backup file, kept across runs in a key
 * file (by default g_get_user_data_dir ()/osi-backup/checks.ini).
 *
 * An asynchronous store: the file is read once, in a worker thread, then
 * the history lives in memory; each change is written by the worker
 * (atomically, with fsync), one write at a time, the latest state
 * winning over writes not yet begun. Every stat of a remembered file is
 * done there too: the thread that made the store never touches the disk
 * for it. */

typedef struct
{
  char       *path;
  gint64      size;      /* the file's size and mtime when it was checked */
  gint64      mtime;
  OsiVerdict  verdict;
  gint64      checked;   /* when, in seconds since the epoch */
  gboolean    modified;  /* the file changed (or went away) since, as of its last stat */
  /* docs/api.md §5.3: the SHA-256 of the file as it was downloaded, NULL when
   * this computer did not download it. A backup without a manifest
   * cannot prove its integrity, but it can be unchanged since. */
  char       *downloaded_sha256;
  gint64      downloaded;  /* when, in seconds since the epoch, or 0 */
  gboolean    never_checked; /* only downloaded: verdict and checked mean nothing */
} OsiCheckRecord;

void            osi_check_record_free        (OsiCheckRecord *record);
OsiCheckRecord *osi_check_record_copy        (const OsiCheckRecord *record);
/* "Last check: 26/11/2026 12:00 — restorable", and whether the file
 * changed since. */
char           *osi_check_record_describe    (const OsiCheckRecord *record);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OsiCheckRecord, osi_check_record_free)

#define OSI_TYPE_CHECK_HISTORY (osi_check_history_get_type ())

G_DECLARE_FINAL_TYPE (OsiCheckHistory, osi_check_history, OSI, CHECK_HISTORY, GObject)

/* path NULL: the default file. One store per file and process: a second
 * call for the same file returns the first store, so that windows share
 * what they remember. The file is read in the background at once.
 * "changed" is emitted once it was read and after each change in memory;
 * all of the store's functions and signals belong to the thread that
 * made it. */
OsiCheckHistory *osi_check_history_new       (const char      *path);
const char      *osi_check_history_get_path  (OsiCheckHistory *self);
gboolean         osi_check_history_is_loaded (OsiCheckHistory *self);
/* Done once the file was read (at once if it was): a missing, unreadable
 * or damaged file is an empty history, never an error. */
void             osi_check_history_load_async  (OsiCheckHistory     *self,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
gboolean         osi_check_history_load_finish (OsiCheckHistory     *self,
                                                GAsyncResult        *result,
                                                GError             **error);
/* Stats file (in the worker) and remembers its verdict in place of its
 * former record; done once the history with it is written, or failed to
 * be: the error says why it is not kept across runs (the record stays in
 * memory). */
void             osi_check_history_record_async (OsiCheckHistory     *self,
                                                 const char          *file,
                                                 OsiVerdict           verdict,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
/* Remembers that file was just downloaded, with the SHA-256 of what was
 * received; a later record of a check keeps it while the file keeps its
 * size and mtime. Finished by osi_check_history_record_finish (). */
void             osi_check_history_record_download_async (OsiCheckHistory     *self,
                                                          const char          *file,
                                                          const char          *sha256,
                                                          GCancellable        *cancellable,
                                                          GAsyncReadyCallback  callback,
                                                          gpointer             user_data);
gboolean         osi_check_history_record_finish (OsiCheckHistory     *self,
                                                  GAsyncResult        *result,
                                                  GError             **error);
/* Stats file again (every remembered file when NULL), in the worker, so
 * that "modified" is current; emits "changed" when it changed. */
void             osi_check_history_refresh_async  (OsiCheckHistory     *self,
                                                   const char          *file,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
gboolean         osi_check_history_refresh_finish (OsiCheckHistory     *self,
                                                   GAsyncResult        *result,
                                                   GError             **error);
/* From memory. NULL when the file was never checked nor downloaded (or
 * the history is not read yet). */
OsiCheckRecord  *osi_check_history_lookup    (OsiCheckHistory *self,
                                              const char      *file);
/* From memory. Element type OsiCheckRecord, the newest check first. */
GPtrArray       *osi_check_history_list      (OsiCheckHistory *self);

/* Done when no store of this process has work left (reads, stats,
 * writes): for the application, before it exits. */
void             osi_check_history_flush_all_async  (GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);
gboolean         osi_check_history_flush_all_finish (GAsyncResult        *result,
                                                     GError             **error);
/* Whether some store of this process has work left. */
gboolean         osi_check_history_any_pending      (void);

G_END_DECLS
