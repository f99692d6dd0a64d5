/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* The good practice the tools remind of: keep at least this many recent
 * backups (the list, the delete confirmation, and the retention policy
 * that will never prune below it). */
#define OSI_MIN_KEPT_BACKUPS 3

#define OSI_TYPE_BACKUP_INFO (osi_backup_info_get_type ())

G_DECLARE_FINAL_TYPE (OsiBackupInfo, osi_backup_info, OSI, BACKUP_INFO, GObject)

/* size < 0 means unknown (old backends send only name and date);
 * sha256 is NULL when unknown.
 *
 * Dates without an offset (the deployed OSI backend sends Python's naive
 * isoformat ()) are read in naive_tz, the server's time zone; NULL means
 * this desktop's. */
OsiBackupInfo *osi_backup_info_new               (const char     *name,
                                                  GDateTime      *date,
                                                  gint64          size,
                                                  const char     *sha256);
/* A backup the server says it made: every member must be right. */
OsiBackupInfo *osi_backup_info_new_from_json     (JsonObject     *object,
                                                  GTimeZone      *naive_tz,
                                                  GError        **error);
JsonNode      *osi_backup_info_to_json           (OsiBackupInfo  *self);
const char    *osi_backup_info_get_name          (OsiBackupInfo  *self);
GDateTime     *osi_backup_info_get_date          (OsiBackupInfo  *self);
gint64         osi_backup_info_get_size          (OsiBackupInfo  *self);
const char    *osi_backup_info_get_sha256        (OsiBackupInfo  *self);
/* FALSE when the server sent no valid date: get_date is then meaningless
 * and the display date says "Unknown date". */
gboolean       osi_backup_info_get_date_known    (OsiBackupInfo  *self);
/* What a server with a policy says of the backup (docs/api.md §6),
 * members it may leave out: protected (FALSE when not said), its note
 * (NULL: none), how it came to be ("manual", "scheduled", "safety",
 * "upload"; NULL when not said), and its latest verification: the verdict
 * ("restorable", "not-restorable", "unproven"; NULL: never verified, or
 * not said) and when (NULL when not said). */
gboolean       osi_backup_info_get_protected     (OsiBackupInfo  *self);
const char    *osi_backup_info_get_note          (OsiBackupInfo  *self);
const char    *osi_backup_info_get_kind          (OsiBackupInfo  *self);
const char    *osi_backup_info_get_verdict       (OsiBackupInfo  *self);
GDateTime     *osi_backup_info_get_verified_at   (OsiBackupInfo  *self);
/* Off-site copies (docs/api.md §7.3): the state of the backup's copy
 * ("pending", "copying", "done", "failed"; NULL when the entry has no
 * "offsite", or one in a state this client does not know), when it
 * reached it (NULL when not said), and why it waits or failed (NULL when
 * empty). In the copies of GET /offsite: whether the backup is still in
 * the server's folder ("local"; TRUE for list entries) and the bytes the
 * storage holds so far ("copied"; -1 when not said). */
const char    *osi_backup_info_get_offsite_state  (OsiBackupInfo *self);
GDateTime     *osi_backup_info_get_offsite_at     (OsiBackupInfo *self);
const char    *osi_backup_info_get_offsite_detail (OsiBackupInfo *self);
gboolean       osi_backup_info_get_local          (OsiBackupInfo *self);
gint64         osi_backup_info_get_offsite_copied (OsiBackupInfo *self);
/* A translated sentence saying what the server sent wrong in this list
 * entry, or NULL. */
const char    *osi_backup_info_get_problem       (OsiBackupInfo  *self);
/* Whether the name may be sent back to the server (download, restore,
 * delete): a list entry may carry a name outside the grammar. */
gboolean       osi_backup_info_can_be_named      (OsiBackupInfo  *self);
/* "JJ/MM/AAAA HH:MM" in local time, computed once. */
const char    *osi_backup_info_get_display_date  (OsiBackupInfo  *self);
/* The name as it may be shown: the name itself when it follows the
 * grammar; otherwise with its controls and bidirectional overrides as
 * U+FFFD, or "Unnamed backup". Computed once. */
const char    *osi_backup_info_get_display_name  (OsiBackupInfo  *self);
/* Case- and accent-folded name, computed once, for the search matcher. */
const char    *osi_backup_info_get_folded_name   (OsiBackupInfo  *self);

/* Parses {"backups":[...]} (docs/api.md §3.2) into a GPtrArray of OsiBackupInfo.
 * Only a list that is not one fails: each entry is read as well as it can
 * be, what is wrong in it said by its problem (docs/api.md §5.3). */
GPtrArray     *osi_backup_info_list_from_json    (JsonNode       *root,
                                                  GTimeZone      *naive_tz,
                                                  GError        **error);

/* The same from the text of the answer, without building a JSON tree:
 * what the client uses for lists of any length. */
GPtrArray     *osi_backup_info_list_parse        (const char     *data,
                                                  gsize           length,
                                                  GTimeZone      *naive_tz,
                                                  GError        **error);

/* The same, giving back the very objects of previous (a list read
 * before, with the same naive_tz) for the entries that did not change:
 * a refresh of 100,000 backups of which one changed makes one new object,
 * and never holds two lists' worth of them. previous may be NULL. */
GPtrArray     *osi_backup_info_list_parse_again  (const char     *data,
                                                  gsize           length,
                                                  GTimeZone      *naive_tz,
                                                  GPtrArray      *previous,
                                                  GError        **error);

/* The copies of GET /api/rag/backup/offsite (docs/api.md §7.3),
 * {"copies": [...]}, read entry by entry as a list is, newest first as
 * the server sends them. */
GPtrArray     *osi_backup_info_offsite_parse     (const char     *data,
                                                  gsize           length,
                                                  GTimeZone      *naive_tz,
                                                  GError        **error);

gboolean       osi_backup_name_is_valid          (const char     *name);

/* A server's time zone by its identifier ("Europe/Paris", "UTC",
 * "+01:00"); an error that says how to write one otherwise. */
GTimeZone     *osi_time_zone_new                 (const char     *identifier,
                                                  GError        **error);

G_END_DECLS
