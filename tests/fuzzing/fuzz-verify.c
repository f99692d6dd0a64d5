/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "osi-archive.h"
#include "osi-archive-private.h"
#include "osi-test-reports.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static char *tmp_dir;
static char *json_link;

static void
remove_tmp_dir (void)
{
  g_unlink (json_link);
  g_rmdir (tmp_dir);
}

static OsiVerifyReport *
verify (const char *path)
{
  OsiArchiveLimits limits;
  OsiVerifyReport *report;

  osi_archive_limits_init (&limits);
  limits.max_content_bytes = 64 * 1024 * 1024;
  limits.max_entries = 10000;
  report = osi_archive_verify (path, &limits, NULL, NULL);
  g_assert (report != NULL);
  return report;
}

/* A zstd stream is read through the pipe (a thread decompresses, another
 * validates): whatever the input, the report must be the one libarchive's
 * own zstd filter gives, finding for finding, file for file. */
static void
assert_same_as_filter (const char      *path,
                       OsiVerifyReport *piped)
{
  OsiVerifyReport *reference;

  _osi_archive_pipe_set_enabled (FALSE);
  reference = verify (path);
  _osi_archive_pipe_set_enabled (TRUE);

  osi_test_assert_same_reports (piped, reference);
  g_object_unref (reference);
}

/* The verifier chooses its reader by the file's name: a name ending in
 * .json is a bare knowledge base (rag/search.json alone, as older backends
 * keep them), anything else goes to libarchive, which tells tar, ustar,
 * GNU tar, zip, gzip and zstd apart by their magic bytes. Any bytes can
 * bear either name, so every input is verified twice: as an archive and
 * as a .json file. */
int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  static int fd = -1;
  static char *path;

  if (fd < 0)
    {
      /* Unlinked at once and read back through /proc: no data is left
       * behind, even after a crash. The .json name is a symlink to that
       * same /proc path, in a folder of its own (removed at exit; after a
       * crash, a dangling symlink is what is left). */
      char *name = NULL;

      fd = g_file_open_tmp ("fuzz-verify-XXXXXX", &name, NULL);
      g_assert (fd >= 0);
      g_unlink (name);
      g_free (name);
      path = g_strdup_printf ("/proc/self/fd/%d", fd);

      tmp_dir = g_dir_make_tmp ("fuzz-verify-XXXXXX", NULL);
      g_assert (tmp_dir != NULL);
      json_link = g_build_filename (tmp_dir, "search_backup_20260101_000000.json", NULL);
      if (symlink (path, json_link) < 0)
        g_error ("Cannot make %s: %s", json_link, g_strerror (errno));
      atexit (remove_tmp_dir);
    }
  if (ftruncate (fd, 0) < 0 || pwrite (fd, data, size, 0) != (ssize_t)size)
    g_error ("Cannot write the input: %s", g_strerror (errno));

  {
    static const uint8_t zstd_magic[4] = { 0x28, 0xb5, 0x2f, 0xfd };
    OsiVerifyReport *report = verify (path);

    if (size >= sizeof zstd_magic && memcmp (data, zstd_magic, sizeof zstd_magic) == 0)
      assert_same_as_filter (path, report);
    g_object_unref (report);
  }
  g_object_unref (verify (json_link));
  return 0;
}
