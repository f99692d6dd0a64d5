/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* What the two files of OsiBackupFolder share: osi-backup-folder.c holds
 * the files, their checksums and the rendered list; osi-backup-folder-
 * catalog.c what the catalog adds to them (docs/api.md §6): the records
 * of protection, note, kind and verification shown in the list, the
 * checksums kept across restarts, the forgetting of deleted backups. */

#include <json-glib/json-glib.h>

#include "osi-backup-folder.h"
#include "osi-catalog.h"

G_BEGIN_DECLS

#define OSI_BACKUP_FOLDER_SIDECAR_SUFFIX ".sha256"

/* What the server knows of one file of the backup folder. The SHA-256 and
 * the rendered JSON stay valid while size, mtime and ctime do. */
typedef struct
{
  char     *name;
  gint64    size;
  gint64    mtime_ns;
  gint64    ctime_ns;
  char     *sha256;
  char     *json;
  guint     generation;
  /* The catalog and the sidecar file were looked at for the checksum. */
  gboolean  sidecar_checked;
  gboolean  hash_queued;
} CacheEntry;

struct _OsiBackupFolder
{
  GObject       parent_instance;

  char         *path;
  int           fd;

  /* Guards cache and every CacheEntry, records, pending and flush_source:
   * hashing threads fill them in. */
  GMutex        cache_lock;
  GHashTable   *cache;
  guint         generation;
  GThreadPool  *hash_pool;
  /* Cancelled by osi_backup_folder_stop (): the hashing thread watches it. */
  GCancellable *cancellable;
  /* The rendered list, kept while nothing in the backup folder changes:
   * an inotify watch says when something did (-1: no watch, no cache). */
  int           watch_fd;
  GBytes       *list_body;
  /* What the watch reported since the folder was last read: the names
   * that changed, or, when it lost track (its queue overflowed, the
   * folder itself moved), that everything must be read again. */
  GHashTable   *changed_names;
  gboolean      rescan;

  /* The catalog, once attached: called only on the thread that attached
   * it, whose main context checksums found elsewhere are handed to. */
  OsiCatalog   *catalog;
  GMainContext *catalog_context;
  GThread      *catalog_thread;
  /* What the catalog holds, name → OsiCatalogEntry, read whole at attach
   * and kept up to date by every write: the list never queries SQLite. */
  GHashTable   *records;
  /* Checksums found by threads or in sidecar files, not yet recorded:
   * written in one transaction by flush_source, a moment later. */
  GArray       *pending;
  GSource      *flush_source;
  /* What adds the off-site members to a list entry, or NULL. */
  OsiBackupFolderMembersFunc members_func;
  gpointer      members_data;
};

/* osi-backup-folder.c */
char       *_osi_backup_folder_read_sidecar       (int                dir_fd,
                                                   const char        *name,
                                                   const struct stat *file_st);
/* Reads the folder as the list does (the watch's news, or everything):
 * its backups newest first, CacheEntry pointers valid while the lock is
 * held. Called with the lock held. */
GPtrArray  *_osi_backup_folder_current_locked     (OsiBackupFolder   *self);

/* osi-backup-folder-catalog.c; every "_locked" with the lock held */
/* The catalog's checksum of name when it was computed over entry's file,
 * else NULL. */
char       *_osi_backup_folder_known_sha256_locked (OsiBackupFolder  *self,
                                                    const CacheEntry *entry);
/* Has a checksum recorded in the catalog, a moment later, on the
 * catalog's thread. Any thread. No-op without a catalog. */
void        _osi_backup_folder_queue_sha256_locked (OsiBackupFolder  *self,
                                                    const char       *name,
                                                    const char       *sha256,
                                                    gint64            size,
                                                    gint64            mtime_ns,
                                                    gint64            ctime_ns);
/* The list entry's members from the catalog (docs/api.md §6.2). */
void        _osi_backup_folder_add_members_locked  (OsiBackupFolder  *self,
                                                    const char       *name,
                                                    JsonObject       *object);
/* After the files were deleted: the catalog forgets them. */
void        _osi_backup_folder_forget              (OsiBackupFolder  *self,
                                                    const char * const *names,
                                                    guint             n_names);
/* Records the checksums queued so far (on the catalog's thread). */
void        _osi_backup_folder_catalog_stop        (OsiBackupFolder  *self);
void        _osi_backup_folder_catalog_finalize    (OsiBackupFolder  *self);

G_END_DECLS
