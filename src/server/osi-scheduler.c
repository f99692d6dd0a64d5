/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-server"

#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>

#include "osi-scheduler.h"
#include "osi-server-private.h"

/* A backup that falls due while a create or a restore runs waits that
 * long, then looks again. */
#define RETRY_SECONDS 60

/* ioprio_set (2): the idle class, for the thread that verifies. */
#define IOPRIO_WHO_PROCESS_ 1
#define IOPRIO_CLASS_SHIFT_ 13
#define IOPRIO_CLASS_IDLE_  3

struct _OsiScheduler
{
  GObject       parent_instance;

  OsiServer    *server;     /* not a reference: it owns us */
  OsiClock     *clock;
  gboolean      stopped;

  /* Scheduled backups. */
  guint         backup_alarm;
  GDateTime    *next_backup;
  gboolean      backup_running;

  /* Verification passes: each verifies, one at a time, the backups not
   * verified within the period, then waits a period. */
  guint         verify_alarm;
  GDateTime    *next_verify;
  gboolean      pass_running;   /* begun and not ended, maybe waiting */
  gboolean      pass_waiting;   /* for a restore to end */
  gboolean      verifying;      /* a verification in a thread */
  GCancellable *verify_cancellable;
  gint64        pass_at;        /* when the pass began, seconds */
  GQueue        pass_queue;     /* names still to verify */
  guint         n_verified[3];  /* by OsiVerdict */
  guint         n_unreadable;
  GString      *pass_problems;
};

G_DEFINE_FINAL_TYPE (OsiScheduler, osi_scheduler, G_TYPE_OBJECT)

static void backup_due (gpointer data);
static void verify_due (gpointer data);
static void verify_next (OsiScheduler *self);

/* ------------------------------------------------------------------------ */
/* Shared                                                                   */

static void
add_run (OsiScheduler      *self,
         OsiCatalogRunKind  kind,
         gint64             at,
         gboolean           ok,
         const char        *detail)
{
  g_autoptr(GError) error = NULL;

  if (!osi_catalog_add_run (self->server->catalog, kind, at, ok, detail, &error))
    g_message ("Cannot record the %s run in the backup catalog: %s", osi_catalog_run_kind_to_string (kind),
               error->message);
}

static GDateTime *
last_run_at (OsiScheduler      *self,
             OsiCatalogRunKind  kind)
{
  g_autoptr(OsiCatalogRun) run = NULL;
  g_autoptr(GError) error = NULL;

  if (!osi_catalog_get_last_run (self->server->catalog, kind, &run, &error))
    {
      g_message ("Cannot read the backup catalog's runs: %s", error->message);
      return NULL;
    }
  return run != NULL ? g_date_time_new_from_unix_utc (run->at) : NULL;
}

static void
set_alarm (OsiScheduler      *self,
           guint             *alarm,
           GDateTime        **next,
           GDateTime         *at,
           OsiClockAlarmFunc  func)
{
  if (*alarm != 0)
    osi_clock_remove_alarm (self->clock, *alarm);
  *alarm = 0;
  g_clear_pointer (next, g_date_time_unref);
  if (at == NULL || self->stopped)
    return;
  *next = g_date_time_ref (at);
  *alarm = osi_clock_add_alarm (self->clock, at, func, self);
}

/* ------------------------------------------------------------------------ */
/* Scheduled backups                                                        */

/* The policy's first backup time strictly after `after`, or NULL. */
static GDateTime *
next_scheduled (OsiScheduler *self,
                GDateTime    *after)
{
  g_autoptr(GTimeZone) tz = osi_policy_get_time_zone (&self->server->policy);

  return osi_schedule_next (&self->server->policy.schedule, tz, after);
}

static void
schedule_backup_after (OsiScheduler *self,
                       GDateTime    *after)
{
  g_autoptr(GDateTime) next = next_scheduled (self, after);

  set_alarm (self, &self->backup_alarm, &self->next_backup, next, backup_due);
}

/* Kind, run, then the retention, which follows a backup that succeeded
 * only; the operation ends after it, so that no restore starts under
 * the prune. A backup cancelled because the server stops is no run: the
 * next start makes it, as missed. */
static gboolean
backup_done (Job          *job,
             const GError *error)
{
  OsiServer *server = job->server;
  OsiScheduler *self = server->scheduler;
  gint64 at = job->made_at_us / G_USEC_PER_SEC;

  self->backup_running = FALSE;
  if (error == NULL)
    {
      g_autofree char *size = g_format_size (job->st.st_size);
      g_autofree char *detail = g_strdup_printf (_("Backup “%s” made (%s)."), job->made, size);
      g_autoptr(JsonObject) pruned = NULL;

      g_message ("Scheduled backup %s made", job->made);
      _osi_server_record_kind (server, job->made, OSI_CATALOG_KIND_SCHEDULED);
      add_run (self, OSI_CATALOG_RUN_BACKUP, at, TRUE, detail);
      pruned = _osi_server_prune (server, FALSE);
    }
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) && server->shutting_down)
    g_message ("Scheduled backup cancelled: the server is stopping; it will be made when it starts again");
  else
    {
      g_autofree char *detail = g_strdup_printf (_("The scheduled backup failed, and nothing was pruned: %s"),
                                                 error->message);

      g_message ("Scheduled backup failed: %s", error->message);
      add_run (self, OSI_CATALOG_RUN_BACKUP, at, FALSE, detail);
    }
  _osi_server_op_end (server);
  return TRUE;
}

static void
start_backup (OsiScheduler *self)
{
  OsiServer *server = self->server;

  g_message ("Making the scheduled backup");
  _osi_server_op_begin (server, OP_CREATE, NULL);
  self->backup_running = TRUE;
  _osi_server_job_run (server, NULL, _osi_server_backup_job_new (server, "", NULL, backup_done));
}

static void
backup_due (gpointer data)
{
  OsiScheduler *self = data;
  g_autoptr(GDateTime) now = osi_clock_now (self->clock);

  self->backup_alarm = 0;
  if (self->stopped)
    return;
  if (self->server->op != OP_NONE)
    {
      g_autoptr(GDateTime) retry = g_date_time_add_seconds (now, RETRY_SECONDS);

      g_message ("A scheduled backup is due while a %s runs: trying again in a minute",
                 self->server->op == OP_RESTORE ? "restore" : "backup");
      set_alarm (self, &self->backup_alarm, &self->next_backup, retry, backup_due);
      return;
    }
  start_backup (self);
  schedule_backup_after (self, now);
}

/* ------------------------------------------------------------------------ */
/* Verification                                                             */

static GTimeSpan
verify_period (OsiScheduler *self)
{
  return osi_verify_every_get_period (self->server->policy.verify);
}

/* The next pass: a period after the last one began, or now when none
 * ever ran. A pass under way sets it when it ends. */
static void
schedule_verify (OsiScheduler *self)
{
  g_autoptr(GDateTime) last = NULL;
  g_autoptr(GDateTime) due = NULL;
  GTimeSpan period = verify_period (self);

  set_alarm (self, &self->verify_alarm, &self->next_verify, NULL, verify_due);
  if (period == 0 || self->pass_running)
    return;
  last = last_run_at (self, OSI_CATALOG_RUN_VERIFY);
  due = last != NULL ? g_date_time_add (last, period) : osi_clock_now (self->clock);
  set_alarm (self, &self->verify_alarm, &self->next_verify, due, verify_due);
}

/* The backups not verified within the period, newest first. */
static void
fill_queue (OsiScheduler *self)
{
  g_autoptr(GDateTime) now = osi_clock_now (self->clock);
  g_autoptr(GArray) items = osi_backup_folder_list_items (self->server->folder);
  gint64 stale = g_date_time_to_unix (now) - verify_period (self) / G_USEC_PER_SEC;

  g_queue_clear_full (&self->pass_queue, g_free);
  for (guint i = 0; i < items->len; i++)
    {
      const OsiBackupFolderItem *item = &g_array_index (items, OsiBackupFolderItem, i);

      if (item->verdict == OSI_CATALOG_VERDICT_NONE || item->verified_at <= stale)
        g_queue_push_tail (&self->pass_queue, g_strdup (item->name));
    }
}

static void
end_pass (OsiScheduler *self)
{
  guint n = self->n_verified[OSI_VERDICT_RESTORABLE] + self->n_verified[OSI_VERDICT_UNPROVEN] +
            self->n_verified[OSI_VERDICT_NOT_RESTORABLE];
  gboolean ok = self->n_verified[OSI_VERDICT_NOT_RESTORABLE] == 0 && self->n_unreadable == 0;
  g_autofree char *counts = NULL;
  g_autofree char *detail = NULL;

  counts = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                         "Verified %u backup: %u restorable, %u unproven, %u not restorable.",
                                         "Verified %u backups: %u restorable, %u unproven, %u not restorable.", n),
                            n, self->n_verified[OSI_VERDICT_RESTORABLE], self->n_verified[OSI_VERDICT_UNPROVEN],
                            self->n_verified[OSI_VERDICT_NOT_RESTORABLE]);
  if (self->pass_problems->len > 0)
    {
      g_autofree char *problems = g_strdup_printf (_("Problems: %s."), self->pass_problems->str);

      detail = g_strconcat (counts, " ", problems, NULL);
    }
  else
    detail = g_strdup (counts);
  g_message ("Verification pass: %s", detail);
  add_run (self, OSI_CATALOG_RUN_VERIFY, self->pass_at, ok, detail);
  self->pass_running = FALSE;
  self->pass_waiting = FALSE;
  schedule_verify (self);
}

static void
add_problem (OsiScheduler *self,
             const char   *name,
             const char   *what)
{
  g_string_append_printf (self->pass_problems, "%s%s (%s)", self->pass_problems->len > 0 ? ", " : "", name, what);
}

static int
ioprio_get_self (void)
{
#ifdef SYS_ioprio_get
  return (int)syscall (SYS_ioprio_get, IOPRIO_WHO_PROCESS_, 0);
#else
  return -1;
#endif
}

static void
ioprio_set_self (int priority)
{
#ifdef SYS_ioprio_set
  /* Best effort: without it, the verification reads at the usual
   * priority. */
  syscall (SYS_ioprio_set, IOPRIO_WHO_PROCESS_, 0, priority);
#endif
}

/* In a thread of the server's pool: its I/O priority is the idle class
 * while it verifies, so that the data's service and the operations come
 * first, and is given back afterwards (the thread serves others). */
static gboolean
verify_work (Job           *job,
             GCancellable  *cancellable,
             GError       **error)
{
  int previous = ioprio_get_self ();
  gboolean ok;

  ioprio_set_self (IOPRIO_CLASS_IDLE_ << IOPRIO_CLASS_SHIFT_);
  ok = _osi_server_verify_work (job, cancellable, error);
  ioprio_set_self (previous >= 0 ? previous : 0);
  return ok;
}

static gboolean
verify_done (Job          *job,
             const GError *error)
{
  OsiScheduler *self = job->server->scheduler;

  self->verifying = FALSE;
  if (self->stopped || !self->pass_running)
    return TRUE;
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      /* A restore began: this backup again when it has ended. */
      g_queue_push_head (&self->pass_queue, g_strdup (job->name));
    }
  else if (error != NULL)
    {
      g_message ("Verification of %s failed: %s", job->name, error->message);
      self->n_unreadable++;
      add_problem (self, job->name, error->message);
    }
  else
    {
      OsiVerdict verdict = osi_verify_report_get_verdict (job->report);

      _osi_server_record_verdict (job->server, job->name, job->fd, job->report);
      self->n_verified[verdict]++;
      if (verdict == OSI_VERDICT_NOT_RESTORABLE)
        {
          g_autofree char *summary = _osi_server_findings_summary (job->report);

          g_message ("Verification: %s is not restorable: %s", job->name, summary);
          add_problem (self, job->name, _("not restorable"));
        }
    }
  verify_next (self);
  return TRUE;
}

/* Starts the next verification of the pass, or ends the pass; waits
 * while a restore runs. */
static void
verify_next (OsiScheduler *self)
{
  OsiServer *server = self->server;

  while (!self->stopped)
    {
      g_autofree char *name = NULL;
      struct stat st;
      Job *job;
      int fd;

      if (server->op == OP_RESTORE)
        {
          g_message ("Verification paused while a restore runs");
          self->pass_waiting = TRUE;
          return;
        }
      name = g_queue_pop_head (&self->pass_queue);
      if (name == NULL)
        {
          end_pass (self);
          return;
        }
      fd = osi_backup_folder_open (server->folder, name, &st);
      if (fd < 0)
        continue;   /* deleted meanwhile */

      job = _osi_server_job_new (name, fd, verify_work, verify_done);
      g_clear_object (&self->verify_cancellable);
      self->verify_cancellable = g_cancellable_new ();
      job->cancellable = g_object_ref (self->verify_cancellable);
      self->verifying = TRUE;
      _osi_server_job_run (server, NULL, job);
      return;
    }
}

static void
verify_due (gpointer data)
{
  OsiScheduler *self = data;
  g_autoptr(GDateTime) now = osi_clock_now (self->clock);

  self->verify_alarm = 0;
  g_clear_pointer (&self->next_verify, g_date_time_unref);
  if (self->stopped || verify_period (self) == 0)
    return;
  self->pass_running = TRUE;
  self->pass_waiting = FALSE;
  self->pass_at = g_date_time_to_unix (now);
  memset (self->n_verified, 0, sizeof self->n_verified);
  self->n_unreadable = 0;
  g_string_truncate (self->pass_problems, 0);
  fill_queue (self);
  g_message ("Verification pass: %u backups to verify", g_queue_get_length (&self->pass_queue));
  verify_next (self);
}

static void
cancel_pass (OsiScheduler *self)
{
  if (self->verify_cancellable != NULL)
    g_cancellable_cancel (self->verify_cancellable);
  g_queue_clear_full (&self->pass_queue, g_free);
  self->pass_running = FALSE;
  self->pass_waiting = FALSE;
}

/* ------------------------------------------------------------------------ */
/* GObject                                                                  */

static void
osi_scheduler_dispose (GObject *object)
{
  OsiScheduler *self = OSI_SCHEDULER (object);

  if (self->clock != NULL)
    osi_scheduler_stop (self);
  g_clear_object (&self->clock);
  g_clear_object (&self->verify_cancellable);

  G_OBJECT_CLASS (osi_scheduler_parent_class)->dispose (object);
}

static void
osi_scheduler_finalize (GObject *object)
{
  OsiScheduler *self = OSI_SCHEDULER (object);

  g_queue_clear_full (&self->pass_queue, g_free);
  g_string_free (self->pass_problems, TRUE);

  G_OBJECT_CLASS (osi_scheduler_parent_class)->finalize (object);
}

static void
osi_scheduler_class_init (OsiSchedulerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = osi_scheduler_dispose;
  object_class->finalize = osi_scheduler_finalize;
}

static void
osi_scheduler_init (OsiScheduler *self)
{
  g_queue_init (&self->pass_queue);
  self->pass_problems = g_string_new (NULL);
}

/* ------------------------------------------------------------------------ */
/* Public API                                                               */

OsiScheduler *
osi_scheduler_new (OsiServer *server,
                   OsiClock  *clock)
{
  OsiScheduler *self;

  g_return_val_if_fail (OSI_IS_SERVER (server), NULL);
  g_return_val_if_fail (OSI_IS_CLOCK (clock), NULL);

  self = g_object_new (OSI_TYPE_SCHEDULER, NULL);
  self->server = server;
  self->clock = g_object_ref (clock);
  return self;
}

void
osi_scheduler_start (OsiScheduler *self)
{
  g_autoptr(GDateTime) now = NULL;

  g_return_if_fail (OSI_IS_SCHEDULER (self));

  now = osi_clock_now (self->clock);
  /* The backup missed while the server was down: once, however many
   * were missed. */
  if (self->server->policy.schedule.every != OSI_SCHEDULE_OFF)
    {
      g_autoptr(GDateTime) last = last_run_at (self, OSI_CATALOG_RUN_BACKUP);
      g_autoptr(GDateTime) due = last != NULL ? next_scheduled (self, last) : NULL;

      if (due != NULL && g_date_time_compare (due, now) <= 0)
        {
          g_autofree char *when = g_date_time_format_iso8601 (due);

          g_message ("The scheduled backup of %s was missed while the server was stopped", when);
          start_backup (self);
        }
    }
  schedule_backup_after (self, now);
  schedule_verify (self);
}

void
osi_scheduler_reschedule (OsiScheduler *self)
{
  g_autoptr(GDateTime) now = NULL;

  g_return_if_fail (OSI_IS_SCHEDULER (self));

  if (self->stopped)
    return;
  now = osi_clock_now (self->clock);
  schedule_backup_after (self, now);
  if (verify_period (self) == 0 && self->pass_running)
    {
      g_message ("Verification pass stopped: the policy no longer verifies");
      cancel_pass (self);
    }
  schedule_verify (self);
}

void
osi_scheduler_stop (OsiScheduler *self)
{
  g_return_if_fail (OSI_IS_SCHEDULER (self));

  set_alarm (self, &self->backup_alarm, &self->next_backup, NULL, backup_due);
  set_alarm (self, &self->verify_alarm, &self->next_verify, NULL, verify_due);
  self->stopped = TRUE;
  cancel_pass (self);
}

GDateTime *
osi_scheduler_get_next_backup (OsiScheduler *self)
{
  g_return_val_if_fail (OSI_IS_SCHEDULER (self), NULL);

  return self->next_backup != NULL ? g_date_time_ref (self->next_backup) : NULL;
}

GDateTime *
osi_scheduler_get_next_verify (OsiScheduler *self)
{
  g_return_val_if_fail (OSI_IS_SCHEDULER (self), NULL);

  /* During a pass: the one after it. */
  if (self->pass_running && !self->stopped)
    {
      g_autoptr(GDateTime) began = g_date_time_new_from_unix_utc (self->pass_at);

      return g_date_time_add (began, verify_period (self));
    }
  return self->next_verify != NULL ? g_date_time_ref (self->next_verify) : NULL;
}

gboolean
osi_scheduler_is_busy (OsiScheduler *self)
{
  g_return_val_if_fail (OSI_IS_SCHEDULER (self), FALSE);

  return self->backup_running || self->pass_running || self->verifying;
}

void
osi_scheduler_restore_started (OsiScheduler *self)
{
  g_return_if_fail (OSI_IS_SCHEDULER (self));

  if (self->verifying && self->verify_cancellable != NULL)
    g_cancellable_cancel (self->verify_cancellable);
}

void
osi_scheduler_operation_ended (OsiScheduler *self)
{
  g_return_if_fail (OSI_IS_SCHEDULER (self));

  if (self->stopped || !self->pass_waiting || self->verifying || self->server->op == OP_RESTORE)
    return;
  g_message ("Verification resumed: the restore has ended");
  self->pass_waiting = FALSE;
  /* With what it had left, the backup the restore interrupted first, as
   * when that verification comes back only after the restore ended: not
   * the list again, which would add the restore's safety backup to this
   * pass (verified by the next, as any backup made during a pass), and
   * read again, and count twice, a backup this pass could not read. */
  verify_next (self);
}
