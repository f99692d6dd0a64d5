/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-server"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>

#include "osi-backup-info.h"
#include "osi-offsite-private.h"
#include "osi-wipe.h"

/* The off-site copy engine (docs/api.md §7.2): the object, its records
 * (name → copy, mirrored in the catalog), the queue and the state on the
 * main thread, start and stop, and what the HTTP side reads. The queue
 * is the catalog's: every copy pending, copying or failed is a row,
 * taken oldest queued first; the main thread hands the worker
 * (osi-offsite-copy.c) one copy at a time (a Work), opened here, and
 * hears back from it through posts to its context. */

G_DEFINE_FINAL_TYPE (OsiOffsite, osi_offsite, G_TYPE_OBJECT)

static char *
format_utc (gint64 unix_time)
{
  g_autoptr(GDateTime) date = g_date_time_new_from_unix_utc (unix_time);

  return date != NULL ? g_date_time_format (date, "%Y-%m-%dT%H:%M:%SZ") : g_strdup ("");
}

gint64
_osi_offsite_now_seconds (OsiOffsite *self)
{
  g_autoptr(GDateTime) now = osi_clock_now (self->clock);

  return g_date_time_to_unix (now);
}

/* ------------------------------------------------------------------------ */
/* Work                                                                     */

Work *
_osi_offsite_work_new (OsiOffsite *self,
                       WorkType    type)
{
  Work *work = g_new0 (Work, 1);

  work->type = type;
  work->self = g_object_ref (self);
  work->fd = -1;
  work->size = -1;
  work->cancellable = g_cancellable_new ();
  return work;
}

void
_osi_offsite_work_free (Work *work)
{
  if (work == NULL)
    return;
  if (work->fd >= 0)
    close (work->fd);
  g_free (work->name);
  g_free (work->key);
  g_free (work->sha256);
  g_free (work->upload_id);
  g_clear_object (&work->cancellable);
  g_clear_pointer (&work->owned, g_hash_table_unref);
  g_clear_object (&work->self);
  g_free (work);
}

/* ------------------------------------------------------------------------ */
/* Records (main thread)                                                    */

/* Has the list show what changed of name. */
void
_osi_offsite_changed (OsiOffsite *self,
                      const char *name)
{
  osi_backup_folder_invalidate (self->folder, name);
}

/* Replaces name's record by copy (taken), once the catalog holds it. */
gboolean
_osi_offsite_put_record (OsiOffsite     *self,
                         OsiCatalogCopy *copy)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *name = g_strdup (copy->name);

  if (!osi_catalog_put_copy (self->catalog, copy, &error))
    {
      g_message ("Cannot record the off-site copy of %s in the backup catalog: %s", copy->name, error->message);
      osi_catalog_copy_free (copy);
      return FALSE;
    }
  g_mutex_lock (&self->lock);
  g_hash_table_replace (self->records, copy->name, copy);
  g_mutex_unlock (&self->lock);
  _osi_offsite_changed (self, name);
  return TRUE;
}

/* at: when the state was reached; -1 for now, 0 to keep the record's
 * (a copy waiting to try again began when it began). */
gboolean
_osi_offsite_set_state_at (OsiOffsite   *self,
                           const char   *name,
                           OsiCopyState  state,
                           gint64        at,
                           const char   *detail)
{
  g_autoptr(GError) error = NULL;
  OsiCatalogCopy *copy;

  if (at < 0)
    at = _osi_offsite_now_seconds (self);
  else if (at == 0)
    {
      g_mutex_lock (&self->lock);
      copy = g_hash_table_lookup (self->records, name);
      at = copy != NULL ? copy->at : _osi_offsite_now_seconds (self);
      g_mutex_unlock (&self->lock);
    }

  if (!osi_catalog_set_copy_state (self->catalog, name, state, at, detail, &error))
    {
      g_message ("Cannot record the off-site copy of %s in the backup catalog: %s", name, error->message);
      return FALSE;
    }
  g_mutex_lock (&self->lock);
  copy = g_hash_table_lookup (self->records, name);
  if (copy != NULL)
    {
      copy->state = state;
      copy->at = at;
      g_free (copy->detail);
      copy->detail = g_strdup (detail != NULL ? detail : "");
    }
  g_mutex_unlock (&self->lock);
  _osi_offsite_changed (self, name);
  return TRUE;
}

gboolean
_osi_offsite_set_state (OsiOffsite   *self,
                        const char   *name,
                        OsiCopyState  state,
                        const char   *detail)
{
  return _osi_offsite_set_state_at (self, name, state, -1, detail);
}

gboolean
_osi_offsite_set_upload_id (OsiOffsite *self,
                            const char *name,
                            const char *upload_id)
{
  g_autoptr(GError) error = NULL;
  OsiCatalogCopy *copy;

  if (!osi_catalog_set_copy_upload_id (self->catalog, name, upload_id, &error))
    {
      g_message ("Cannot record the upload of %s in the backup catalog: %s", name, error->message);
      return FALSE;
    }
  g_mutex_lock (&self->lock);
  copy = g_hash_table_lookup (self->records, name);
  if (copy != NULL)
    {
      g_free (copy->upload_id);
      copy->upload_id = g_strdup (upload_id);
    }
  g_mutex_unlock (&self->lock);
  return TRUE;
}

gboolean
_osi_offsite_forget_record (OsiOffsite *self,
                            const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *kept = g_strdup (name);

  if (!osi_catalog_forget_copy (self->catalog, kept, &error))
    {
      g_message ("Cannot forget the off-site copy of %s in the backup catalog: %s", kept, error->message);
      return FALSE;
    }
  g_mutex_lock (&self->lock);
  g_hash_table_remove (self->records, kept);
  g_mutex_unlock (&self->lock);
  _osi_offsite_changed (self, kept);
  return TRUE;
}

/* A copy of name's record, or NULL. */
OsiCatalogCopy *
_osi_offsite_dup_record (OsiOffsite *self,
                         const char *name)
{
  OsiCatalogCopy *copy;

  g_mutex_lock (&self->lock);
  copy = g_hash_table_lookup (self->records, name);
  copy = copy != NULL ? osi_catalog_copy_dup (copy) : NULL;
  g_mutex_unlock (&self->lock);
  return copy;
}

/* Failed copies are queued again (docs/api.md §7.2: at start and after a
 * copy that succeeds). */
void
_osi_offsite_requeue_failed (OsiOffsite *self)
{
  g_autoptr(GPtrArray) failed = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  gpointer value;

  g_mutex_lock (&self->lock);
  g_hash_table_iter_init (&iter, self->records);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (((OsiCatalogCopy *)value)->state == OSI_COPY_FAILED)
      g_ptr_array_add (failed, g_strdup (((OsiCatalogCopy *)value)->name));
  g_mutex_unlock (&self->lock);
  for (guint i = 0; i < failed->len; i++)
    _osi_offsite_set_state (self, g_ptr_array_index (failed, i), OSI_COPY_PENDING, "");
}

/* ------------------------------------------------------------------------ */
/* The queue (main thread)                                                  */

static gboolean
is_queued (const OsiCatalogCopy *copy)
{
  return copy->state == OSI_COPY_PENDING || copy->state == OSI_COPY_COPYING;
}

/* The oldest queued copy, or NULL. */
static OsiCatalogCopy *
next_queued (OsiOffsite *self)
{
  OsiCatalogCopy *best = NULL;
  GHashTableIter iter;
  gpointer value;

  g_mutex_lock (&self->lock);
  g_hash_table_iter_init (&iter, self->records);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      OsiCatalogCopy *copy = value;

      if (is_queued (copy) &&
          (best == NULL || copy->queued < best->queued ||
           (copy->queued == best->queued && strcmp (copy->name, best->name) < 0)))
        best = copy;
    }
  best = best != NULL ? osi_catalog_copy_dup (best) : NULL;
  g_mutex_unlock (&self->lock);
  return best;
}

void
_osi_offsite_maybe_start_next (OsiOffsite *self)
{
  while (!self->stopping && self->ready && self->current == NULL)
    {
      g_autoptr(OsiCatalogCopy) copy = next_queued (self);
      g_autoptr(GError) error = NULL;
      Work *work;
      struct stat st;
      int fd;

      if (copy == NULL)
        return;
      fd = osi_backup_folder_open (self->folder, copy->name, &st);
      if (fd < 0)
        {
          if (errno == ENOENT)
            {
              g_message ("The backup %s is gone: its off-site copy is dropped", copy->name);
              _osi_offsite_forget_record (self, copy->name);
            }
          else
            {
              g_autofree char *detail = g_strdup_printf (_("The backup cannot be read: %s"), g_strerror (errno));

              _osi_offsite_set_state (self, copy->name, OSI_COPY_FAILED, detail);
            }
          continue;
        }
      work = _osi_offsite_work_new (self, WORK_COPY);
      work->name = g_strdup (copy->name);
      work->fd = fd;
      work->size = st.st_size;
      work->sha256 = osi_backup_folder_lookup_sha256 (self->folder, copy->name, &st);
      work->upload_id = g_strdup (copy->upload_id);
      work->key = osi_s3_backup_key (self->s3, g_get_host_name (), copy->name, &error);
      if (work->key == NULL)
        {
          _osi_offsite_set_state (self, copy->name, OSI_COPY_FAILED, error->message);
          _osi_offsite_work_free (work);
          continue;
        }
      /* A copy queued again after a failure, or resumed: it begins now. */
      if (copy->state != OSI_COPY_COPYING || copy->size != st.st_size)
        {
          copy->state = OSI_COPY_COPYING;
          copy->at = _osi_offsite_now_seconds (self);
          g_free (copy->detail);
          copy->detail = g_strdup ("");
          copy->size = st.st_size;
          if (copy->date_us == 0)
            copy->date_us = (gint64)st.st_mtim.tv_sec * G_USEC_PER_SEC + st.st_mtim.tv_nsec / 1000;
          if (!_osi_offsite_put_record (self, g_steal_pointer (&copy)))
            {
              _osi_offsite_work_free (work);
              return;
            }
        }
      g_mutex_lock (&self->lock);
      g_free (self->copied_name);
      self->copied_name = g_strdup (work->name);
      self->copied = 0;
      g_mutex_unlock (&self->lock);
      self->current = work;
      g_message ("Off-site copy of %s begins (%" G_GINT64_FORMAT " bytes)", work->name, work->size);
      g_async_queue_push (self->queue, work);
    }
}

/* ------------------------------------------------------------------------ */
/* GObject                                                                  */

static void
osi_offsite_dispose (GObject *object)
{
  OsiOffsite *self = (OsiOffsite *)object;

  osi_offsite_stop (self);
  if (self->folder != NULL)
    osi_backup_folder_set_members_func (self->folder, NULL, NULL);
  g_clear_object (&self->folder);
  g_clear_object (&self->catalog);
  g_clear_object (&self->clock);

  G_OBJECT_CLASS (osi_offsite_parent_class)->dispose (object);
}

static void
osi_offsite_finalize (GObject *object)
{
  OsiOffsite *self = (OsiOffsite *)object;

  g_free (self->url);
  g_free (self->access_key);
  osi_wipe_free (self->secret_key);
  g_free (self->region);
  g_free (self->credentials_path);
  g_free (self->bucket);
  g_free (self->host_prefix);
  g_clear_pointer (&self->s3, osi_s3_free);
  g_clear_pointer (&self->records, g_hash_table_unref);
  g_clear_pointer (&self->fetching, g_hash_table_unref);
  g_free (self->copied_name);
  g_clear_pointer (&self->queue, g_async_queue_unref);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);

  G_OBJECT_CLASS (osi_offsite_parent_class)->finalize (object);
}

static void
osi_offsite_class_init (OsiOffsiteClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = osi_offsite_dispose;
  object_class->finalize = osi_offsite_finalize;
}

static void
osi_offsite_init (OsiOffsite *self)
{
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->records = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify)osi_catalog_copy_free);
  self->fetching = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->queue = g_async_queue_new ();
  self->cancellable = g_cancellable_new ();
}

/* ------------------------------------------------------------------------ */
/* Public API                                                               */

static void
members_func (const char *name,
              JsonObject *object,
              gpointer    user_data)
{
  osi_offsite_add_members (user_data, name, object);
}

OsiOffsite *
osi_offsite_new (const OsiServerOptions  *options,
                 OsiBackupFolder         *folder,
                 OsiCatalog              *catalog,
                 OsiClock                *clock,
                 const OsiPolicy         *policy,
                 GError                 **error)
{
  g_autoptr(OsiOffsite) self = NULL;

  g_return_val_if_fail (options != NULL && options->offsite_url != NULL, NULL);
  g_return_val_if_fail (OSI_IS_BACKUP_FOLDER (folder), NULL);
  g_return_val_if_fail (OSI_IS_CATALOG (catalog), NULL);
  g_return_val_if_fail (policy != NULL, NULL);

  self = g_object_new (OSI_TYPE_OFFSITE, NULL);
  self->folder = g_object_ref (folder);
  self->catalog = g_object_ref (catalog);
  self->clock = g_object_ref (clock);
  self->policy = policy;
  self->context = g_main_context_ref_thread_default ();
  self->url = g_strdup (options->offsite_url);
  self->access_key = g_strdup (options->offsite_access_key);
  self->secret_key = g_strdup (options->offsite_secret_key);
  self->region = g_strdup (options->offsite_region);
  self->credentials_path = g_strdup (options->offsite_credentials);
  self->retry_max = options->offsite_retry_max > 0 ? options->offsite_retry_max : 300;

  self->s3 = osi_offsite_new_s3 (self, error);
  if (self->s3 == NULL)
    return NULL;
  self->bucket = g_strdup (osi_s3_get_bucket (self->s3));
  self->host_prefix = osi_s3_host_prefix (self->s3, g_get_host_name (), error);
  if (self->host_prefix == NULL)
    return NULL;
  return g_steal_pointer (&self);
}

/* Has the worker abort the uploads no queued copy owns and read the
 * storage, before the next copy. */
void
_osi_offsite_push_reconcile (OsiOffsite *self)
{
  Work *work = _osi_offsite_work_new (self, WORK_RECONCILE);
  GHashTableIter iter;
  gpointer value;

  work->owned = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_mutex_lock (&self->lock);
  g_hash_table_iter_init (&iter, self->records);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      OsiCatalogCopy *copy = value;
      struct stat st;

      if (is_queued (copy) && copy->upload_id != NULL &&
          fstatat (osi_backup_folder_get_fd (self->folder), copy->name, &st, AT_SYMLINK_NOFOLLOW) == 0)
        g_hash_table_add (work->owned, g_strdup (copy->upload_id));
    }
  g_mutex_unlock (&self->lock);
  self->ready = FALSE;
  self->n_busy++;
  g_async_queue_push (self->queue, work);
}

void
osi_offsite_start (OsiOffsite *self)
{
  g_autoptr(GPtrArray) copies = NULL;
  g_autoptr(GError) error = NULL;

  g_return_if_fail (OSI_IS_OFFSITE (self));
  g_return_if_fail (self->worker == NULL);

  copies = osi_catalog_list_copies (self->catalog, &error);
  if (copies == NULL)
    {
      g_message ("Cannot read the off-site copies from the backup catalog: %s", error->message);
      copies = g_ptr_array_new_with_free_func ((GDestroyNotify)osi_catalog_copy_free);
    }
  g_mutex_lock (&self->lock);
  for (guint i = 0; i < copies->len; i++)
    {
      OsiCatalogCopy *copy = g_ptr_array_steal_index (copies, i--);

      self->next_queued = MAX (self->next_queued, copy->queued);
      g_hash_table_replace (self->records, copy->name, copy);
    }
  g_mutex_unlock (&self->lock);
  osi_backup_folder_set_members_func (self->folder, members_func, self);

  /* Failed copies are tried again at start; queued ones whose backup was
   * deleted while the server was stopped are dropped (maybe_start_next
   * finds them gone; their uploads are aborted as orphans below). */
  _osi_offsite_requeue_failed (self);

  _osi_offsite_push_reconcile (self);
  self->worker = g_thread_new ("osi-offsite", _osi_offsite_worker_main, self);
  g_message ("Off-site copies to %s, under %s", osi_s3_get_endpoint (self->s3), self->host_prefix);
}

void
osi_offsite_stop (OsiOffsite *self)
{
  g_return_if_fail (OSI_IS_OFFSITE (self));

  if (self->worker == NULL)
    return;
  g_mutex_lock (&self->lock);
  self->stopping = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  g_cancellable_cancel (self->cancellable);
  if (self->current != NULL)
    g_cancellable_cancel (self->current->cancellable);
  /* Nothing is pushed once stopping: what the worker has not taken yet
   * (the first reading of the storage) is dropped. */
  {
    Work *work;

    while ((work = g_async_queue_try_pop (self->queue)) != NULL)
      {
        if (work->type == WORK_RECONCILE)
          self->n_busy--;
        _osi_offsite_work_free (work);
      }
  }
  g_async_queue_push (self->queue, _osi_offsite_work_new (self, WORK_STOP));
  g_thread_join (g_steal_pointer (&self->worker));
  /* The deletions and aborts in threads of their own, cancelled above
   * with the worker: none goes on past the server. What they report
   * back to the main context afterwards leaves the catalog alone. */
  if (!_osi_offsite_wait_threads (self, STOP_WAIT_S * G_TIME_SPAN_SECOND))
    g_warning ("Off-site deletions or aborts still run %d s after the server stopped them", STOP_WAIT_S);
}

gboolean
osi_offsite_is_idle (OsiOffsite *self)
{
  OsiCatalogCopy *next;
  gboolean idle;

  g_return_val_if_fail (OSI_IS_OFFSITE (self), TRUE);

  if (self->current != NULL || self->n_busy > 0)
    return FALSE;
  next = next_queued (self);
  idle = next == NULL || self->stopping;
  osi_catalog_copy_free (next);
  return idle;
}

void
osi_offsite_enqueue (OsiOffsite     *self,
                     const char     *name,
                     OsiCatalogKind  kind)
{
  OsiCatalogCopy *copy;
  struct stat st;

  g_return_if_fail (OSI_IS_OFFSITE (self));
  g_return_if_fail (osi_backup_name_is_valid (name));

  copy = osi_catalog_copy_new (name);
  copy->state = OSI_COPY_PENDING;
  copy->at = _osi_offsite_now_seconds (self);
  copy->kind = kind;
  copy->queued = ++self->next_queued;
  copy->is_protected = osi_backup_folder_is_protected (self->folder, name);
  if (osi_backup_folder_exists (self->folder, name, &st))
    {
      copy->size = st.st_size;
      copy->date_us = (gint64)st.st_mtim.tv_sec * G_USEC_PER_SEC + st.st_mtim.tv_nsec / 1000;
    }
  if (_osi_offsite_put_record (self, copy))
    g_message ("Off-site copy of %s queued", name);
  _osi_offsite_maybe_start_next (self);
}

void
osi_offsite_backup_deleted (OsiOffsite *self,
                            const char *name)
{
  g_autoptr(OsiCatalogCopy) copy = NULL;

  g_return_if_fail (OSI_IS_OFFSITE (self));

  copy = _osi_offsite_dup_record (self, name);
  if (copy == NULL)
    return;
  if (copy->state == OSI_COPY_DONE)
    {
      /* the copy stays; the list of copies says it is not local */
      _osi_offsite_changed (self, name);
      return;
    }
  if (self->current != NULL && strcmp (self->current->name, name) == 0)
    {
      /* the worker aborts the upload and reports; the row goes now */
      g_mutex_lock (&self->lock);
      self->current->dropped = TRUE;
      g_cond_broadcast (&self->cond);
      g_mutex_unlock (&self->lock);
      g_cancellable_cancel (self->current->cancellable);
    }
  else if (copy->upload_id != NULL)
    _osi_offsite_abort_upload_async (self, name, copy->upload_id);
  g_message ("The backup %s was deleted: its off-site copy, %s, is dropped", name,
             osi_copy_state_to_string (copy->state));
  _osi_offsite_forget_record (self, name);
}

void
osi_offsite_set_protected (OsiOffsite *self,
                           const char *name,
                           gboolean    is_protected)
{
  g_autoptr(OsiCatalogCopy) copy = NULL;

  g_return_if_fail (OSI_IS_OFFSITE (self));

  copy = _osi_offsite_dup_record (self, name);
  if (copy == NULL || copy->is_protected == is_protected)
    return;
  copy->is_protected = is_protected;
  _osi_offsite_put_record (self, g_steal_pointer (&copy));
}

const char *
osi_offsite_get_bucket (OsiOffsite *self)
{
  g_return_val_if_fail (OSI_IS_OFFSITE (self), NULL);

  return self->bucket;
}

const char *
osi_offsite_get_host_prefix (OsiOffsite *self)
{
  g_return_val_if_fail (OSI_IS_OFFSITE (self), NULL);

  return self->host_prefix;
}

OsiS3 *
osi_offsite_new_s3 (OsiOffsite  *self,
                    GError     **error)
{
  g_return_val_if_fail (OSI_IS_OFFSITE (self), NULL);

  return osi_s3_new (self->url, self->access_key, self->secret_key, self->region, self->credentials_path, error);
}

OsiCatalogCopy *
osi_offsite_lookup (OsiOffsite *self,
                    const char *name)
{
  g_return_val_if_fail (OSI_IS_OFFSITE (self), NULL);

  return _osi_offsite_dup_record (self, name);
}

static JsonObject *
state_to_json (const OsiCatalogCopy *copy)
{
  JsonObject *state = json_object_new ();
  g_autofree char *at = format_utc (copy->at);

  json_object_set_string_member (state, "state", osi_copy_state_to_string (copy->state));
  json_object_set_string_member (state, "at", at);
  json_object_set_string_member (state, "detail", copy->detail != NULL ? copy->detail : "");
  return state;
}

void
osi_offsite_add_members (OsiOffsite *self,
                         const char *name,
                         JsonObject *object)
{
  const OsiCatalogCopy *copy;

  g_return_if_fail (OSI_IS_OFFSITE (self));

  g_mutex_lock (&self->lock);
  copy = g_hash_table_lookup (self->records, name);
  if (copy != NULL)
    json_object_set_object_member (object, "offsite", state_to_json (copy));
  g_mutex_unlock (&self->lock);
}

static int
compare_newest_first (gconstpointer a,
                      gconstpointer b)
{
  const OsiCatalogCopy *x = *(const OsiCatalogCopy * const *)a;
  const OsiCatalogCopy *y = *(const OsiCatalogCopy * const *)b;

  if (x->date_us != y->date_us)
    return x->date_us > y->date_us ? -1 : 1;
  return -strcmp (x->name, y->name);
}

JsonObject *
osi_offsite_to_json (OsiOffsite *self)
{
  g_autoptr(GPtrArray) copies = g_ptr_array_new_with_free_func ((GDestroyNotify)osi_catalog_copy_free);
  JsonObject *object = json_object_new ();
  JsonArray *array;
  GHashTableIter iter;
  gpointer value;
  g_autofree char *copied_name = NULL;
  gint64 copied;

  g_return_val_if_fail (OSI_IS_OFFSITE (self), NULL);

  g_mutex_lock (&self->lock);
  g_hash_table_iter_init (&iter, self->records);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (copies, osi_catalog_copy_dup (value));
  copied_name = g_strdup (self->copied_name);
  copied = self->copied;
  g_mutex_unlock (&self->lock);
  g_ptr_array_sort (copies, compare_newest_first);

  json_object_set_string_member (object, "bucket", self->bucket);
  json_object_set_string_member (object, "prefix", self->host_prefix);
  array = json_array_sized_new (copies->len);
  for (guint i = 0; i < copies->len; i++)
    {
      const OsiCatalogCopy *copy = g_ptr_array_index (copies, i);
      JsonObject *entry = json_object_new ();
      g_autofree char *date = format_utc (copy->date_us / G_USEC_PER_SEC);
      struct stat st;
      gint64 bytes = 0;

      json_object_set_string_member (entry, "name", copy->name);
      json_object_set_string_member (entry, "date", date);
      if (copy->size >= 0)
        json_object_set_int_member (entry, "size", copy->size);
      if (copy->sha256 != NULL)
        json_object_set_string_member (entry, "sha256", copy->sha256);
      json_object_set_boolean_member (entry, "local", osi_backup_folder_exists (self->folder, copy->name, &st));
      if (copy->kind != OSI_CATALOG_KIND_UNKNOWN)
        json_object_set_string_member (entry, "kind", osi_catalog_kind_to_string (copy->kind));
      if (copy->is_protected)
        json_object_set_boolean_member (entry, "protected", TRUE);
      json_object_set_object_member (entry, "offsite", state_to_json (copy));
      if (copy->state == OSI_COPY_DONE)
        bytes = MAX (copy->size, 0);
      else if (g_strcmp0 (copied_name, copy->name) == 0)
        bytes = copied;
      json_object_set_int_member (entry, "copied", bytes);
      json_array_add_object_element (array, entry);
    }
  json_object_set_array_member (object, "copies", array);
  return object;
}

void
osi_offsite_note_sha256 (OsiOffsite *self,
                         const char *name,
                         const char *sha256)
{
  g_autoptr(OsiCatalogCopy) copy = NULL;

  g_return_if_fail (OSI_IS_OFFSITE (self));

  copy = _osi_offsite_dup_record (self, name);
  if (copy == NULL || sha256 == NULL || g_strcmp0 (copy->sha256, sha256) == 0)
    return;
  g_free (copy->sha256);
  copy->sha256 = g_ascii_strdown (sha256, -1);
  _osi_offsite_put_record (self, g_steal_pointer (&copy));
}

gboolean
osi_offsite_fetch_begin (OsiOffsite *self,
                         const char *name)
{
  g_return_val_if_fail (OSI_IS_OFFSITE (self), FALSE);

  if (g_hash_table_contains (self->fetching, name))
    return FALSE;
  g_hash_table_add (self->fetching, g_strdup (name));
  self->n_busy++;
  return TRUE;
}

void
osi_offsite_fetch_end (OsiOffsite *self,
                       const char *name)
{
  g_return_if_fail (OSI_IS_OFFSITE (self));

  if (g_hash_table_remove (self->fetching, name))
    self->n_busy--;
}
