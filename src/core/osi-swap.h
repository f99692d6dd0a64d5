/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "osi-archive.h"

G_BEGIN_DECLS

/* Replacing a live data directory with the content of an archive, so that a
 * crash at any instant leaves either the old or the new data complete:
 *   1. extract and verify into PARENT/.NAME.osi-staging.XXXXXX (0700),
 *      then syncfs;
 *   2. write the journal PARENT/.NAME.osi-swap naming the staging folder
 *      and its inode (atomically: temporary file, fsync, rename, fsync);
 *   3. give the staging folder the data directory's mode and owner, then
 *      exchange the two in one renameat2 (RENAME_EXCHANGE), fsync the
 *      parent;
 *   4. delete the old data, now under the staging name, or, for a swap
 *      that keeps it (keep_old_as), rename it PARENT/.NAME.osi-retired.TAG,
 *      where it stays until its owner archived it;
 *   5. delete the journal.
 * osi_swap_recover () finishes or undoes whatever a crash interrupted: with
 * no journal, staging folders are incomplete and removed; with a journal,
 * the inode of the data directory tells whether step 3 happened (and so
 * whether the staging name holds the new data, removed, or the old, kept
 * when the journal says to). Recovery touches only names of exactly that
 * staging pattern and never removes a retired folder; a journal naming
 * anything else is logged and discarded. */

typedef enum
{
  OSI_SWAP_STEP_NONE = 0,
  OSI_SWAP_STEP_STAGED,      /* after 1 */
  OSI_SWAP_STEP_JOURNALED,   /* after 2 */
  OSI_SWAP_STEP_EXCHANGED,   /* after 3 */
  OSI_SWAP_STEP_CLEANED,     /* after 4 */
} OsiSwapStep;

/* Creates PARENT/.NAME.osi-staging.XXXXXX, empty and 0700, beside data_dir. */
char     *osi_swap_make_staging       (const char              *data_dir,
                                       GError                 **error);
/* Steps 2 to 5, given a complete and verified staging folder. keep_old_as
 * (a backup name's stem, or NULL to delete the old data) names the
 * retired folder that keeps the old data. */
gboolean  osi_swap_commit             (const char              *data_dir,
                                       const char              *staging_dir,
                                       const char              *keep_old_as,
                                       GError                 **error);
gboolean  osi_swap_recover            (const char              *data_dir,
                                       GError                 **error);
/* The whole restore: recover, stage, extract and verify, swap. */
gboolean  osi_swap_restore_archive    (const char              *data_dir,
                                       const char              *archive_path,
                                       const OsiArchiveLimits  *limits,
                                       OsiVerifyReport        **out_report,
                                       GCancellable            *cancellable,
                                       GError                 **error);
/* The same, reading the archive from archive_fd (from its first byte;
 * the descriptor stays open), which the caller opened with
 * osi_open_regular_at (): what it checked is what is restored.
 * archive_name names it in the report; with archive_fd -1, it is the path
 * of the archive, as for osi_swap_restore_archive (). */
gboolean  osi_swap_restore_archive_fd (const char              *data_dir,
                                       int                      archive_fd,
                                       const char              *archive_name,
                                       const OsiArchiveLimits  *limits,
                                       const char              *keep_old_as,
                                       OsiVerifyReport        **out_report,
                                       GCancellable            *cancellable,
                                       GError                 **error);
/* The folder that keeps the old data of a swap made with keep_old_as tag,
 * and the tags of those in place, sorted: their owner archives each, then
 * removes it with osi_remove_tree (). */
char     *osi_swap_retired_path       (const char              *data_dir,
                                       const char              *tag);
GPtrArray *osi_swap_list_retired      (const char              *data_dir);
/* Removes the retired folder of tag, in a way a crash cannot leave half
 * removed: renamed to a staging name (which recovery removes) first. */
gboolean  osi_swap_discard_retired    (const char              *data_dir,
                                       const char              *tag,
                                       GError                 **error);
/* The same in a worker thread, progress (optional) called in the caller's
 * main context. */
void      osi_swap_restore_archive_async  (const char              *data_dir,
                                           const char              *archive_path,
                                           const OsiArchiveLimits  *limits,
                                           OsiProgressFunc          progress,
                                           gpointer                 progress_data,
                                           GCancellable            *cancellable,
                                           GAsyncReadyCallback      callback,
                                           gpointer                 user_data);
gboolean  osi_swap_restore_archive_finish (GAsyncResult            *result,
                                           OsiVerifyReport        **out_report,
                                           GError                 **error);
/* Removes a directory tree without following symlinks. */
gboolean  osi_remove_tree             (const char              *path,
                                       GError                 **error);

/* For tests: stop right after the given step, as a crash there would. */
gboolean  _osi_swap_commit_until      (const char              *data_dir,
                                       const char              *staging_dir,
                                       const char              *keep_old_as,
                                       OsiSwapStep              stop_after,
                                       GError                 **error);

G_END_DECLS
