/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define OSI_TYPE_BACKUP_INFO (osi_backup_info_get_type ())

G_DECLARE_FINAL_TYPE (OsiBackupInfo, osi_backup_info, OSI, BACKUP_INFO, GObject)

/* size < 0 means unknown (old backends send only name and date);
 * sha256 is NULL when unknown. */
OsiBackupInfo *osi_backup_info_new               (const char     *name,
                                                  GDateTime      *date,
                                                  gint64          size,
                                                  const char     *sha256);
OsiBackupInfo *osi_backup_info_new_from_json     (JsonObject     *object,
                                                  GError        **error);
JsonNode      *osi_backup_info_to_json           (OsiBackupInfo  *self);
const char    *osi_backup_info_get_name          (OsiBackupInfo  *self);
GDateTime     *osi_backup_info_get_date          (OsiBackupInfo  *self);
gint64         osi_backup_info_get_size          (OsiBackupInfo  *self);
const char    *osi_backup_info_get_sha256        (OsiBackupInfo  *self);
/* "JJ/MM/AAAA HH:MM" in local time, computed once. */
const char    *osi_backup_info_get_display_date  (OsiBackupInfo  *self);
/* Case- and accent-folded name, computed once, for the search matcher. */
const char    *osi_backup_info_get_folded_name   (OsiBackupInfo  *self);

/* Parses {"backups":[...]} (DESIGN §2) into a GPtrArray of OsiBackupInfo. */
GPtrArray     *osi_backup_info_list_from_json    (JsonNode       *root,
                                                  GError        **error);

/* The same from the text of the answer, without building a JSON tree:
 * what the client uses for lists of any length. */
GPtrArray     *osi_backup_info_list_parse        (const char     *data,
                                                  gsize           length,
                                                  GError        **error);

gboolean       osi_backup_name_is_valid          (const char     *name);

G_END_DECLS
