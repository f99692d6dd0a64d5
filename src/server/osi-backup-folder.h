/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <sys/stat.h>

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "osi-catalog.h"

G_BEGIN_DECLS

/* The server's backup folder: which of its files are backups, their
 * SHA-256 (recorded in the catalog, also written to sidecar files, hashed
 * lazily in a thread), what is known of each, and the list of them
 * rendered as JSON, kept while an inotify watch says nothing changed.
 * Safe to call from any thread unless said otherwise. (docs/api.md §8.4
 * "The backup folder") */

/* What the name of a file being written beside the backups ends in: the
 * start-up cleaning removes what an interrupted operation left. */
#define OSI_BACKUP_FOLDER_TEMP_SUFFIX ".part"

#define OSI_TYPE_BACKUP_FOLDER (osi_backup_folder_get_type ())

G_DECLARE_FINAL_TYPE (OsiBackupFolder, osi_backup_folder, OSI, BACKUP_FOLDER, GObject)

/* Creates the folder when missing and opens it. */
OsiBackupFolder *osi_backup_folder_new            (const char         *path,
                                                   GError            **error);
const char      *osi_backup_folder_get_path       (OsiBackupFolder    *self);
/* The folder open as a directory, for the *at () calls. */
int              osi_backup_folder_get_fd         (OsiBackupFolder    *self);

/* A valid backup name with one of the backup suffixes. */
gboolean         osi_backup_folder_is_backup_name (const char         *name);

/* Removes leftovers of interrupted creates and uploads and sidecars whose
 * backup is gone. Called before serving. */
void             osi_backup_folder_clean          (OsiBackupFolder    *self);
/* Stops the hashing thread, dropping what it had still to do. */
void             osi_backup_folder_stop           (OsiBackupFolder    *self);

/* Opens a backup by name as osi_open_regular_at () does: never a
 * symlink, a FIFO or a device, never blocking. -1 with errno ENOENT when
 * there is no such backup. */
int              osi_backup_folder_open           (OsiBackupFolder    *self,
                                                   const char         *name,
                                                   struct stat        *st);
gboolean         osi_backup_folder_exists         (OsiBackupFolder    *self,
                                                   const char         *name,
                                                   struct stat        *st);
char            *osi_backup_folder_build_path     (OsiBackupFolder    *self,
                                                   const char         *name);
/* Removes a backup and its sidecar; FALSE with errno set when the backup
 * could not be removed. Called on the catalog's thread, which then
 * forgets it. */
gboolean         osi_backup_folder_delete         (OsiBackupFolder    *self,
                                                   const char         *name);
/* The same for several backups at once, with one sync of the folder and
 * one of the catalog: errors[i] is 0 when names[i] was removed (or was
 * already gone), else the errno. Returns how many could not be removed. */
guint            osi_backup_folder_delete_many    (OsiBackupFolder    *self,
                                                   const char * const *names,
                                                   guint               n_names,
                                                   int                *errors);

/* Hashes the backup open on fd from its first byte, without moving the
 * descriptor's offset; NAME is for the message. */
char            *osi_backup_folder_hash_fd        (int                 fd,
                                                   const char         *name,
                                                   GCancellable       *cancellable,
                                                   GError            **error);
/* The SHA-256 known for the file as st describes it, from the cache or
 * its sidecar, or NULL. */
char            *osi_backup_folder_lookup_sha256  (OsiBackupFolder    *self,
                                                   const char         *name,
                                                   const struct stat  *st);
/* Records a SHA-256 computed for the file as st describes it. */
void             osi_backup_folder_store_sha256   (OsiBackupFolder    *self,
                                                   const char         *name,
                                                   const struct stat  *st,
                                                   const char         *sha256);
/* Writes the sidecar of NAME. */
void             osi_backup_folder_write_sidecar  (OsiBackupFolder    *self,
                                                   const char         *name,
                                                   const char         *sha256);

/* The catalog (docs/api.md §6), osi-backup-folder-catalog.c. Once
 * attached, the list carries what it records, and checksums are recorded
 * there (the sidecars are still written). The calls below are made on the
 * thread that attached it (the main loop's), but is_protected and
 * add_members, which any thread may make. */

/* Imports the checksums of the sidecar files the first time, forgets the
 * records of backups deleted meanwhile, and reads the records. A failure
 * is logged: the folder then works with what it could read. */
void             osi_backup_folder_attach_catalog (OsiBackupFolder    *self,
                                                   OsiCatalog         *catalog);
OsiCatalog      *osi_backup_folder_get_catalog    (OsiBackupFolder    *self);
gboolean         osi_backup_folder_is_protected   (OsiBackupFolder    *self,
                                                   const char         *name);
/* What the catalog records of name (all defaults when nothing). */
OsiCatalogEntry *osi_backup_folder_get_record     (OsiBackupFolder    *self,
                                                   const char         *name,
                                                   GError            **error);
/* Each records one thing of a backup, returning when it is on disk, and
 * has the list show it. */
gboolean         osi_backup_folder_set_protected  (OsiBackupFolder    *self,
                                                   const char         *name,
                                                   gboolean            is_protected,
                                                   GError            **error);
gboolean         osi_backup_folder_set_note       (OsiBackupFolder    *self,
                                                   const char         *name,
                                                   const char         *note,
                                                   GError            **error);
gboolean         osi_backup_folder_set_kind       (OsiBackupFolder    *self,
                                                   const char         *name,
                                                   OsiCatalogKind      kind,
                                                   GError            **error);
gboolean         osi_backup_folder_set_verification (OsiBackupFolder  *self,
                                                   const char         *name,
                                                   OsiCatalogVerdict   verdict,
                                                   gint64              at,
                                                   GError            **error);
/* Adds to a list entry of name what the catalog records ("protected",
 * "note", "kind", "verified"). */
void             osi_backup_folder_add_members    (OsiBackupFolder    *self,
                                                   const char         *name,
                                                   JsonObject         *object);
/* What else a list entry carries (the off-site copy's state, docs/api.md
 * §7.3): func adds it to the entry of name. Called with the folder's lock
 * held, from any thread that renders the list: it must not call the
 * folder. */
typedef void (*OsiBackupFolderMembersFunc) (const char *name,
                                            JsonObject *object,
                                            gpointer    user_data);
void             osi_backup_folder_set_members_func (OsiBackupFolder *self,
                                                   OsiBackupFolderMembersFunc func,
                                                   gpointer            user_data);
/* What the members func adds to name changed: its entry and the list are
 * rendered again, as after a write to the catalog. */
void             osi_backup_folder_invalidate     (OsiBackupFolder    *self,
                                                   const char         *name);
/* One backup and what the catalog records of it. */
typedef struct
{
  char              *name;
  gint64             mtime_ns;    /* the list's date */
  gboolean           is_protected;
  OsiCatalogVerdict  verdict;
  gint64             verified_at;
} OsiBackupFolderItem;

/* Every backup, newest first as the list has them (OsiBackupFolderItem,
 * freed with the array): what retention and verification go by. */
GArray          *osi_backup_folder_list_items     (OsiBackupFolder    *self);
/* name's list entry, as the list renders it, or NULL when there is no
 * such backup. */
JsonNode        *osi_backup_folder_entry_to_json  (OsiBackupFolder    *self,
                                                   const char         *name);

guint            osi_backup_folder_count          (OsiBackupFolder    *self);
/* {"backups":[...],"message":...}, newest first (docs/api.md §3.2 "List"). */
GBytes          *osi_backup_folder_list_json      (OsiBackupFolder    *self);

G_END_DECLS
