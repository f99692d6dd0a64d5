/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "osi-backup-info.h"

G_BEGIN_DECLS

/* The backup date broken down in local time, extracted once per item so
 * that the search matcher compares integers instead of building a local
 * GDateTime on every keystroke. Six bytes: it is copied into the search
 * index for each of 100,000 backups. */
typedef struct
{
  gint16 year;    /* 1–9999 */
  guint8 month;   /* 1–12 */
  guint8 day;     /* 1–31 */
  guint8 hour;    /* 0–23 */
  guint8 minute;  /* 0–59 */
} OsiLocalDate;

const OsiLocalDate *_osi_backup_info_get_local_date (OsiBackupInfo *self);

/* What the two readers of a list share: osi-backup-info.c makes a backup
 * from the members of an entry, osi-backup-info-list.c reads lists (as a
 * json-glib tree or as a stream) into those members. */

/* One member of a backup entry as read, before it is checked. */
typedef enum
{
  FIELD_ABSENT,   /* or JSON null */
  FIELD_STRING,
  FIELD_INT,
  FIELD_BOOL,     /* integer 0 or 1 */
  FIELD_OTHER,
} FieldKind;

typedef struct
{
  FieldKind   kind;
  const char *string;
  gint64      integer;
} Field;

/* The optional members a server with a policy adds to an entry
 * (docs/api.md §6), read leniently: one it does not know, or of the wrong
 * type, is left out, never a reason to refuse the entry. */
typedef struct
{
  Field is_protected;
  Field note;
  Field kind;
  Field verified_at;   /* "verified": {"at", "verdict"} */
  Field verdict;
  /* docs/api.md §7.3: "offsite": {"state", "at", "detail"} in lists and
   * copies; "local" and "copied" in the copies of GET /offsite. */
  Field offsite_state;
  Field offsite_at;
  Field offsite_detail;
  Field local;
  Field copied;
} Extras;

/* An entry of a list, as well as it can be read (docs/api.md §5.3): one
 * bad entry never fails the list. */
OsiBackupInfo *_osi_backup_info_from_entry         (const Field  *name,
                                                    const Field  *date_text,
                                                    const Field  *size,
                                                    const Field  *sha256,
                                                    const Extras *extras,
                                                    GTimeZone    *naive_tz);
Field          _osi_backup_info_field_from_node    (JsonNode     *node);
/* Whether a and b say the same of the same backup (immutable both): a
 * list read again may then keep a. */
gboolean       _osi_backup_info_same               (OsiBackupInfo *a,
                                                    OsiBackupInfo *b);
Extras         _osi_backup_info_extras_from_object (JsonObject   *entry);

G_END_DECLS
