/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-core"

#include "config.h"

#include <locale.h>
#include <string.h>

#include "osi-archive.h"
#include "osi-archive-private.h"
#include "osi-task.h"

/* The format's limits and names, and the asynchronous variants. Reading
 * (verification) is in osi-archive-read.c, writing what is read into a
 * staging folder in osi-archive-extract.c, creation in
 * osi-archive-create.c. */

void
osi_archive_limits_init (OsiArchiveLimits *limits)
{
  g_return_if_fail (limits != NULL);

  limits->max_content_bytes = G_GUINT64_CONSTANT (256) << 30;
  /* Real data (JSON text, configuration, embeddings) stays well under
   * 100:1 with zstd; zeros reach 30000:1. So do tar headers of empty
   * files: the ratio also judges the decompressed stream. */
  limits->max_ratio = 1000;
  limits->ratio_grace_bytes = 32 * 1024 * 1024;
  limits->max_manifest_bytes = 32 * 1024 * 1024;
  /* The manifest lists every file with its path: a restorable archive
   * names at most about 32 MiB of file paths, in at most ~350,000 records
   * of ~100 bytes. The folders' names, fewer and shorter than their
   * files', fit in the same again. Each entry read costs ~150 bytes
   * beside its name (the report's entry, the table of paths seen), so
   * these bound that memory near 140 MiB, the time near 2 s. */
  limits->max_path_bytes = 2 * (guint64)limits->max_manifest_bytes;
  limits->max_entries = 500000;
  limits->allow_unproven = FALSE;
}

/* See LocaleScope. */
void
_osi_archive_push_utf8_locale (LocaleScope *scope)
{
  locale_t base = duplocale (LC_GLOBAL_LOCALE);

  scope->previous = (locale_t)0;
  scope->utf8 = base != (locale_t)0 ? newlocale (LC_CTYPE_MASK, "C.UTF-8", base) : (locale_t)0;
  if (scope->utf8 != (locale_t)0)
    scope->previous = uselocale (scope->utf8);
  else if (base != (locale_t)0)
    freelocale (base);
}

void
_osi_archive_pop_locale (LocaleScope *scope)
{
  if (scope->utf8 == (locale_t)0)
    return;
  uselocale (scope->previous);
  freelocale (scope->utf8);
  scope->utf8 = (locale_t)0;
}

char *
osi_archive_default_name (GDateTime      *time,
                          OsiCompression  compression)
{
  g_autoptr(GDateTime) utc = NULL;
  g_autofree char *stamp = NULL;

  g_return_val_if_fail (time != NULL, NULL);

  utc = g_date_time_to_utc (time);
  stamp = g_date_time_format (utc, "%Y%m%d_%H%M%S");
  return g_strdup_printf ("backup_%s.%s", stamp,
                          compression == OSI_COMPRESSION_GZIP ? "tar.gz" : "tar.zst");
}

gboolean
osi_archive_name_is_bare_json (const char *name)
{
  gsize len;

  g_return_val_if_fail (name != NULL, FALSE);

  len = strlen (name);
  return len >= 5 && g_ascii_strcasecmp (name + len - 5, ".json") == 0;
}

/* ------------------------------------------------------------------------ */
/* Asynchronous variants                                                    */

static void
job_free (gpointer data)
{
  ArchiveJob *job = data;

  g_free (job->archive_path);
  g_free (job->other_path);
  g_clear_object (&job->report);
  g_free (job->sha256);
  g_clear_pointer (&job->relay, osi_progress_relay_unref);
  g_free (job);
}

/* func, given a copy of the arguments; limits may be NULL for the
 * defaults. */
ArchiveJob *
_osi_archive_job_new (ArchiveJobFunc           func,
                      const char              *archive_path,
                      const char              *other_path,
                      const OsiArchiveLimits  *limits,
                      OsiProgressFunc          progress,
                      gpointer                 progress_data)
{
  ArchiveJob *job = g_new0 (ArchiveJob, 1);

  job->func = func;
  job->archive_path = g_strdup (archive_path);
  job->other_path = g_strdup (other_path);
  if (limits != NULL)
    job->limits = *limits;
  else
    osi_archive_limits_init (&job->limits);
  if (progress != NULL)
    job->relay = osi_progress_relay_new (progress, progress_data);
  return job;
}

static gboolean
run_job (gpointer       data,
         GCancellable  *cancellable,
         GError       **error)
{
  ArchiveJob *job = data;

  return job->func (job, cancellable, error);
}

/* Runs the job, which it takes, as the _async variant source_tag. */
void
_osi_archive_job_start (ArchiveJob          *job,
                        gpointer             source_tag,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, job, job_free);
  osi_task_run_in_thread (task, run_job);
}

/* The job, done; NULL with error when it failed. *out_report (optional)
 * gets its report either way, which says why. */
ArchiveJob *
_osi_archive_job_finish (GAsyncResult      *result,
                         gpointer           source_tag,
                         OsiVerifyReport  **out_report,
                         GError           **error)
{
  ArchiveJob *job;

  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag, NULL);

  job = g_task_get_task_data (G_TASK (result));
  if (out_report != NULL)
    *out_report = job->report != NULL ? g_object_ref (job->report) : NULL;
  return g_task_propagate_boolean (G_TASK (result), error) ? job : NULL;
}

static gboolean
verify_job (ArchiveJob    *job,
            GCancellable  *cancellable,
            GError       **error)
{
  ScanRequest request = { .fd = -1, .name = job->archive_path, .limits = &job->limits, .relay = job->relay };

  job->report = _osi_archive_scan_run (&request, NULL, NULL, cancellable, error);
  return job->report != NULL;
}

void
osi_archive_verify_async (const char              *archive_path,
                          const OsiArchiveLimits  *limits,
                          OsiProgressFunc          progress,
                          gpointer                 progress_data,
                          GCancellable            *cancellable,
                          GAsyncReadyCallback      callback,
                          gpointer                 user_data)
{
  g_return_if_fail (archive_path != NULL);

  _osi_archive_job_start (_osi_archive_job_new (verify_job, archive_path, NULL, limits, progress, progress_data),
                          osi_archive_verify_async, cancellable, callback, user_data);
}

OsiVerifyReport *
osi_archive_verify_finish (GAsyncResult  *result,
                           GError       **error)
{
  ArchiveJob *job = _osi_archive_job_finish (result, osi_archive_verify_async, NULL, error);

  return job != NULL ? g_object_ref (job->report) : NULL;
}
