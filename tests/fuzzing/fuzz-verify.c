/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "osi-archive.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  static int fd = -1;
  static char *path;
  OsiArchiveLimits limits;
  OsiVerifyReport *report;

  if (fd < 0)
    {
      /* Unlinked at once and read back through /proc: nothing is left
       * behind, even after a crash. */
      char *name = NULL;

      fd = g_file_open_tmp ("fuzz-verify-XXXXXX.tar", &name, NULL);
      g_assert (fd >= 0);
      g_unlink (name);
      g_free (name);
      path = g_strdup_printf ("/proc/self/fd/%d", fd);
    }
  if (ftruncate (fd, 0) < 0 || pwrite (fd, data, size, 0) != (ssize_t)size)
    g_error ("Cannot write the input: %s", g_strerror (errno));

  osi_archive_limits_init (&limits);
  limits.max_content_bytes = 64 * 1024 * 1024;
  limits.max_entries = 10000;
  report = osi_archive_verify (path, &limits, NULL, NULL, NULL, NULL);
  g_assert (report != NULL);
  g_object_unref (report);
  return 0;
}
