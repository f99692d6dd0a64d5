/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include <glib/gstdio.h>

#include "osi-archive.h"
#include "osi-swap.h"
#include "osi-test-support.h"

/* The server killed (SIGKILL) while it creates, restores or receives a
 * backup, then started again: the data directory is complete, old or
 * new; every listed backup is whole; no leftover remains. Kill instants
 * are spread over what the operation takes on this machine, and each
 * round tells whether its kill did land mid-operation: enough of them
 * must, or the test proves nothing. */

#define ROUNDS 8
/* How often the test looks for the server's work while it waits. */
#define POLL_US 1000

typedef struct
{
  char          *tmp;
  char          *data;
  char          *backups;
  char          *reference;   /* a copy of the initial data */
  char          *other;       /* other data, archived as other_archive */
  char          *other_archive;
  OsiTestServer *server;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  user_data)
{
  g_autofree char *ref_parent = NULL;
  g_autofree char *other_parent = NULL;

  f->tmp = osi_test_make_tmpdir ();
  f->data = osi_test_generate_data (f->tmp, 16 * 1024 * 1024, 5);
  f->backups = g_build_filename (f->tmp, "backups", NULL);
  g_assert_cmpint (g_mkdir (f->backups, 0700), ==, 0);

  ref_parent = g_build_filename (f->tmp, "ref", NULL);
  g_assert_cmpint (g_mkdir (ref_parent, 0700), ==, 0);
  f->reference = osi_test_generate_data (ref_parent, 16 * 1024 * 1024, 5);

  other_parent = g_build_filename (f->tmp, "other", NULL);
  g_assert_cmpint (g_mkdir (other_parent, 0700), ==, 0);
  f->other = osi_test_generate_data (other_parent, 16 * 1024 * 1024, 6);
  f->other_archive = g_build_filename (f->tmp, "backup_20250301_100000.tar.zst", NULL);
  osi_test_make_archive (f->other, f->other_archive, OSI_COMPRESSION_ZSTD, NULL);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  user_data)
{
  osi_test_server_free (f->server);
  osi_test_remove_tmpdir (f->tmp);
  g_free (f->tmp);
  g_free (f->data);
  g_free (f->backups);
  g_free (f->reference);
  g_free (f->other);
  g_free (f->other_archive);
}

static GPid
spawn_cli (Fixture    *f,
           const char *command,
           const char *argument)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) envp = g_get_environ ();
  const char *argv[] = { g_getenv ("OSI_BACKUP_CLI"), "--server", f->server->url,
                         "--token-file", f->server->token_file, command, argument, NULL };
  GPid pid;

  g_spawn_async (NULL, (char **)argv, envp,
                 G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                 NULL, NULL, &pid, &error);
  g_assert_no_error (error);
  return pid;
}

static int
reap (GPid pid)
{
  int status = 0;

  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_spawn_close_pid (pid);
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

static void
start_server (Fixture *f)
{
  osi_test_server_free (f->server);
  f->server = osi_test_server_start (f->tmp, f->data, f->backups, "crash-token", NULL);
}

/* Whether old data a restore kept waits beside the data for its safety
 * backup. */
static gboolean
retired_waiting (Fixture *f)
{
  GDir *dir = g_dir_open (f->tmp, 0, NULL);
  const char *name;
  gboolean found = FALSE;

  while (!found && (name = g_dir_read_name (dir)) != NULL)
    found = strstr (name, ".osi-retired.") != NULL;
  g_dir_close (dir);
  return found;
}

static gboolean
retired_archived (gpointer data)
{
  return !retired_waiting (data);
}

/* The names of the backups in the folder. */
static GHashTable *
backup_names (Fixture *f)
{
  GHashTable *names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  GDir *dir = g_dir_open (f->backups, 0, NULL);
  const char *name;

  while ((name = g_dir_read_name (dir)) != NULL)
    if (name[0] != '.')
      g_hash_table_add (names, g_strdup (name));
  g_dir_close (dir);
  return names;
}

/* What must hold after any crash and restart, once the restarted server
 * made the safety backup of old data a restore kept: before (the names
 * of the backups before the operation; NULL for none but a restore). A
 * restore that took effect left a new safety backup that brings the old
 * data back. */
static void
assert_consistent (Fixture    *f,
                   GHashTable *before)
{
  g_autofree char *why = NULL;
  g_autofree char *why_other = NULL;
  g_autoptr(GHashTable) after = NULL;
  gboolean restored = FALSE;
  gboolean recovered = FALSE;
  GHashTableIter iter;
  gpointer key;
  GDir *dir;
  const char *name;

  osi_test_wait_for (retired_archived, f, "the safety backup of the old data");

  if (!osi_test_trees_equal (f->data, f->reference, &why))
    {
      if (!osi_test_trees_equal (f->data, f->other, &why_other))
        g_error ("the data is neither the old (%s) nor the new (%s)", why, why_other);
      restored = TRUE;
    }

  /* every backup in the folder is whole: nothing half-made under a name */
  dir = g_dir_open (f->backups, 0, NULL);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (f->backups, name, NULL);
      g_autoptr(OsiVerifyReport) report = NULL;

      if (name[0] == '.')
        {
          g_assert_false (g_str_has_suffix (name, ".part"));
          continue;
        }
      report = osi_archive_verify (path, NULL, NULL, NULL);
      g_assert_nonnull (report);
      if (osi_verify_report_get_verdict (report) != OSI_VERDICT_RESTORABLE)
        g_error ("%s is listed but not whole", name);
    }
  g_dir_close (dir);

  dir = g_dir_open (f->tmp, 0, NULL);
  while ((name = g_dir_read_name (dir)) != NULL)
    g_assert_null (strstr (name, ".osi-staging."));
  g_dir_close (dir);

  if (before == NULL || !restored)
    return;
  after = backup_names (f);
  g_hash_table_iter_init (&iter, after);
  while (!recovered && g_hash_table_iter_next (&iter, &key, NULL))
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *path = NULL;
      g_autofree char *out = NULL;

      if (g_hash_table_contains (before, key) || strstr (key, "_safety") == NULL)
        continue;
      path = g_build_filename (f->backups, key, NULL);
      out = g_build_filename (f->tmp, "recovered", NULL);
      g_assert_cmpint (g_mkdir (out, 0700), ==, 0);
      g_assert_true (osi_archive_extract (path, out, NULL, NULL, NULL, &error));
      g_assert_no_error (error);
      recovered = osi_test_trees_equal (out, f->reference, NULL);
      g_assert_true (osi_remove_tree (out, &error));
    }
  if (!recovered)
    g_error ("the data was restored, but no new safety backup holds the data it replaced");
}

static gint64
time_operation (Fixture    *f,
                const char *command,
                const char *argument)
{
  gint64 start = g_get_monotonic_time ();
  GPid pid = spawn_cli (f, command, argument);

  g_assert_cmpint (reap (pid), ==, 0);
  return g_get_monotonic_time () - start;
}

/* Whether the server is in the middle of the operation, from what it has
 * on disk: a backup being written (.NAME.XXXXXX.part: the archive a
 * create makes, an upload being received and checked, the safety backup
 * a restore makes first) or a restore's staging folder or journal beside
 * the data. Before the operation begins and once it has ended there is
 * none. Asked of a killed server, before the restart that removes them,
 * it tells where the kill landed: a dead server changes nothing more. */
static gboolean
work_under_way (Fixture *f)
{
  gboolean found = FALSE;
  const char *name;
  GDir *dir;

  dir = g_dir_open (f->backups, 0, NULL);
  while (!found && (name = g_dir_read_name (dir)) != NULL)
    found = name[0] == '.' && g_str_has_suffix (name, ".part");
  g_dir_close (dir);

  dir = g_dir_open (f->tmp, 0, NULL);
  while (!found && (name = g_dir_read_name (dir)) != NULL)
    found = strstr (name, ".osi-staging.") != NULL || g_str_has_suffix (name, ".osi-swap") ||
            strstr (name, ".osi-retired.") != NULL;
  g_dir_close (dir);

  return found;
}

/* Waits until the server is seen at work for the CLI (pid), or the CLI
 * has exited: returns FALSE then, with the CLI reaped. */
static gboolean
wait_for_work (Fixture *f,
               GPid     pid)
{
  gint64 deadline = g_get_monotonic_time () + OSI_TEST_WAIT_S * G_USEC_PER_SEC;
  int status;

  while (!work_under_way (f))
    {
      if (waitpid (pid, &status, WNOHANG) == pid)
        {
          g_spawn_close_pid (pid);
          return FALSE;
        }
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (POLL_US);
    }
  return TRUE;
}

/* Runs the operation once to completion; returns how long the server's
 * work lasts, from when it is first seen until the CLI has its answer. */
static gint64
time_work (Fixture    *f,
           const char *command,
           const char *argument)
{
  GPid pid = spawn_cli (f, command, argument);
  gint64 seen;
  gint64 span;

  g_assert_true (wait_for_work (f, pid));
  seen = g_get_monotonic_time ();
  g_assert_cmpint (reap (pid), ==, 0);
  span = g_get_monotonic_time () - seen;
  g_test_message ("%s: the server works for %" G_GINT64_FORMAT " us", command, span);
  return span;
}

/* One round: starts the operation, kills the server (round + 1/2) /
 * ROUNDS of the work's span (*span) after the work shows, restarts it
 * and checks what it left. Returns whether the kill landed
 * mid-operation, judged at the kill: the CLI had not had its answer (it
 * was still running) and the dead server left work under way. A kill
 * that came too late shows the work is quicker now than measured: *span
 * shrinks to that instant, and the later rounds spread over it. */
static gboolean
kill_round (Fixture    *f,
            const char *command,
            const char *argument,
            gint64     *span,
            guint       round)
{
  g_autoptr(GHashTable) before = backup_names (f);
  GPid pid = spawn_cli (f, command, argument);
  gint64 wait_us = *span * (2 * round + 1) / (2 * ROUNDS);
  gboolean cli_running = FALSE;
  gboolean under_way;
  int status;

  if (wait_for_work (f, pid))
    {
      g_usleep ((gulong)wait_us);
      cli_running = waitpid (pid, &status, WNOHANG) == 0;
      if (!cli_running)
        g_spawn_close_pid (pid);
    }
  osi_test_server_kill (f->server);
  under_way = work_under_way (f);
  if (cli_running)
    reap (pid);
  g_test_message ("%s, round %u: kill %" G_GINT64_FORMAT " us into the work: %s", command, round, wait_us,
                  !cli_running ? "the CLI had finished" : under_way ? "mid-operation" : "no work under way");

  start_server (f);
  assert_consistent (f, before);
  if (cli_running && under_way)
    return TRUE;
  *span = MIN (*span, wait_us);
  return FALSE;
}

/* A third of the kills at least, and two, must have landed
 * mid-operation, whatever the load of the machine. */
static void
assert_enough_landed (const char *command,
                      guint       landed)
{
  g_test_message ("%s: %u of %u kills landed mid-operation", command, landed, ROUNDS);
  g_assert_cmpuint (landed, >=, MAX (2, (ROUNDS + 2) / 3));
}

static void
test_kill_create (Fixture       *f,
                  gconstpointer  user_data)
{
  guint landed = 0;
  gint64 span;

  start_server (f);
  span = time_work (f, "create", NULL);
  for (guint round = 0; round < ROUNDS; round++)
    landed += kill_round (f, "create", NULL, &span, round);
  assert_enough_landed ("create", landed);
}

static void
test_kill_upload (Fixture       *f,
                  gconstpointer  user_data)
{
  g_autofree char *stored = g_build_filename (f->backups, "backup_20250301_100000.tar.zst", NULL);
  guint landed = 0;
  gint64 span;

  start_server (f);
  span = time_work (f, "upload", f->other_archive);
  g_assert_cmpint (time_operation (f, "delete", "backup_20250301_100000.tar.zst") >= 0, ==, TRUE);
  for (guint round = 0; round < ROUNDS; round++)
    {
      g_unlink (stored);
      landed += kill_round (f, "upload", f->other_archive, &span, round);
    }
  assert_enough_landed ("upload", landed);
}

/* Puts the data back to the old data (the reference), the server
 * stopped meanwhile. */
static void
reset_data (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *ref_archive = g_build_filename (f->tmp, "ref.tar.zst", NULL);

  if (osi_test_trees_equal (f->data, f->reference, NULL))
    return;
  if (!g_file_test (ref_archive, G_FILE_TEST_EXISTS))
    osi_test_make_archive (f->reference, ref_archive, OSI_COMPRESSION_ZSTD, NULL);
  osi_test_server_stop (f->server);
  g_assert_true (osi_swap_restore_archive (f->data, ref_archive, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  start_server (f);
}

static void
test_kill_restore (Fixture       *f,
                   gconstpointer  user_data)
{
  g_autofree char *uploaded = g_build_filename (f->backups, "backup_20250301_100000.tar.zst", NULL);
  guint landed = 0;
  gint64 span;

  start_server (f);
  g_assert_true (g_file_test (f->other_archive, G_FILE_TEST_EXISTS));
  g_assert_cmpint (time_operation (f, "upload", f->other_archive) > 0, ==, TRUE);
  g_assert_true (g_file_test (uploaded, G_FILE_TEST_EXISTS));

  span = time_work (f, "restore", "backup_20250301_100000.tar.zst");
  osi_test_wait_for (retired_archived, f, "the safety backup of the old data");
  for (guint round = 0; round < ROUNDS; round++)
    {
      /* each round starts from the old data, restored from the reference */
      reset_data (f);

      landed += kill_round (f, "restore", "backup_20250301_100000.tar.zst", &span, round);
    }
  assert_enough_landed ("restore", landed);
}

/* How long the safety backup of a restore takes, from the restore's
 * answer until the old data kept aside is archived. */
static gint64
time_safety (Fixture *f)
{
  gint64 answered;
  gint64 span;

  g_assert_cmpint (reap (spawn_cli (f, "restore", "backup_20250301_100000.tar.zst")), ==, 0);
  answered = g_get_monotonic_time ();
  osi_test_wait_for (retired_archived, f, "the safety backup of the old data");
  span = g_get_monotonic_time () - answered;
  g_test_message ("the safety backup takes %" G_GINT64_FORMAT " us after the answer", span);
  return span;
}

/* The restore answered, its safety backup being made from the old data
 * kept aside: the server killed then, the old data must stay whole and
 * become the safety backup at the next start. */
static void
test_kill_safety (Fixture       *f,
                  gconstpointer  user_data)
{
  guint landed = 0;
  gint64 span;

  start_server (f);
  g_assert_cmpint (time_operation (f, "upload", f->other_archive) > 0, ==, TRUE);
  span = time_safety (f);
  for (guint round = 0; round < ROUNDS; round++)
    {
      g_autoptr(GHashTable) before = NULL;
      gint64 wait_us = span * (2 * round + 1) / (2 * ROUNDS);
      gboolean under_way;

      reset_data (f);
      before = backup_names (f);
      g_assert_cmpint (reap (spawn_cli (f, "restore", "backup_20250301_100000.tar.zst")), ==, 0);
      g_usleep ((gulong)wait_us);
      osi_test_server_kill (f->server);
      under_way = retired_waiting (f);
      g_test_message ("safety, round %u: kill %" G_GINT64_FORMAT " us after the answer: %s", round, wait_us,
                      under_way ? "the old data waited for its safety backup" : "the safety backup was made");
      start_server (f);
      assert_consistent (f, before);
      if (under_way)
        landed++;
      else
        span = MIN (span, wait_us);
    }
  assert_enough_landed ("safety", landed);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/server-crash/create", Fixture, NULL, fixture_setup, test_kill_create, fixture_teardown);
  g_test_add ("/server-crash/upload", Fixture, NULL, fixture_setup, test_kill_upload, fixture_teardown);
  g_test_add ("/server-crash/restore", Fixture, NULL, fixture_setup, test_kill_restore, fixture_teardown);
  g_test_add ("/server-crash/restore-safety", Fixture, NULL, fixture_setup, test_kill_safety, fixture_teardown);

  return g_test_run ();
}
