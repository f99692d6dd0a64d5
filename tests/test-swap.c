/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "osi-archive.h"
#include "osi-error.h"
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
  osi_test_make_archive (f->new_data, f->archive, OSI_COMPRESSION_ZSTD, NULL);

  /* an independent copy of the live data */
  old_archive = g_build_filename (f->tmp, "old.tar.zst", NULL);
  osi_test_make_archive (f->live, old_archive, OSI_COMPRESSION_ZSTD, NULL);
  f->old_copy = g_build_filename (f->tmp, "old-copy", NULL);
  g_assert_cmpint (g_mkdir (f->old_copy, 0755), ==, 0);
  g_assert_true (osi_archive_extract (old_archive, f->old_copy, NULL, NULL, NULL, &error));
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

/* A swap "crashed" right after step, then recovered, twice (the second
 * changes nothing): the old data live (expected 0) or the new (1). A swap
 * that keeps the old data (keep_as) leaves it, whole, in its retired
 * folder once the new data is live; never both gone. */
#define KEEP_TAG "backup_20261205_120000_safety"

static void
stop_after_keeping (Fixture     *f,
                    OsiSwapStep  step,
                    int          expected,
                    const char  *keep_as)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *staging = osi_swap_make_staging (f->live, &error);
  g_autofree char *retired = osi_swap_retired_path (f->live, KEEP_TAG);

  g_assert_no_error (error);
  g_assert_true (osi_archive_extract (f->archive, staging, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (_osi_swap_commit_until (f->live, staging, keep_as, step, &error));
  g_assert_no_error (error);

  for (guint round = 0; round < 2; round++)
    {
      g_autoptr(GPtrArray) tags = NULL;

      g_assert_true (osi_swap_recover (f->live, &error));
      g_assert_no_error (error);
      g_assert_cmpint (which_data (f), ==, expected);
      assert_no_leftovers (f);
      tags = osi_swap_list_retired (f->live);
      if (keep_as == NULL || expected == 0)
        {
          g_assert_cmpuint (tags->len, ==, 0);
          g_assert_false (g_file_test (retired, G_FILE_TEST_EXISTS));
        }
      else
        {
          g_assert_cmpuint (tags->len, ==, 1);
          g_assert_cmpstr (g_ptr_array_index (tags, 0), ==, keep_as);
          g_assert_true (osi_test_trees_equal (retired, f->old_copy, NULL));
        }
    }
}

/* The crash points, each a case of its own. */
typedef struct
{
  const char  *path;
  OsiSwapStep  step;
  int          expected;
  const char  *keep_as;
} StopCase;

static const StopCase stop_cases[] = {
  { "/swap/stop/staged", OSI_SWAP_STEP_STAGED, 0, NULL },
  { "/swap/stop/journaled", OSI_SWAP_STEP_JOURNALED, 0, NULL },
  { "/swap/stop/exchanged", OSI_SWAP_STEP_EXCHANGED, 1, NULL },
  { "/swap/stop/cleaned", OSI_SWAP_STEP_CLEANED, 1, NULL },
  { "/swap/keep/stop/journaled", OSI_SWAP_STEP_JOURNALED, 0, KEEP_TAG },
  { "/swap/keep/stop/exchanged", OSI_SWAP_STEP_EXCHANGED, 1, KEEP_TAG },
  { "/swap/keep/stop/cleaned", OSI_SWAP_STEP_CLEANED, 1, KEEP_TAG },
};

static void
test_stop (Fixture       *f,
           gconstpointer  user_data)
{
  const StopCase *c = user_data;

  stop_after_keeping (f, c->step, c->expected, c->keep_as);
}

/* The whole restore keeping the old data; a second one refuses to land
 * its old data on the retired folder still there, and changes nothing. */
static void
test_keep_complete (Fixture *f, gconstpointer d)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OsiVerifyReport) report = NULL;
  g_autofree char *retired = osi_swap_retired_path (f->live, KEEP_TAG);
  g_autoptr(GPtrArray) tags = NULL;

  g_assert_true (osi_swap_restore_archive_fd (f->live, -1, f->archive, NULL, KEEP_TAG, &report, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (which_data (f), ==, 1);
  assert_no_leftovers (f);
  g_assert_true (osi_test_trees_equal (retired, f->old_copy, NULL));

  g_assert_false (osi_swap_restore_archive_fd (f->live, -1, f->archive, NULL, KEEP_TAG, NULL, NULL, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_assert_cmpint (which_data (f), ==, 1);
  assert_no_leftovers (f);
  g_assert_true (osi_test_trees_equal (retired, f->old_copy, NULL));
  tags = osi_swap_list_retired (f->live);
  g_assert_cmpuint (tags->len, ==, 1);

  /* the owner archives it, then discards it */
  g_assert_true (osi_swap_discard_retired (f->live, KEEP_TAG, &error));
  g_assert_no_error (error);
  g_clear_pointer (&tags, g_ptr_array_unref);
  tags = osi_swap_list_retired (f->live);
  g_assert_cmpuint (tags->len, ==, 0);
  g_assert_false (g_file_test (retired, G_FILE_TEST_EXISTS));
  assert_no_leftovers (f);
  g_assert_cmpint (which_data (f), ==, 1);
}

/* A journal whose tag is not a backup name's stem is ignored whole. */
static void
test_keep_hostile_tag (Fixture *f, gconstpointer d)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *journal = g_build_filename (f->tmp, ".data.osi-swap", NULL);
  g_autofree char *staging = osi_swap_make_staging (f->live, &error);
  g_autofree char *staging_name = g_path_get_basename (staging);
  g_autofree char *text = g_strdup_printf ("1\n%s\n../../etc\n", staging_name);

  g_assert_true (g_file_set_contents (journal, text, -1, NULL));
  g_test_expect_message ("osi-core", G_LOG_LEVEL_MESSAGE, "*Ignoring the restore journal*malformed*");
  g_assert_true (osi_swap_recover (f->live, &error));
  g_assert_no_error (error);
  g_test_assert_expected_messages ();
  g_assert_cmpint (which_data (f), ==, 0);
  assert_no_leftovers (f);
}

static void
test_complete (Fixture *f, gconstpointer d)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OsiVerifyReport) report = NULL;

  g_assert_true (osi_swap_restore_archive (f->live, f->archive, NULL, &report, NULL, &error));
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
  g_test_expect_message ("osi-core", G_LOG_LEVEL_MESSAGE, "*Ignoring the restore journal*");
  g_assert_true (osi_swap_recover (f->live, &error));
  g_assert_no_error (error);
  g_test_assert_expected_messages ();
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

  g_assert_true (osi_swap_restore_archive (fresh, f->archive, NULL, NULL, NULL, &error));
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
      gboolean ok = osi_swap_restore_archive (f->live, f->archive, NULL, NULL, NULL, NULL);
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
          g_assert_true (osi_swap_restore_archive (f->live, old_archive, NULL, NULL, NULL, &error));
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

/* ------------------------------------------------------------------------ */
/* Permissions: a restore gives back the modes backed up, the data folder's
 * own mode and owner, and nothing wider. */

static void
write_mode (const char *dir,
            const char *rel,
            const char *contents,
            mode_t      mode)
{
  g_autofree char *path = g_build_filename (dir, rel, NULL);
  g_autofree char *parent = g_path_get_dirname (path);

  g_assert_cmpint (g_mkdir_with_parents (parent, 0755), ==, 0);
  g_assert_true (g_file_set_contents (path, contents, -1, NULL));
  g_assert_cmpint (chmod (path, mode), ==, 0);
}

static mode_t
mode_of (const char *dir,
         const char *rel)
{
  g_autofree char *path = rel != NULL ? g_build_filename (dir, rel, NULL) : g_strdup (dir);
  struct stat st;

  g_assert_cmpint (lstat (path, &st), ==, 0);
  return st.st_mode & 07777;
}

/* tmp/secure, a 0700 data folder holding secrets, backed up as the server
 * backs up (osi_archive_create) into tmp/secure.tar.zst. */
static char *
make_secure_backup (Fixture    *f,
                    char      **out_archive)
{
  g_autofree char *sub = g_build_filename (f->tmp, "secure-src", NULL);
  g_autofree char *generated = NULL;
  g_autofree char *live = g_build_filename (f->tmp, "secure", NULL);

  g_assert_cmpint (g_mkdir (sub, 0755), ==, 0);
  generated = osi_test_generate_data (sub, 64 * 1024, 3);
  g_assert_cmpint (g_rename (generated, live), ==, 0);

  g_assert_cmpint (chmod (live, 0700), ==, 0);
  write_mode (live, "config/secrets.env", "API_KEY=hunter2\n", 0600);
  write_mode (live, "data/shared.txt", "for the group\n", 0640);
  write_mode (live, "data/public.txt", "for everyone\n", 0644);
  write_mode (live, "data/run.sh", "#!/bin/sh\n", 0750);
  {
    g_autofree char *config = g_build_filename (live, "config", NULL);
    g_assert_cmpint (chmod (config, 0700), ==, 0);
  }

  *out_archive = g_build_filename (f->tmp, "secure.tar.zst", NULL);
  osi_test_make_archive (live, *out_archive, OSI_COMPRESSION_ZSTD, NULL);
  return g_steal_pointer (&live);
}

/* As the server's restore: osi_swap_restore_archive with the default
 * limits. */
static void
restore_as_server (const char *live,
                   const char *archive)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OsiVerifyReport) report = NULL;
  OsiArchiveLimits limits;

  osi_archive_limits_init (&limits);
  g_assert_true (osi_swap_restore_archive (live, archive, &limits, &report, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (osi_verify_report_get_verdict (report), ==, OSI_VERDICT_RESTORABLE);
}

static void
test_permissions_kept (Fixture *f, gconstpointer d)
{
  g_autofree char *archive = NULL;
  g_autofree char *live = make_secure_backup (f, &archive);
  g_autofree char *marker = g_build_filename (live, "data", "changed-since.txt", NULL);
  mode_t saved_umask = umask (022);
  struct stat before;
  struct stat st;

  /* As root, a data folder of another owner keeps that owner. */
  if (geteuid () == 0)
    g_assert_cmpint (chown (live, 4242, 4343), ==, 0);
  g_assert_cmpint (lstat (live, &before), ==, 0);
  g_assert_true (g_file_set_contents (marker, "newer", -1, NULL));

  restore_as_server (live, archive);
  umask (saved_umask);

  g_assert_false (g_file_test (marker, G_FILE_TEST_EXISTS)); /* it is the backup's data */
  g_assert_cmpint (lstat (live, &st), ==, 0);
  g_assert_true (S_ISDIR (st.st_mode));
  g_assert_cmpint (st.st_mode & 07777, ==, 0700);
  g_assert_cmpint (st.st_uid, ==, before.st_uid);
  g_assert_cmpint (st.st_gid, ==, before.st_gid);
  g_assert_cmpint (mode_of (live, "config"), ==, 0700);
  g_assert_cmpint (mode_of (live, "config/secrets.env"), ==, 0600);
  g_assert_cmpint (mode_of (live, "data/shared.txt"), ==, 0640);
  g_assert_cmpint (mode_of (live, "data/public.txt"), ==, 0644);
  g_assert_cmpint (mode_of (live, "data/run.sh"), ==, 0750);
  /* And what is inside is that owner's too: a 0600 secret it could not
   * read would break the service. */
  if (geteuid () == 0)
    {
      static const char * const inside[] = { "config", "config/secrets.env", "data/shared.txt", "rag/search.json" };

      for (guint i = 0; i < G_N_ELEMENTS (inside); i++)
        {
          g_autofree char *path = g_build_filename (live, inside[i], NULL);

          g_assert_cmpint (lstat (path, &st), ==, 0);
          g_assert_cmpint (st.st_uid, ==, before.st_uid);
          g_assert_cmpint (st.st_gid, ==, before.st_gid);
        }
    }
  assert_no_leftovers (f);
}

/* The umask narrows what the backup says, never widens it. */
static void
test_permissions_umask (Fixture *f, gconstpointer d)
{
  g_autofree char *archive = NULL;
  g_autofree char *live = make_secure_backup (f, &archive);
  mode_t saved_umask = umask (027);

  restore_as_server (live, archive);
  umask (saved_umask);

  g_assert_cmpint (mode_of (live, NULL), ==, 0700);
  g_assert_cmpint (mode_of (live, "config/secrets.env"), ==, 0600);
  g_assert_cmpint (mode_of (live, "data/shared.txt"), ==, 0640);
  g_assert_cmpint (mode_of (live, "data/public.txt"), ==, 0640);
  g_assert_cmpint (mode_of (live, "data/run.sh"), ==, 0750);
  g_assert_cmpint (mode_of (live, "rag/search.json"), ==, 0640);
}

/* The staging folder is 0700 until the exchange, which gives it the live
 * folder's mode; a first restore, with no live folder, stays 0700. */
static void
test_permissions_staging (Fixture *f, gconstpointer d)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *staging = NULL;
  g_autofree char *fresh = g_build_filename (f->tmp, "fresh", NULL);

  g_assert_cmpint (chmod (f->live, 0750), ==, 0);
  staging = osi_swap_make_staging (f->live, &error);
  g_assert_no_error (error);
  g_assert_cmpint (mode_of (staging, NULL), ==, 0700);
  g_assert_true (osi_archive_extract (f->archive, staging, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (mode_of (staging, NULL), ==, 0700);
  g_assert_true (_osi_swap_commit_until (f->live, staging, NULL, OSI_SWAP_STEP_JOURNALED, &error));
  g_assert_no_error (error);
  g_assert_cmpint (mode_of (staging, NULL), ==, 0700);
  g_assert_true (osi_swap_recover (f->live, &error));
  g_assert_no_error (error);
  g_assert_cmpint (which_data (f), ==, 0);
  g_assert_cmpint (mode_of (f->live, NULL), ==, 0750);

  g_clear_pointer (&staging, g_free);
  staging = osi_swap_make_staging (f->live, &error);
  g_assert_no_error (error);
  g_assert_true (osi_archive_extract (f->archive, staging, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (_osi_swap_commit_until (f->live, staging, NULL, OSI_SWAP_STEP_EXCHANGED, &error));
  g_assert_no_error (error);
  g_assert_cmpint (which_data (f), ==, 1);
  g_assert_cmpint (mode_of (f->live, NULL), ==, 0750);
  g_assert_true (osi_swap_recover (f->live, &error));
  g_assert_no_error (error);

  g_assert_true (osi_swap_restore_archive (fresh, f->archive, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (mode_of (fresh, NULL), ==, 0700);
}

/* ------------------------------------------------------------------------ */
/* The journal: recovery removes only what the swap made. */

/* tmp/case/parent/data the live data, beside a sentinel file, a hidden
 * sentinel folder, another data folder's staging folder; tmp/case/x and
 * tmp/case/abs outside. */
typedef struct
{
  char *root;
  char *parent;
  char *live;
} Nest;

static void
nest_init (Nest       *n,
           Fixture    *f,
           const char *name)
{
  n->root = g_build_filename (f->tmp, name, NULL);
  n->parent = g_build_filename (n->root, "parent", NULL);
  n->live = g_build_filename (n->parent, "data", NULL);
  write_mode (n->live, "keep.txt", "live", 0644);
  write_mode (n->parent, "sentinel", "sentinel", 0644);
  write_mode (n->parent, ".hidden/sentinel", "sentinel", 0644);
  /* the staging folder of the data folder "data.osi-staging.x" */
  write_mode (n->parent, ".data.osi-staging.x.osi-staging.AbCdEf/sentinel", "sentinel", 0644);
  write_mode (n->root, "x/sentinel", "sentinel", 0644);
  write_mode (n->root, "abs/sentinel", "sentinel", 0644);
}

static void
nest_assert_untouched (Nest *n)
{
  const char *kept[] = {
    "parent/data/keep.txt",
    "parent/sentinel",
    "parent/.hidden/sentinel",
    "parent/.data.osi-staging.x.osi-staging.AbCdEf/sentinel",
    "x/sentinel",
    "abs/sentinel",
  };

  for (guint i = 0; i < G_N_ELEMENTS (kept); i++)
    {
      g_autofree char *path = g_build_filename (n->root, kept[i], NULL);
      if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
        g_error ("%s was removed", kept[i]);
    }
}

static void
nest_clear (Nest *n)
{
  g_free (n->root);
  g_free (n->parent);
  g_free (n->live);
}

static guint64
inode_of (const char *path)
{
  struct stat st;

  return lstat (path, &st) == 0 ? (guint64)st.st_ino : 1;
}

static void
test_journal_hostile_names (Fixture *f, gconstpointer d)
{
  const char *names[] = {
    ".",
    "..",
    "../x",
    NULL, /* absolute: tmp/case/abs */
    ".hidden",
    "sentinel",
    "data",
    ".data.osi-staging.",
    ".data.osi-staging.AbCdE",
    ".data.osi-staging.AbCdEfG",
    ".data.osi-staging.AbC-Ef",
    ".data.osi-staging.x.osi-staging.AbCdEf",
    ".other.osi-staging.AbCdEf",
  };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *case_name = g_strdup_printf ("case-%u", i);
      g_autofree char *journal = NULL;
      g_autofree char *target = NULL;
      g_autofree char *text = NULL;
      g_autofree char *name = NULL;
      Nest n;

      nest_init (&n, f, case_name);
      name = names[i] != NULL ? g_strdup (names[i]) : g_build_filename (n.root, "abs", NULL);
      target = g_path_is_absolute (name) ? g_strdup (name) : g_build_filename (n.parent, name, NULL);
      /* the inode of what the name leads to, as a real journal would have */
      text = g_strdup_printf ("%" G_GUINT64_FORMAT "\n%s\n", inode_of (target), name);
      journal = g_build_filename (n.parent, ".data.osi-swap", NULL);
      g_assert_true (g_file_set_contents (journal, text, -1, NULL));
      g_test_message ("journal naming “%s”", name);

      g_test_expect_message ("osi-core", G_LOG_LEVEL_MESSAGE, "*Ignoring the restore journal*");
      g_assert_true (osi_swap_recover (n.live, &error));
      g_assert_no_error (error);
      g_test_assert_expected_messages ();

      nest_assert_untouched (&n);
      g_assert_false (g_file_test (journal, G_FILE_TEST_EXISTS));
      nest_clear (&n);
    }
}

/* Malformed journals, and ones that are no regular file: the same. */
static void
test_journal_malformed (Fixture *f, gconstpointer d)
{
  const char *texts[] = {
    "",
    "12\n",
    "x\n.data.osi-staging.AbCdEf\n",
    "12\n.data.osi-staging.AbCdEf",
    "12\n.data.osi-staging.AbCdEf\n..\n",
    "12\n.data.osi-staging.AbCdEf\n\n",
  };
  g_autoptr(GError) error = NULL;
  g_autofree char *journal = g_build_filename (f->tmp, ".data.osi-swap", NULL);
  g_autofree char *fifo_journal = NULL;
  Nest n;

  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      g_assert_true (g_file_set_contents (journal, texts[i], -1, NULL));
      g_test_expect_message ("osi-core", G_LOG_LEVEL_MESSAGE, "*Ignoring the restore journal*");
      g_assert_true (osi_swap_recover (f->live, &error));
      g_assert_no_error (error);
      g_test_assert_expected_messages ();
      g_assert_cmpint (which_data (f), ==, 0);
      assert_no_leftovers (f);
    }

  /* a FIFO is not waited on, a symlink not followed */
  nest_init (&n, f, "fifo");
  fifo_journal = g_build_filename (n.parent, ".data.osi-swap", NULL);
  g_assert_cmpint (mkfifo (fifo_journal, 0600), ==, 0);
  g_test_expect_message ("osi-core", G_LOG_LEVEL_MESSAGE, "*Ignoring the restore journal*");
  g_assert_true (osi_swap_recover (n.live, &error));
  g_assert_no_error (error);
  g_test_assert_expected_messages ();
  nest_assert_untouched (&n);
  g_assert_false (g_file_test (fifo_journal, G_FILE_TEST_EXISTS));
  {
    g_autofree char *elsewhere = g_build_filename (n.root, "x", "journal", NULL);
    g_assert_true (g_file_set_contents (elsewhere, "1\n.data.osi-staging.AbCdEf\n", -1, NULL));
    g_assert_cmpint (symlink (elsewhere, fifo_journal), ==, 0);
    g_test_expect_message ("osi-core", G_LOG_LEVEL_MESSAGE, "*Ignoring the restore journal*");
    g_assert_true (osi_swap_recover (n.live, &error));
    g_assert_no_error (error);
    g_test_assert_expected_messages ();
    g_assert_true (g_file_test (elsewhere, G_FILE_TEST_IS_REGULAR));
  }
  nest_assert_untouched (&n);
  nest_clear (&n);
}

/* What sits at the journal's temporary name is neither truncated nor
 * followed: a hard link to a file elsewhere, a symlink to one. */
static void
test_journal_tmp_not_followed (Fixture *f, gconstpointer d)
{
  g_autofree char *tmp_name = g_build_filename (f->tmp, ".data.osi-swap.tmp", NULL);
  g_autofree char *outside = g_build_filename (f->tmp, "outside", NULL);
  g_autofree char *sentinel = g_build_filename (outside, "sentinel", NULL);
  g_autofree char *contents = NULL;

  g_assert_cmpint (g_mkdir (outside, 0755), ==, 0);
  g_assert_true (g_file_set_contents (sentinel, "precious", -1, NULL));

  for (guint round = 0; round < 2; round++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *staging = osi_swap_make_staging (f->live, &error);
      gboolean committed;
      struct stat st;

      g_assert_no_error (error);
      if (round == 0)
        g_assert_cmpint (link (sentinel, tmp_name), ==, 0);
      else
        g_assert_cmpint (symlink (sentinel, tmp_name), ==, 0);

      /* a commit that finds it there refuses, the live data untouched */
      g_assert_true (osi_archive_extract (f->archive, staging, NULL, NULL, NULL, &error));
      g_assert_no_error (error);
      committed = osi_swap_commit (f->live, staging, NULL, &error);
      g_assert_true (g_file_get_contents (sentinel, &contents, NULL, NULL));
      g_assert_cmpstr (contents, ==, "precious");
      g_clear_pointer (&contents, g_free);
      g_assert_false (committed);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS);
      g_clear_error (&error);
      g_assert_cmpint (lstat (tmp_name, &st), ==, 0);
      g_assert_true (round == 0 ? S_ISREG (st.st_mode) : S_ISLNK (st.st_mode));
      g_assert_cmpint (which_data (f), ==, 0);
      osi_remove_tree (staging, NULL);

      /* a restore starts by recovering, which removes the name (only) */
      g_assert_true (osi_swap_restore_archive (f->live, f->archive, NULL, NULL, NULL, &error));
      g_assert_no_error (error);
      g_assert_cmpint (which_data (f), ==, 1);
      g_assert_true (g_file_get_contents (sentinel, &contents, NULL, NULL));
      g_assert_cmpstr (contents, ==, "precious");
      g_clear_pointer (&contents, g_free);
      assert_no_leftovers (f);

      {
        g_autofree char *old_archive = g_build_filename (f->tmp, "old.tar.zst", NULL);
        g_assert_true (osi_swap_restore_archive (f->live, old_archive, NULL, NULL, NULL, &error));
        g_assert_no_error (error);
      }
    }
}

/* The swap writes only journals recovery would take. */
static void
test_commit_refuses_other_names (Fixture *f, gconstpointer d)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *other = g_build_filename (f->tmp, ".data.restore", NULL);

  g_assert_cmpint (g_mkdir (other, 0700), ==, 0);
  g_assert_false (osi_swap_commit (f->live, other, NULL, &error));
  g_assert_error (error, OSI_ERROR, OSI_ERROR_SWAP_FAILED);
  g_assert_cmpint (which_data (f), ==, 0);
  g_assert_true (g_file_test (other, G_FILE_TEST_IS_DIR));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/swap/complete", Fixture, NULL, fixture_setup, test_complete, fixture_teardown);
  g_test_add ("/swap/first-restore", Fixture, NULL, fixture_setup, test_first_restore, fixture_teardown);
  for (guint i = 0; i < G_N_ELEMENTS (stop_cases); i++)
    g_test_add (stop_cases[i].path, Fixture, &stop_cases[i], fixture_setup, test_stop, fixture_teardown);
  g_test_add ("/swap/keep/complete", Fixture, NULL, fixture_setup, test_keep_complete, fixture_teardown);
  g_test_add ("/swap/keep/hostile-tag", Fixture, NULL, fixture_setup, test_keep_hostile_tag, fixture_teardown);
  g_test_add ("/swap/interrupted-extraction", Fixture, NULL, fixture_setup, test_interrupted_extraction, fixture_teardown);
  g_test_add ("/swap/corrupt-journal", Fixture, NULL, fixture_setup, test_corrupt_journal, fixture_teardown);
  g_test_add ("/swap/journal/hostile-names", Fixture, NULL, fixture_setup, test_journal_hostile_names, fixture_teardown);
  g_test_add ("/swap/journal/malformed", Fixture, NULL, fixture_setup, test_journal_malformed, fixture_teardown);
  g_test_add ("/swap/journal/tmp-not-followed", Fixture, NULL, fixture_setup, test_journal_tmp_not_followed, fixture_teardown);
  g_test_add ("/swap/commit-refuses-other-names", Fixture, NULL, fixture_setup, test_commit_refuses_other_names, fixture_teardown);
  g_test_add ("/swap/permissions/kept", Fixture, NULL, fixture_setup, test_permissions_kept, fixture_teardown);
  g_test_add ("/swap/permissions/umask", Fixture, NULL, fixture_setup, test_permissions_umask, fixture_teardown);
  g_test_add ("/swap/permissions/staging", Fixture, NULL, fixture_setup, test_permissions_staging, fixture_teardown);
  g_test_add ("/swap/async", Fixture, NULL, fixture_setup, test_async, fixture_teardown);
  g_test_add ("/swap/killed", Fixture, NULL, fixture_setup, test_killed, fixture_teardown);

  return g_test_run ();
}
