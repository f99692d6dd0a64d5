/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-server"

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "osi-offsite-private.h"
#include "osi-task.h"

/* The off-site engine's worker thread (docs/api.md §7.2): a copy, as a
 * single PUT or multipart from the backup's file with the upload id
 * recorded before the first part, resumed from the parts the storage
 * holds, retried with backoff on transient errors and checked by HEAD
 * before done; the reading of the storage at start (orphaned uploads
 * aborted, the list read); and the posts that hand every change back to
 * the main thread, with their handler there. */

/* ------------------------------------------------------------------------ */
/* Worker: posts to the main thread                                         */

typedef enum
{
  POST_STATUS,        /* still copying: detail says why it waits */
  POST_UPLOAD,        /* a multipart upload began: record its id */
  POST_FINISHED,      /* the copy ended: state, detail */
  POST_LISTING,       /* the storage's list (objects, or NULL) */
} PostType;

typedef struct
{
  PostType      type;
  OsiOffsite   *self;
  Work         *work;           /* not owned but for POST_FINISHED */
  OsiCopyState  state;
  char         *detail;
  char         *sha256;
  gboolean      dropped;
  GPtrArray    *objects;
} Post;

static void
post_free (gpointer data)
{
  Post *post = data;

  g_free (post->detail);
  g_free (post->sha256);
  g_clear_pointer (&post->objects, g_ptr_array_unref);
  if (post->type == POST_FINISHED || post->type == POST_LISTING)
    _osi_offsite_work_free (post->work);
  g_clear_object (&post->self);
  g_free (post);
}

static gboolean
post_run (gpointer data)
{
  Post *post = data;
  OsiOffsite *self = post->self;
  Work *work = post->work;

  switch (post->type)
    {
    case POST_STATUS:
      if (!work->dropped && !self->stopping)
        _osi_offsite_set_state_at (self, work->name, OSI_COPY_COPYING, 0, post->detail);
      break;

    case POST_UPLOAD:
      {
        gboolean ok = !work->dropped && !self->stopping && _osi_offsite_set_upload_id (self, work->name, post->detail);

        g_mutex_lock (&self->lock);
        work->upload_answered = TRUE;
        work->upload_recorded = ok;
        g_cond_broadcast (&self->cond);
        g_mutex_unlock (&self->lock);
      }
      break;

    case POST_FINISHED:
      g_assert (self->current == work);
      self->current = NULL;
      g_mutex_lock (&self->lock);
      g_clear_pointer (&self->copied_name, g_free);
      self->copied = 0;
      g_mutex_unlock (&self->lock);
      if (self->stopping)
        ;
      else if (post->dropped || work->dropped)
        {
          if (g_hash_table_contains (self->records, work->name))
            {
              OsiCatalogCopy *copy = _osi_offsite_dup_record (self, work->name);

              /* dropped while the worker was ending */
              if (copy != NULL && copy->state != OSI_COPY_DONE)
                _osi_offsite_forget_record (self, work->name);
              osi_catalog_copy_free (copy);
            }
        }
      else
        {
          OsiCatalogCopy *copy = _osi_offsite_dup_record (self, work->name);

          if (copy != NULL)
            {
              copy->state = post->state;
              copy->at = _osi_offsite_now_seconds (self);
              g_free (copy->detail);
              copy->detail = g_strdup (post->detail != NULL ? post->detail : "");
              if (post->sha256 != NULL)
                {
                  g_free (copy->sha256);
                  copy->sha256 = g_strdup (post->sha256);
                }
              if (post->state == OSI_COPY_DONE)
                g_clear_pointer (&copy->upload_id, g_free);
              _osi_offsite_put_record (self, copy);
              if (post->state == OSI_COPY_DONE)
                {
                  g_message ("Off-site copy of %s done", work->name);
                  _osi_offsite_requeue_failed (self);
                  _osi_offsite_apply_retention (self);
                  if (!self->reconciled)
                    _osi_offsite_push_reconcile (self);
                }
              else
                g_message ("Off-site copy of %s failed: %s", work->name, post->detail);
            }
        }
      _osi_offsite_maybe_start_next (self);
      break;

    case POST_LISTING:
      if (post->objects != NULL && !self->stopping)
        osi_offsite_apply_listing (self, post->objects);
      self->reconciled = post->objects != NULL;
      self->ready = TRUE;
      g_assert (self->n_busy > 0);
      self->n_busy--;
      _osi_offsite_maybe_start_next (self);
      break;

    default:
      g_assert_not_reached ();
    }
  return G_SOURCE_REMOVE;
}

static void
post (OsiOffsite *self,
      Post       *p)
{
  p->self = g_object_ref (self);
  osi_context_post (self->context, post_run, p, post_free);
}

static void
post_status (Work       *work,
             const char *detail)
{
  Post *p = g_new0 (Post, 1);

  p->type = POST_STATUS;
  p->work = work;
  p->detail = g_strdup (detail);
  post (work->self, p);
}

/* The work is the main thread's from now on. */
static void
post_finished (Work         *work,
               OsiCopyState  state,
               const char   *detail,
               gboolean      dropped)
{
  Post *p = g_new0 (Post, 1);

  p->type = POST_FINISHED;
  p->work = work;
  p->state = state;
  p->detail = g_strdup (detail);
  p->sha256 = g_strdup (work->sha256);
  p->dropped = dropped;
  post (work->self, p);
}

/* ------------------------------------------------------------------------ */
/* Worker: the copy                                                         */

static gboolean
is_cancelled (Work *work)
{
  return g_cancellable_is_cancelled (work->cancellable);
}

/* Waits seconds, or less when the server stops or the copy is dropped:
 * FALSE then. */
static gboolean
wait_before_retry (OsiOffsite *self,
                   Work       *work,
                   guint       seconds)
{
  gint64 end = g_get_monotonic_time () + (gint64)seconds * G_TIME_SPAN_SECOND;
  gboolean go_on;

  g_mutex_lock (&self->lock);
  while (!self->stopping && !is_cancelled (work))
    if (!g_cond_wait_until (&self->cond, &self->lock, end))
      break;
  go_on = !self->stopping && !is_cancelled (work);
  g_mutex_unlock (&self->lock);
  return go_on;
}

typedef struct
{
  OsiOffsite *self;
  gint64      base;
} Progress;

static void
part_progress (gint64   bytes_done,
               gpointer user_data)
{
  Progress *progress = user_data;

  g_mutex_lock (&progress->self->lock);
  progress->self->copied = progress->base + bytes_done;
  g_mutex_unlock (&progress->self->lock);
}

static void
set_copied (OsiOffsite *self,
            gint64      copied)
{
  g_mutex_lock (&self->lock);
  self->copied = copied;
  g_mutex_unlock (&self->lock);
}

static gint64
part_size_for (gint64 size)
{
  gint64 part = PART_SIZE;

  if ((size + part - 1) / part > MAX_PARTS)
    {
      /* whole MiB, so that the parts stay aligned */
      part = (size + MAX_PARTS - 1) / MAX_PARTS;
      part = (part + (1 << 20) - 1) & ~(gint64)((1 << 20) - 1);
    }
  return part;
}

/* Asks the main thread to record the upload id and waits until it did:
 * a restart must find the upload before any of its parts is sent. */
static gboolean
record_upload (Work        *work,
               const char  *upload_id,
               GError     **error)
{
  OsiOffsite *self = work->self;
  Post *p = g_new0 (Post, 1);
  gboolean recorded;

  p->type = POST_UPLOAD;
  p->work = work;
  p->detail = g_strdup (upload_id);
  g_mutex_lock (&self->lock);
  work->upload_answered = FALSE;
  g_mutex_unlock (&self->lock);
  post (self, p);

  g_mutex_lock (&self->lock);
  while (!work->upload_answered && !self->stopping && !is_cancelled (work))
    g_cond_wait (&self->cond, &self->lock);
  recorded = work->upload_answered && work->upload_recorded;
  g_mutex_unlock (&self->lock);
  if (!recorded)
    {
      if (self->stopping || is_cancelled (work))
        g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled");
      else
        g_set_error_literal (error, OSI_S3_ERROR, OSI_S3_ERROR_LOCAL,
                             _("The off-site upload could not be recorded in the backup catalog: see the server's log."));
    }
  return recorded;
}

/* Aborts the multipart uploads of key but keep (NULL: all of them). */
static gboolean
abort_uploads_of (Work        *work,
                  const char  *key,
                  const char  *keep,
                  GError     **error)
{
  OsiOffsite *self = work->self;
  g_autoptr(GPtrArray) uploads = osi_s3_list_multipart_uploads (self->s3, self->host_prefix, work->cancellable, error);

  if (uploads == NULL)
    return FALSE;
  for (guint i = 0; i < uploads->len; i++)
    {
      OsiS3Upload *upload = g_ptr_array_index (uploads, i);
      g_autoptr(GError) local_error = NULL;

      if (g_strcmp0 (upload->key, key) != 0 || g_strcmp0 (upload->upload_id, keep) == 0)
        continue;
      if (!osi_s3_abort_multipart_upload (self->s3, key, upload->upload_id, work->cancellable, &local_error) &&
          !g_error_matches (local_error, OSI_S3_ERROR, OSI_S3_ERROR_NOT_FOUND))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
    }
  return TRUE;
}

typedef enum
{
  ATTEMPT_FAILED,     /* error set */
  ATTEMPT_DONE,
  ATTEMPT_MISMATCH,   /* the object is not the backup */
} Attempt;

/* The parts the storage holds, number → size. */
static GHashTable *
parts_held (GPtrArray *parts)
{
  GHashTable *held = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_free);

  for (guint i = 0; parts != NULL && i < parts->len; i++)
    {
      OsiS3Part *part = g_ptr_array_index (parts, i);

      g_hash_table_replace (held, GUINT_TO_POINTER (part->number), g_memdup2 (&part->size, sizeof part->size));
    }
  return held;
}

static gboolean
part_is_held (GHashTable *held,
              guint       number,
              gint64      length)
{
  gint64 *size = g_hash_table_lookup (held, GUINT_TO_POINTER (number));

  return size != NULL && *size == length;
}

static Attempt
multipart_attempt (Work     *work,
                   gboolean *progressed,
                   GError  **error)
{
  OsiOffsite *self = work->self;
  gint64 part_size = part_size_for (work->size);
  guint n_parts = (guint)((work->size + part_size - 1) / part_size);
  g_autoptr(GPtrArray) parts = NULL;
  g_autoptr(GHashTable) held = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *etag = NULL;
  gint64 copied = 0;

  if (work->upload_id != NULL)
    {
      parts = osi_s3_list_parts (self->s3, work->key, work->upload_id, work->cancellable, &local_error);
      if (parts == NULL)
        {
          if (!g_error_matches (local_error, OSI_S3_ERROR, OSI_S3_ERROR_NOT_FOUND))
            {
              g_propagate_error (error, g_steal_pointer (&local_error));
              return ATTEMPT_FAILED;
            }
          /* aborted or expired: a new upload */
          g_message ("The off-site upload of %s is gone from the storage: starting a new one", work->name);
          g_clear_pointer (&work->upload_id, g_free);
          g_clear_error (&local_error);
        }
    }
  if (work->upload_id == NULL)
    {
      g_autofree char *upload_id = NULL;

      /* no orphan: an older upload of the same name goes first */
      if (!abort_uploads_of (work, work->key, NULL, error))
        return ATTEMPT_FAILED;
      upload_id = osi_s3_create_multipart_upload (self->s3, work->key, work->sha256, work->cancellable, error);
      if (upload_id == NULL)
        return ATTEMPT_FAILED;
      if (!record_upload (work, upload_id, error))
        {
          osi_s3_abort_multipart_upload (self->s3, work->key, upload_id, self->cancellable, NULL);
          return ATTEMPT_FAILED;
        }
      work->upload_id = g_steal_pointer (&upload_id);
      g_clear_pointer (&parts, g_ptr_array_unref);
    }

  held = parts_held (parts);
  {
    guint n_held = 0;

    for (guint n = 1; n <= n_parts; n++)
      {
        gint64 offset = (gint64)(n - 1) * part_size;
        gint64 length = MIN (part_size, work->size - offset);

        if (part_is_held (held, n, length))
          {
            copied += length;
            n_held++;
          }
      }
    if (n_held > 0)
      g_message ("Off-site copy of %s goes on: the storage holds %u of its %u parts", work->name, n_held, n_parts);
  }
  set_copied (self, copied);

  for (guint n = 1; n <= n_parts; n++)
    {
      gint64 offset = (gint64)(n - 1) * part_size;
      gint64 length = MIN (part_size, work->size - offset);
      Progress progress = { self, copied };
      g_autofree char *part_etag = NULL;

      if (part_is_held (held, n, length))
        continue;
      part_etag = osi_s3_upload_part (self->s3, work->key, work->upload_id, n, work->fd, offset, length,
                                      part_progress, &progress, work->cancellable, error);
      if (part_etag == NULL)
        return ATTEMPT_FAILED;
      copied += length;
      set_copied (self, copied);
      *progressed = TRUE;
    }

  /* Every part there, whole, before the upload is completed. */
  g_clear_pointer (&parts, g_ptr_array_unref);
  parts = osi_s3_list_parts (self->s3, work->key, work->upload_id, work->cancellable, error);
  if (parts == NULL)
    return ATTEMPT_FAILED;
  g_clear_pointer (&held, g_hash_table_unref);
  held = parts_held (parts);
  for (guint n = 1; n <= n_parts; n++)
    {
      gint64 offset = (gint64)(n - 1) * part_size;

      if (!part_is_held (held, n, MIN (part_size, work->size - offset)))
        {
          g_set_error (error, OSI_S3_ERROR, OSI_S3_ERROR_TRANSIENT,
                       _("The storage does not hold part %u of the copy whole."), n);
          return ATTEMPT_FAILED;
        }
    }
  if (parts->len != n_parts)
    {
      /* parts beyond the backup's (a copy of another size) */
      osi_s3_abort_multipart_upload (self->s3, work->key, work->upload_id, work->cancellable, NULL);
      g_clear_pointer (&work->upload_id, g_free);
      return ATTEMPT_MISMATCH;
    }
  etag = osi_s3_complete_multipart_upload (self->s3, work->key, work->upload_id, parts, work->cancellable, error);
  if (etag == NULL)
    return ATTEMPT_FAILED;
  return ATTEMPT_DONE;
}

static Attempt
copy_attempt (Work     *work,
              gboolean *progressed,
              GError  **error)
{
  OsiOffsite *self = work->self;
  g_auto(OsiS3Head) head = { 0 };
  g_autoptr(GError) local_error = NULL;

  if (work->size < PART_SIZE)
    {
      g_autofree char *etag = NULL;

      if (!abort_uploads_of (work, work->key, NULL, error))
        return ATTEMPT_FAILED;
      etag = osi_s3_put_object (self->s3, work->key, work->fd, 0, work->size, work->sha256, work->cancellable, error);
      if (etag == NULL)
        return ATTEMPT_FAILED;
      set_copied (self, work->size);
      *progressed = TRUE;
    }
  else
    {
      Attempt attempt = multipart_attempt (work, progressed, error);

      if (attempt != ATTEMPT_DONE)
        return attempt;
    }

  /* The check before done: the object is the backup. */
  if (!osi_s3_head_object (self->s3, work->key, &head, work->cancellable, &local_error))
    {
      if (g_error_matches (local_error, OSI_S3_ERROR, OSI_S3_ERROR_NOT_FOUND))
        return ATTEMPT_MISMATCH;
      g_propagate_error (error, g_steal_pointer (&local_error));
      return ATTEMPT_FAILED;
    }
  if (head.size != work->size || head.sha256 == NULL || g_ascii_strcasecmp (head.sha256, work->sha256) != 0)
    return ATTEMPT_MISMATCH;
  return ATTEMPT_DONE;
}

static void
do_copy (OsiOffsite *self,
         Work       *work)
{
  g_autoptr(GError) error = NULL;
  guint delay = 1;
  guint restarts = 0;

  if (work->sha256 == NULL)
    {
      work->sha256 = osi_backup_folder_hash_fd (work->fd, work->name, work->cancellable, &error);
      if (work->sha256 == NULL)
        {
          if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            post_finished (work, OSI_COPY_COPYING, NULL, work->dropped);
          else
            post_finished (work, OSI_COPY_FAILED, error->message, FALSE);
          return;
        }
    }

  for (;;)
    {
      gboolean progressed = FALSE;
      Attempt attempt;

      g_clear_error (&error);
      attempt = copy_attempt (work, &progressed, &error);
      if (progressed)
        delay = 1;
      if (attempt == ATTEMPT_DONE)
        {
          post_finished (work, OSI_COPY_DONE, "", FALSE);
          return;
        }
      if (attempt == ATTEMPT_MISMATCH)
        {
          g_autoptr(GError) delete_error = NULL;

          g_message ("The off-site copy of %s does not match the backup (size or checksum): starting over", work->name);
          if (!osi_s3_delete_object (self->s3, work->key, work->cancellable, &delete_error) &&
              !g_error_matches (delete_error, OSI_S3_ERROR, OSI_S3_ERROR_NOT_FOUND))
            {
              g_clear_error (&error);
              error = g_steal_pointer (&delete_error);
            }
          else if (++restarts > 1)
            {
              post_finished (work, OSI_COPY_FAILED,
                             _("The storage holds a copy that differs from the backup (size or checksum) "
                               "even after a second try: check the storage, then restart the server to try again."),
                             FALSE);
              return;
            }
          else
            continue;
        }

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || is_cancelled (work) || self->stopping)
        {
          if (work->dropped && work->upload_id != NULL)
            osi_s3_abort_multipart_upload (self->s3, work->key, work->upload_id, self->cancellable, NULL);
          post_finished (work, OSI_COPY_COPYING, NULL, work->dropped);
          return;
        }
      if (g_error_matches (error, OSI_S3_ERROR, OSI_S3_ERROR_NOT_FOUND) && work->upload_id != NULL &&
          restarts < MAX_RESTARTS)
        {
          /* the upload went away under us */
          restarts++;
          g_clear_pointer (&work->upload_id, g_free);
          continue;
        }
      if (g_error_matches (error, OSI_S3_ERROR, OSI_S3_ERROR_TRANSIENT))
        {
          g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
          g_autoptr(GDateTime) then = g_date_time_add_seconds (now, delay);
          g_autofree char *when = g_date_time_format (then, "%Y-%m-%dT%H:%M:%SZ");
          g_autofree char *why = g_strdup (error->message);
          g_autofree char *detail = NULL;
          gsize len = strlen (why);

          if (len > 0 && why[len - 1] == '.')
            why[len - 1] = '\0';
          /* Translators: the first %s is the storage's error; the second
           * a date and time (UTC). */
          detail = g_strdup_printf (_("%s; trying again at %s."), why, when);
          g_message ("Off-site copy of %s waits %u s: %s", work->name, delay, error->message);
          post_status (work, detail);
          if (!wait_before_retry (self, work, delay))
            {
              if (work->dropped && work->upload_id != NULL)
                osi_s3_abort_multipart_upload (self->s3, work->key, work->upload_id, self->cancellable, NULL);
              post_finished (work, OSI_COPY_COPYING, NULL, work->dropped);
              return;
            }
          delay = MIN (delay * 2, self->retry_max);
          continue;
        }
      post_finished (work, OSI_COPY_FAILED, error->message, FALSE);
      return;
    }
}

/* Aborts the uploads no queued copy owns, then reads the storage's list,
 * cancelled by stop (the engine's cancellable: the reading is not the
 * current copy's). A storage that cannot be read (a gateway down) holds
 * nothing up: the copies wait for it themselves, saying why, and this is
 * done again after the first copy that succeeds. */
static void
do_reconcile (OsiOffsite *self,
              Work       *work)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) uploads = NULL;
  Post *p;

  uploads = osi_s3_list_multipart_uploads (self->s3, self->host_prefix, self->cancellable, &error);
  for (guint i = 0; uploads != NULL && i < uploads->len; i++)
    {
      OsiS3Upload *upload = g_ptr_array_index (uploads, i);

      if (g_hash_table_contains (work->owned, upload->upload_id))
        continue;
      g_message ("Aborting the off-site upload of %s that no copy owns", upload->key);
      if (!osi_s3_abort_multipart_upload (self->s3, upload->key, upload->upload_id, self->cancellable, &error) &&
          !g_error_matches (error, OSI_S3_ERROR, OSI_S3_ERROR_NOT_FOUND))
        break;
      g_clear_error (&error);
    }
  p = g_new0 (Post, 1);
  p->type = POST_LISTING;
  p->work = work;
  if (error == NULL)
    p->objects = osi_offsite_list_objects (self->s3, self->host_prefix, self->cancellable, &error);
  if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_message ("Cannot read the off-site storage, read again after the next copy: %s", error->message);
  post (self, p);
}

gpointer
_osi_offsite_worker_main (gpointer data)
{
  OsiOffsite *self = data;

  for (;;)
    {
      Work *work = g_async_queue_pop (self->queue);

      switch (work->type)
        {
        case WORK_STOP:
          _osi_offsite_work_free (work);
          return NULL;
        case WORK_RECONCILE:
          do_reconcile (self, work);
          break;
        case WORK_COPY:
          do_copy (self, work);
          break;
        default:
          g_assert_not_reached ();
        }
    }
}
