/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "osi-backup-info.h"

G_BEGIN_DECLS

/* The retention planner of docs/api.md §6.5, shared by the server (the prune
 * endpoint, and right after a scheduled backup) and the CLI (a prune
 * computed client-side against a server without "policy"). It is a pure
 * function of the list, the policy and a time zone: it reads no clock,
 * deletes nothing, and gives the same plan for the same input.
 *
 * Order. Backups are ranked newest first by date (to the microsecond).
 * Equal dates are ranked by name in byte order (strcmp), the greater name
 * first, as if it were the newer: names that carry a counter or a time
 * ("…-2" after "…-1") then rank the way they read. Equal dates and names
 * (a list should not hold them) keep their order in the input.
 *
 * Rules, restic's `forget` (internal/restic/snapshot_policy.go), walking
 * the ranked backups once from the newest:
 *  - "last": the keep_last newest backups.
 *  - "daily": a backup whose local day differs from that of the last
 *    backup kept as daily is kept, until keep_daily were kept. As the walk
 *    goes from the newest, that is the newest backup of each of the
 *    keep_daily latest days that have a backup (days without one do not
 *    count).
 *  - "weekly": the same by ISO 8601 week (Monday to Sunday: 2026-12-31
 *    and 2027-01-01 are both in 2026-W53).
 *  - "monthly": the same by calendar month.
 *  Days, weeks and months are those of the wall clock in the given time
 *  zone at the instant of the backup, so a backup at 00:30 after a change
 *  of daylight saving time belongs to that local day, and both 02:30 of a
 *  night when clocks go back belong to the same day. In a zone whose
 *  clocks go back across midnight, the local day is not monotonic in
 *  time, and a day split by the repeated hour can be counted twice, as
 *  restic counts it: that keeps more, never less.
 *  Since restic 0.17, `forget` also keeps the oldest snapshot when a
 *  count is left over; §6 says "the newest backup of each of the last N
 *  days", and so does this planner: it does not.
 *
 * Protection. A protected backup is always kept, with "protected" among
 * its reasons; otherwise it takes part in the walk like any other backup
 * (§6 "counts every kind of backup"): it takes its place among the
 * keep_last newest and its day, week and month when it is the newest of
 * them, and keeps those reasons too. Protecting or unprotecting a backup
 * therefore never changes what happens to any other backup: it only
 * turns that backup's "remove" into "keep".
 *
 * Unknown dates. A backup without a known date (date NULL) cannot be
 * ranked: it is never removed, takes no part in the walk (it is not one of
 * the keep_last newest, and fills no day, week or month), and is kept
 * with OSI_RETENTION_UNKNOWN_DATE, which §6's strings write "protected"
 * (osi_retention_reasons_to_strings). The ranking puts such backups after
 * the dated ones, by name in byte order.
 *
 * The floor. The planner never keeps fewer than the OSI_MIN_KEPT_BACKUPS
 * (3) newest dated backups: a policy whose keep_last is below that is
 * invalid (osi_retention_policy_validate), and the planner, handed one
 * anyway, keeps the 3 newest as "last". A list of 3 backups or fewer is
 * kept whole.
 *
 * Cost: one sort (a radix sort on the instants, so O(n) but for the
 * names of equal instants) and one walk, two arrays of 16 bytes a backup
 * and no allocation per backup; days are counted in integers from the
 * instant and the time zone's offset then (no GDateTime made per backup).
 */

typedef struct
{
  int keep_last;
  int keep_daily;
  int keep_weekly;
  int keep_monthly;
} OsiRetentionPolicy;

/* §6's defaults: keep_last 3, the rest 0. */
#define OSI_RETENTION_POLICY_DEFAULT { OSI_MIN_KEPT_BACKUPS, 0, 0, 0 }

/* FALSE with OSI_ERROR_INVALID_DATA and a sentence that names the member
 * when keep_last is below OSI_MIN_KEPT_BACKUPS or another count is
 * negative. */
gboolean osi_retention_policy_validate    (const OsiRetentionPolicy  *policy,
                                           GError                   **error);

/* Why a backup is kept; none (OSI_RETENTION_REMOVE) means it goes. */
typedef enum
{
  OSI_RETENTION_REMOVE       = 0,
  OSI_RETENTION_LAST         = 1 << 0,
  OSI_RETENTION_DAILY        = 1 << 1,
  OSI_RETENTION_WEEKLY       = 1 << 2,
  OSI_RETENTION_MONTHLY      = 1 << 3,
  OSI_RETENTION_PROTECTED    = 1 << 4,
  /* Internal: written "protected" in §6's strings. */
  OSI_RETENTION_UNKNOWN_DATE = 1 << 5,
} OsiRetentionReasons;

/* The most strings osi_retention_reasons_to_strings gives. */
#define OSI_RETENTION_MAX_STRINGS 5

/* Writes the §6 strings of reasons ("last", "daily", "weekly", "monthly",
 * "protected", in that order, each at most once) into strings, followed
 * by NULL: strings has room for OSI_RETENTION_MAX_STRINGS + 1. Returns
 * how many; 0 for OSI_RETENTION_REMOVE. The strings are static and part
 * of the HTTP contract: they are not translated. */
guint    osi_retention_reasons_to_strings (OsiRetentionReasons        reasons,
                                           const char               **strings);

typedef struct
{
  /* Only for the order of equal dates; NULL ranks as "". */
  const char *name;
  /* NULL when the date is unknown. */
  GDateTime  *date;
  gboolean    is_protected;
} OsiRetentionBackup;

/* Plans the retention of backups[0 .. n_backups - 1]: reasons[i] says why
 * backups[i] is kept, or OSI_RETENTION_REMOVE. When order is not NULL, it
 * receives the n_backups indices in ranking order (newest first, unknown
 * dates last). time_zone is the one days, weeks and months are counted
 * in (the policy's schedule time zone); NULL means this machine's. An
 * invalid policy is planned with keep_last raised to the floor and
 * negative counts read as 0. Without backups or a policy, or with more
 * than 2^30 backups (a caller's mistake), a critical warning, and every
 * backup is kept. Nothing is kept of the arguments. */
void     osi_retention_plan               (const OsiRetentionBackup  *backups,
                                           guint                      n_backups,
                                           const OsiRetentionPolicy  *policy,
                                           GTimeZone                 *time_zone,
                                           OsiRetentionReasons       *reasons,
                                           guint                     *order);

/* The plan as docs/api.md §6 writes the answer of a prune:
 * {"dry_run", "keep": [{"name", "reasons": [...]}], "remove": [{"name"}]},
 * both lists in the order osi_retention_plan () gave. */
JsonNode *osi_retention_plan_to_json      (const OsiRetentionBackup  *backups,
                                           guint                      n_backups,
                                           const OsiRetentionReasons *reasons,
                                           const guint               *order,
                                           gboolean                   dry_run);

/* The plan over the backups a client listed, the way a client without
 * the server's prune makes it (the CLI, the app): a protected backup, and
 * one whose name cannot be sent back to the server, are never removed. */
JsonNode *osi_retention_plan_infos        (OsiBackupInfo * const     *infos,
                                           guint                      n_infos,
                                           const OsiRetentionPolicy  *policy,
                                           GTimeZone                 *time_zone,
                                           gboolean                   dry_run);

/* Reading a plan: a reason word ("last", …, "protected") in this
 * desktop's words (NULL for an unknown one); the plan's "keep" or
 * "remove" list (NULL when absent); the name of the list's element i
 * (NULL when it has none). */
const char *osi_retention_describe_reason (const char                *reason);
JsonArray  *osi_retention_plan_get_list   (JsonObject                *plan,
                                           const char                *member);
const char *osi_retention_plan_get_name   (JsonArray                 *list,
                                           guint                      i);

G_END_DECLS
