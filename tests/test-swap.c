/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "osi-archive.h"
#include "osi-swap.h"
#include "osi-test-support.h"

/* tmp/data is the live data (seed 1); tmp/new/data holds other data
 * (seed 2), archived as tmp/new.tar.zst; tmp/old.tar.zst is a copy of the
 * live data, to compare against after the live one changed. */
typedef struct
{
  char *tmp;
  char *live;
  char *new_dir;
  char *new_data;
  char *archive;
  char *old_copy;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *old_archive = NULL;

  f->tmp = osi_test_make_tmpdir ();
  f->live = osi_test_generate_data (f->tmp, 1024 * 1024, 1);
  f->new_dir = g_build_filename (f->tmp, "new", NULL);
  g_assert_cmpint (g_mkdir (f->new_dir, 0755), ==, 0);
  f->new_data = osi_test_generate_data (f->new_dir, 1024 * 1024, 2);
  f->archive = g_build_filename (f->tmp, "new.tar.zst", NULL);
  g_assert_true (osi_archive_create (f->new_data, f->archive, OSI_COMPRESSION_ZSTD, 0,
                                     NULL, NULL, NULL, NULL, &error));
  g_assert_no_error (error);

  /* an independent copy of the live data */
  old_archive = g_build_filename (f->tmp, "old.tar.zst", NULL);
  g_assert_true (osi_archive_create (f->live, old_archive, OSI_COMPRESSION_ZSTD, 0,
                                     NULL, NULL, NULL, NULL, &error));
  f->old_copy = g_build_filename (f->tmp, "old-copy", NULL);
  g_assert_cmpint (g_mkdir (f->old_copy, 0755), ==, 0);
  g_assert_true (osi_archive_extract (old_archive, f->old_copy, NULL, NULL, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  user_data)
{
  osi_test_remove_tmpdir (f->tmp);
  g_free (f->tmp);
  g_free (f->live);
  g_free (f->new_dir);
  g_free (f->new_data);
  g_free (f->archive);
  g_free (f->old_copy);
}

static void
assert_no_leftovers (Fixture *f)
{
  GDir *dir = g_dir_open (f->tmp, 0, NULL);
  const char *name;

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_assert_false (strstr (name, ".osi-staging.") != NULL);
      g_assert_false (strstr (name, ".osi-swap") != NULL);
    }
  g_dir_close (dir);
}

/* Returns 0 when live holds the old data, 1 when the new; fails on a mix. */
static int
which_data (Fixture *f)
{
  g_autofree char *why_old = NULL;
  g_autofree char *why_new = NULL;

  if (osi_test_trees_equal (f->live, f->old_copy, &why_old))
    return 0;
  if (osi_test_trees_equal (f->live, f->new_data, &why_new))
    return 1;
  g_error ("the live data is neither the old (%s) nor the new (%s)", why_old, why_new);
  return -1;
}

static void
stop_after (Fixture     *f,
            OsiSwapStep  step,
            int          expected)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *staging = osi_swap_make_staging (f->live, &error);

  g_assert_no_error (error);
  g_assert_true (osi_archive_extract (f->archive, staging, NULL, NULL, NULL, NULL, NULL, &error));
  g_assert_no_error (error);

  /* "crash" right after the step */
  g_assert_true (_osi_swap_commit_until (f->live, staging, step, &error));
  g_assert_no_error (error);

  g_assert_true (osi_swap_recover (f->live, &error));
  g_assert_no_error (error);
  g_assert_cmpint (which_data (f), ==, expected);
  assert_no_leftovers (f);

  /* recovering twice changes nothing */
  g_assert_true (osi_swap_recover (f->live, &error));
  g_assert_cmpint (which_data (f), ==, expected);
}

static void
test_stop_staged (Fixture *f, gconstpointer d)
{
  stop_after (f, OSI_SWAP_STEP_STAGED, 0);
}

static void
test_stop_journaled (Fixture *f, gconstpointer d)
{
  stop_after (f, OSI_SWAP_STEP_JOURNALED, 0);
}

static void
test_stop_exchanged (Fixture *f, gconstpointer d)
{
  stop_after (f, OSI_SWAP_STEP_EXCHANGED, 1);
}

static void
test_stop_cleaned (Fixture *f, gconstpointer d)
{
  stop_after (f, OSI_SWAP_STEP_CLEANED, 1);
}

static void
test_complete (Fixture *f, gconstpointer d)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OsiVerifyReport) report = NULL;

  g_assert_true (osi_swap_restore_archive (f->live, f->archive, NULL, &report, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (osi_verify_report_get_verdict (report), ==, OSI_VERDICT_RESTORABLE);
  g_assert_cmpint (which_data (f), ==, 1);
  assert_no_leftovers (f);
}

/* A crash half-way through extraction leaves a staging folder and no
 * journal. */
static void
test_interrupted_extraction (Fixture *f, gconstpointer d)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *staging = osi_swap_make_staging (f->live, &error);
  g_autofree char *partial = g_build_filename (staging, "rag", NULL);

  g_assert_cmpint (g_mkdir (partial, 0755), ==, 0);
  g_assert_true (osi_swap_recover (f->live, &error));
  g_assert_no_error (error);
  g_assert_cmpint (which_data (f), ==, 0);
  assert_no_leftovers (f);
}

static void
test_corrupt_journal (Fixture *f, gconstpointer d)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *journal = g_build_filename (f->tmp, ".data.osi-swap", NULL);

  g_assert_true (g_file_set_contents (journal, "not a journal\n/etc\n", -1, NULL));
  g_assert_true (osi_swap_recover (f->live, &error));
  g_assert_no_error (error);
  g_assert_cmpint (which_data (f), ==, 0);
  assert_no_leftovers (f);
  g_assert_true (g_file_test ("/etc/passwd", G_FILE_TEST_EXISTS));
}

static void
test_first_restore (Fixture *f, gconstpointer d)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *fresh = g_build_filename (f->tmp, "fresh", NULL);
  g_autofree char *why = NULL;

  g_assert_true (osi_swap_restore_archive (fresh, f->archive, NULL, NULL, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  if (!osi_test_trees_equal (fresh, f->new_data, &why))
    g_error ("%s", why);
}

/* Whether a restore is under way beside the live data: a staging folder
 * or the journal. Before it has staged anything and once it has cleaned
 * up there is none. Asked once the restoring process is dead, before the
 * recovery, it tells where the kill landed. */
static gboolean
restore_under_way (Fixture *f)
{
  GDir *dir = g_dir_open (f->tmp, 0, NULL);
  gboolean found = FALSE;
  const char *name;

  while (!found && (name = g_dir_read_name (dir)) != NULL)
    found = strstr (name, ".osi-staging.") != NULL || g_str_has_suffix (name, ".osi-swap");
  g_dir_close (dir);
  return found;
}

#define KILL_ROUNDS 26

/* A process of its own restores the new data. */
static pid_t
start_restore (Fixture *f)
{
  pid_t pid = fork ();

  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      gboolean ok = osi_swap_restore_archive (f->live, f->archive, NULL, NULL, NULL, NULL, NULL, NULL);
      _exit (ok ? 0 : 1);
    }
  return pid;
}

/* The same, to the end: returns its exit status. */
static int
run_restore (Fixture *f)
{
  pid_t pid = start_restore (f);
  int status;

  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_true (WIFEXITED (status));
  return WEXITSTATUS (status);
}

/* The real thing: a process restoring is killed at various instants; the
 * data is then old or new, never a mix, once recovered. Enough kills must
 * land mid-restore, or the test proves nothing. */
static void
test_killed (Fixture *f, gconstpointer d)
{
  g_autofree char *old_archive = g_build_filename (f->tmp, "old.tar.zst", NULL);
  guint seen[2] = { 0, 0 };
  guint landed = 0;
  gint64 start;
  gint64 span;

  /* Kill points spread over what one restore takes on this machine, in a
   * process of its own like those killed, and a quarter beyond, so that
   * every phase gets hit whatever its speed. */
  start = g_get_monotonic_time ();
  g_assert_cmpint (run_restore (f), ==, 0);
  span = g_get_monotonic_time () - start;
  g_assert_cmpint (which_data (f), ==, 1);

  for (guint round = 0; round < KILL_ROUNDS; round++)
    {
      g_autoptr(GError) error = NULL;
      gint64 wait_us = span * round * 5 / (4 * KILL_ROUNDS);
      gboolean under_way;
      int status;
      pid_t pid;

      /* each round starts from the old data */
      if (which_data (f) == 1)
        {
          g_assert_true (osi_swap_restore_archive (f->live, old_archive, NULL, NULL, NULL, NULL, NULL, &error));
          g_assert_no_error (error);
        }

      pid = start_restore (f);
      g_usleep ((gulong)wait_us);
      kill (pid, SIGKILL);
      g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);

      /* Where the kill landed, from what the dead process left:
       * mid-restore if it had not exited and had begun and not ended. */
      under_way = restore_under_way (f);
      g_test_message ("kill after %" G_GINT64_FORMAT " us of %" G_GINT64_FORMAT ": %s", wait_us, span,
                      !WIFSIGNALED (status) ? "it had exited" : under_way ? "mid-restore" : "no restore under way");
      if (WIFSIGNALED (status) && under_way)
        landed++;
      if (!WIFSIGNALED (status))
        /* too late: restores are quicker now than measured, and the
         * later rounds spread over what this one took at most */
        span = MIN (span, wait_us);

      g_assert_true (osi_swap_recover (f->live, &error));
      g_assert_no_error (error);
      seen[which_data (f)]++;
      assert_no_leftovers (f);
    }

  g_test_message ("killed restores: %u ended on the old data, %u on the new", seen[0], seen[1]);
  g_test_message ("%u of %u kills landed mid-restore", landed, KILL_ROUNDS);
  /* a third of them at least, and two, whatever the load of the machine */
  g_assert_cmpuint (landed, >=, MAX (2, (KILL_ROUNDS + 2) / 3));
}

static void
on_restored (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static void
count_progress (guint64  done,
                guint64  total,
                gpointer user_data)
{
  guint *calls = user_data;

  (*calls)++;
}

static void
test_async (Fixture *f, gconstpointer d)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(OsiVerifyReport) report = NULL;
  guint calls = 0;

  osi_swap_restore_archive_async (f->live, f->archive, NULL, count_progress, &calls, NULL,
                                  on_restored, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (osi_swap_restore_archive_finish (result, &report, &error));
  g_assert_no_error (error);
  g_assert_cmpint (osi_verify_report_get_verdict (report), ==, OSI_VERDICT_RESTORABLE);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpuint (calls, >, 0);
  g_assert_cmpint (which_data (f), ==, 1);
  assert_no_leftovers (f);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/swap/complete", Fixture, NULL, fixture_setup, test_complete, fixture_teardown);
  g_test_add ("/swap/first-restore", Fixture, NULL, fixture_setup, test_first_restore, fixture_teardown);
  g_test_add ("/swap/stop/staged", Fixture, NULL, fixture_setup, test_stop_staged, fixture_teardown);
  g_test_add ("/swap/stop/journaled", Fixture, NULL, fixture_setup, test_stop_journaled, fixture_teardown);
  g_test_add ("/swap/stop/exchanged", Fixture, NULL, fixture_setup, test_stop_exchanged, fixture_teardown);
  g_test_add ("/swap/stop/cleaned", Fixture, NULL, fixture_setup, test_stop_cleaned, fixture_teardown);
  g_test_add ("/swap/interrupted-extraction", Fixture, NULL, fixture_setup, test_interrupted_extraction, fixture_teardown);
  g_test_add ("/swap/corrupt-journal", Fixture, NULL, fixture_setup, test_corrupt_journal, fixture_teardown);
  g_test_add ("/swap/async", Fixture, NULL, fixture_setup, test_async, fixture_teardown);
  g_test_add ("/swap/killed", Fixture, NULL, fixture_setup, test_killed, fixture_teardown);

  return g_test_run ();
}
