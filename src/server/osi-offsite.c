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
#include "osi-offsite.h"
#include "osi-retention.h"
#include "osi-task.h"

/* The off-site copy engine (docs/api.md §7.2). See osi-offsite.h for the
 * threads. The queue is the catalog's: every copy pending, copying or
 * failed is a row, taken oldest queued first; the main thread hands the
 * worker one copy at a time (a Work), opened there, and hears back from
 * it through posts to its context. */

/* Parts of 8 MiB, larger when a backup would need more than 10,000. */
#define PART_SIZE         (G_GINT64_CONSTANT (8) << 20)
#define MAX_PARTS         10000
/* A copy that the storage keeps getting wrong, or whose upload keeps
 * disappearing, stops after that many new starts. */
#define MAX_RESTARTS      3

typedef enum
{
  WORK_RECONCILE,
  WORK_COPY,
  WORK_STOP,
} WorkType;

typedef struct
{
  WorkType      type;
  OsiOffsite   *self;
  char         *name;
  char         *key;
  int           fd;
  gint64        size;
  char         *sha256;
  char         *upload_id;
  GCancellable *cancellable;
  gboolean      dropped;          /* the backup was deleted: abort */
  /* The handshake on the upload id, under self->lock. */
  gboolean      upload_answered;
  gboolean      upload_recorded;
  /* For WORK_RECONCILE: the upload ids the queued copies own. */
  GHashTable   *owned;
} Work;

struct _OsiOffsite
{
  GObject          parent_instance;

  OsiBackupFolder *folder;
  OsiCatalog      *catalog;
  OsiClock        *clock;
  const OsiPolicy *policy;
  GMainContext    *context;

  /* The storage, as configured; read only once made. */
  char            *url;
  char            *access_key;
  char            *secret_key;
  char            *region;
  char            *credentials_path;
  guint            retry_max;
  char            *bucket;
  char            *host_prefix;
  OsiS3           *s3;              /* the worker's */

  /* Guards records, copied, copied_name and the Work handshakes:
   * add_members reads records from any thread. Never held while the
   * folder is called. */
  GMutex           lock;
  GCond            cond;
  GHashTable      *records;         /* name → OsiCatalogCopy */
  char            *copied_name;     /* the copy under way */
  gint64           copied;          /* its bytes on the storage so far */

  GThread         *worker;
  GAsyncQueue     *queue;
  GCancellable    *cancellable;     /* cancelled at stop */
  gboolean         stopping;
  gboolean         ready;           /* no reading of the storage is due first */
  gboolean         reconciled;      /* the storage was read since the start */
  Work            *current;
  gint64           next_queued;
  guint            n_busy;          /* deletions and the first reading */
  gboolean         retention_running;
  GHashTable      *fetching;        /* names */
};

G_DEFINE_FINAL_TYPE (OsiOffsite, osi_offsite, G_TYPE_OBJECT)

static void maybe_start_next (OsiOffsite *self);
static void push_reconcile   (OsiOffsite *self);
static void apply_retention  (OsiOffsite *self);

static char *
format_utc (gint64 unix_time)
{
  g_autoptr(GDateTime) date = g_date_time_new_from_unix_utc (unix_time);

  return date != NULL ? g_date_time_format (date, "%Y-%m-%dT%H:%M:%SZ") : g_strdup ("");
}

static GDateTime *
date_from_us (gint64 us)
{
  g_autoptr(GDateTime) seconds = g_date_time_new_from_unix_utc (us / G_USEC_PER_SEC);

  return seconds != NULL ? g_date_time_add (seconds, us % G_USEC_PER_SEC) : NULL;
}

static gint64
now_seconds (OsiOffsite *self)
{
  g_autoptr(GDateTime) now = osi_clock_now (self->clock);

  return g_date_time_to_unix (now);
}

/* ------------------------------------------------------------------------ */
/* Work                                                                     */

static Work *
work_new (OsiOffsite *self,
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

static void
work_free (Work *work)
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
static void
changed (OsiOffsite *self,
         const char *name)
{
  osi_backup_folder_invalidate (self->folder, name);
}

/* Replaces name's record by copy (taken), once the catalog holds it. */
static gboolean
put_record (OsiOffsite     *self,
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
  changed (self, name);
  return TRUE;
}

/* at: when the state was reached; -1 for now, 0 to keep the record's
 * (a copy waiting to try again began when it began). */
static gboolean
set_state_at (OsiOffsite   *self,
              const char   *name,
              OsiCopyState  state,
              gint64        at,
              const char   *detail)
{
  g_autoptr(GError) error = NULL;
  OsiCatalogCopy *copy;

  if (at < 0)
    at = now_seconds (self);
  else if (at == 0)
    {
      g_mutex_lock (&self->lock);
      copy = g_hash_table_lookup (self->records, name);
      at = copy != NULL ? copy->at : now_seconds (self);
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
  changed (self, name);
  return TRUE;
}

static gboolean
set_state (OsiOffsite   *self,
           const char   *name,
           OsiCopyState  state,
           const char   *detail)
{
  return set_state_at (self, name, state, -1, detail);
}

static gboolean
set_upload_id (OsiOffsite *self,
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

static gboolean
forget_record (OsiOffsite *self,
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
  changed (self, kept);
  return TRUE;
}

/* A copy of name's record, or NULL. */
static OsiCatalogCopy *
dup_record (OsiOffsite *self,
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
static void
requeue_failed (OsiOffsite *self)
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
    set_state (self, g_ptr_array_index (failed, i), OSI_COPY_PENDING, "");
}

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
    work_free (post->work);
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
      if (!work->dropped)
        set_state_at (self, work->name, OSI_COPY_COPYING, 0, post->detail);
      break;

    case POST_UPLOAD:
      {
        gboolean ok = !work->dropped && set_upload_id (self, work->name, post->detail);

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
      if (post->dropped || work->dropped)
        {
          if (g_hash_table_contains (self->records, work->name))
            {
              OsiCatalogCopy *copy = dup_record (self, work->name);

              /* dropped while the worker was ending */
              if (copy != NULL && copy->state != OSI_COPY_DONE)
                forget_record (self, work->name);
              osi_catalog_copy_free (copy);
            }
        }
      else if (self->stopping)
        ;
      else
        {
          OsiCatalogCopy *copy = dup_record (self, work->name);

          if (copy != NULL)
            {
              copy->state = post->state;
              copy->at = now_seconds (self);
              g_free (copy->detail);
              copy->detail = g_strdup (post->detail != NULL ? post->detail : "");
              if (post->sha256 != NULL)
                {
                  g_free (copy->sha256);
                  copy->sha256 = g_strdup (post->sha256);
                }
              if (post->state == OSI_COPY_DONE)
                g_clear_pointer (&copy->upload_id, g_free);
              put_record (self, copy);
              if (post->state == OSI_COPY_DONE)
                {
                  g_message ("Off-site copy of %s done", work->name);
                  requeue_failed (self);
                  apply_retention (self);
                  if (!self->reconciled)
                    push_reconcile (self);
                }
              else
                g_message ("Off-site copy of %s failed: %s", work->name, post->detail);
            }
        }
      maybe_start_next (self);
      break;

    case POST_LISTING:
      if (post->objects != NULL && !self->stopping)
        osi_offsite_apply_listing (self, post->objects);
      self->reconciled = post->objects != NULL;
      self->ready = TRUE;
      g_assert (self->n_busy > 0);
      self->n_busy--;
      maybe_start_next (self);
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

/* ------------------------------------------------------------------------ */
/* Worker: at start                                                         */

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
      for (guint i = 0; i < page->len; i++)
        g_ptr_array_add (all, g_steal_pointer (&page->pdata[i]));
      g_ptr_array_set_free_func (page, NULL);
      g_free (token);
      token = g_steal_pointer (&next);
    }
  while (token != NULL);
  return g_steal_pointer (&all);
}

/* Aborts the uploads no queued copy owns, then reads the storage's list.
 * A storage that cannot be read (a gateway down) holds nothing up: the
 * copies wait for it themselves, saying why, and this is done again
 * after the first copy that succeeds. */
static void
do_reconcile (OsiOffsite *self,
              Work       *work)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) uploads = NULL;
  Post *p;

  uploads = osi_s3_list_multipart_uploads (self->s3, self->host_prefix, work->cancellable, &error);
  for (guint i = 0; uploads != NULL && i < uploads->len; i++)
    {
      OsiS3Upload *upload = g_ptr_array_index (uploads, i);

      if (g_hash_table_contains (work->owned, upload->upload_id))
        continue;
      g_message ("Aborting the off-site upload of %s that no copy owns", upload->key);
      if (!osi_s3_abort_multipart_upload (self->s3, upload->key, upload->upload_id, work->cancellable, &error) &&
          !g_error_matches (error, OSI_S3_ERROR, OSI_S3_ERROR_NOT_FOUND))
        break;
      g_clear_error (&error);
    }
  p = g_new0 (Post, 1);
  p->type = POST_LISTING;
  p->work = work;
  if (error == NULL)
    p->objects = osi_offsite_list_objects (self->s3, self->host_prefix, work->cancellable, &error);
  if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_message ("Cannot read the off-site storage, read again after the next copy: %s", error->message);
  post (self, p);
}

static gpointer
worker_main (gpointer data)
{
  OsiOffsite *self = data;

  for (;;)
    {
      Work *work = g_async_queue_pop (self->queue);

      switch (work->type)
        {
        case WORK_STOP:
          work_free (work);
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

static void
maybe_start_next (OsiOffsite *self)
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
              forget_record (self, copy->name);
            }
          else
            {
              g_autofree char *detail = g_strdup_printf (_("The backup cannot be read: %s"), g_strerror (errno));

              set_state (self, copy->name, OSI_COPY_FAILED, detail);
            }
          continue;
        }
      work = work_new (self, WORK_COPY);
      work->name = g_strdup (copy->name);
      work->fd = fd;
      work->size = st.st_size;
      work->sha256 = osi_backup_folder_lookup_sha256 (self->folder, copy->name, &st);
      work->upload_id = g_strdup (copy->upload_id);
      work->key = osi_s3_backup_key (self->s3, g_get_host_name (), copy->name, &error);
      if (work->key == NULL)
        {
          set_state (self, copy->name, OSI_COPY_FAILED, error->message);
          work_free (work);
          continue;
        }
      /* A copy queued again after a failure, or resumed: it begins now. */
      if (copy->state != OSI_COPY_COPYING || copy->size != st.st_size)
        {
          copy->state = OSI_COPY_COPYING;
          copy->at = now_seconds (self);
          g_free (copy->detail);
          copy->detail = g_strdup ("");
          copy->size = st.st_size;
          if (copy->date_us == 0)
            copy->date_us = (gint64)st.st_mtim.tv_sec * G_USEC_PER_SEC + st.st_mtim.tv_nsec / 1000;
          if (!put_record (self, g_steal_pointer (&copy)))
            {
              work_free (work);
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

static gboolean
delete_work (gpointer       data,
             GCancellable  *cancellable,
             GError       **error)
{
  Deletion *deletion = data;
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

      if (reason == NULL)
        {
          forget_record (self, name);
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
  {
    g_autoptr(GError) run_error = NULL;

    if (!osi_catalog_add_run (self->catalog, OSI_CATALOG_RUN_PRUNE, now_seconds (self), n_failed == 0, detail,
                              &run_error))
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
static void
apply_retention (OsiOffsite *self)
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
  if (self->secret_key != NULL)
    explicit_bzero (self->secret_key, strlen (self->secret_key));
  g_free (self->secret_key);
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
static void
push_reconcile (OsiOffsite *self)
{
  Work *work = work_new (self, WORK_RECONCILE);
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
  requeue_failed (self);

  push_reconcile (self);
  self->worker = g_thread_new ("osi-offsite", worker_main, self);
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
        work_free (work);
      }
  }
  g_async_queue_push (self->queue, work_new (self, WORK_STOP));
  g_thread_join (g_steal_pointer (&self->worker));
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
  copy->at = now_seconds (self);
  copy->kind = kind;
  copy->queued = ++self->next_queued;
  copy->is_protected = osi_backup_folder_is_protected (self->folder, name);
  if (osi_backup_folder_exists (self->folder, name, &st))
    {
      copy->size = st.st_size;
      copy->date_us = (gint64)st.st_mtim.tv_sec * G_USEC_PER_SEC + st.st_mtim.tv_nsec / 1000;
    }
  if (put_record (self, copy))
    g_message ("Off-site copy of %s queued", name);
  maybe_start_next (self);
}

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
abort_work (gpointer       data,
            GCancellable  *cancellable,
            GError       **error)
{
  Abort *abort = data;
  g_autoptr(OsiS3) s3 = osi_offsite_new_s3 (abort->self, error);
  g_autofree char *key = NULL;

  if (s3 == NULL || (key = osi_s3_backup_key (s3, g_get_host_name (), abort->name, error)) == NULL)
    return FALSE;
  return osi_s3_abort_multipart_upload (s3, key, abort->upload_id, abort->self->cancellable, error);
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
static void
abort_upload_async (OsiOffsite *self,
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
  osi_task_run_in_thread (task, abort_work);
}

void
osi_offsite_backup_deleted (OsiOffsite *self,
                            const char *name)
{
  g_autoptr(OsiCatalogCopy) copy = NULL;

  g_return_if_fail (OSI_IS_OFFSITE (self));

  copy = dup_record (self, name);
  if (copy == NULL)
    return;
  if (copy->state == OSI_COPY_DONE)
    {
      /* the copy stays; the list of copies says it is not local */
      changed (self, name);
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
    abort_upload_async (self, name, copy->upload_id);
  g_message ("The backup %s was deleted: its off-site copy, %s, is dropped", name,
             osi_copy_state_to_string (copy->state));
  forget_record (self, name);
}

void
osi_offsite_set_protected (OsiOffsite *self,
                           const char *name,
                           gboolean    is_protected)
{
  g_autoptr(OsiCatalogCopy) copy = NULL;

  g_return_if_fail (OSI_IS_OFFSITE (self));

  copy = dup_record (self, name);
  if (copy == NULL || copy->is_protected == is_protected)
    return;
  copy->is_protected = is_protected;
  put_record (self, g_steal_pointer (&copy));
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

  return dup_record (self, name);
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
osi_offsite_apply_listing (OsiOffsite *self,
                           GPtrArray  *objects)
{
  g_autoptr(GHashTable) found = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) gone = g_ptr_array_new_with_free_func (g_free);
  gsize prefix_len = strlen (self->host_prefix);
  GHashTableIter iter;
  gpointer value;
  guint n_new = 0;

  g_return_if_fail (OSI_IS_OFFSITE (self));

  for (guint i = 0; i < objects->len; i++)
    {
      OsiS3Object *object = g_ptr_array_index (objects, i);
      const char *name;
      OsiCatalogCopy *copy;
      g_autoptr(GDateTime) modified = NULL;

      if (!g_str_has_prefix (object->key, self->host_prefix))
        continue;
      name = object->key + prefix_len;
      if (!osi_backup_name_is_valid (name))
        continue;
      g_hash_table_add (found, (gpointer)name);
      g_mutex_lock (&self->lock);
      copy = g_hash_table_lookup (self->records, name);
      g_mutex_unlock (&self->lock);
      if (copy != NULL)
        continue;
      /* a copy the catalog lost: done, its checksum unknown until fetched */
      copy = osi_catalog_copy_new (name);
      copy->state = OSI_COPY_DONE;
      copy->at = now_seconds (self);
      copy->size = object->size;
      modified = object->last_modified != NULL ? g_date_time_new_from_iso8601 (object->last_modified, NULL) : NULL;
      copy->date_us = modified != NULL ? g_date_time_to_unix (modified) * G_USEC_PER_SEC + g_date_time_get_microsecond (modified) : 0;
      if (put_record (self, copy))
        n_new++;
    }

  g_mutex_lock (&self->lock);
  g_hash_table_iter_init (&iter, self->records);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      OsiCatalogCopy *copy = value;

      if (copy->state == OSI_COPY_DONE && !g_hash_table_contains (found, copy->name))
        g_ptr_array_add (gone, g_strdup (copy->name));
    }
  g_mutex_unlock (&self->lock);
  for (guint i = 0; i < gone->len; i++)
    forget_record (self, g_ptr_array_index (gone, i));
  if (n_new > 0 || gone->len > 0)
    g_message ("The off-site storage holds %u copies the catalog did not know, and lacks %u it recorded",
               n_new, gone->len);
}

void
osi_offsite_note_sha256 (OsiOffsite *self,
                         const char *name,
                         const char *sha256)
{
  g_autoptr(OsiCatalogCopy) copy = NULL;

  g_return_if_fail (OSI_IS_OFFSITE (self));

  copy = dup_record (self, name);
  if (copy == NULL || sha256 == NULL || g_strcmp0 (copy->sha256, sha256) == 0)
    return;
  g_free (copy->sha256);
  copy->sha256 = g_ascii_strdown (sha256, -1);
  put_record (self, g_steal_pointer (&copy));
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
