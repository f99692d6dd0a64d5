/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "osi-archive.h"
#include "osi-open.h"
#include "osi-sha256.h"
#include "osi-test-support.h"
#include "osi-verify-report.h"

/* The one open helper, and the readers built on it, against what a
 * folder may hold besides regular files: a FIFO (opening it for reading
 * waits for a writer, for ever), a symbolic link, a folder. A reader that
 * would hang runs in a subprocess that the test gives 20 s: past that, it
 * failed. */

#define HANG_LIMIT (20 * G_USEC_PER_SEC)

typedef struct
{
  char *tmp;
  int   dir_fd;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  user_data)
{
  g_autofree char *fifo = NULL;
  g_autofree char *regular = NULL;
  g_autofree char *folder = NULL;
  g_autofree char *link = NULL;
  g_autoptr(GError) error = NULL;

  f->tmp = osi_test_make_tmpdir ();
  fifo = g_build_filename (f->tmp, "backup_20250101_120000.tar.zst", NULL);
  regular = g_build_filename (f->tmp, "regular", NULL);
  folder = g_build_filename (f->tmp, "folder", NULL);
  link = g_build_filename (f->tmp, "link", NULL);
  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  g_assert_true (g_file_set_contents (regular, "abc", 3, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_mkdir (folder, 0700), ==, 0);
  g_assert_cmpint (symlink ("regular", link), ==, 0);
  f->dir_fd = open (f->tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  g_assert_cmpint (f->dir_fd, >=, 0);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  user_data)
{
  close (f->dir_fd);
  osi_test_remove_tmpdir (f->tmp);
  g_free (f->tmp);
}

static void
test_regular (Fixture       *f,
              gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  struct stat st;
  char text[4] = { 0 };
  int fd;

  fd = osi_open_regular_at (f->dir_fd, "regular", OSI_OPEN_NONE, &st, &error);
  g_assert_no_error (error);
  g_assert_cmpint (fd, >=, 0);
  g_assert_true (S_ISREG (st.st_mode));
  g_assert_cmpint (st.st_size, ==, 3);
  /* blocking again, and not inherited by a child */
  g_assert_cmpint (fcntl (fd, F_GETFL) & O_NONBLOCK, ==, 0);
  g_assert_cmpint (fcntl (fd, F_GETFD) & FD_CLOEXEC, ==, FD_CLOEXEC);
  g_assert_cmpint (read (fd, text, 3), ==, 3);
  g_assert_cmpstr (text, ==, "abc");
  close (fd);
}

static void
test_refused (Fixture       *f,
              gconstpointer  user_data)
{
  static const struct
  {
    const char *name;
    OsiOpenFlags flags;
    GIOErrorEnum code;
  } cases[] = {
    { "backup_20250101_120000.tar.zst", OSI_OPEN_NONE, G_IO_ERROR_NOT_REGULAR_FILE },
    { "backup_20250101_120000.tar.zst", OSI_OPEN_FOLLOW, G_IO_ERROR_NOT_REGULAR_FILE },
    { "folder", OSI_OPEN_NONE, G_IO_ERROR_NOT_REGULAR_FILE },
    { "link", OSI_OPEN_NONE, G_IO_ERROR_TOO_MANY_LINKS },
    { "missing", OSI_OPEN_NONE, G_IO_ERROR_NOT_FOUND },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      struct stat st = { 0 };

      g_test_message ("%s", cases[i].name);
      g_assert_cmpint (osi_open_regular_at (f->dir_fd, cases[i].name, cases[i].flags, &st, &error), ==, -1);
      g_assert_error (error, G_IO_ERROR, (int)cases[i].code);
      /* only the reason: the caller says what it was reading */
      g_assert_null (strstr (error->message, f->tmp));
    }
}

static void
test_follow (Fixture       *f,
             gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  int fd = osi_open_regular_at (f->dir_fd, "link", OSI_OPEN_FOLLOW, NULL, &error);

  g_assert_no_error (error);
  g_assert_cmpint (fd, >=, 0);
  close (fd);
}

/* The checksum of a downloaded file that turns out to be a FIFO: the app
 * and the check window hash in a thread that would never end. */
static void
test_sha256_fifo (Fixture       *f,
                  gconstpointer  user_data)
{
  if (g_test_subprocess ())
    {
      g_autofree char *path = g_build_filename (f->tmp, "backup_20250101_120000.tar.zst", NULL);
      g_autoptr(GError) error = NULL;
      char hex[OSI_SHA256_HEX_LEN + 1];

      g_assert_false (osi_sha256_file (path, hex, NULL, &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE);
      g_assert_nonnull (strstr (error->message, "backup_20250101_120000.tar.zst"));
      return;
    }
  g_test_trap_subprocess (NULL, HANG_LIMIT, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

static void
test_sha256_fd (Fixture       *f,
                gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  char hex[OSI_SHA256_HEX_LEN + 1];
  guint64 size = 0;
  int fd = osi_open_regular_at (f->dir_fd, "regular", OSI_OPEN_NONE, NULL, &error);

  g_assert_no_error (error);
  /* from the first byte, whatever the offset, which stays where it was */
  g_assert_cmpint (lseek (fd, 2, SEEK_SET), ==, 2);
  g_assert_true (osi_sha256_fd (fd, hex, &size, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (hex, ==, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  g_assert_cmpuint (size, ==, 3);
  g_assert_cmpint (lseek (fd, 0, SEEK_CUR), ==, 2);
  close (fd);
}

/* `osi-backup-cli verify` and the check window on a FIFO: a finding,
 * not a hang. */
static void
test_verify_fifo (Fixture       *f,
                  gconstpointer  user_data)
{
  if (g_test_subprocess ())
    {
      g_autofree char *path = g_build_filename (f->tmp, "backup_20250101_120000.tar.zst", NULL);
      g_autoptr(GError) error = NULL;
      g_autoptr(OsiVerifyReport) report = osi_archive_verify (path, NULL, NULL, &error);

      g_assert_no_error (error);
      g_assert_cmpint (osi_verify_report_get_verdict (report), ==, OSI_VERDICT_NOT_RESTORABLE);
      g_assert_true (osi_verify_report_has_finding (report, OSI_FINDING_UNREADABLE));
      return;
    }
  g_test_trap_subprocess (NULL, HANG_LIMIT, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

/* Verification from a descriptor reads the file it was given from its
 * first byte, whatever now has its name. */
static void
test_verify_fd (Fixture       *f,
                gconstpointer  user_data)
{
  g_autofree char *data = osi_test_generate_data (f->tmp, 64 * 1024, 1);
  g_autofree char *path = g_build_filename (f->tmp, "backup_20250102_120000.tar.zst", NULL);
  g_autoptr(OsiVerifyReport) report = NULL;
  g_autoptr(GError) error = NULL;
  int fd;

  osi_test_make_archive (data, path, OSI_COMPRESSION_ZSTD, NULL);
  fd = osi_open_regular_at (f->dir_fd, "backup_20250102_120000.tar.zst", OSI_OPEN_NONE, NULL, &error);
  g_assert_no_error (error);
  /* the name now holds garbage; the descriptor, the archive */
  g_assert_cmpint (g_unlink (path), ==, 0);
  g_assert_true (g_file_set_contents (path, "not an archive", -1, &error));
  g_assert_cmpint (lseek (fd, 100, SEEK_SET), ==, 100);

  report = osi_archive_verify_fd (fd, "backup_20250102_120000.tar.zst", NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (osi_verify_report_get_verdict (report), ==, OSI_VERDICT_RESTORABLE);
  /* still open, for whoever goes on with it */
  g_assert_cmpint (fcntl (fd, F_GETFD), >=, 0);
  close (fd);
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(char * const *)a, *(char * const *)b);
}

/* A folder's names, whatever they are (a FIFO, a link, a folder), read
 * again the same from the same descriptor; a file is no folder. */
static void
test_read_dir_names (Fixture       *f,
                     gconstpointer  user_data)
{
  const char *expected[] = { "backup_20250101_120000.tar.zst", "folder", "link", "regular" };
  g_autofree char *regular = g_build_filename (f->tmp, "regular", NULL);
  int file_fd;

  for (guint round = 0; round < 2; round++)
    {
      g_autoptr(GPtrArray) names = osi_read_dir_names (f->dir_fd);

      g_assert_nonnull (names);
      g_ptr_array_sort (names, compare_strings);
      g_assert_cmpuint (names->len, ==, G_N_ELEMENTS (expected));
      for (guint i = 0; i < names->len; i++)
        g_assert_cmpstr (g_ptr_array_index (names, i), ==, expected[i]);
    }
  g_assert_cmpint (fcntl (f->dir_fd, F_GETFD), >=, 0);

  file_fd = open (regular, O_RDONLY | O_CLOEXEC);
  g_assert_cmpint (file_fd, >=, 0);
  g_assert_null (osi_read_dir_names (file_fd));
  g_assert_cmpint (errno, ==, ENOTDIR);
  close (file_fd);
}

/* A file given up while being written: closed, gone, and the fields say
 * so, which makes giving it up again harmless. */
static void
test_abandon_temporary (Fixture       *f,
                        gconstpointer  user_data)
{
  char *tmp_path = g_build_filename (f->tmp, "upload.XXXXXX.part", NULL);
  g_autofree char *kept = NULL;
  int fd = g_mkstemp_full (tmp_path, O_WRONLY | O_CLOEXEC, 0600);
  int was = fd;

  g_assert_cmpint (fd, >=, 0);
  kept = g_strdup (tmp_path);
  osi_abandon_temporary (&fd, &tmp_path);
  g_assert_cmpint (fd, ==, -1);
  g_assert_null (tmp_path);
  g_assert_cmpint (fcntl (was, F_GETFD), ==, -1);
  g_assert_false (g_file_test (kept, G_FILE_TEST_EXISTS));

  osi_abandon_temporary (&fd, &tmp_path);
  g_assert_cmpint (fd, ==, -1);
  g_assert_null (tmp_path);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add ("/open/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("regular", test_regular);
  ADD ("refused", test_refused);
  ADD ("follow", test_follow);
  ADD ("sha256/fifo", test_sha256_fifo);
  ADD ("sha256/fd", test_sha256_fd);
  ADD ("verify/fifo", test_verify_fifo);
  ADD ("verify/fd", test_verify_fd);
  ADD ("read-dir-names", test_read_dir_names);
  ADD ("abandon-temporary", test_abandon_temporary);

  return g_test_run ();
}
