/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "osi-backup-info.h"

G_BEGIN_DECLS

/* What a cell of the backups list shows of its backup. */
typedef enum
{
  OSI_BACKUP_CELL_NAME,
  OSI_BACKUP_CELL_DATE,
  OSI_BACKUP_CELL_SIZE,
} OsiBackupCellColumn;

#define OSI_TYPE_BACKUP_CELL_COLUMN (osi_backup_cell_column_get_type ())
GType osi_backup_cell_column_get_type (void);

#define OSI_TYPE_BACKUP_CELL (osi_backup_cell_get_type ())

G_DECLARE_FINAL_TYPE (OsiBackupCell, osi_backup_cell, OSI, BACKUP_CELL, GtkWidget)

OsiBackupInfo       *osi_backup_cell_get_item   (OsiBackupCell       *self);
void                 osi_backup_cell_set_item   (OsiBackupCell       *self,
                                                 OsiBackupInfo       *item);
OsiBackupCellColumn  osi_backup_cell_get_column (OsiBackupCell       *self);
void                 osi_backup_cell_set_column (OsiBackupCell       *self,
                                                 OsiBackupCellColumn  column);
/* badge: "lock" (its tooltip), "note", "kind", "verification" or
 * "offsite" (its tooltip): the text shown, NULL when hidden. For the
 * tests. */
const char          *osi_backup_cell_get_badge_text (OsiBackupCell *self,
                                                     const char    *badge);

G_END_DECLS
