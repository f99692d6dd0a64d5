/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "osi-backup-info.h"

G_BEGIN_DECLS

/* What a server with a policy says of a backup (docs/api.md §6), in
 * words: the list's badges, its rows' accessible names and the search
 * share them, so that what is shown is what can be searched for. */

/* "Scheduled", "Safety", "Uploaded", "Manual" (translated), or NULL when
 * the server did not say. */
const char *osi_backup_kind_text           (const char    *kind);
/* "Verified on DD/MM/YYYY" (or "Verified" without a date), "Verification
 * failed", "Integrity not proven"; NULL when never verified. */
char       *osi_backup_dup_verification_text (OsiBackupInfo *info);
/* The same without the date: the word the search matches. */
const char *osi_backup_verdict_word        (const char    *verdict);
/* "Protected", translated. */
const char *osi_backup_protected_text      (void);
/* The off-site copy's state (docs/api.md §7.3) in words: "Off-site copy
 * waiting", "Off-site copy under way: 45 %" (copied and size: the
 * bytes the storage holds, from GET /offsite, and the backup's size; the
 * percentage only when both are known), "Copied off-site on DD/MM/YYYY
 * at HH:MM", "Off-site copy failed: DETAIL"; NULL when the server says
 * nothing of a copy. */
char       *osi_backup_dup_offsite_text    (OsiBackupInfo *info,
                                            gint64         copied,
                                            gint64         size);
/* The icon of the same state, NULL when there is none. */
const char *osi_backup_offsite_icon        (OsiBackupInfo *info);
/* Folded (osi_search_fold) words the search matches besides the name and
 * the date: the kind, the verdict, "protected" and the note, separated by
 * spaces; NULL when the server said none of them. */
char       *osi_backup_dup_search_tags     (OsiBackupInfo *info);

G_END_DECLS
