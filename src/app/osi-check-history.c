/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-check-history"

#include "config.h"

#include <errno.h>
#include <string.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "osi-check-history.h"
#include "osi-error.h"
#include "osi-search.h"

/* Older checks are forgotten past this many files. */
#define MAX_RECORDS 50

typedef enum
{
  JOB_LOAD,     /* read the file, stat what it names */
  JOB_RECORD,   /* stat one new record's file */
  JOB_REFRESH,  /* stat remembered files again */
  JOB_WRITE,    /* stat them, then write the file */
} JobKind;

/* One piece of the worker's work. What it points to belongs to the
 * worker while it runs, to the store's thread before and after. */
typedef struct
{
  JobKind          kind;
  /* Held here rather than as the GTask's source: the worker drops its
   * reference to the GTask last, and the store must go on its thread. */
  OsiCheckHistory *self;
  char           *path;     /* the history's file */
  GTask          *caller;   /* JOB_RECORD, JOB_REFRESH */
  OsiCheckRecord *record;   /* JOB_RECORD: size and mtime filled in by the worker */
  char           *file;     /* JOB_REFRESH: the one file, or NULL for all */
  /* JOB_LOAD: what the worker read; JOB_REFRESH, JOB_WRITE: a copy of the
   * memory, whose "modified" the worker sets. */
  GPtrArray      *records;
  GPtrArray      *waiters;  /* JOB_WRITE: the callers' tasks this write ends */
} Job;

struct _OsiCheckHistory
{
  GObject    parent_instance;

  char      *path;
  GPtrArray *records;        /* newest first */
  gboolean   loaded;
  GPtrArray *load_waiters;   /* GTask */
  GQueue     jobs;           /* waiting for the worker, in order */
  gboolean   running;        /* a job is in the worker */
  gboolean   write_queued;   /* a JOB_WRITE waits in jobs */
  GPtrArray *write_waiters;  /* GTask: the callers the next write ends */
};

G_DEFINE_FINAL_TYPE (OsiCheckHistory, osi_check_history, G_TYPE_OBJECT)

enum {
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* One store per file, and the work of all not done yet, for
 * osi_check_history_flush_all_async (). The thread of the first store
 * owns these; it is the UI thread, which the disk must not hold up. */
static GHashTable *stores;
static GThread    *owner_thread;
static guint       n_pending;
static GPtrArray  *flush_waiters;

/* What proves, in the tests, that no file is touched on the UI thread:
 * every function here that reads, stats or writes begins with it. */
static inline void
assert_worker (void)
{
  g_assert (owner_thread == NULL || g_thread_self () != owner_thread);
}

static inline void
assert_owner (void)
{
  g_assert (g_thread_self () == owner_thread);
}

/* A record of a download not yet checked. */
#define VERDICT_NONE "downloaded"

static const OsiVerdict verdicts[] = {
  OSI_VERDICT_RESTORABLE, OSI_VERDICT_UNPROVEN, OSI_VERDICT_NOT_RESTORABLE,
};

/* ------------------------------------------------------------------------ */
/* Helpers                                                                  */

/* Paths may hold what a group name cannot ("[", "]", newlines): the group
 * is named after the path's digest and the path is a key. */
static char *
group_for (const char *file)
{
  g_autofree char *digest = g_compute_checksum_for_string (G_CHECKSUM_SHA256, file, -1);

  return g_strconcat ("file-", digest, NULL);
}

static gboolean
verdict_from_string (const char *text,
                     OsiVerdict *out)
{
  for (guint i = 0; i < G_N_ELEMENTS (verdicts); i++)
    if (g_strcmp0 (text, osi_verdict_to_string (verdicts[i])) == 0)
      {
        *out = verdicts[i];
        return TRUE;
      }
  return FALSE;
}

static gboolean
stat_file (const char *file,
           gint64     *size,
           gint64     *mtime)
{
  GStatBuf st;

  assert_worker ();
  if (g_stat (file, &st) != 0)
    return FALSE;
  *size = (gint64)st.st_size;
  *mtime = (gint64)st.st_mtime;
  return TRUE;
}

/* A missing, unreadable or damaged file is an empty history: the user
 * loses old checks, never the application. */
static GKeyFile *
load (const char *path)
{
  GKeyFile *keys = g_key_file_new ();
  g_autoptr(GError) error = NULL;

  assert_worker ();
  if (!g_key_file_load_from_file (keys, path, G_KEY_FILE_NONE, &error))
    {
      if (!g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        g_debug ("ignoring %s: %s", path, error->message);
      g_key_file_unref (keys);
      keys = g_key_file_new ();
    }
  return keys;
}

/* NULL for a group that is not a complete record. */
static OsiCheckRecord *
read_record (GKeyFile   *keys,
             const char *group)
{
  g_autoptr(OsiCheckRecord) record = g_new0 (OsiCheckRecord, 1);
  g_autofree char *verdict = NULL;
  g_autofree char *checked = NULL;
  g_autoptr(GDateTime) date = NULL;
  g_autoptr(GError) error = NULL;
  gint64 size, mtime;

  g_autofree char *downloaded = NULL;
  g_autoptr(GDateTime) downloaded_date = NULL;

  record->path = g_key_file_get_string (keys, group, "path", NULL);
  verdict = g_key_file_get_string (keys, group, "verdict", NULL);
  checked = g_key_file_get_string (keys, group, "checked", NULL);
  record->size = g_key_file_get_int64 (keys, group, "size", &error);
  if (error == NULL)
    record->mtime = g_key_file_get_int64 (keys, group, "mtime", &error);
  if (error != NULL || record->path == NULL || !g_path_is_absolute (record->path) ||
      checked == NULL || (date = g_date_time_new_from_iso8601 (checked, NULL)) == NULL)
    return NULL;
  if (g_strcmp0 (verdict, VERDICT_NONE) == 0)
    record->never_checked = TRUE;
  else if (!verdict_from_string (verdict, &record->verdict))
    return NULL;
  record->checked = g_date_time_to_unix (date);
  record->downloaded_sha256 = g_key_file_get_string (keys, group, "downloaded-sha256", NULL);
  downloaded = g_key_file_get_string (keys, group, "downloaded", NULL);
  if (record->downloaded_sha256 != NULL &&
      (strlen (record->downloaded_sha256) != 64 || downloaded == NULL ||
       (downloaded_date = g_date_time_new_from_iso8601 (downloaded, NULL)) == NULL))
    g_clear_pointer (&record->downloaded_sha256, g_free);
  if (record->downloaded_sha256 != NULL)
    record->downloaded = g_date_time_to_unix (downloaded_date);
  record->modified = !stat_file (record->path, &size, &mtime) || size != record->size || mtime != record->mtime;
  return g_steal_pointer (&record);
}

static void
write_record (GKeyFile             *keys,
              const OsiCheckRecord *record)
{
  g_autofree char *group = group_for (record->path);
  g_autoptr(GDateTime) date = g_date_time_new_from_unix_utc (record->checked);
  g_autofree char *checked = g_date_time_format_iso8601 (date);

  g_key_file_set_string (keys, group, "path", record->path);
  g_key_file_set_int64 (keys, group, "size", record->size);
  g_key_file_set_int64 (keys, group, "mtime", record->mtime);
  g_key_file_set_string (keys, group, "verdict",
                         record->never_checked ? VERDICT_NONE : osi_verdict_to_string (record->verdict));
  g_key_file_set_string (keys, group, "checked", checked);
  if (record->downloaded_sha256 != NULL)
    {
      g_autoptr(GDateTime) when = g_date_time_new_from_unix_utc (record->downloaded);
      g_autofree char *text = g_date_time_format_iso8601 (when);

      g_key_file_set_string (keys, group, "downloaded-sha256", record->downloaded_sha256);
      g_key_file_set_string (keys, group, "downloaded", text);
    }
}

static int
newest_first (gconstpointer a,
              gconstpointer b)
{
  const OsiCheckRecord *ra = *(OsiCheckRecord * const *)a;
  const OsiCheckRecord *rb = *(OsiCheckRecord * const *)b;

  if (ra->checked != rb->checked)
    return ra->checked > rb->checked ? -1 : 1;
  return g_strcmp0 (ra->path, rb->path);
}

static GPtrArray *
read_records (GKeyFile *keys)
{
  GPtrArray *records = g_ptr_array_new_with_free_func ((GDestroyNotify)osi_check_record_free);
  g_auto(GStrv) groups = g_key_file_get_groups (keys, NULL);

  for (guint i = 0; groups[i] != NULL; i++)
    {
      OsiCheckRecord *record = read_record (keys, groups[i]);
      g_autofree char *expected = record != NULL ? group_for (record->path) : NULL;

      /* A group whose name does not match its path was not written here. */
      if (record != NULL && g_str_equal (expected, groups[i]))
        g_ptr_array_add (records, record);
      else
        g_clear_pointer (&record, osi_check_record_free);
    }
  g_ptr_array_sort (records, newest_first);
  return records;
}

/* ------------------------------------------------------------------------ */
/* The worker                                                               */

static GPtrArray *
copy_records (GPtrArray  *records,
              const char *only)
{
  GPtrArray *copy = g_ptr_array_new_with_free_func ((GDestroyNotify)osi_check_record_free);

  for (guint i = 0; i < records->len; i++)
    {
      const OsiCheckRecord *record = g_ptr_array_index (records, i);

      if (only == NULL || g_str_equal (only, record->path))
        g_ptr_array_add (copy, osi_check_record_copy (record));
    }
  return copy;
}

static void
restat (GPtrArray *records)
{
  for (guint i = 0; i < records->len; i++)
    {
      OsiCheckRecord *record = g_ptr_array_index (records, i);
      gint64 size, mtime;

      record->modified = !stat_file (record->path, &size, &mtime) || size != record->size ||
                         mtime != record->mtime;
    }
}

/* The key file is replaced atomically: g_file_set_contents writes a
 * temporary file, fsyncs it and renames it. */
static gboolean
write_file (const char  *path,
            GPtrArray   *records,
            GError     **error)
{
  g_autoptr(GKeyFile) keys = g_key_file_new ();
  g_autofree char *folder = g_path_get_dirname (path);
  g_autofree char *data = NULL;
  gsize len;

  assert_worker ();
  for (guint i = 0; i < records->len; i++)
    write_record (keys, g_ptr_array_index (records, i));
  if (g_mkdir_with_parents (folder, 0700) != 0)
    return osi_set_error_from_errno (error, errno, _("Cannot create the folder %s"), folder);
  data = g_key_file_to_data (keys, &len, NULL);
  return g_file_set_contents_full (path, data, (gssize)len, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
}

static void
job_thread (GTask        *task,
            gpointer      source_object,
            gpointer      task_data,
            GCancellable *cancellable)
{
  Job *job = task_data;
  GError *error = NULL;

  switch (job->kind)
    {
    case JOB_LOAD:
      {
        g_autoptr(GKeyFile) keys = load (job->path);

        job->records = read_records (keys);
        break;
      }
    case JOB_RECORD:
      if (!stat_file (job->record->path, &job->record->size, &job->record->mtime))
        osi_set_error_from_errno (&error, errno, _("Cannot read %s"), job->record->path);
      break;
    case JOB_REFRESH:
      restat (job->records);
      break;
    case JOB_WRITE:
      restat (job->records);
      write_file (job->path, job->records, &error);
      break;
    default:
      g_assert_not_reached ();
    }
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
job_free (Job *job)
{
  g_assert (job->self == NULL);
  g_free (job->path);
  g_clear_object (&job->caller);
  g_clear_pointer (&job->record, osi_check_record_free);
  g_free (job->file);
  g_clear_pointer (&job->records, g_ptr_array_unref);
  g_clear_pointer (&job->waiters, g_ptr_array_unref);
  g_free (job);
}

/* ------------------------------------------------------------------------ */
/* The store's thread                                                       */

static void on_job_done (GObject      *source,
                         GAsyncResult *result,
                         gpointer      user_data);

/* Jobs run one at a time, in the order they were asked for: a record
 * lands on the history read from the file, and writes cannot overtake
 * each other. */
static void
run_next (OsiCheckHistory *self)
{
  g_autoptr(GTask) task = NULL;
  Job *job;

  if (self->running || (job = g_queue_pop_head (&self->jobs)) == NULL)
    return;
  self->running = TRUE;
  if (job->kind == JOB_WRITE)
    {
      /* The latest state: writes asked for since the queueing of this one
       * are done by it. */
      self->write_queued = FALSE;
      job->records = copy_records (self->records, NULL);
      job->waiters = g_steal_pointer (&self->write_waiters);
      self->write_waiters = g_ptr_array_new_with_free_func (g_object_unref);
    }
  else if (job->kind == JOB_REFRESH)
    job->records = copy_records (self->records, job->file);
  job->self = g_object_ref (self);
  task = g_task_new (NULL, NULL, on_job_done, NULL);
  g_task_set_source_tag (task, run_next);
  g_task_set_task_data (task, job, (GDestroyNotify)job_free);
  g_task_run_in_thread (task, job_thread);
}

static Job *
job_new (JobKind kind)
{
  Job *job = g_new0 (Job, 1);

  job->kind = kind;
  return job;
}

static void
push_job (OsiCheckHistory *self,
          Job             *job)
{
  job->path = g_strdup (self->path);
  g_queue_push_tail (&self->jobs, job);
  n_pending++;
  run_next (self);
}

static void
return_all (GPtrArray    *tasks,
            const GError *error)
{
  for (guint i = 0; i < tasks->len; i++)
    {
      GTask *task = g_ptr_array_index (tasks, i);

      if (error != NULL)
        g_task_return_error (task, g_error_copy (error));
      else
        g_task_return_boolean (task, TRUE);
    }
  g_ptr_array_set_size (tasks, 0);
}

/* Takes the "modified" the worker found, for the records memory still
 * holds as they were when copied. */
static gboolean
take_modified (OsiCheckHistory *self,
               GPtrArray       *statted)
{
  gboolean changed = FALSE;

  for (guint i = 0; i < statted->len; i++)
    {
      const OsiCheckRecord *fresh = g_ptr_array_index (statted, i);

      for (guint j = 0; j < self->records->len; j++)
        {
          OsiCheckRecord *record = g_ptr_array_index (self->records, j);

          if (g_str_equal (record->path, fresh->path) && record->checked == fresh->checked &&
              record->size == fresh->size && record->mtime == fresh->mtime &&
              record->modified != fresh->modified)
            {
              record->modified = fresh->modified;
              changed = TRUE;
            }
        }
    }
  return changed;
}

/* Puts record in place of the file's former one, keeping the newest
 * others. A download's SHA-256 stays with the file while it keeps its
 * size and mtime. */
static void
take_record (OsiCheckHistory *self,
             OsiCheckRecord  *record)
{
  for (guint i = 0; i < self->records->len;)
    {
      OsiCheckRecord *former = g_ptr_array_index (self->records, i);

      if (!g_str_equal (former->path, record->path))
        {
          i++;
          continue;
        }
      if (record->downloaded_sha256 == NULL && former->downloaded_sha256 != NULL &&
          former->size == record->size && former->mtime == record->mtime)
        {
          record->downloaded_sha256 = g_strdup (former->downloaded_sha256);
          record->downloaded = former->downloaded;
        }
      g_ptr_array_remove_index (self->records, i);
    }
  g_ptr_array_add (self->records, record);
  g_ptr_array_sort (self->records, newest_first);
  if (self->records->len > MAX_RECORDS)
    g_ptr_array_set_size (self->records, MAX_RECORDS);
}

static void
queue_write (OsiCheckHistory *self,
             GTask           *caller)
{
  g_ptr_array_add (self->write_waiters, caller);
  if (!self->write_queued)
    {
      self->write_queued = TRUE;
      push_job (self, job_new (JOB_WRITE));
    }
}

static void
on_job_done (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Job *job = g_task_get_task_data (G_TASK (result));
  g_autoptr(OsiCheckHistory) self = g_steal_pointer (&job->self);
  g_autoptr(GError) error = NULL;
  gboolean changed = FALSE;

  g_task_propagate_boolean (G_TASK (result), &error);
  switch (job->kind)
    {
    case JOB_LOAD:
      g_ptr_array_extend_and_steal (self->records, g_steal_pointer (&job->records));
      g_ptr_array_sort (self->records, newest_first);
      self->loaded = TRUE;
      changed = TRUE;
      return_all (self->load_waiters, NULL);
      break;
    case JOB_RECORD:
      if (error != NULL)
        g_task_return_error (job->caller, g_steal_pointer (&error));
      else
        {
          take_record (self, g_steal_pointer (&job->record));
          changed = TRUE;
          queue_write (self, g_steal_pointer (&job->caller));
        }
      break;
    case JOB_REFRESH:
      changed = take_modified (self, job->records);
      g_task_return_boolean (job->caller, TRUE);
      break;
    case JOB_WRITE:
      changed = take_modified (self, job->records);
      if (error != NULL)
        g_debug ("cannot write %s: %s", self->path, error->message);
      return_all (job->waiters, error);
      break;
    default:
      g_assert_not_reached ();
    }

  /* What holds the store goes now, on this thread. */
  g_clear_object (&job->caller);
  g_clear_pointer (&job->waiters, g_ptr_array_unref);
  self->running = FALSE;
  run_next (self);
  if (changed)
    g_signal_emit (self, signals[CHANGED], 0);
  g_assert (n_pending > 0);
  if (--n_pending == 0 && flush_waiters != NULL)
    return_all (flush_waiters, NULL);
}

/* ------------------------------------------------------------------------ */
/* GObject                                                                  */

static void
osi_check_history_finalize (GObject *object)
{
  OsiCheckHistory *self = OSI_CHECK_HISTORY (object);

  /* Each job holds the store: none is left. */
  g_assert (g_queue_is_empty (&self->jobs) && !self->running);
  if (stores != NULL && g_hash_table_lookup (stores, self->path) == self)
    g_hash_table_remove (stores, self->path);
  g_free (self->path);
  g_ptr_array_unref (self->records);
  g_ptr_array_unref (self->load_waiters);
  g_ptr_array_unref (self->write_waiters);

  G_OBJECT_CLASS (osi_check_history_parent_class)->finalize (object);
}

static void
osi_check_history_class_init (OsiCheckHistoryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = osi_check_history_finalize;

  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                                   NULL, G_TYPE_NONE, 0);
}

static void
osi_check_history_init (OsiCheckHistory *self)
{
  self->records = g_ptr_array_new_with_free_func ((GDestroyNotify)osi_check_record_free);
  self->load_waiters = g_ptr_array_new_with_free_func (g_object_unref);
  self->write_waiters = g_ptr_array_new_with_free_func (g_object_unref);
  g_queue_init (&self->jobs);
}

/* ------------------------------------------------------------------------ */
/* Public API                                                               */

OsiCheckRecord *
osi_check_record_copy (const OsiCheckRecord *record)
{
  OsiCheckRecord *copy;

  g_return_val_if_fail (record != NULL, NULL);

  copy = g_memdup2 (record, sizeof *record);
  copy->path = g_strdup (record->path);
  copy->downloaded_sha256 = g_strdup (record->downloaded_sha256);
  return copy;
}

void
osi_check_record_free (OsiCheckRecord *record)
{
  if (record == NULL)
    return;
  g_free (record->path);
  g_free (record->downloaded_sha256);
  g_free (record);
}

char *
osi_check_record_describe (const OsiCheckRecord *record)
{
  g_autoptr(GDateTime) date = NULL;
  g_autofree char *when = NULL;

  g_return_val_if_fail (record != NULL, NULL);

  date = g_date_time_new_from_unix_utc (record->checked);
  when = osi_format_date (date);
  if (record->never_checked)
    /* TRANSLATORS: a date (DD/MM/YYYY HH:MM) */
    return g_strdup_printf (record->modified ? _("Downloaded on %s, not checked yet (file modified since)")
                                             : _("Downloaded on %s, not checked yet"),
                            when);
  if (record->modified)
    /* TRANSLATORS: a date (DD/MM/YYYY HH:MM), then a verdict ("restorable") */
    return g_strdup_printf (_("Last check: %s — %s (file modified since)"), when,
                            osi_verdict_describe (record->verdict));
  /* TRANSLATORS: a date (DD/MM/YYYY HH:MM), then a verdict ("restorable") */
  return g_strdup_printf (_("Last check: %s — %s"), when, osi_verdict_describe (record->verdict));
}

/* The caller's task, returned at once when done, or else kept among the
 * waiters (made on first use) until it is. Takes task. */
static void
return_now_or_wait (GTask      *task,
                    gboolean    done,
                    GPtrArray **waiters)
{
  if (done)
    {
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }
  if (*waiters == NULL)
    *waiters = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (*waiters, task);
}

/* Every _finish here: source is the store, or NULL for the ones of all. */
static gboolean
propagate_boolean (gpointer       source,
                   GAsyncResult  *result,
                   GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, source), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

OsiCheckHistory *
osi_check_history_new (const char *path)
{
  g_autofree char *file = path != NULL ? g_strdup (path)
                                       : g_build_filename (g_get_user_data_dir (), "osi-backup", "checks.ini", NULL);
  OsiCheckHistory *self;

  if (owner_thread == NULL)
    owner_thread = g_thread_self ();
  assert_owner ();
  if (stores == NULL)
    stores = g_hash_table_new (g_str_hash, g_str_equal);
  if ((self = g_hash_table_lookup (stores, file)) != NULL)
    return g_object_ref (self);

  self = g_object_new (OSI_TYPE_CHECK_HISTORY, NULL);
  self->path = g_steal_pointer (&file);
  g_hash_table_insert (stores, self->path, self);
  push_job (self, job_new (JOB_LOAD));
  return self;
}

const char *
osi_check_history_get_path (OsiCheckHistory *self)
{
  g_return_val_if_fail (OSI_IS_CHECK_HISTORY (self), NULL);

  return self->path;
}

gboolean
osi_check_history_is_loaded (OsiCheckHistory *self)
{
  g_return_val_if_fail (OSI_IS_CHECK_HISTORY (self), FALSE);

  return self->loaded;
}

void
osi_check_history_load_async (OsiCheckHistory     *self,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (OSI_IS_CHECK_HISTORY (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, osi_check_history_load_async);
  return_now_or_wait (g_steal_pointer (&task), self->loaded, &self->load_waiters);
}

gboolean
osi_check_history_load_finish (OsiCheckHistory  *self,
                               GAsyncResult     *result,
                               GError          **error)
{
  return propagate_boolean (self, result, error);
}

static void
record_async (OsiCheckHistory     *self,
              OsiCheckRecord      *record,
              GCancellable        *cancellable,
              GAsyncReadyCallback  callback,
              gpointer             user_data)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  Job *job;

  assert_owner ();
  g_task_set_source_tag (task, osi_check_history_record_async);
  if (!g_utf8_validate (record->path, -1, NULL))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_FILENAME, "%s",
                               _("The checks of files whose name is not UTF-8 are not remembered."));
      g_object_unref (task);
      osi_check_record_free (record);
      return;
    }
  record->checked = g_date_time_to_unix (now);
  if (record->downloaded_sha256 != NULL)
    record->downloaded = record->checked;
  job = job_new (JOB_RECORD);
  job->caller = task;
  job->record = record;
  push_job (self, job);
}

void
osi_check_history_record_async (OsiCheckHistory     *self,
                                const char          *file,
                                OsiVerdict           verdict,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  OsiCheckRecord *record;

  g_return_if_fail (OSI_IS_CHECK_HISTORY (self));
  g_return_if_fail (file != NULL && g_path_is_absolute (file));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  record = g_new0 (OsiCheckRecord, 1);
  record->path = g_strdup (file);
  record->verdict = verdict;
  record_async (self, record, cancellable, callback, user_data);
}

void
osi_check_history_record_download_async (OsiCheckHistory     *self,
                                         const char          *file,
                                         const char          *sha256,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  OsiCheckRecord *record;

  g_return_if_fail (OSI_IS_CHECK_HISTORY (self));
  g_return_if_fail (file != NULL && g_path_is_absolute (file));
  g_return_if_fail (sha256 != NULL && strlen (sha256) == 64);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  record = g_new0 (OsiCheckRecord, 1);
  record->path = g_strdup (file);
  record->never_checked = TRUE;
  record->downloaded_sha256 = g_ascii_strdown (sha256, -1);
  record_async (self, record, cancellable, callback, user_data);
}

gboolean
osi_check_history_record_finish (OsiCheckHistory  *self,
                                 GAsyncResult     *result,
                                 GError          **error)
{
  return propagate_boolean (self, result, error);
}

void
osi_check_history_refresh_async (OsiCheckHistory     *self,
                                 const char          *file,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  Job *job;

  g_return_if_fail (OSI_IS_CHECK_HISTORY (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  job = job_new (JOB_REFRESH);
  job->file = g_strdup (file);
  job->caller = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (job->caller, osi_check_history_refresh_async);
  push_job (self, job);
}

gboolean
osi_check_history_refresh_finish (OsiCheckHistory  *self,
                                  GAsyncResult     *result,
                                  GError          **error)
{
  return propagate_boolean (self, result, error);
}

OsiCheckRecord *
osi_check_history_lookup (OsiCheckHistory *self,
                          const char      *file)
{
  g_return_val_if_fail (OSI_IS_CHECK_HISTORY (self), NULL);
  g_return_val_if_fail (file != NULL, NULL);

  for (guint i = 0; i < self->records->len; i++)
    {
      const OsiCheckRecord *record = g_ptr_array_index (self->records, i);

      if (g_str_equal (record->path, file))
        return osi_check_record_copy (record);
    }
  return NULL;
}

GPtrArray *
osi_check_history_list (OsiCheckHistory *self)
{
  g_return_val_if_fail (OSI_IS_CHECK_HISTORY (self), NULL);

  return copy_records (self->records, NULL);
}

void
osi_check_history_flush_all_async (GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, osi_check_history_flush_all_async);
  return_now_or_wait (g_steal_pointer (&task), n_pending == 0, &flush_waiters);
}

gboolean
osi_check_history_flush_all_finish (GAsyncResult  *result,
                                    GError       **error)
{
  return propagate_boolean (NULL, result, error);
}

gboolean
osi_check_history_any_pending (void)
{
  return n_pending > 0;
}
