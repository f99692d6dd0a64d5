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
 * are spread over what the operation takes on this machine. */

#define ROUNDS 8

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
  g_autoptr(GError) error = NULL;
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
  g_assert_true (osi_archive_create (f->other, f->other_archive, OSI_COMPRESSION_ZSTD, 0,
                                     NULL, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
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

/* What must hold after any crash and restart. */
static void
assert_consistent (Fixture *f)
{
  g_autofree char *why = NULL;
  g_autofree char *why_other = NULL;
  GDir *dir;
  const char *name;

  if (!osi_test_trees_equal (f->data, f->reference, &why) &&
      !osi_test_trees_equal (f->data, f->other, &why_other))
    g_error ("the data is neither the old (%s) nor the new (%s)", why, why_other);

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
      report = osi_archive_verify (path, NULL, NULL, NULL, NULL, NULL);
      g_assert_nonnull (report);
      if (osi_verify_report_get_verdict (report) != OSI_VERDICT_RESTORABLE)
        g_error ("%s is listed but not whole", name);
    }
  g_dir_close (dir);

  dir = g_dir_open (f->tmp, 0, NULL);
  while ((name = g_dir_read_name (dir)) != NULL)
    g_assert_null (strstr (name, ".osi-staging."));
  g_dir_close (dir);
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

static void
kill_during (Fixture    *f,
             const char *command,
             const char *argument,
             gint64      span)
{
  for (guint round = 0; round < ROUNDS; round++)
    {
      GPid pid = spawn_cli (f, command, argument);

      g_usleep ((gulong)(span * round / (ROUNDS - 2)));
      osi_test_server_kill (f->server);
      reap (pid);

      start_server (f);
      assert_consistent (f);
    }
}

static void
test_kill_create (Fixture       *f,
                  gconstpointer  user_data)
{
  gint64 span;

  start_server (f);
  span = time_operation (f, "create", NULL);
  kill_during (f, "create", NULL, span);
}

static void
test_kill_upload (Fixture       *f,
                  gconstpointer  user_data)
{
  gint64 span;

  start_server (f);
  span = time_operation (f, "upload", f->other_archive);
  g_assert_cmpint (time_operation (f, "delete", "backup_20250301_100000.tar.zst") >= 0, ==, TRUE);
  for (guint round = 0; round < ROUNDS; round++)
    {
      g_autofree char *stored = g_build_filename (f->backups, "backup_20250301_100000.tar.zst", NULL);
      GPid pid;

      g_unlink (stored);
      pid = spawn_cli (f, "upload", f->other_archive);
      g_usleep ((gulong)(span * round / (ROUNDS - 2)));
      osi_test_server_kill (f->server);
      reap (pid);
      start_server (f);
      assert_consistent (f);
    }
}

static void
test_kill_restore (Fixture       *f,
                   gconstpointer  user_data)
{
  g_autofree char *uploaded = g_build_filename (f->backups, "backup_20250301_100000.tar.zst", NULL);
  gint64 span;

  start_server (f);
  g_assert_true (g_file_test (f->other_archive, G_FILE_TEST_EXISTS));
  g_assert_cmpint (time_operation (f, "upload", f->other_archive) > 0, ==, TRUE);
  g_assert_true (g_file_test (uploaded, G_FILE_TEST_EXISTS));

  span = time_operation (f, "restore", "backup_20250301_100000.tar.zst");
  for (guint round = 0; round < ROUNDS; round++)
    {
      GPid pid;

      /* each round starts from the old data, restored from the reference */
      if (!osi_test_trees_equal (f->data, f->reference, NULL))
        {
          g_autoptr(GError) error = NULL;
          g_autofree char *ref_archive = g_build_filename (f->tmp, "ref.tar.zst", NULL);

          if (!g_file_test (ref_archive, G_FILE_TEST_EXISTS))
            g_assert_true (osi_archive_create (f->reference, ref_archive, OSI_COMPRESSION_ZSTD, 0,
                                               NULL, NULL, NULL, NULL, &error));
          osi_test_server_stop (f->server);
          g_assert_true (osi_swap_restore_archive (f->data, ref_archive, NULL, NULL, NULL, NULL, NULL, &error));
          g_assert_no_error (error);
          start_server (f);
        }

      pid = spawn_cli (f, "restore", "backup_20250301_100000.tar.zst");
      g_usleep ((gulong)(span * round / (ROUNDS - 2)));
      osi_test_server_kill (f->server);
      reap (pid);
      start_server (f);
      assert_consistent (f);
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/server-crash/create", Fixture, NULL, fixture_setup, test_kill_create, fixture_teardown);
  g_test_add ("/server-crash/upload", Fixture, NULL, fixture_setup, test_kill_upload, fixture_teardown);
  g_test_add ("/server-crash/restore", Fixture, NULL, fixture_setup, test_kill_restore, fixture_teardown);

  return g_test_run ();
}
