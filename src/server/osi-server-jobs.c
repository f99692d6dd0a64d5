/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-server"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>

#include "osi-archive.h"
#include "osi-backup-info.h"
#include "osi-diff-private.h"
#include "osi-open.h"
#include "osi-server-private.h"
#include "osi-swap.h"

#define MAX_NAME_ATTEMPTS   1000
#define FINDINGS_IN_DETAIL  3

/* ------------------------------------------------------------------------ */
/* Shared by the jobs                                                       */

/* The bytes of the regular files under dir_fd, which it closes, and
 * (when n_files is not NULL) adds their number to *n_files. */
static guint64
tree_size_at (int      dir_fd,
              guint64 *n_files)
{
  g_autoptr(GPtrArray) names = osi_read_dir_names (dir_fd);
  guint64 total = 0;

  for (guint i = 0; names != NULL && i < names->len; i++)
    {
      const char *name = g_ptr_array_index (names, i);
      struct stat st;

      if (fstatat (dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        continue;
      if (S_ISREG (st.st_mode))
        {
          total += (guint64)st.st_size;
          if (n_files != NULL)
            (*n_files)++;
        }
      else if (S_ISDIR (st.st_mode))
        {
          int fd = openat (dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
          if (fd >= 0)
            total += tree_size_at (fd, n_files);
        }
    }
  close (dir_fd);
  return total;
}

/* The size of the data, as the estimate of what a backup of it takes. */
static guint64
tree_size (const char *path,
           guint64    *n_files)
{
  int fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  return fd < 0 ? 0 : tree_size_at (fd, n_files);
}

static void
respond_busy (SoupServerMessage *msg)
{
  _osi_server_respond_error (msg, SOUP_STATUS_CONFLICT,
                             "%s", _("A backup or a restore is already running: try again when it has finished."));
}

/* ------------------------------------------------------------------------ */
/* POST /api/rag/backup: create                                             */

/* Writes the backup name of the folder source (the data folder, or the
 * old data a restore kept), dated job->made_at_us, with its sidecar, into
 * job->made, job->st and job->sha256. G_IO_ERROR_EXISTS when the name is
 * taken. Runs in a thread. */
static gboolean
write_backup (Job           *job,
              const char    *source,
              const char    *name,
              GCancellable  *cancellable,
              GError       **error)
{
  OsiServer *self = job->server;
  int dir_fd = osi_backup_folder_get_fd (self->folder);
  g_autofree char *path = osi_backup_folder_build_path (self->folder, name);
  g_autofree char *sha256 = NULL;
  struct timespec times[2];

  if (!osi_archive_create (source, path, OSI_COMPRESSION_ZSTD, &sha256, cancellable, error))
    return FALSE;

  /* Dated when it was begun, by the server's clock, like its name. */
  times[0].tv_sec = job->made_at_us / G_USEC_PER_SEC;
  times[0].tv_nsec = (job->made_at_us % G_USEC_PER_SEC) * 1000;
  times[1] = times[0];
  utimensat (dir_fd, name, times, AT_SYMLINK_NOFOLLOW);
  if (fstatat (dir_fd, name, &job->st, AT_SYMLINK_NOFOLLOW) < 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Cannot read the backup “%s”: %s"), name, g_strerror (saved));
      return FALSE;
    }
  osi_backup_folder_write_sidecar (self->folder, name, sha256);
  osi_backup_folder_store_sha256 (self->folder, name, &job->st, sha256);
  g_free (job->made);
  job->made = g_strdup (name);
  g_free (job->sha256);
  job->sha256 = g_steal_pointer (&sha256);
  return TRUE;
}

/* The name for job->prefix: PREFIX.tar.zst, or PREFIX_N.tar.zst when that
 * is taken, in the backup folder or (when data_dir is not NULL) by the
 * old data a restore keeps under that stem. Runs in a thread. */
static char *
free_name (Job        *job,
           guint       attempt,
           const char *data_dir)
{
  int dir_fd = osi_backup_folder_get_fd (job->server->folder);
  g_autofree char *stem = attempt == 0 ? g_strdup (job->prefix) : g_strdup_printf ("%s_%u", job->prefix, attempt);
  g_autofree char *name = g_strconcat (stem, ".tar.zst", NULL);
  struct stat st;

  if (!osi_backup_name_is_valid (name) || fstatat (dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT)
    return NULL;
  if (data_dir != NULL)
    {
      g_autofree char *retired = osi_swap_retired_path (data_dir, stem);

      if (retired == NULL || lstat (retired, &st) == 0 || errno != ENOENT)
        return NULL;
    }
  return g_steal_pointer (&name);
}

/* The first free_name () from attempt on, free of the old data restores
 * keep too: a safety backup's. */
static char *
first_free_name (Job     *job,
                 guint    attempt,
                 GError **error)
{
  for (guint i = attempt; i < MAX_NAME_ATTEMPTS; i++)
    {
      char *name = free_name (job, i, job->server->options.data_dir);

      if (name != NULL)
        return name;
    }
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS, _("Cannot find a free name for the backup “%s”."), job->prefix);
  return NULL;
}

/* Writes a backup of the data folder as job->prefix.tar.zst, or
 * PREFIX_N.tar.zst when that is taken: the work of a create and of a
 * scheduled backup. Runs in a thread. */
gboolean
_osi_server_make_backup (Job           *job,
                         GCancellable  *cancellable,
                         GError       **error)
{
  OsiServer *self = job->server;
  gint64 started = g_get_monotonic_time ();

  job->data_bytes = tree_size (self->options.data_dir, NULL);
  if (!_osi_server_check_space (osi_backup_folder_get_path (self->folder), job->data_bytes, error))
    return FALSE;

  for (guint i = 0; i < MAX_NAME_ATTEMPTS; i++)
    {
      g_autofree char *name = free_name (job, i, NULL);
      g_autoptr(GError) local_error = NULL;

      if (name == NULL)
        continue;
      if (!write_backup (job, self->options.data_dir, name, cancellable, &local_error))
        {
          if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_EXISTS))
            continue;
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      job->elapsed_us = g_get_monotonic_time () - started;
      return TRUE;
    }

  g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS, _("Cannot find a free name for the backup “%s”."), job->prefix);
  return FALSE;
}

/* A job that backs the data up, named and dated by the server's clock
 * (prefix: "backup_YYYYMMDD_HHMMSS", then suffix): a create's, a
 * scheduled backup's, a restore's safety backup. */
Job *
_osi_server_backup_job_new (OsiServer  *self,
                            const char *suffix,
                            JobWork     work,
                            JobDone     done)
{
  g_autoptr(GDateTime) now = osi_clock_now (self->options.clock);
  g_autofree char *name = osi_archive_default_name (now, OSI_COMPRESSION_ZSTD);
  Job *job = _osi_server_job_new (NULL, -1, work != NULL ? work : _osi_server_make_backup, done);

  job->prefix = g_strdup_printf ("%.*s%s", (int)(strlen (name) - strlen (".tar.zst")), name, suffix);
  job->made_at_us = g_date_time_to_unix (now) * G_USEC_PER_SEC + g_date_time_get_microsecond (now);
  return job;
}

static gboolean
create_done (Job          *job,
             const GError *error)
{
  _osi_server_op_end (job->server);
  if (error == NULL)
    {
      _osi_server_note_backup_rate (job->server, job);
      _osi_server_record_kind (job->server, job->made, OSI_CATALOG_KIND_MANUAL);
      _osi_server_respond_backup_made (job, job->made, FALSE);
    }
  else
    {
      g_message ("Backup failed: %s", error->message);
      _osi_server_respond_task_error (job->msg, error);
    }
  return TRUE;
}

void
_osi_server_handle_create (OsiServer         *self,
                           SoupServerMessage *msg)
{
  if (self->op != OP_NONE)
    {
      respond_busy (msg);
      return;
    }
  _osi_server_op_begin (self, OP_CREATE, NULL);
  _osi_server_job_run (self, msg, _osi_server_backup_job_new (self, "", NULL, create_done));
}

/* ------------------------------------------------------------------------ */
/* POST /api/rag/backup/restore                                             */

char *
_osi_server_findings_summary (OsiVerifyReport *report)
{
  GPtrArray *findings = osi_verify_report_get_findings (report);
  GString *text = g_string_new (NULL);
  guint shown = 0;

  for (guint i = 0; i < findings->len && shown < FINDINGS_IN_DETAIL; i++)
    {
      const OsiFinding *finding = g_ptr_array_index (findings, i);

      if (finding->severity == OSI_SEVERITY_WARNING)
        continue;
      if (shown++ > 0)
        g_string_append (text, " ");
      if (finding->path != NULL)
        g_string_append_printf (text, "%s: ", finding->path);
      g_string_append (text, finding->message);
    }
  return g_string_free (text, FALSE);
}

/* Whether a verified file may be stored or restored: a bare knowledge base
 * has no manifest and can at best be unproven. */
gboolean
_osi_server_report_acceptable (OsiVerifyReport *report,
                               gboolean         is_json)
{
  OsiVerdict verdict = osi_verify_report_get_verdict (report);

  return verdict == OSI_VERDICT_RESTORABLE || (is_json && verdict == OSI_VERDICT_UNPROVEN);
}

static gboolean
set_verification_error (GError          **error,
                        const char       *name,
                        OsiVerifyReport  *report)
{
  g_autofree char *summary = _osi_server_findings_summary (report);

  g_set_error (error, HTTP_ERROR, SOUP_STATUS_UNPROCESSABLE_ENTITY,
               _("The backup “%s” failed verification and cannot be restored: %s"), name, summary);
  return FALSE;
}

/* The work of a verify, and the first step of a restore and of an
 * upload: the file opened when the request came, so that whatever takes
 * its name meanwhile is not read. */
gboolean
_osi_server_verify_work (Job           *job,
                         GCancellable  *cancellable,
                         GError       **error)
{
  job->report = osi_archive_verify_fd (job->fd, job->name, NULL, cancellable, error);
  return job->report != NULL;
}

/* What the safety backup of a restore costs: archived at this many bytes
 * of data a second until a backup made by this server measured better. */
#define DEFAULT_BACKUP_RATE (100.0 * 1000 * 1000)

static gboolean
restore_work (Job           *job,
              GCancellable  *cancellable,
              GError       **error)
{
  OsiServer *self = job->server;
  gboolean is_json = osi_archive_name_is_bare_json (job->name);
  g_autofree char *keep_as = NULL;
  OsiArchiveLimits limits;
  struct stat data_st;
  gboolean have_data;

  /* Room for the staging copy beside the data (at least the archive's
   * size: extraction stops cleanly on a full disk anyway) and for the
   * safety backup of the data it replaces. */
  have_data = stat (self->options.data_dir, &data_st) == 0 && S_ISDIR (data_st.st_mode);
  {
    g_autofree char *data_parent = g_path_get_dirname (self->options.data_dir);
    const char *backup_dir = osi_backup_folder_get_path (self->folder);
    struct stat backup_st, parent_st, archive_st;
    guint64 staged = fstat (job->fd, &archive_st) == 0 ? (guint64)archive_st.st_size : 0;
    gboolean same_fs = stat (backup_dir, &backup_st) == 0 && stat (data_parent, &parent_st) == 0 &&
                       backup_st.st_dev == parent_st.st_dev;

    job->data_bytes = have_data ? tree_size (self->options.data_dir, NULL) : 0;
    if (same_fs ? !_osi_server_check_space (backup_dir, job->data_bytes + staged, error)
                : (!_osi_server_check_space (backup_dir, job->data_bytes, error) ||
                   !_osi_server_check_space (data_parent, staged, error)))
      return FALSE;
  }

  /* The old data is kept, under the stem of the safety backup it becomes
   * once archived, after the swap (safety_work): the restore does not
   * wait for its compression. With no data yet there is nothing to keep. */
  if (have_data)
    {
      g_autofree char *name = first_free_name (job, 0, error);

      if (name == NULL)
        return FALSE;
      keep_as = g_strndup (name, strlen (name) - strlen (".tar.zst"));
      job->made = g_steal_pointer (&name);
    }

  /* One pass verifies and stages: an archive that fails verification is
   * refused before the swap, the data untouched. */
  osi_archive_limits_init (&limits);
  limits.allow_unproven = is_json;
  if (!osi_swap_restore_archive_fd (self->options.data_dir, job->fd, job->name, &limits, keep_as, &job->report,
                                    cancellable, error))
    {
      g_clear_pointer (&job->made, g_free);
      /* A disk that refused a write is not the backup's fault: 507 or
       * 500 with what the disk said, not "failed verification". */
      if (job->report != NULL && !_osi_server_report_acceptable (job->report, is_json) &&
          !osi_verify_report_has_finding (job->report, OSI_FINDING_WRITE_FAILED))
        {
          g_clear_error (error);
          set_verification_error (error, job->name, job->report);
        }
      return FALSE;
    }
  return TRUE;
}

/* ------------------------------------------------------------------------ */
/* The safety backup of a restore, made after its swap                      */

/* "backup_YYYYMMDD_HHMMSS…": the date a stem of the server's names says,
 * in microseconds since the epoch, or the clock's now. */
static gint64
stem_date_us (OsiServer  *self,
              const char *stem)
{
  int y, mo, d, h, mi, sec;
  char tail;
  g_autoptr(GDateTime) date = NULL;

  if (sscanf (stem, "backup_%4d%2d%2d_%2d%2d%2d%c", &y, &mo, &d, &h, &mi, &sec, &tail) >= 6)
    date = g_date_time_new_utc (y, mo, d, h, mi, sec);
  if (date == NULL)
    date = osi_clock_now (self->options.clock);
  return g_date_time_to_unix (date) * G_USEC_PER_SEC;
}

/* Whether the backup name holds the tree dir: restorable, with the same
 * files of the same sizes. So is the safety backup made of dir before the
 * server stopped; a backup of other data, given that name meanwhile, is
 * not. */
static gboolean
backup_holds_tree (OsiServer  *self,
                   const char *name,
                   const char *dir)
{
  g_autofree char *path = osi_backup_folder_build_path (self->folder, name);
  g_autoptr(OsiVerifyReport) report = osi_archive_verify (path, NULL, NULL, NULL);
  GPtrArray *entries;
  guint64 n_files = 0;
  guint64 listed = 0;

  if (report == NULL || osi_verify_report_get_verdict (report) != OSI_VERDICT_RESTORABLE)
    return FALSE;
  entries = osi_verify_report_get_entries (report);
  for (guint i = 0; i < entries->len; i++)
    {
      const OsiFileEntry *entry = g_ptr_array_index (entries, i);
      g_autofree char *file = NULL;
      struct stat st;

      if (entry->is_dir)
        continue;
      file = g_build_filename (dir, entry->path, NULL);
      if (lstat (file, &st) < 0 || !S_ISREG (st.st_mode) || st.st_size != entry->size)
        return FALSE;
      listed++;
    }
  tree_size (dir, &n_files);
  return listed == n_files;
}

/* Archives the old data kept under job->prefix as the safety backup
 * PREFIX.tar.zst, then removes it. Done before a crash, the backup is
 * there already (written whole, then renamed): only the removal is left;
 * a name another backup took meanwhile (an upload) gives way to the next
 * free one. Runs in a thread. */
static gboolean
safety_work (Job           *job,
             GCancellable  *cancellable,
             GError       **error)
{
  OsiServer *self = job->server;
  g_autofree char *retired = osi_swap_retired_path (self->options.data_dir, job->prefix);
  g_autofree char *name = g_strconcat (job->prefix, ".tar.zst", NULL);
  gint64 started = g_get_monotonic_time ();
  struct stat st;

  if (!osi_backup_name_is_valid (name))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_FILENAME, _("“%s” is not a valid backup name"), name);
      return FALSE;
    }
  if (fstatat (osi_backup_folder_get_fd (self->folder), name, &st, AT_SYMLINK_NOFOLLOW) == 0)
    {
      if (backup_holds_tree (self, name, retired))
        {
          g_message ("The safety backup %s was made before the server stopped", name);
          g_free (job->made);
          job->made = g_steal_pointer (&name);
          return osi_swap_discard_retired (self->options.data_dir, job->prefix, error);
        }
      g_message ("%s is another backup: the data the restore replaced goes under another name", name);
      g_free (name);
      name = first_free_name (job, 1, error);
      if (name == NULL)
        return FALSE;
    }
  job->data_bytes = tree_size (retired, NULL);
  if (!write_backup (job, retired, name, cancellable, error))
    return FALSE;
  job->elapsed_us = g_get_monotonic_time () - started;
  return osi_swap_discard_retired (self->options.data_dir, job->prefix, error);
}

static gboolean
safety_done (Job          *job,
             const GError *error)
{
  OsiServer *self = job->server;

  self->safety_running = FALSE;
  if (error == NULL)
    {
      g_message ("Safety backup %s made", job->made);
      _osi_server_record_kind (self, job->made, OSI_CATALOG_KIND_SAFETY);
      _osi_server_note_backup_rate (self, job);
      /* Old data another restore kept meanwhile. */
      _osi_server_resume_safety (self);
    }
  else
    {
      g_autofree char *retired = osi_swap_retired_path (self->options.data_dir, job->prefix);

      /* Kept as it is, for the next start to archive: never lost. */
      g_message ("Cannot make the safety backup %s.tar.zst (tried again at the next start); the data the "
                 "restore replaced stays in %s: %s", job->prefix, retired, error->message);
    }
  return TRUE;
}

static void
start_safety (OsiServer  *self,
              const char *stem)
{
  Job *job = _osi_server_job_new (NULL, -1, safety_work, safety_done);

  job->prefix = g_strdup (stem);
  job->made_at_us = stem_date_us (self, stem);
  self->safety_running = TRUE;
  g_message ("Archiving the data the restore replaced as the safety backup %s.tar.zst", stem);
  _osi_server_job_run (self, NULL, job);
}

/* Archives the old data a restore kept and that is still waiting: at
 * start (the server stopped before its safety backup was made), and after
 * each safety backup (a second restore came meanwhile). One at a time.
 * Returns whether one is being made. */
gboolean
_osi_server_resume_safety (OsiServer *self)
{
  g_autoptr(GPtrArray) stems = NULL;

  if (self->safety_running || self->shutting_down)
    return self->safety_running;
  stems = osi_swap_list_retired (self->options.data_dir);
  if (stems->len == 0)
    return FALSE;
  start_safety (self, g_ptr_array_index (stems, 0));
  return TRUE;
}

/* A backup made: how fast this server archives, for the next estimate. */
void
_osi_server_note_backup_rate (OsiServer *self,
                              Job       *job)
{
  if (job->elapsed_us > 0 && job->data_bytes >= 1024 * 1024)
    self->backup_rate = (double)job->data_bytes * G_USEC_PER_SEC / (double)job->elapsed_us;
}

/* The restore counts as running until the command that reloads the
 * service is done; not while its safety backup is made, from the old
 * data that the swap kept aside and nothing else touches. */
static void
restore_maybe_end (OsiServer *self)
{
  if (self->op == OP_RESTORE && self->hook_watch == 0)
    _osi_server_op_end (self);
}

static void
hook_exited (GPid     pid,
             int      wait_status,
             gpointer user_data)
{
  OsiServer *self = user_data;
  g_autoptr(GError) error = NULL;

  if (g_spawn_check_wait_status (wait_status, &error))
    g_message ("The --on-restore command finished");
  else
    g_message ("The --on-restore command failed (the restore stands): %s", error->message);
  g_spawn_close_pid (pid);
  self->hook_watch = 0;
  restore_maybe_end (self);
}


/* The server's environment less the token: the command reloads a
 * service and has no use for it, and whatever it runs would inherit it.
 * Every OSI_BACKUP_TOKEN* variable goes, not only the one read. */
static GStrv
hook_environment (void)
{
  g_auto(GStrv) env = g_get_environ ();
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0; env[i] != NULL; i++)
    if (!g_str_has_prefix (env[i], "OSI_BACKUP_TOKEN"))
      g_strv_builder_add (builder, env[i]);
  return g_strv_builder_end (builder);
}

/* The restore counts as running until the command that reloads the
 * service has finished: another restore meanwhile would swap the data
 * under it. Returns whether it is being watched. */
static gboolean
run_restore_hook (OsiServer  *self,
                  const char *name,
                  const char *safety)
{
  const char *argv[] = { "/bin/sh", "-c", self->options.on_restore, NULL };
  g_auto(GStrv) envp = hook_environment ();
  g_autoptr(GError) error = NULL;
  GPid pid;

  envp = g_environ_setenv (envp, "OSI_BACKUP_RESTORED", name, TRUE);
  envp = g_environ_setenv (envp, "OSI_BACKUP_SAFETY", safety != NULL ? safety : "", TRUE);
  envp = g_environ_setenv (envp, "OSI_BACKUP_DATA_DIR", self->options.data_dir, TRUE);

  /* Its output goes to the log, never to our standard output. When the
   * server is stopping, the command still runs (the data did change) but
   * is left to finish on its own. */
  if (!g_spawn_async_with_pipes_and_fds (NULL, argv, (const char * const *)envp,
                                         (self->shutting_down ? 0 : G_SPAWN_DO_NOT_REAP_CHILD) |
                                         G_SPAWN_STDIN_FROM_DEV_NULL,
                                         NULL, NULL, -1, STDERR_FILENO, STDERR_FILENO, NULL, NULL, 0,
                                         &pid, NULL, NULL, NULL, &error))
    {
      g_message ("Cannot run the --on-restore command (the restore stands): %s", error->message);
      return FALSE;
    }
  g_message ("Running the --on-restore command");
  if (self->shutting_down)
    return FALSE;
  self->hook_watch = g_child_watch_add_full (G_PRIORITY_DEFAULT, pid, hook_exited,
                                             g_object_ref (self), g_object_unref);
  return TRUE;
}

/* A restore or an upload that failed: a backup that failed verification
 * is a 422 carrying the verification report (docs/api.md §3.5 "Restore",
 * the 422 body, and §4 "Status codes"), anything else the error's own
 * status. */
void
_osi_server_respond_job_error (SoupServerMessage *msg,
                               const GError      *error,
                               OsiVerifyReport   *report,
                               const char        *name)
{
  if (g_error_matches (error, HTTP_ERROR, SOUP_STATUS_UNPROCESSABLE_ENTITY) && report != NULL)
    {
      g_autoptr(JsonObject) object = _osi_server_error_object (error->message);
      JsonNode *node = osi_verify_report_to_json (report);

      json_object_set_string_member (json_node_get_object (node), "file", name);
      json_object_set_member (object, "report", node);
      _osi_server_respond_json (msg, SOUP_STATUS_UNPROCESSABLE_ENTITY, object);
    }
  else
    _osi_server_respond_task_error (msg, error);
}

static gboolean
restore_done (Job          *job,
              const GError *error)
{
  OsiServer *self = job->server;

  if (error != NULL)
    {
      g_message ("Restore of %s failed: %s", job->name, error->message);
      _osi_server_respond_job_error (job->msg, error, job->report, job->name);
    }
  else
    {
      g_autoptr(JsonObject) object = json_object_new ();
      g_autofree char *message = NULL;

      g_message ("Restored %s; safety backup %s", job->name,
                 job->made != NULL ? job->made : "(none: there was no data)");
      json_object_set_string_member (object, "status", "success");
      if (job->made != NULL)
        {
          double rate = self->backup_rate > 0 ? self->backup_rate : DEFAULT_BACKUP_RATE;
          guint seconds = (guint)MIN ((double)job->data_bytes / rate + 1, (double)G_MAXUINT);
          g_autoptr(GDateTime) now = osi_clock_now (self->options.clock);
          g_autoptr(GDateTime) later = g_date_time_add_seconds (now, seconds);
          g_autoptr(GDateTime) ready = g_date_time_to_utc (later);
          g_autofree char *ready_text = g_date_time_format (ready, "%Y-%m-%dT%H:%M:%SZ");

          message = g_strdup_printf (_("Backup “%s” restored. The data it replaced is being archived as the "
                                       "safety backup “%s”, listed when it is made (in about %u s)."),
                                     job->name, job->made, seconds);
          json_object_set_string_member (object, "message", message);
          json_object_set_string_member (object, "safety_backup", job->made);
          /* docs/api.md §3.5: an estimate; the backup is listed once whole. */
          json_object_set_string_member (object, "safety_backup_ready_at", ready_text);
        }
      else
        {
          message = g_strdup_printf (_("Backup “%s” restored."), job->name);
          json_object_set_string_member (object, "message", message);
          json_object_set_null_member (object, "safety_backup");
        }
      _osi_server_respond_json (job->msg, SOUP_STATUS_OK, object);

      if (self->options.on_restore != NULL)
        run_restore_hook (self, job->name, job->made);
      if (job->made != NULL)
        _osi_server_resume_safety (self);
    }

  restore_maybe_end (self);
  return TRUE;
}

void
_osi_server_handle_restore (OsiServer         *self,
                            SoupServerMessage *msg)
{
  g_autofree char *name = NULL;
  Job *job;
  struct stat st;
  int fd;

  if ((name = _osi_server_require_backup_file (msg)) == NULL)
    return;
  fd = osi_backup_folder_open (self->folder, name, &st);
  if (fd < 0)
    {
      _osi_server_respond_unknown (msg, name);
      return;
    }
  if (self->op != OP_NONE)
    {
      close (fd);
      respond_busy (msg);
      return;
    }
  _osi_server_op_begin (self, OP_RESTORE, name);

  job = _osi_server_backup_job_new (self, "_safety", restore_work, restore_done);
  job->name = g_strdup (name);
  job->fd = fd;
  g_message ("Restoring %s", name);
  _osi_server_job_run (self, msg, job);
}

/* ------------------------------------------------------------------------ */
/* DELETE and verify                                                        */

void
_osi_server_handle_delete (OsiServer         *self,
                           SoupServerMessage *msg,
                           const char        *name)
{
  g_autoptr(JsonObject) object = NULL;
  g_autofree char *message = NULL;
  struct stat st;

  if (!osi_backup_folder_exists (self->folder, name, &st))
    {
      _osi_server_respond_unknown (msg, name);
      return;
    }
  if (self->op == OP_RESTORE && g_strcmp0 (self->op_name, name) == 0)
    {
      _osi_server_respond_error (msg, SOUP_STATUS_CONFLICT, _("The backup “%s” is being restored: delete it afterwards."), name);
      return;
    }
  if (osi_backup_folder_is_protected (self->folder, name))
    {
      _osi_server_respond_error (msg, SOUP_STATUS_CONFLICT,
                                 _("The backup “%s” is protected and cannot be deleted: unprotect it first "
                                   "(osi-backup-cli unprotect %s)."), name, name);
      return;
    }
  if (!osi_backup_folder_delete (self->folder, name))
    {
      int saved = errno;

      if (saved == ENOENT)
        _osi_server_respond_unknown (msg, name);
      else
        _osi_server_respond_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR,
                                   _("Cannot delete the backup “%s”: %s"), name, g_strerror (saved));
      return;
    }
  g_message ("Deleted %s", name);
  if (self->offsite != NULL)
    osi_offsite_backup_deleted (self->offsite, name);

  message = g_strdup_printf (_("Backup “%s” deleted."), name);
  object = json_object_new ();
  json_object_set_string_member (object, "status", "success");
  json_object_set_string_member (object, "message", message);
  _osi_server_respond_json (msg, SOUP_STATUS_OK, object);
}

/* Verify and diff: the backup opened when the request came, read in a
 * thread (the diff's report is what the comparison verified). */
static void
start_read_job (OsiServer         *self,
                SoupServerMessage *msg,
                const char        *name,
                JobWork            work,
                JobDone            done)
{
  struct stat st;
  int fd;

  fd = osi_backup_folder_open (self->folder, name, &st);
  if (fd < 0)
    {
      _osi_server_respond_unknown (msg, name);
      return;
    }
  _osi_server_job_run (self, msg, _osi_server_job_new (name, fd, work, done));
}

static gboolean
verify_done (Job          *job,
             const GError *error)
{
  g_autoptr(JsonNode) node = NULL;

  if (error != NULL)
    {
      _osi_server_respond_task_error (job->msg, error);
      return TRUE;
    }
  _osi_server_record_verdict (job->server, job->name, job->fd, job->report);
  node = osi_verify_report_to_json (job->report);
  /* the name, not where the server keeps it */
  json_object_set_string_member (json_node_get_object (node), "file", job->name);
  _osi_server_respond_json (job->msg, SOUP_STATUS_OK, json_node_get_object (node));
  return TRUE;
}

void
_osi_server_handle_verify (OsiServer         *self,
                           SoupServerMessage *msg,
                           const char        *name)
{
  start_read_job (self, msg, name, _osi_server_verify_work, verify_done);
}

/* ------------------------------------------------------------------------ */
/* GET /api/rag/backup/diff                                                 */

/* What restoring the backup would change: the current data is A, the
 * backup B; a backup that a restore would refuse is a 422 as for restore. */
static gboolean
diff_work (Job           *job,
           GCancellable  *cancellable,
           GError       **error)
{
  OsiServer *self = job->server;
  job->diff = osi_diff_compare_archive_fd (self->options.data_dir, job->fd, job->name,
                                           OSI_DIFF_MISSING_A_IS_EMPTY, &job->report, cancellable, error);
  if (job->report != NULL && !_osi_server_report_acceptable (job->report, osi_archive_name_is_bare_json (job->name)))
    {
      g_clear_error (error);
      g_clear_object (&job->diff);
      set_verification_error (error, job->name, job->report);
    }
  if (job->diff == NULL)
    return FALSE;
  osi_diff_set_labels (job->diff, "current", job->name);
  return TRUE;
}

static gboolean
diff_done (Job          *job,
           const GError *error)
{
  g_autoptr(JsonNode) node = NULL;

  if (error != NULL)
    {
      g_message ("Comparison with %s failed: %s", job->name, error->message);
      _osi_server_respond_job_error (job->msg, error, job->report, job->name);
      return TRUE;
    }
  node = osi_diff_to_json (job->diff);
  _osi_server_respond_json (job->msg, SOUP_STATUS_OK, json_node_get_object (node));
  return TRUE;
}

void
_osi_server_handle_diff (OsiServer         *self,
                         SoupServerMessage *msg,
                         const char        *name)
{
  start_read_job (self, msg, name, diff_work, diff_done);
}
