/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "osi-retention.h"
#include "osi-schedule.h"

G_BEGIN_DECLS

/* A server's backup policy (docs/api.md §6): when it backs up, what it
 * keeps, how often it checks that its backups restore. The server stores
 * it and applies it; the CLI and the app read and edit it. */

typedef enum
{
  OSI_VERIFY_OFF,
  OSI_VERIFY_DAILY,
  OSI_VERIFY_WEEKLY,
} OsiVerifyEvery;

typedef struct
{
  OsiSchedule         schedule;
  /* The schedule's and the retention's time zone, by identifier
   * ("Europe/Paris"). */
  char               *time_zone;
  OsiRetentionPolicy  retention;
  OsiVerifyEvery      verify;
  /* The off-site copies' retention (docs/api.md §7.2): keep_last,
   * keep_weekly and keep_monthly, 0–100000 each (keep_daily stays 0);
   * all 0, the default, never deletes a copy. */
  OsiRetentionPolicy  offsite;
} OsiPolicy;

/* Whether the off-site retention deletes anything at all. */
gboolean    osi_policy_offsite_retention_is_set (const OsiPolicy *policy);

/* §6's defaults: schedule off (at 02:30, Mondays, the 1st, when turned
 * on), keep_last 3 and nothing else, verify off, off-site retention all
 * 0; the time zone this machine's. */
void        osi_policy_init_default        (OsiPolicy        *policy);
void        osi_policy_clear               (OsiPolicy        *policy);
void        osi_policy_copy                (OsiPolicy        *dest,
                                            const OsiPolicy  *src);

/* Reads a policy object over the defaults: a member left out keeps its
 * default. FALSE with OSI_ERROR_INVALID_DATA and an English sentence
 * naming the member (what the server answers 400 with) when a member has
 * the wrong type or a value out of range: keep_last below 3, a count
 * below 0, an unknown "every", "at" not HH:MM, weekday outside 1–7, day
 * outside 1–28, an unknown time zone. */
gboolean    osi_policy_from_json           (OsiPolicy        *policy,
                                            JsonNode         *node,
                                            GError          **error);
JsonNode   *osi_policy_to_json             (const OsiPolicy  *policy);

/* The policy's time zone; the local one if its identifier is unknown. */
GTimeZone  *osi_policy_get_time_zone       (const OsiPolicy  *policy);

/* "off", "daily", "weekly" and back. */
const char *osi_verify_every_to_string     (OsiVerifyEvery    every);
gboolean    osi_verify_every_from_string   (const char       *text,
                                            OsiVerifyEvery   *every);
/* How long a verification stays fresh: a day or a week; 0 when off. */
GTimeSpan   osi_verify_every_get_period    (OsiVerifyEvery    every);

/* For showing the server's answer (docs/api.md §6.3), in this desktop's
 * words: an ISO 8601 member of object as "JJ/MM/AAAA HH:MM" (local time),
 * or "none" when absent or null; a run's kind ("backup", "verify",
 * "prune"); a weekday, 1 (Monday) to 7. */
char       *osi_policy_format_instant      (JsonObject       *object,
                                            const char       *member);
const char *osi_policy_describe_run_kind   (const char       *kind);
const char *osi_policy_describe_weekday    (guint             weekday);

G_END_DECLS
