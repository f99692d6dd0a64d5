/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-server"

#include "config.h"

#include <string.h>
#include <sys/stat.h>

#include <glib/gi18n-lib.h>

#include "osi-backup-info.h"
#include "osi-offsite-private.h"
#include "osi-retention.h"
#include "osi-task.h"

/* The off-site engine and the storage's contents (docs/api.md §7.2,
 * §7.3): the storage's list read and applied to the records, the
 * off-site retention's plan and the deletions of the copies it removes,
 * and the aborts of uploads dropped with their backup. */

/* ------------------------------------------------------------------------ */
/* The storage's list                                                       */

GPtrArray *
osi_offsite_list_objects (OsiS3         *s3,
                          const char    *host_prefix,
                          GCancellable  *cancellable,
                          GError       **error)
{
  g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func ((GDestroyNotify)osi_s3_object_free);
  g_autofree char *token = NULL;

  do
    {
      g_autofree char *next = NULL;
      g_autoptr(GPtrArray) page = osi_s3_list_objects (s3, host_prefix, token, &next, cancellable, error);

      if (page == NULL)
        return NULL;
      g_ptr_array_extend_and_steal (all, g_steal_pointer (&page));
      g_free (token);
      token = g_steal_pointer (&next);
    }
  while (token != NULL);
  return g_steal_pointer (&all);
}

/* ------------------------------------------------------------------------ */
static GDateTime *
date_from_us (gint64 us)
{
  g_autoptr(GDateTime) seconds = g_date_time_new_from_unix_utc (us / G_USEC_PER_SEC);

  return seconds != NULL ? g_date_time_add (seconds, us % G_USEC_PER_SEC) : NULL;
}

/* Retention (main thread)                                                  */

/* The done copies, newest first, with what the planner needs. */
JsonObject *
osi_offsite_plan (OsiOffsite *self,
                  gboolean    dry_run)
{
  g_autoptr(GPtrArray) done = g_ptr_array_new_with_free_func ((GDestroyNotify)osi_catalog_copy_free);
  g_autoptr(GTimeZone) tz = NULL;
  g_autofree OsiRetentionBackup *backups = NULL;
  g_autofree OsiRetentionReasons *reasons = NULL;
  g_autofree guint *order = NULL;
  g_autoptr(JsonNode) node = NULL;
  OsiRetentionPolicy retention = { 0 };
  GHashTableIter iter;
  gpointer value;

  g_return_val_if_fail (OSI_IS_OFFSITE (self), NULL);

  if (!osi_policy_offsite_retention_is_set (self->policy))
    return NULL;
  g_mutex_lock (&self->lock);
  g_hash_table_iter_init (&iter, self->records);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (((OsiCatalogCopy *)value)->state == OSI_COPY_DONE)
      g_ptr_array_add (done, osi_catalog_copy_dup (value));
  g_mutex_unlock (&self->lock);

  backups = g_new0 (OsiRetentionBackup, MAX (done->len, 1));
  reasons = g_new0 (OsiRetentionReasons, MAX (done->len, 1));
  order = g_new0 (guint, MAX (done->len, 1));
  for (guint i = 0; i < done->len; i++)
    {
      const OsiCatalogCopy *copy = g_ptr_array_index (done, i);
      struct stat st;

      backups[i].name = copy->name;
      backups[i].date = copy->date_us > 0 ? date_from_us (copy->date_us) : NULL;
      /* the backup's protection while it is here, its copy's after */
      backups[i].is_protected = osi_backup_folder_exists (self->folder, copy->name, &st)
                                ? osi_backup_folder_is_protected (self->folder, copy->name)
                                : copy->is_protected;
    }
  /* Never fewer than the 3 newest (docs/api.md §7.2), as the planner's
   * floor; keep_daily has no place off-site. */
  retention.keep_last = MAX (self->policy->offsite.keep_last, OSI_MIN_KEPT_BACKUPS);
  retention.keep_weekly = self->policy->offsite.keep_weekly;
  retention.keep_monthly = self->policy->offsite.keep_monthly;
  tz = osi_policy_get_time_zone (self->policy);
  if (done->len > 0)
    osi_retention_plan (backups, done->len, &retention, tz, reasons, order);
  node = osi_retention_plan_to_json (backups, done->len, reasons, order, dry_run);
  for (guint i = 0; i < done->len; i++)
    g_clear_pointer (&backups[i].date, g_date_time_unref);
  /* "dry_run" is the prune's own member */
  json_object_remove_member (json_node_get_object (node), "dry_run");
  return json_object_ref (json_node_get_object (node));
}

typedef struct
{
  OsiOffsite *self;
  GPtrArray  *names;
  GPtrArray  *errors;   /* NULL or the reason, for each name */
  JsonObject *plan;
} Deletion;

static void
deletion_free (gpointer data)
{
  Deletion *deletion = data;

  g_clear_object (&deletion->self);
  g_clear_pointer (&deletion->names, g_ptr_array_unref);
  g_clear_pointer (&deletion->errors, g_ptr_array_unref);
  g_clear_pointer (&deletion->plan, json_object_unref);
  g_free (deletion);
}

/* ------------------------------------------------------------------------ */
/* Threads of the engine's own (deletions, aborts)                          */

/* Before the task's thread is started, on the main thread. */
static void
thread_begin (OsiOffsite *self)
{
  g_mutex_lock (&self->lock);
  self->n_threads++;
  g_mutex_unlock (&self->lock);
}

/* At the end of the thread's work: nothing of the engine is used after. */
static void
thread_end (OsiOffsite *self)
{
  g_mutex_lock (&self->lock);
  g_assert (self->n_threads > 0);
  self->n_threads--;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

gboolean
_osi_offsite_wait_threads (OsiOffsite *self,
                           gint64      timeout_us)
{
  gint64 end = g_get_monotonic_time () + timeout_us;
  gboolean none;

  g_mutex_lock (&self->lock);
  while (self->n_threads > 0)
    if (!g_cond_wait_until (&self->cond, &self->lock, end))
      break;
  none = self->n_threads == 0;
  g_mutex_unlock (&self->lock);
  return none;
}

/* ------------------------------------------------------------------------ */
/* Retention's deletions (main thread)                                      */

static gboolean
delete_copies (Deletion      *deletion,
               GCancellable  *cancellable,
               GError       **error)
{
  g_autoptr(OsiS3) s3 = osi_offsite_new_s3 (deletion->self, error);

  if (s3 == NULL)
    return FALSE;
  for (guint i = 0; i < deletion->names->len; i++)
    {
      const char *name = g_ptr_array_index (deletion->names, i);
      g_autoptr(GError) local_error = NULL;
      g_autofree char *key = osi_s3_backup_key (s3, g_get_host_name (), name, &local_error);

      /* a copy already gone counts as removed */
      if (key == NULL ||
          (!osi_s3_delete_object (s3, key, cancellable, &local_error) &&
           !g_error_matches (local_error, OSI_S3_ERROR, OSI_S3_ERROR_NOT_FOUND)))
        g_ptr_array_index (deletion->errors, i) = g_strdup (local_error->message);
    }
  return TRUE;
}

/* In the task's thread. Cancelled by stop, like the worker. */
static gboolean
delete_work (gpointer       data,
             GCancellable  *cancellable,
             GError       **error)
{
  Deletion *deletion = data;
  gboolean ok = delete_copies (deletion, deletion->self->cancellable, error);

  thread_end (deletion->self);
  return ok;
}

static void
delete_done (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  OsiOffsite *self = OSI_OFFSITE (source);
  GTask *task = G_TASK (result);
  g_autoptr(GTask) outer = user_data;
  Deletion *deletion = g_task_get_task_data (task);
  JsonArray *remove = json_object_get_array_member (deletion->plan, "remove");
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) removed = g_string_new (NULL);
  g_autoptr(GString) failed = g_string_new (NULL);
  g_autofree char *detail = NULL;
  guint n_removed = 0, n_failed = 0;

  if (!g_task_propagate_boolean (task, &error))
    for (guint i = 0; i < deletion->names->len; i++)
      if (g_ptr_array_index (deletion->errors, i) == NULL)
        g_ptr_array_index (deletion->errors, i) = g_strdup (error->message);

  for (guint i = 0; i < deletion->names->len; i++)
    {
      const char *name = g_ptr_array_index (deletion->names, i);
      const char *reason = g_ptr_array_index (deletion->errors, i);

      /* After stop the catalog is no longer the engine's (the server may
       * be gone): a copy deleted meanwhile is forgotten when the storage
       * is read at the next start. */
      if (reason == NULL)
        {
          if (!self->stopping)
            _osi_offsite_forget_record (self, name);
          g_string_append_printf (removed, "%s%s", removed->len > 0 ? ", " : "", name);
          n_removed++;
        }
      else
        {
          json_object_set_string_member (json_array_get_object_element (remove, i), "error", reason);
          g_string_append_printf (failed, "%s%s (%s)", failed->len > 0 ? ", " : "", name, reason);
          n_failed++;
          g_message ("Off-site retention: cannot delete the copy of %s: %s", name, reason);
        }
    }

  if (n_removed > 0)
    detail = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Removed %u off-site copy: %s.",
                                           "Removed %u off-site copies: %s.", n_removed),
                              n_removed, removed->str);
  else
    detail = g_strdup (_("Removed no off-site copy."));
  if (n_failed > 0)
    {
      g_autofree char *summary = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                               "%u off-site copy could not be deleted: %s.",
                                                               "%u off-site copies could not be deleted: %s.",
                                                               n_failed),
                                                  n_failed, failed->str);
      g_autofree char *both = g_strconcat (detail, " ", summary, NULL);

      json_object_set_string_member (deletion->plan, "detail", summary);
      g_free (detail);
      detail = g_steal_pointer (&both);
    }
  g_message ("Off-site retention: %s", detail);
  if (!self->stopping)
    {
      g_autoptr(GError) run_error = NULL;

      if (!osi_catalog_add_run (self->catalog, OSI_CATALOG_RUN_PRUNE, _osi_offsite_now_seconds (self), n_failed == 0,
                                detail, &run_error))
        g_message ("Cannot record the prune in the backup catalog: %s", run_error->message);
    }
  g_assert (self->n_busy > 0);
  self->n_busy--;
  g_task_return_boolean (outer, TRUE);
}

void
osi_offsite_apply_async (OsiOffsite          *self,
                         JsonObject          *plan,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) outer = NULL;
  g_autoptr(GTask) task = NULL;
  Deletion *deletion;
  JsonArray *remove;

  g_return_if_fail (OSI_IS_OFFSITE (self));
  g_return_if_fail (plan != NULL);

  outer = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (outer, osi_offsite_apply_async);
  deletion = g_new0 (Deletion, 1);
  deletion->self = g_object_ref (self);
  deletion->plan = json_object_ref (plan);
  deletion->names = g_ptr_array_new_with_free_func (g_free);
  remove = json_object_get_array_member (plan, "remove");
  for (guint i = 0; remove != NULL && i < json_array_get_length (remove); i++)
    g_ptr_array_add (deletion->names,
                     g_strdup (json_object_get_string_member (json_array_get_object_element (remove, i), "name")));
  deletion->errors = g_ptr_array_new_full (deletion->names->len, g_free);
  g_ptr_array_set_size (deletion->errors, deletion->names->len);

  self->n_busy++;
  task = g_task_new (self, NULL, delete_done, g_steal_pointer (&outer));
  g_task_set_task_data (task, deletion, deletion_free);
  thread_begin (self);
  osi_task_run_in_thread (task, delete_work);
}

gboolean
osi_offsite_apply_finish (OsiOffsite    *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
retention_applied (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  OsiOffsite *self = OSI_OFFSITE (source);

  osi_offsite_apply_finish (self, result, NULL);
  self->retention_running = FALSE;
}

/* After a copy that succeeded: what the plan removes goes, if anything. */
void
_osi_offsite_apply_retention (OsiOffsite *self)
{
  g_autoptr(JsonObject) plan = NULL;
  JsonArray *remove;

  if (self->retention_running || self->stopping)
    return;
  plan = osi_offsite_plan (self, FALSE);
  if (plan == NULL)
    return;
  remove = json_object_get_array_member (plan, "remove");
  if (remove == NULL || json_array_get_length (remove) == 0)
    return;
  self->retention_running = TRUE;
  osi_offsite_apply_async (self, plan, retention_applied, NULL);
}

/* ------------------------------------------------------------------------ */
/* Dropped uploads (main thread)                                            */

typedef struct
{
  OsiOffsite *self;
  char       *name;
  char       *upload_id;
} Abort;

static void
abort_free (gpointer data)
{
  Abort *abort = data;

  g_clear_object (&abort->self);
  g_free (abort->name);
  g_free (abort->upload_id);
  g_free (abort);
}

static gboolean
abort_upload (Abort   *abort,
              GError **error)
{
  g_autoptr(OsiS3) s3 = osi_offsite_new_s3 (abort->self, error);
  g_autofree char *key = NULL;

  if (s3 == NULL || (key = osi_s3_backup_key (s3, g_get_host_name (), abort->name, error)) == NULL)
    return FALSE;
  return osi_s3_abort_multipart_upload (s3, key, abort->upload_id, abort->self->cancellable, error);
}

/* In the task's thread. Cancelled by stop, like the worker. */
static gboolean
abort_work (gpointer       data,
            GCancellable  *cancellable,
            GError       **error)
{
  Abort *abort = data;
  gboolean ok = abort_upload (abort, error);

  thread_end (abort->self);
  return ok;
}

static void
abort_done (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  OsiOffsite *self = OSI_OFFSITE (source);
  Abort *abort = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;

  /* one that fails is aborted as an orphan at the next start */
  if (!g_task_propagate_boolean (G_TASK (result), &error) &&
      !g_error_matches (error, OSI_S3_ERROR, OSI_S3_ERROR_NOT_FOUND))
    g_message ("Cannot abort the off-site upload of %s: %s", abort->name, error->message);
  g_assert (self->n_busy > 0);
  self->n_busy--;
}

/* Aborts an upload that no work holds (one left by a stop), in a thread
 * of its own. */
void
_osi_offsite_abort_upload_async (OsiOffsite *self,
                                 const char *name,
                                 const char *upload_id)
{
  g_autoptr(GTask) task = g_task_new (self, NULL, abort_done, NULL);
  Abort *abort = g_new0 (Abort, 1);

  abort->self = g_object_ref (self);
  abort->name = g_strdup (name);
  abort->upload_id = g_strdup (upload_id);
  g_task_set_task_data (task, abort, abort_free);
  self->n_busy++;
  thread_begin (self);
  osi_task_run_in_thread (task, abort_work);
}

void
osi_offsite_apply_listing (OsiOffsite *self,
                           GPtrArray  *objects)
{
  g_autoptr(GHashTable) found = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) found_new = g_ptr_array_new_with_free_func ((GDestroyNotify)osi_catalog_copy_free);
  g_autoptr(GPtrArray) gone = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  gsize prefix_len = strlen (self->host_prefix);
  gint64 now = _osi_offsite_now_seconds (self);
  GHashTableIter iter;
  gpointer value;

  g_return_if_fail (OSI_IS_OFFSITE (self));

  g_mutex_lock (&self->lock);
  for (guint i = 0; i < objects->len; i++)
    {
      OsiS3Object *object = g_ptr_array_index (objects, i);
      const char *name;
      OsiCatalogCopy *copy;
      g_autoptr(GDateTime) modified = NULL;

      if (!g_str_has_prefix (object->key, self->host_prefix))
        continue;
      name = object->key + prefix_len;
      if (!osi_backup_name_is_valid (name) || !g_hash_table_add (found, (gpointer)name))
        continue;
      if (g_hash_table_contains (self->records, name))
        continue;
      /* a copy the catalog lost: done, its checksum unknown until fetched */
      copy = osi_catalog_copy_new (name);
      copy->state = OSI_COPY_DONE;
      copy->at = now;
      copy->size = object->size;
      modified = object->last_modified != NULL ? g_date_time_new_from_iso8601 (object->last_modified, NULL) : NULL;
      copy->date_us = modified != NULL ? g_date_time_to_unix (modified) * G_USEC_PER_SEC + g_date_time_get_microsecond (modified) : 0;
      g_ptr_array_add (found_new, copy);
    }
  g_hash_table_iter_init (&iter, self->records);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      OsiCatalogCopy *copy = value;

      if (copy->state == OSI_COPY_DONE && !g_hash_table_contains (found, copy->name))
        g_ptr_array_add (gone, g_strdup (copy->name));
    }
  g_mutex_unlock (&self->lock);
  if (found_new->len == 0 && gone->len == 0)
    return;

  /* One transaction, one sync: a lost catalog's thousands of copies are
   * found again without a sync each on the main loop's thread. */
  if (!osi_catalog_update_copies (self->catalog, (const OsiCatalogCopy * const *)found_new->pdata, found_new->len,
                                  (const char * const *)gone->pdata, gone->len, &error))
    {
      g_message ("Cannot record what the off-site storage holds in the backup catalog: %s", error->message);
      return;
    }
  /* The records are changed on this thread only: the names stay valid
   * until it returns. The lock is not held while the folder's list is
   * told, which takes its own lock and then this one. */
  g_ptr_array_set_free_func (found_new, NULL);
  g_mutex_lock (&self->lock);
  for (guint i = 0; i < found_new->len; i++)
    {
      OsiCatalogCopy *copy = g_ptr_array_index (found_new, i);

      g_hash_table_replace (self->records, copy->name, copy);
    }
  for (guint i = 0; i < gone->len; i++)
    g_hash_table_remove (self->records, g_ptr_array_index (gone, i));
  g_mutex_unlock (&self->lock);
  for (guint i = 0; i < found_new->len; i++)
    _osi_offsite_changed (self, ((OsiCatalogCopy *)g_ptr_array_index (found_new, i))->name);
  for (guint i = 0; i < gone->len; i++)
    _osi_offsite_changed (self, g_ptr_array_index (gone, i));
  g_message ("The off-site storage holds %u copies the catalog did not know, and lacks %u it recorded",
             found_new->len, gone->len);
}
