/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-server"

#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>

#include "osi-backup-folder-private.h"
#include "osi-backup-info.h"
#include "osi-open.h"
#include "osi-sha256.h"

#define NSEC_PER_SEC        G_GINT64_CONSTANT (1000000000)
#define SIDECAR_SUFFIX      OSI_BACKUP_FOLDER_SIDECAR_SUFFIX
#define TEMP_SUFFIX         OSI_BACKUP_FOLDER_TEMP_SUFFIX

G_DEFINE_FINAL_TYPE (OsiBackupFolder, osi_backup_folder, G_TYPE_OBJECT)

static const char * const backup_suffixes[] = { ".tar.zst", ".tar.gz", ".tgz", ".zip", ".json" };

/* ------------------------------------------------------------------------ */
/* Names and files                                                          */

static gboolean
has_suffix_ci (const char *s,
               const char *suffix)
{
  gsize ls = strlen (s);
  gsize lx = strlen (suffix);

  return ls > lx && g_ascii_strcasecmp (s + ls - lx, suffix) == 0;
}

static gboolean
is_backup_name (const char *name)
{
  if (!osi_backup_name_is_valid (name))
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (backup_suffixes); i++)
    if (has_suffix_ci (name, backup_suffixes[i]))
      return TRUE;
  return FALSE;
}

static gint64
stat_mtime_ns (const struct stat *st)
{
  return (gint64)st->st_mtim.tv_sec * NSEC_PER_SEC + st->st_mtim.tv_nsec;
}

static gint64
stat_ctime_ns (const struct stat *st)
{
  return (gint64)st->st_ctim.tv_sec * NSEC_PER_SEC + st->st_ctim.tv_nsec;
}

static char *
sidecar_name (const char *name)
{
  return g_strconcat (".", name, SIDECAR_SUFFIX, NULL);
}

/* The sidecar is trusted only when written after the file last changed:
 * its mtime not before the file's ctime, which no copy can set back. */
char *
_osi_backup_folder_read_sidecar (int                dir_fd,
                                 const char        *name,
                                 const struct stat *file_st)
{
  g_autofree char *side = sidecar_name (name);
  char text[OSI_SHA256_HEX_LEN + 1];
  struct stat st;
  ssize_t n;
  int fd;

  fd = osi_open_regular_at (dir_fd, side, OSI_OPEN_NONE, &st, NULL);
  if (fd < 0)
    return NULL;
  if (stat_mtime_ns (&st) < stat_ctime_ns (file_st))
    {
      close (fd);
      return NULL;
    }
  n = read (fd, text, OSI_SHA256_HEX_LEN);
  close (fd);
  if (n != OSI_SHA256_HEX_LEN)
    return NULL;
  text[OSI_SHA256_HEX_LEN] = '\0';
  if (!osi_sha256_is_hex (text))
    return NULL;
  return g_ascii_strdown (text, -1);
}

/* In sha256sum's format, so that `sha256sum -c` can use it too. Written
 * through a temporary name that the start-up cleaning recognises. */
static void
write_sidecar (int         dir_fd,
               const char *name,
               const char *sha256)
{
  g_autofree char *side = sidecar_name (name);
  g_autofree char *text = g_strdup_printf ("%s  %s\n", sha256, name);
  g_autofree char *tmp = NULL;
  gsize len = strlen (text);
  int fd = -1;

  for (guint i = 0; i < 100 && fd < 0; i++)
    {
      g_free (tmp);
      tmp = g_strdup_printf ("%s.%06x" TEMP_SUFFIX, side, g_random_int () & 0xffffff);
      fd = openat (dir_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
      if (fd < 0 && errno != EEXIST)
        break;
    }
  if (fd < 0)
    {
      g_message ("Cannot write the checksum of %s: %s", name, g_strerror (errno));
      return;
    }
  if (write (fd, text, len) != (ssize_t)len)
    {
      g_message ("Cannot write the checksum of %s: %s", name, g_strerror (errno));
      close (fd);
      unlinkat (dir_fd, tmp, 0);
      return;
    }
  close (fd);
  if (renameat (dir_fd, tmp, dir_fd, side) < 0)
    {
      g_message ("Cannot write the checksum of %s: %s", name, g_strerror (errno));
      unlinkat (dir_fd, tmp, 0);
    }
}

/* Hashes the backup open on fd from its first byte, without moving the
 * descriptor's offset; NAME is for the message. */
char *
osi_backup_folder_hash_fd (int            fd,
                           const char    *name,
                           GCancellable  *cancellable,
                           GError       **error)
{
  char hex[OSI_SHA256_HEX_LEN + 1];
  GError *reason = NULL;

  if (!osi_sha256_fd (fd, hex, NULL, cancellable, &reason))
    {
      if (g_error_matches (reason, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_propagate_error (error, reason);
      else
        {
          g_set_error (error, reason->domain, reason->code,
                       _("Cannot read the backup “%s”: %s"), name, reason->message);
          g_error_free (reason);
        }
      return NULL;
    }
  return g_strdup (hex);
}

/* Hashes NAME inside the folder, opened as osi_open_regular_at () does:
 * never a symlink, never a FIFO. out_st receives what was hashed. */
static char *
hash_file_at (int            dir_fd,
              const char    *name,
              struct stat   *out_st,
              GCancellable  *cancellable,
              GError       **error)
{
  GError *reason = NULL;
  char *sha;
  int fd;

  fd = osi_open_regular_at (dir_fd, name, OSI_OPEN_NONE, out_st, &reason);
  if (fd < 0)
    {
      g_set_error (error, reason->domain, reason->code,
                   _("Cannot read the backup “%s”: %s"), name, reason->message);
      g_error_free (reason);
      return NULL;
    }
  sha = osi_backup_folder_hash_fd (fd, name, cancellable, error);
  close (fd);
  return sha;
}


/* Leftovers of interrupted work: .NAME.XXXXXX.part (creates, uploads),
 * .NAME.XXXXXX.part.json (uploads of bare knowledge bases),
 * .NAME.sha256.XXXXXX.part, and sidecars whose backup is gone. Only names
 * of that shape are touched: the folder may hold other things. */
static gboolean
is_temp_leftover (const char *name)
{
  g_autofree char *inner = NULL;
  const char *end;
  gsize len;

  if (name[0] != '.')
    return FALSE;
  if (g_str_has_suffix (name, TEMP_SUFFIX ".json"))
    len = strlen (name) - strlen (TEMP_SUFFIX ".json");
  else if (g_str_has_suffix (name, TEMP_SUFFIX))
    len = strlen (name) - strlen (TEMP_SUFFIX);
  else
    return FALSE;

  /* name[1 .. len) is NAME.XXXXXX or NAME.sha256.XXXXXX */
  inner = g_strndup (name + 1, len - 1);
  end = strrchr (inner, '.');
  if (end == NULL)
    return FALSE;
  inner[end - inner] = '\0';
  if (g_str_has_suffix (inner, SIDECAR_SUFFIX))
    inner[strlen (inner) - strlen (SIDECAR_SUFFIX)] = '\0';
  return is_backup_name (inner);
}

void
osi_backup_folder_clean (OsiBackupFolder *self)
{
  g_autoptr(GPtrArray) names = osi_read_dir_names (self->fd);

  for (guint i = 0; names != NULL && i < names->len; i++)
    {
      const char *name = g_ptr_array_index (names, i);
      struct stat st;

      if (name[0] != '.' || fstatat (self->fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
          !S_ISREG (st.st_mode))
        continue;

      if (is_temp_leftover (name))
        {
          g_message ("Removing %s, left by an interrupted operation", name);
          unlinkat (self->fd, name, 0);
        }
      else if (g_str_has_suffix (name, SIDECAR_SUFFIX))
        {
          g_autofree char *backup = g_strndup (name + 1, strlen (name) - 1 - strlen (SIDECAR_SUFFIX));
          struct stat bst;

          if (is_backup_name (backup) &&
              fstatat (self->fd, backup, &bst, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT)
            unlinkat (self->fd, name, 0);
        }
    }
}

/* ------------------------------------------------------------------------ */
/* The cache of backups                                                     */

static void
cache_entry_free (gpointer data)
{
  CacheEntry *entry = data;

  g_free (entry->name);
  g_free (entry->sha256);
  g_free (entry->json);
  g_free (entry);
}

static gboolean
cache_entry_matches (const CacheEntry  *entry,
                     const struct stat *st)
{
  return entry->size == (gint64)st->st_size &&
         entry->mtime_ns == stat_mtime_ns (st) &&
         entry->ctime_ns == stat_ctime_ns (st);
}

/* Called with the lock held. */
static CacheEntry *
cache_lookup_locked (OsiBackupFolder   *self,
                     const char        *name,
                     const struct stat *st)
{
  CacheEntry *entry = g_hash_table_lookup (self->cache, name);

  if (entry == NULL)
    {
      entry = g_new0 (CacheEntry, 1);
      entry->name = g_strdup (name);
      g_hash_table_insert (self->cache, entry->name, entry);
    }
  else if (cache_entry_matches (entry, st))
    return entry;

  entry->size = st->st_size;
  entry->mtime_ns = stat_mtime_ns (st);
  entry->ctime_ns = stat_ctime_ns (st);
  g_clear_pointer (&entry->sha256, g_free);
  g_clear_pointer (&entry->json, g_free);
  entry->sidecar_checked = FALSE;
  return entry;
}

void
osi_backup_folder_store_sha256 (OsiBackupFolder   *self,
                                const char        *name,
                                const struct stat *st,
                                const char        *sha256)
{
  CacheEntry *entry;

  g_return_if_fail (OSI_IS_BACKUP_FOLDER (self));
  g_return_if_fail (name != NULL && sha256 != NULL);

  g_mutex_lock (&self->cache_lock);
  entry = cache_lookup_locked (self, name, st);
  entry->sidecar_checked = TRUE;
  if (g_strcmp0 (entry->sha256, sha256) != 0)
    {
      g_free (entry->sha256);
      entry->sha256 = g_strdup (sha256);
      g_clear_pointer (&entry->json, g_free);
      g_clear_pointer (&self->list_body, g_bytes_unref);
    }
  _osi_backup_folder_queue_sha256_locked (self, name, sha256, entry->size, entry->mtime_ns, entry->ctime_ns);
  g_mutex_unlock (&self->cache_lock);
}

static void
cache_forget (OsiBackupFolder *self,
              const char *name)
{
  g_mutex_lock (&self->cache_lock);
  g_hash_table_remove (self->cache, name);
  g_clear_pointer (&self->list_body, g_bytes_unref);
  g_mutex_unlock (&self->cache_lock);
}

/* Called with the lock held. */
static const char *
cache_entry_json_locked (OsiBackupFolder *self,
                         CacheEntry      *entry)
{
  if (entry->json == NULL)
    {
      g_autoptr(GDateTime) date = g_date_time_new_from_unix_utc (entry->mtime_ns / NSEC_PER_SEC);
      g_autoptr(OsiBackupInfo) info = osi_backup_info_new (entry->name, date, entry->size, entry->sha256);
      g_autoptr(JsonNode) node = osi_backup_info_to_json (info);

      _osi_backup_folder_add_members_locked (self, entry->name, json_node_get_object (node));
      entry->json = json_to_string (node, FALSE);
    }
  return entry->json;
}

typedef struct
{
  char   *name;
  gint64  size;
  gint64  mtime_ns;
  gint64  ctime_ns;
} HashJob;

static void
hash_job_free (HashJob *job)
{
  g_free (job->name);
  g_free (job);
}

/* Whether the digest just computed over the file st describes is still
 * the one to list for entry: the file unchanged since the job was queued,
 * and no digest known meanwhile. Called with cache_lock held. */
static gboolean
hash_is_fresh (CacheEntry    *entry,
               const HashJob *job,
               struct stat   *st)
{
  return cache_entry_matches (entry, st) &&
         entry->size == job->size && entry->mtime_ns == job->mtime_ns &&
         entry->ctime_ns == job->ctime_ns && entry->sha256 == NULL;
}

/* The lazy hashing thread: one file at a time, so that a folder of
 * thousands of unhashed backups never starves the operations. */
static void
hash_worker (gpointer data,
             gpointer user_data)
{
  HashJob *job = data;
  OsiBackupFolder *self = user_data;
  g_autofree char *sha = NULL;
  CacheEntry *entry;
  gboolean fresh;
  struct stat st;

  if (!g_cancellable_is_cancelled (self->cancellable))
    sha = hash_file_at (self->fd, job->name, &st, self->cancellable, NULL);

  /* The sidecar first, then the list: whoever sees the digest listed
   * finds it beside the backup too. */
  g_mutex_lock (&self->cache_lock);
  entry = g_hash_table_lookup (self->cache, job->name);
  fresh = sha != NULL && entry != NULL && hash_is_fresh (entry, job, &st);
  g_mutex_unlock (&self->cache_lock);
  if (fresh)
    write_sidecar (self->fd, job->name, sha);

  g_mutex_lock (&self->cache_lock);
  entry = g_hash_table_lookup (self->cache, job->name);
  if (entry != NULL)
    {
      entry->hash_queued = FALSE;
      if (fresh && hash_is_fresh (entry, job, &st))
        {
          entry->sha256 = g_strdup (sha);
          g_clear_pointer (&entry->json, g_free);
          g_clear_pointer (&self->list_body, g_bytes_unref);
          _osi_backup_folder_queue_sha256_locked (self, entry->name, sha, entry->size, entry->mtime_ns,
                                                  entry->ctime_ns);
        }
    }
  g_mutex_unlock (&self->cache_lock);

  hash_job_free (job);
}

static int
compare_newest_first (gconstpointer a,
                      gconstpointer b)
{
  const CacheEntry *ea = *(CacheEntry * const *)a;
  const CacheEntry *eb = *(CacheEntry * const *)b;

  if (ea->mtime_ns != eb->mtime_ns)
    return ea->mtime_ns > eb->mtime_ns ? -1 : 1;
  return -strcmp (ea->name, eb->name);
}

/* The checksum of entry's file, from the catalog, else from its sidecar
 * file (written by an older server, or copied in with the backup), which
 * the catalog then records. Called with the lock held. */
static void
look_up_sha256_locked (OsiBackupFolder   *self,
                       int                dir_fd,
                       CacheEntry        *entry,
                       const struct stat *st)
{
  entry->sidecar_checked = TRUE;
  entry->sha256 = _osi_backup_folder_known_sha256_locked (self, entry);
  if (entry->sha256 != NULL)
    return;
  entry->sha256 = _osi_backup_folder_read_sidecar (dir_fd, entry->name, st);
  if (entry->sha256 != NULL)
    _osi_backup_folder_queue_sha256_locked (self, entry->name, entry->sha256, entry->size, entry->mtime_ns,
                                            entry->ctime_ns);
}

/* Records a backup seen in the folder (stamped with the current
 * generation: present), with its checksum from the sidecar file or queued
 * for hashing. Called with the lock held. */
static CacheEntry *
see_backup_locked (OsiBackupFolder   *self,
                   int                dir_fd,
                   const char        *name,
                   const struct stat *st,
                   gboolean           queue_hashes)
{
  CacheEntry *entry = cache_lookup_locked (self, name, st);

  entry->generation = self->generation;
  if (entry->sha256 == NULL && !entry->sidecar_checked)
    look_up_sha256_locked (self, dir_fd, entry, st);
  if (entry->sha256 == NULL && !entry->hash_queued && queue_hashes && self->hash_pool != NULL)
    {
      HashJob *job = g_new0 (HashJob, 1);

      job->name = g_strdup (entry->name);
      job->size = entry->size;
      job->mtime_ns = entry->mtime_ns;
      job->ctime_ns = entry->ctime_ns;
      entry->hash_queued = TRUE;
      g_thread_pool_push (self->hash_pool, job, NULL);
    }
  return entry;
}

/* After a full read, the backups again, from the cache, looking again
 * only at the names the watch reported: a backup made, removed or touched
 * among 100,000 costs one fstatat (), not 100,000. Newest first, as
 * scan_backups_locked (). Called with the lock held. */
static GPtrArray *
update_backups_locked (OsiBackupFolder *self,
                       GHashTable *names)
{
  GPtrArray *found;
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, names);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      const char *name = key;
      CacheEntry *entry;
      struct stat st;

      if (name[0] == '.' || !is_backup_name (name))
        continue;
      if (fstatat (self->fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG (st.st_mode))
        see_backup_locked (self, self->fd, name, &st, TRUE);
      else if ((entry = g_hash_table_lookup (self->cache, name)) != NULL)
        {
          if (entry->hash_queued)
            entry->generation = 0;   /* gone; the hashing thread forgets it */
          else
            g_hash_table_remove (self->cache, name);
        }
    }

  found = g_ptr_array_sized_new (g_hash_table_size (self->cache));
  g_hash_table_iter_init (&iter, self->cache);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      CacheEntry *entry = value;

      if (entry->generation == self->generation)
        g_ptr_array_add (found, entry);
    }
  g_ptr_array_sort (found, compare_newest_first);
  return found;
}

/* Reads the folder and returns its backups, newest first, as CacheEntry
 * pointers valid until the lock is released. Called with the lock held. */
static GPtrArray *
scan_backups_locked (OsiBackupFolder *self,
                     gboolean   queue_hashes)
{
  GPtrArray *found = g_ptr_array_new ();
  int fd = openat (self->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR *dir = fd >= 0 ? fdopendir (fd) : NULL;
  struct dirent *de;
  GHashTableIter iter;
  gpointer value;

  if (dir == NULL)
    {
      if (fd >= 0)
        close (fd);
      return found;
    }

  self->generation++;
  while ((de = readdir (dir)) != NULL)
    {
      struct stat st;

      if (de->d_name[0] == '.' || !is_backup_name (de->d_name))
        continue;
      if (fstatat (dirfd (dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG (st.st_mode))
        continue;

      g_ptr_array_add (found, see_backup_locked (self, dirfd (dir), de->d_name, &st, queue_hashes));
    }
  closedir (dir);

  /* forget what disappeared */
  g_hash_table_iter_init (&iter, self->cache);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      CacheEntry *entry = value;

      if (entry->generation != self->generation && !entry->hash_queued)
        g_hash_table_iter_remove (&iter);
    }

  g_ptr_array_sort (found, compare_newest_first);
  return found;
}

guint
osi_backup_folder_count (OsiBackupFolder *self)
{
  GPtrArray *found;
  guint n;

  g_return_val_if_fail (OSI_IS_BACKUP_FOLDER (self), 0);

  g_mutex_lock (&self->cache_lock);
  found = scan_backups_locked (self, FALSE);
  n = found->len;
  g_ptr_array_unref (found);
  g_mutex_unlock (&self->cache_lock);
  return n;
}

/* ------------------------------------------------------------------------ */
/* The rendered list                                                        */

/* Whether the rendered list still holds: nothing happened in the backup
 * folder since it was rendered. The kernel queues an inotify event for
 * any file made, removed, renamed, written or touched there, by this
 * server or anyone else, so reading the queue now (it never blocks) is
 * enough. Called with the lock held. */
static gboolean
list_cache_valid_locked (OsiBackupFolder *self)
{
  char events[4096] __attribute__ ((aligned (__alignof__ (struct inotify_event))));
  gboolean changed = FALSE;
  gssize n;

  if (self->watch_fd < 0)
    return FALSE;
  while ((n = read (self->watch_fd, events, sizeof events)) > 0)
    {
      for (gssize at = 0; at + (gssize)sizeof (struct inotify_event) <= n;)
        {
          const struct inotify_event *event = (const struct inotify_event *)(events + at);

          at += (gssize)sizeof (struct inotify_event) + event->len;
          /* Every write to the catalog touches its WAL: what the list
           * shows of the catalog is invalidated where it is written
           * (osi-backup-folder-catalog.c), not by the watch. */
          if (event->len > 0 && g_str_has_prefix (event->name, OSI_CATALOG_FILE_NAME))
            continue;
          changed = TRUE;
          if (event->mask & (IN_Q_OVERFLOW | IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF))
            self->rescan = TRUE;
          else if (event->len > 0)
            g_hash_table_add (self->changed_names, g_strndup (event->name, event->len));
        }
    }
  if (n < 0 && errno != EAGAIN && errno != EINTR)
    {
      /* A watch that fails is a cache that cannot be trusted. */
      g_warning ("Cannot read the backup folder's change events: %s", g_strerror (errno));
      close (self->watch_fd);
      self->watch_fd = -1;
      self->rescan = TRUE;
      changed = TRUE;
    }
  if (changed)
    g_clear_pointer (&self->list_body, g_bytes_unref);
  return self->list_body != NULL;
}

GPtrArray *
_osi_backup_folder_current_locked (OsiBackupFolder *self)
{
  GPtrArray *found;

  list_cache_valid_locked (self);
  if (self->rescan || self->watch_fd < 0)
    found = scan_backups_locked (self, TRUE);
  else
    found = update_backups_locked (self, self->changed_names);
  self->rescan = FALSE;
  g_hash_table_remove_all (self->changed_names);
  return found;
}

static GBytes *
render_list_locked (OsiBackupFolder *self)
{
  GString *body = g_string_sized_new (4096);
  g_autoptr(JsonNode) message = json_node_alloc ();
  g_autofree char *message_text = NULL;
  g_autofree char *message_json = NULL;
  GPtrArray *found;
  guint n;

  /* Entries are rendered once and kept: 10,000 backups are a walk of the
   * folder and a concatenation; with the watch, only what it reported is
   * looked at again. */
  found = _osi_backup_folder_current_locked (self);
  n = found->len;
  g_string_append (body, "{\"backups\":[");
  for (guint i = 0; i < found->len; i++)
    {
      if (i > 0)
        g_string_append_c (body, ',');
      g_string_append (body, cache_entry_json_locked (self, g_ptr_array_index (found, i)));
    }
  g_ptr_array_unref (found);

  message_text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u backup", "%u backups", n), n);
  json_node_init_string (message, message_text);
  message_json = json_to_string (message, FALSE);
  g_string_append_printf (body, "],\"message\":%s}", message_json);
  return g_string_free_to_bytes (body);
}


static void
osi_backup_folder_dispose (GObject *object)
{
  OsiBackupFolder *self = (OsiBackupFolder *)object;

  osi_backup_folder_stop (self);

  G_OBJECT_CLASS (osi_backup_folder_parent_class)->dispose (object);
}

static void
osi_backup_folder_finalize (GObject *object)
{
  OsiBackupFolder *self = (OsiBackupFolder *)object;

  g_free (self->path);
  if (self->fd >= 0)
    close (self->fd);
  if (self->watch_fd >= 0)
    close (self->watch_fd);
  g_clear_pointer (&self->list_body, g_bytes_unref);
  g_clear_pointer (&self->changed_names, g_hash_table_unref);
  g_clear_pointer (&self->cache, g_hash_table_unref);
  _osi_backup_folder_catalog_finalize (self);
  g_mutex_clear (&self->cache_lock);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (osi_backup_folder_parent_class)->finalize (object);
}

static void
osi_backup_folder_class_init (OsiBackupFolderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = osi_backup_folder_dispose;
  object_class->finalize = osi_backup_folder_finalize;
}

static void
osi_backup_folder_init (OsiBackupFolder *self)
{
  self->fd = -1;
  self->watch_fd = -1;
  /* Nothing read yet: the first list reads the whole folder. */
  self->rescan = TRUE;
  self->changed_names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_mutex_init (&self->cache_lock);
  self->cache = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, cache_entry_free);
  self->records = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify)osi_catalog_entry_free);
  self->cancellable = g_cancellable_new ();
}

/* ------------------------------------------------------------------------ */
/* Public API                                                               */

OsiBackupFolder *
osi_backup_folder_new (const char  *path,
                       GError     **error)
{
  g_autoptr(OsiBackupFolder) self = NULL;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (!error || !*error, NULL);

  self = g_object_new (OSI_TYPE_BACKUP_FOLDER, NULL);
  self->path = g_strdup (path);

  if (g_mkdir_with_parents (self->path, 0700) < 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Cannot create the backup folder “%s”: %s"), self->path, g_strerror (saved));
      return NULL;
    }
  self->fd = open (self->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (self->fd < 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Cannot open the backup folder “%s”: %s"), self->path, g_strerror (saved));
      return NULL;
    }
  /* Without a watch (no inotify, or no watch left) the list is rendered
   * anew for every request. The watch sees local changes only: a folder
   * shared over NFS and written by another machine is not seen. */
  self->watch_fd = inotify_init1 (IN_NONBLOCK | IN_CLOEXEC);
  if (self->watch_fd >= 0 &&
      inotify_add_watch (self->watch_fd, self->path,
                         IN_CREATE | IN_DELETE | IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_MOVED_FROM |
                         IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR) < 0)
    {
      g_message ("Cannot watch the backup folder (%s): the list is read anew for every request",
                 g_strerror (errno));
      close (self->watch_fd);
      self->watch_fd = -1;
    }

  /* Jobs still queued at shutdown are dropped and freed. */
  self->hash_pool = g_thread_pool_new_full (hash_worker, self, (GDestroyNotify)hash_job_free, 1, FALSE, NULL);

  return g_steal_pointer (&self);
}

const char *
osi_backup_folder_get_path (OsiBackupFolder *self)
{
  g_return_val_if_fail (OSI_IS_BACKUP_FOLDER (self), NULL);

  return self->path;
}

int
osi_backup_folder_get_fd (OsiBackupFolder *self)
{
  g_return_val_if_fail (OSI_IS_BACKUP_FOLDER (self), -1);

  return self->fd;
}

gboolean
osi_backup_folder_is_backup_name (const char *name)
{
  g_return_val_if_fail (name != NULL, FALSE);

  return is_backup_name (name);
}

void
osi_backup_folder_stop (OsiBackupFolder *self)
{
  g_return_if_fail (OSI_IS_BACKUP_FOLDER (self));

  g_cancellable_cancel (self->cancellable);
  if (self->hash_pool != NULL)
    {
      g_thread_pool_free (self->hash_pool, TRUE, TRUE);
      self->hash_pool = NULL;
    }
  _osi_backup_folder_catalog_stop (self);
}

int
osi_backup_folder_open (OsiBackupFolder *self,
                        const char      *name,
                        struct stat     *st)
{
  int fd;

  g_return_val_if_fail (OSI_IS_BACKUP_FOLDER (self), -1);
  g_return_val_if_fail (name != NULL, -1);

  if (!is_backup_name (name))
    {
      errno = ENOENT;
      return -1;
    }
  fd = osi_open_regular_at (self->fd, name, OSI_OPEN_NONE, st, NULL);
  if (fd < 0)
    errno = ENOENT;
  return fd;
}

gboolean
osi_backup_folder_exists (OsiBackupFolder *self,
                          const char      *name,
                          struct stat     *st)
{
  g_return_val_if_fail (OSI_IS_BACKUP_FOLDER (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);

  return is_backup_name (name) &&
         fstatat (self->fd, name, st, AT_SYMLINK_NOFOLLOW) == 0 &&
         S_ISREG (st->st_mode);
}

char *
osi_backup_folder_build_path (OsiBackupFolder *self,
                              const char      *name)
{
  g_return_val_if_fail (OSI_IS_BACKUP_FOLDER (self), NULL);

  return g_build_filename (self->path, name, NULL);
}

gboolean
osi_backup_folder_delete (OsiBackupFolder *self,
                          const char      *name)
{
  g_autofree char *side = NULL;

  g_return_val_if_fail (OSI_IS_BACKUP_FOLDER (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);

  if (unlinkat (self->fd, name, 0) < 0)
    return FALSE;
  side = sidecar_name (name);
  unlinkat (self->fd, side, 0);
  fsync (self->fd);
  cache_forget (self, name);
  _osi_backup_folder_forget (self, &name, 1);
  return TRUE;
}

guint
osi_backup_folder_delete_many (OsiBackupFolder    *self,
                               const char * const *names,
                               guint               n_names,
                               int                *errors)
{
  g_autoptr(GPtrArray) gone = g_ptr_array_new ();
  guint n_failed = 0;

  g_return_val_if_fail (OSI_IS_BACKUP_FOLDER (self), n_names);
  g_return_val_if_fail (names != NULL || n_names == 0, n_names);
  g_return_val_if_fail (errors != NULL || n_names == 0, n_names);

  for (guint i = 0; i < n_names; i++)
    {
      g_autofree char *side = NULL;

      errors[i] = 0;
      if (!is_backup_name (names[i]))
        errors[i] = EINVAL;
      else if (unlinkat (self->fd, names[i], 0) < 0 && errno != ENOENT)
        errors[i] = errno;
      if (errors[i] != 0)
        {
          n_failed++;
          continue;
        }
      side = sidecar_name (names[i]);
      unlinkat (self->fd, side, 0);
      cache_forget (self, names[i]);
      g_ptr_array_add (gone, (gpointer)names[i]);
    }
  /* One sync of the folder and one transaction for them all. */
  if (gone->len > 0)
    fsync (self->fd);
  _osi_backup_folder_forget (self, (const char * const *)gone->pdata, gone->len);
  return n_failed;
}

char *
osi_backup_folder_lookup_sha256 (OsiBackupFolder   *self,
                                 const char        *name,
                                 const struct stat *st)
{
  CacheEntry *entry;
  char *sha256;

  g_return_val_if_fail (OSI_IS_BACKUP_FOLDER (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  g_mutex_lock (&self->cache_lock);
  entry = cache_lookup_locked (self, name, st);
  if (entry->sha256 == NULL && !entry->sidecar_checked)
    look_up_sha256_locked (self, self->fd, entry, st);
  sha256 = g_strdup (entry->sha256);
  g_mutex_unlock (&self->cache_lock);
  return sha256;
}

void
osi_backup_folder_write_sidecar (OsiBackupFolder *self,
                                 const char      *name,
                                 const char      *sha256)
{
  g_return_if_fail (OSI_IS_BACKUP_FOLDER (self));
  g_return_if_fail (name != NULL && sha256 != NULL);

  write_sidecar (self->fd, name, sha256);
}

GBytes *
osi_backup_folder_list_json (OsiBackupFolder *self)
{
  GBytes *body;

  g_return_val_if_fail (OSI_IS_BACKUP_FOLDER (self), NULL);

  /* Walking 100,000 backups costs 100,000 fstatat (), most of the answer's
   * time: the answer is kept until the folder changes. */
  g_mutex_lock (&self->cache_lock);
  if (!list_cache_valid_locked (self))
    {
      g_clear_pointer (&self->list_body, g_bytes_unref);
      body = render_list_locked (self);
      if (self->watch_fd >= 0)
        self->list_body = g_bytes_ref (body);
    }
  else
    body = g_bytes_ref (self->list_body);
  g_mutex_unlock (&self->cache_lock);
  return body;
}
