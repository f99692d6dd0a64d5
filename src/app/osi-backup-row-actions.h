/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "osi-backup-info.h"

G_BEGIN_DECLS

#define OSI_TYPE_BACKUP_ROW_ACTIONS (osi_backup_row_actions_get_type ())

G_DECLARE_FINAL_TYPE (OsiBackupRowActions, osi_backup_row_actions, OSI, BACKUP_ROW_ACTIONS, GtkWidget)

OsiBackupInfo *osi_backup_row_actions_get_item (OsiBackupRowActions *self);
void           osi_backup_row_actions_set_item (OsiBackupRowActions *self,
                                                OsiBackupInfo       *item);

G_END_DECLS
