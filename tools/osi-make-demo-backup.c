/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A developer tool, not installed: writes demonstration data and a backup
 * of it, so that a newcomer can try the offline checks before a server
 * exists to make backups. */
#include "config.h"

#include <stdlib.h>

#include "osi-archive.h"
#include "osi-demo-data.h"

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *data = NULL;
  g_autofree char *name = NULL;
  g_autofree char *archive = NULL;
  guint64 size_mb = 16;

  if (argc < 2 || argc > 3)
    {
      g_printerr ("usage: %s DIR [SIZE_MB]\n", argv[0]);
      return 2;
    }
  if (argc == 3)
    size_mb = g_ascii_strtoull (argv[2], NULL, 10);
  if (size_mb == 0)
    size_mb = 16;

  data = g_build_filename (argv[1], "data", NULL);
  name = osi_archive_default_name (now, OSI_COMPRESSION_ZSTD);
  archive = g_build_filename (argv[1], name, NULL);

  if (!osi_demo_data_generate (data, size_mb * 1024 * 1024, 1, NULL, &error) ||
      !osi_archive_create (data, archive, OSI_COMPRESSION_ZSTD, NULL, NULL, &error))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }

  g_print ("%s\n", archive);
  return 0;
}
