/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "osi-search.h"

G_BEGIN_DECLS

#define OSI_TYPE_BACKUP_FILTER_MODEL (osi_backup_filter_model_get_type ())

G_DECLARE_FINAL_TYPE (OsiBackupFilterModel, osi_backup_filter_model, OSI, BACKUP_FILTER_MODEL, GObject)

/* The backups of source (a GListModel of OsiBackupInfo) that a search
 * query matches, in source's order. */
OsiBackupFilterModel *osi_backup_filter_model_new       (GListModel           *source);
GListModel           *osi_backup_filter_model_get_model (OsiBackupFilterModel *self);
/* Takes query (NULL: every backup). */
void                  osi_backup_filter_model_set_query (OsiBackupFilterModel *self,
                                                         OsiSearchQuery       *query);
/* The query of text, whose terms also match the words of the backups'
 * badges (kind, verification, protection, note: osi-backup-badges.h). */
void                  osi_backup_filter_model_set_search (OsiBackupFilterModel *self,
                                                          const char           *text);
/* NULL when every backup is shown. */
const OsiSearchQuery *osi_backup_filter_model_get_query (OsiBackupFilterModel *self);

G_END_DECLS
