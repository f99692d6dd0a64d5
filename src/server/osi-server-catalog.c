/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-server"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "osi-server-private.h"

/* What the server records in the catalog of each backup as it works
 * (docs/api.md §6.2): how the backup came to be, and its latest
 * verification. A failure to record is logged, never an operation's
 * failure: the backup is there either way. */

void
_osi_server_record_kind (OsiServer      *self,
                         const char     *name,
                         OsiCatalogKind  kind)
{
  g_autoptr(GError) error = NULL;

  if (!osi_backup_folder_set_kind (self->folder, name, kind, &error))
    g_message ("Cannot record in the backup catalog that %s is a %s backup: %s", name,
               osi_catalog_kind_to_string (kind), error->message);
}

OsiCatalogVerdict
_osi_server_catalog_verdict (OsiVerifyReport *report)
{
  switch (osi_verify_report_get_verdict (report))
    {
    case OSI_VERDICT_RESTORABLE:
      return OSI_CATALOG_VERDICT_RESTORABLE;
    case OSI_VERDICT_UNPROVEN:
      return OSI_CATALOG_VERDICT_UNPROVEN;
    case OSI_VERDICT_NOT_RESTORABLE:
    default:
      return OSI_CATALOG_VERDICT_NOT_RESTORABLE;
    }
}

/* The verdict of the file open on fd, recorded for name while name is
 * still that file: a backup deleted or replaced during its verification
 * gets no verdict that is not its own. */
void
_osi_server_record_verdict (OsiServer       *self,
                            const char      *name,
                            int              fd,
                            OsiVerifyReport *report)
{
  g_autoptr(GDateTime) now = osi_clock_now (self->options.clock);
  g_autoptr(GError) error = NULL;
  struct stat verified, current;

  if (fstat (fd, &verified) < 0 ||
      fstatat (osi_backup_folder_get_fd (self->folder), name, &current, AT_SYMLINK_NOFOLLOW) < 0 ||
      verified.st_dev != current.st_dev || verified.st_ino != current.st_ino)
    return;
  if (!osi_backup_folder_set_verification (self->folder, name, _osi_server_catalog_verdict (report),
                                           g_date_time_to_unix (now), &error))
    g_message ("Cannot record the verification of %s in the backup catalog: %s", name, error->message);
}
