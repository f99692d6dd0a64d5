/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "osi-verify-report.h"

G_BEGIN_DECLS

/* The last check of each local backup file, kept across runs in a key
 * file (by default g_get_user_data_dir ()/osi-backup/checks.ini). */

typedef struct
{
  char       *path;
  gint64      size;      /* the file's size and mtime when it was checked */
  gint64      mtime;
  OsiVerdict  verdict;
  gint64      checked;   /* when, in seconds since the epoch */
  gboolean    modified;  /* the file changed (or went away) since */
  /* docs/api.md §5.3: the SHA-256 of the file as it was downloaded, NULL when
   * this computer did not download it. A backup without a manifest
   * cannot prove its integrity, but it can be unchanged since. */
  char       *downloaded_sha256;
  gint64      downloaded;  /* when, in seconds since the epoch, or 0 */
  gboolean    never_checked; /* only downloaded: verdict and checked mean nothing */
} OsiCheckRecord;

void            osi_check_record_free        (OsiCheckRecord *record);
/* "Last check: 26/11/2026 12:00 — restorable", and whether the file
 * changed since. */
char           *osi_check_record_describe    (const OsiCheckRecord *record);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OsiCheckRecord, osi_check_record_free)

#define OSI_TYPE_CHECK_HISTORY (osi_check_history_get_type ())

G_DECLARE_FINAL_TYPE (OsiCheckHistory, osi_check_history, OSI, CHECK_HISTORY, GObject)

/* path NULL: the default file. Emits "changed" after each record. */
OsiCheckHistory *osi_check_history_new       (const char      *path);
const char      *osi_check_history_get_path  (OsiCheckHistory *self);
/* Stats file now and remembers its verdict, replacing the file's former
 * record; the key file is replaced atomically. */
gboolean         osi_check_history_record    (OsiCheckHistory *self,
                                              const char      *file,
                                              OsiVerdict       verdict,
                                              GError         **error);
/* Remembers that file was just downloaded, with the SHA-256 of what was
 * received; a later record of a check keeps it while the file keeps its
 * size and mtime. */
gboolean         osi_check_history_record_download (OsiCheckHistory *self,
                                              const char      *file,
                                              const char      *sha256,
                                              GError         **error);
/* NULL when the file was never checked nor downloaded. */
OsiCheckRecord  *osi_check_history_lookup    (OsiCheckHistory *self,
                                              const char      *file);
/* Element type OsiCheckRecord, the newest check first. */
GPtrArray       *osi_check_history_list      (OsiCheckHistory *self);

G_END_DECLS
