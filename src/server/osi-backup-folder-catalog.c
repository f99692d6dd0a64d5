/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-server"

#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "osi-backup-folder-private.h"
#include "osi-backup-info.h"
#include "osi-sha256.h"

/* The catalog's part of the backup folder (docs/api.md §6 and §8.4).
 *
 * The catalog is the record of every checksum, protection, note, kind
 * and verification; the folder keeps a copy of it in memory (records),
 * read whole when the catalog is attached and updated by each write made
 * here, so that listing 100,000 backups never queries SQLite. Only the
 * thread that attached the catalog (the server's main loop) calls it:
 * checksums found by the hashing threads, or read from sidecar files
 * while the list is rendered, are queued and recorded a moment later on
 * that thread, many in one transaction.
 *
 * Sidecar files (.NAME.sha256) stay: the server still writes them, for
 * `sha256sum -c` and as the fallback of a catalog lost or moved aside.
 * Their checksums are imported into the catalog once, the first time a
 * catalog is attached to the folder (a new or fresh catalog); a sidecar
 * found later for a backup whose checksum the catalog lacks (a backup
 * copied in with it) is recorded when the list reads it. */

/* How long checksums found wait before they are recorded together: one
 * transaction, so one sync, for the many that the hashing of a large
 * folder finds. A checksum not yet recorded when the server is killed is
 * found again (in its sidecar, or by hashing). */
#define FLUSH_DELAY_MS             200
/* Set in the catalog once the sidecars were imported. */
#define SETTING_SIDECARS_IMPORTED  "sidecars-imported"

typedef struct
{
  char            *name;
  char             sha256[OSI_SHA256_HEX_LEN + 1];
  OsiCatalogStamp  stamp;
} PendingChecksum;

static void
pending_checksum_clear (gpointer data)
{
  PendingChecksum *pending = data;

  g_free (pending->name);
}

static GArray *
pending_new (void)
{
  GArray *array = g_array_new (FALSE, FALSE, sizeof (PendingChecksum));

  g_array_set_clear_func (array, pending_checksum_clear);
  return array;
}

static gboolean
stamp_is (const OsiCatalogStamp *stamp,
          gint64                 size,
          gint64                 mtime_ns,
          gint64                 ctime_ns)
{
  return stamp->size == size && stamp->mtime_ns == mtime_ns && stamp->ctime_ns == ctime_ns;
}

static gboolean
on_catalog_thread (OsiBackupFolder *self)
{
  return self->catalog != NULL && self->catalog_thread == g_thread_self ();
}

/* ------------------------------------------------------------------------ */
/* Records                                                                  */

/* The entry of name and the list are rendered again. Called with the
 * lock held. */
static void
invalidate_locked (OsiBackupFolder *self,
                   const char      *name)
{
  CacheEntry *cached = g_hash_table_lookup (self->cache, name);

  if (cached != NULL)
    g_clear_pointer (&cached->json, g_free);
  g_clear_pointer (&self->list_body, g_bytes_unref);
}

/* Reads name's entry again after a write and has the list show it. */
static void
refresh_record (OsiBackupFolder *self,
                const char      *name)
{
  g_autoptr(GError) error = NULL;
  OsiCatalogEntry *record = osi_catalog_get_entry (self->catalog, name, &error);

  g_mutex_lock (&self->cache_lock);
  if (record != NULL)
    g_hash_table_replace (self->records, (char *)record->name, record);
  else
    g_hash_table_remove (self->records, name);
  invalidate_locked (self, name);
  g_mutex_unlock (&self->cache_lock);
  if (record == NULL)
    g_message ("Cannot read the catalog's record of %s: %s", name, error->message);
}

char *
_osi_backup_folder_known_sha256_locked (OsiBackupFolder  *self,
                                        const CacheEntry *entry)
{
  const OsiCatalogEntry *record = g_hash_table_lookup (self->records, entry->name);

  if (record == NULL || record->sha256 == NULL ||
      !stamp_is (&record->stamp, entry->size, entry->mtime_ns, entry->ctime_ns))
    return NULL;
  return g_strdup (record->sha256);
}

void
_osi_backup_folder_add_members_locked (OsiBackupFolder *self,
                                       const char      *name,
                                       JsonObject      *object)
{
  const OsiCatalogEntry *record = g_hash_table_lookup (self->records, name);

  if (self->members_func != NULL)
    self->members_func (name, object, self->members_data);
  if (record == NULL)
    return;
  /* Written only when true: "protected": false on every entry would make
   * the list of 100,000 backups a tenth longer, and a client of a server
   * with the "policy" feature reads its absence as false. */
  if (record->is_protected)
    json_object_set_boolean_member (object, "protected", TRUE);
  if (record->note != NULL)
    json_object_set_string_member (object, "note", record->note);
  if (record->kind != OSI_CATALOG_KIND_UNKNOWN)
    json_object_set_string_member (object, "kind", osi_catalog_kind_to_string (record->kind));
  if (record->verdict != OSI_CATALOG_VERDICT_NONE)
    {
      g_autoptr(GDateTime) at = g_date_time_new_from_unix_utc (record->verified_at);
      g_autofree char *at_text = at != NULL ? g_date_time_format (at, "%Y-%m-%dT%H:%M:%SZ") : NULL;
      JsonObject *verified = json_object_new ();

      json_object_set_string_member (verified, "at", at_text);
      json_object_set_string_member (verified, "verdict", osi_catalog_verdict_to_string (record->verdict));
      json_object_set_object_member (object, "verified", verified);
    }
}

/* ------------------------------------------------------------------------ */
/* Checksums                                                                */

/* Records the checksums queued so far, in one transaction. On the
 * catalog's thread. */
static void
flush_pending (OsiBackupFolder *self)
{
  g_autoptr(GArray) pending = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree OsiCatalogChecksum *checksums = NULL;

  g_mutex_lock (&self->cache_lock);
  pending = g_steal_pointer (&self->pending);
  self->pending = pending_new ();
  if (self->flush_source != NULL)
    {
      g_source_destroy (self->flush_source);
      g_clear_pointer (&self->flush_source, g_source_unref);
    }
  g_mutex_unlock (&self->cache_lock);

  if (pending->len == 0)
    return;
  checksums = g_new (OsiCatalogChecksum, pending->len);
  for (guint i = 0; i < pending->len; i++)
    {
      const PendingChecksum *p = &g_array_index (pending, PendingChecksum, i);

      checksums[i].name = p->name;
      checksums[i].sha256 = p->sha256;
      checksums[i].stamp = p->stamp;
    }
  /* The records keep the checksums read at attach: those found since are
   * in the cache, which is what the list and downloads read first. */
  if (!osi_catalog_import_checksums (self->catalog, checksums, pending->len, &error))
    g_message ("Cannot record %u checksums in the backup catalog (they stay in their .sha256 files): %s",
               pending->len, error->message);
}

static gboolean
flush_cb (gpointer data)
{
  flush_pending (data);
  return G_SOURCE_REMOVE;
}

void
_osi_backup_folder_queue_sha256_locked (OsiBackupFolder *self,
                                        const char      *name,
                                        const char      *sha256,
                                        gint64           size,
                                        gint64           mtime_ns,
                                        gint64           ctime_ns)
{
  const OsiCatalogEntry *record;
  PendingChecksum pending;

  if (self->catalog_context == NULL || !osi_backup_name_is_valid (name) || !osi_sha256_is_hex (sha256))
    return;
  record = g_hash_table_lookup (self->records, name);
  if (record != NULL && record->sha256 != NULL && g_ascii_strcasecmp (record->sha256, sha256) == 0 &&
      stamp_is (&record->stamp, size, mtime_ns, ctime_ns))
    return;

  pending.name = g_strdup (name);
  memcpy (pending.sha256, sha256, sizeof pending.sha256);
  pending.stamp.size = size;
  pending.stamp.mtime_ns = mtime_ns;
  pending.stamp.ctime_ns = ctime_ns;
  g_array_append_val (self->pending, pending);
  if (self->flush_source == NULL)
    {
      /* No reference: the source goes before the folder does. */
      self->flush_source = g_timeout_source_new (FLUSH_DELAY_MS);
      g_source_set_callback (self->flush_source, flush_cb, self, NULL);
      g_source_set_static_name (self->flush_source, "[osi] catalog checksums");
      g_source_attach (self->flush_source, self->catalog_context);
    }
}

/* The checksums queued for backups that are gone: dropped, or the next
 * flush would record them again after their records were forgotten (a
 * backup deleted within FLUSH_DELAY_MS of being hashed kept a record
 * until the next start). The hashing threads queue none for them any
 * more: their cache entries went first. Called with the lock held. */
static void
drop_pending_locked (OsiBackupFolder    *self,
                     const char * const *names,
                     guint               n_names)
{
  g_autoptr(GHashTable) gone = NULL;

  if (self->pending == NULL || self->pending->len == 0)
    return;
  gone = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < n_names; i++)
    g_hash_table_add (gone, (gpointer)names[i]);
  for (guint i = self->pending->len; i-- > 0;)
    if (g_hash_table_contains (gone, g_array_index (self->pending, PendingChecksum, i).name))
      g_array_remove_index_fast (self->pending, i);
}

/* ------------------------------------------------------------------------ */
/* Attaching: import, reconcile                                             */

/* The checksums of the sidecar files, into the catalog, the first time
 * one is attached to this folder. A failure is logged and the import
 * tried again at the next start; the sidecars are read as before
 * meanwhile. */
static void
import_sidecars_once (OsiBackupFolder *self,
                      OsiCatalog      *catalog)
{
  g_autoptr(GArray) found = pending_new ();
  g_autofree char *done = NULL;
  g_autofree OsiCatalogChecksum *checksums = NULL;
  g_autoptr(GError) error = NULL;
  struct dirent *de;
  DIR *dir;
  int fd;

  if (!osi_catalog_get_setting (catalog, SETTING_SIDECARS_IMPORTED, &done, &error))
    {
      g_message ("Cannot import the .sha256 files into the backup catalog: %s", error->message);
      return;
    }
  if (done != NULL)
    return;

  fd = openat (self->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  dir = fd >= 0 ? fdopendir (fd) : NULL;
  if (dir == NULL)
    {
      if (fd >= 0)
        close (fd);
      return;
    }
  while ((de = readdir (dir)) != NULL)
    {
      g_autofree char *sha256 = NULL;
      PendingChecksum pending;
      struct stat st;

      if (de->d_name[0] == '.' || !osi_backup_folder_is_backup_name (de->d_name) ||
          fstatat (dirfd (dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG (st.st_mode))
        continue;
      sha256 = _osi_backup_folder_read_sidecar (dirfd (dir), de->d_name, &st);
      if (sha256 == NULL)
        continue;
      pending.name = g_strdup (de->d_name);
      memcpy (pending.sha256, sha256, sizeof pending.sha256);
      osi_catalog_stamp_from_stat (&pending.stamp, &st);
      g_array_append_val (found, pending);
    }
  closedir (dir);

  checksums = g_new (OsiCatalogChecksum, MAX (found->len, 1));
  for (guint i = 0; i < found->len; i++)
    {
      const PendingChecksum *p = &g_array_index (found, PendingChecksum, i);

      checksums[i].name = p->name;
      checksums[i].sha256 = p->sha256;
      checksums[i].stamp = p->stamp;
    }
  if (!osi_catalog_import_checksums (catalog, checksums, found->len, &error) ||
      !osi_catalog_set_setting (catalog, SETTING_SIDECARS_IMPORTED, "1", &error))
    {
      g_message ("Cannot import the .sha256 files into the backup catalog: %s", error->message);
      return;
    }
  if (found->len > 0)
    g_message ("Imported the checksums of %u backups from their .sha256 files into the backup catalog",
               found->len);
}

/* Forgets the records of backups deleted while the server was down. */
static void
forget_gone (OsiBackupFolder *self,
             OsiCatalog      *catalog,
             GHashTable      *records)
{
  g_autoptr(GPtrArray) gone = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, records);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      struct stat st;

      if (osi_backup_name_is_valid (key) &&
          fstatat (self->fd, key, &st, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT)
        g_ptr_array_add (gone, key);
    }
  if (gone->len == 0)
    return;
  if (!osi_catalog_forget_many (catalog, (const char * const *)gone->pdata, gone->len, &error))
    {
      g_message ("Cannot forget %u deleted backups in the backup catalog: %s", gone->len, error->message);
      return;
    }
  g_message ("Forgot %u backups deleted while the server was stopped", gone->len);
  for (guint i = 0; i < gone->len; i++)
    g_hash_table_remove (records, g_ptr_array_index (gone, i));
}

/* ------------------------------------------------------------------------ */
/* Internal                                                                 */

void
_osi_backup_folder_forget (OsiBackupFolder    *self,
                           const char * const *names,
                           guint               n_names)
{
  g_autoptr(GError) error = NULL;

  if (!on_catalog_thread (self) || n_names == 0)
    return;
  g_mutex_lock (&self->cache_lock);
  drop_pending_locked (self, names, n_names);
  g_mutex_unlock (&self->cache_lock);
  if (!osi_catalog_forget_many (self->catalog, names, n_names, &error))
    g_message ("Cannot forget %u deleted backups in the backup catalog: %s", n_names, error->message);
  g_mutex_lock (&self->cache_lock);
  for (guint i = 0; i < n_names; i++)
    g_hash_table_remove (self->records, names[i]);
  g_mutex_unlock (&self->cache_lock);
}

void
_osi_backup_folder_catalog_stop (OsiBackupFolder *self)
{
  if (on_catalog_thread (self))
    flush_pending (self);
}

void
_osi_backup_folder_catalog_finalize (OsiBackupFolder *self)
{
  if (self->flush_source != NULL)
    {
      g_source_destroy (self->flush_source);
      g_clear_pointer (&self->flush_source, g_source_unref);
    }
  g_clear_pointer (&self->pending, g_array_unref);
  g_clear_pointer (&self->records, g_hash_table_unref);
  g_clear_pointer (&self->catalog_context, g_main_context_unref);
  g_clear_pointer (&self->catalog_thread, g_thread_unref);
  g_clear_object (&self->catalog);
}

/* ------------------------------------------------------------------------ */
/* Public API                                                               */

void
osi_backup_folder_attach_catalog (OsiBackupFolder *self,
                                  OsiCatalog      *catalog)
{
  g_autoptr(GHashTable) records = NULL;
  g_autoptr(GError) error = NULL;

  g_return_if_fail (OSI_IS_BACKUP_FOLDER (self));
  g_return_if_fail (OSI_IS_CATALOG (catalog));
  g_return_if_fail (self->catalog == NULL);

  import_sidecars_once (self, catalog);
  records = osi_catalog_load_all (catalog, &error);
  if (records == NULL)
    {
      g_message ("Cannot read the backup catalog: %s", error->message);
      records = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify)osi_catalog_entry_free);
    }
  forget_gone (self, catalog, records);

  g_mutex_lock (&self->cache_lock);
  g_clear_pointer (&self->records, g_hash_table_unref);
  self->records = g_steal_pointer (&records);
  self->catalog = g_object_ref (catalog);
  self->catalog_context = g_main_context_ref_thread_default ();
  self->catalog_thread = g_thread_ref (g_thread_self ());
  if (self->pending == NULL)
    self->pending = pending_new ();
  /* Entries rendered before gain the catalog's members. */
  g_hash_table_remove_all (self->cache);
  self->rescan = TRUE;
  g_clear_pointer (&self->list_body, g_bytes_unref);
  g_mutex_unlock (&self->cache_lock);
}

void
osi_backup_folder_set_members_func (OsiBackupFolder            *self,
                                    OsiBackupFolderMembersFunc  func,
                                    gpointer                    user_data)
{
  g_return_if_fail (OSI_IS_BACKUP_FOLDER (self));

  g_mutex_lock (&self->cache_lock);
  self->members_func = func;
  self->members_data = user_data;
  g_hash_table_remove_all (self->cache);
  self->rescan = TRUE;
  g_clear_pointer (&self->list_body, g_bytes_unref);
  g_mutex_unlock (&self->cache_lock);
}

void
osi_backup_folder_invalidate (OsiBackupFolder *self,
                              const char      *name)
{
  g_return_if_fail (OSI_IS_BACKUP_FOLDER (self));
  g_return_if_fail (name != NULL);

  g_mutex_lock (&self->cache_lock);
  invalidate_locked (self, name);
  g_mutex_unlock (&self->cache_lock);
}

OsiCatalog *
osi_backup_folder_get_catalog (OsiBackupFolder *self)
{
  g_return_val_if_fail (OSI_IS_BACKUP_FOLDER (self), NULL);

  return self->catalog;
}

gboolean
osi_backup_folder_is_protected (OsiBackupFolder *self,
                                const char      *name)
{
  const OsiCatalogEntry *record;
  gboolean is_protected;

  g_return_val_if_fail (OSI_IS_BACKUP_FOLDER (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);

  g_mutex_lock (&self->cache_lock);
  record = g_hash_table_lookup (self->records, name);
  is_protected = record != NULL && record->is_protected;
  g_mutex_unlock (&self->cache_lock);
  return is_protected;
}

OsiCatalogEntry *
osi_backup_folder_get_record (OsiBackupFolder  *self,
                              const char       *name,
                              GError          **error)
{
  g_return_val_if_fail (OSI_IS_BACKUP_FOLDER (self), NULL);
  g_return_val_if_fail (on_catalog_thread (self), NULL);

  return osi_catalog_get_entry (self->catalog, name, error);
}

#define CHECK_CATALOG(self, name, error)                                   \
  G_STMT_START {                                                           \
    g_return_val_if_fail (OSI_IS_BACKUP_FOLDER (self), FALSE);             \
    g_return_val_if_fail (osi_backup_name_is_valid (name), FALSE);         \
    g_return_val_if_fail (on_catalog_thread (self), FALSE);                \
    g_return_val_if_fail ((error) == NULL || *(error) == NULL, FALSE);     \
  } G_STMT_END

gboolean
osi_backup_folder_set_protected (OsiBackupFolder  *self,
                                 const char       *name,
                                 gboolean          is_protected,
                                 GError          **error)
{
  CHECK_CATALOG (self, name, error);

  if (!osi_catalog_set_protected (self->catalog, name, is_protected, error))
    return FALSE;
  refresh_record (self, name);
  return TRUE;
}

gboolean
osi_backup_folder_set_note (OsiBackupFolder  *self,
                            const char       *name,
                            const char       *note,
                            GError          **error)
{
  CHECK_CATALOG (self, name, error);

  if (!osi_catalog_set_note (self->catalog, name, note, error))
    return FALSE;
  refresh_record (self, name);
  return TRUE;
}

gboolean
osi_backup_folder_set_kind (OsiBackupFolder  *self,
                            const char       *name,
                            OsiCatalogKind    kind,
                            GError          **error)
{
  CHECK_CATALOG (self, name, error);

  if (!osi_catalog_set_kind (self->catalog, name, kind, error))
    return FALSE;
  refresh_record (self, name);
  return TRUE;
}

gboolean
osi_backup_folder_set_verification (OsiBackupFolder    *self,
                                    const char         *name,
                                    OsiCatalogVerdict   verdict,
                                    gint64              at,
                                    GError            **error)
{
  CHECK_CATALOG (self, name, error);

  if (!osi_catalog_set_verification (self->catalog, name, verdict, at, error))
    return FALSE;
  refresh_record (self, name);
  return TRUE;
}

void
osi_backup_folder_add_members (OsiBackupFolder *self,
                               const char      *name,
                               JsonObject      *object)
{
  g_return_if_fail (OSI_IS_BACKUP_FOLDER (self));
  g_return_if_fail (name != NULL && object != NULL);

  g_mutex_lock (&self->cache_lock);
  _osi_backup_folder_add_members_locked (self, name, object);
  g_mutex_unlock (&self->cache_lock);
}

static void
item_clear (gpointer data)
{
  OsiBackupFolderItem *item = data;

  g_free (item->name);
}

GArray *
osi_backup_folder_list_items (OsiBackupFolder *self)
{
  g_autoptr(GPtrArray) found = NULL;
  GArray *items;

  g_return_val_if_fail (OSI_IS_BACKUP_FOLDER (self), NULL);

  g_mutex_lock (&self->cache_lock);
  found = _osi_backup_folder_current_locked (self);
  items = g_array_sized_new (FALSE, TRUE, sizeof (OsiBackupFolderItem), found->len);
  g_array_set_clear_func (items, item_clear);
  for (guint i = 0; i < found->len; i++)
    {
      const CacheEntry *entry = g_ptr_array_index (found, i);
      const OsiCatalogEntry *record = g_hash_table_lookup (self->records, entry->name);
      OsiBackupFolderItem item = { 0 };

      item.name = g_strdup (entry->name);
      item.mtime_ns = entry->mtime_ns;
      if (record != NULL)
        {
          item.is_protected = record->is_protected;
          item.verdict = record->verdict;
          item.verified_at = record->verified_at;
        }
      g_array_append_val (items, item);
    }
  g_mutex_unlock (&self->cache_lock);
  return items;
}

JsonNode *
osi_backup_folder_entry_to_json (OsiBackupFolder *self,
                                 const char      *name)
{
  g_autoptr(GDateTime) date = NULL;
  g_autoptr(OsiBackupInfo) info = NULL;
  g_autofree char *sha256 = NULL;
  JsonNode *node;
  struct stat st;

  g_return_val_if_fail (OSI_IS_BACKUP_FOLDER (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  if (!osi_backup_folder_exists (self, name, &st))
    return NULL;
  sha256 = osi_backup_folder_lookup_sha256 (self, name, &st);
  date = g_date_time_new_from_unix_utc (st.st_mtim.tv_sec);
  info = osi_backup_info_new (name, date, st.st_size, sha256);
  node = osi_backup_info_to_json (info);
  osi_backup_folder_add_members (self, name, json_node_get_object (node));
  return node;
}
