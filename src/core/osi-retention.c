/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The retention planner: see osi-retention.h for the rules. */
#define G_LOG_DOMAIN "osi-core"

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "osi-error.h"
#include "osi-retention.h"

#define SECONDS_PER_DAY 86400

/* The sentence of osi_retention_policy_validate says "three". */
G_STATIC_ASSERT (OSI_MIN_KEPT_BACKUPS == 3);

/* A backup as the planner ranks it: 16 bytes, so that sorting moves
 * little, and what the walk reads of it without going back to the
 * caller's array. */
typedef struct
{
  /* The smaller, the higher in the ranking: the instant turned so that
   * newer is smaller (dated backups), or G_MAXUINT64 (no date). */
  guint64 key;
  guint   index : 30;  /* in the caller's array */
  guint   known : 1;
  guint   is_protected : 1;
} Ranked;

G_STATIC_ASSERT (sizeof (Ranked) == 16);

/* At most this many backups (the index's width). */
#define MAX_BACKUPS (1u << 30)

static const struct
{
  OsiRetentionReasons  reasons;
  const char          *word;
} reason_words[OSI_RETENTION_MAX_STRINGS] = {
  { OSI_RETENTION_LAST, "last" },
  { OSI_RETENTION_DAILY, "daily" },
  { OSI_RETENTION_WEEKLY, "weekly" },
  { OSI_RETENTION_MONTHLY, "monthly" },
  { OSI_RETENTION_PROTECTED | OSI_RETENTION_UNKNOWN_DATE, "protected" },
};

static inline gint64
floor_div (gint64 a,
           gint64 b)
{
  gint64 quotient = a / b;

  return (a % b != 0 && a < 0) ? quotient - 1 : quotient;
}

/* The key of an instant (microseconds since 1970-01-01 UTC): unsigned
 * order is the signed order once the sign bit is flipped, and reversed
 * by the complement, so that the newest comes first. A GDateTime (years
 * 1 to 9999) never makes G_MAXUINT64, the key of no date. */
static inline guint64
key_of_instant (gint64 usec)
{
  return ~((guint64) usec ^ G_GUINT64_CONSTANT (0x8000000000000000));
}

static inline gint64
instant_of_key (guint64 key)
{
  return (gint64) (~key ^ G_GUINT64_CONSTANT (0x8000000000000000));
}

/* Sorts by key, keeping the order of equal keys (a least significant
 * digit radix sort, a byte at a time; bytes that every key shares, such
 * as the top ones of dates a few decades apart, take no pass). */
static void
sort_by_key (Ranked *items,
             Ranked *scratch,
             guint   n)
{
  guint counts[8][256] = { { 0 } };
  Ranked *from = items;
  Ranked *to = scratch;

  for (guint i = 0; i < n; i++)
    for (guint digit = 0; digit < 8; digit++)
      counts[digit][(items[i].key >> (8 * digit)) & 0xff]++;

  for (guint digit = 0; digit < 8; digit++)
    {
      guint *count = counts[digit];
      guint position = 0;
      Ranked *swap;

      if (count[(from[0].key >> (8 * digit)) & 0xff] == n)
        continue;
      for (guint value = 0; value < 256; value++)
        {
          guint here = count[value];

          count[value] = position;
          position += here;
        }
      for (guint i = 0; i < n; i++)
        to[count[(from[i].key >> (8 * digit)) & 0xff]++] = from[i];
      swap = from;
      from = to;
      to = swap;
    }

  if (from != items)
    memcpy (items, from, n * sizeof *items);
}

/* Among equal keys: dated backups by the greater name first, backups
 * without a date by name; then by index, so that the order is total. */
static int
compare_equal_keys (gconstpointer a,
                    gconstpointer b,
                    gpointer      user_data)
{
  const OsiRetentionBackup *backups = user_data;
  const Ranked *x = a;
  const Ranked *y = b;
  const char *x_name = backups[x->index].name;
  const char *y_name = backups[y->index].name;
  int by_name = strcmp (x_name != NULL ? x_name : "", y_name != NULL ? y_name : "");

  if (by_name != 0)
    return x->known ? -by_name : by_name;

  return (x->index > y->index) - (x->index < y->index);
}

/* Ranks the backups: newest first, equal instants by name, the greater
 * first, then the backups without a date by name. */
static Ranked *
rank (const OsiRetentionBackup *backups,
      guint                     n_backups)
{
  Ranked *ranked = g_new (Ranked, n_backups);
  g_autofree Ranked *scratch = g_new (Ranked, n_backups);
  guint start = 0;

  for (guint i = 0; i < n_backups; i++)
    {
      GDateTime *date = backups[i].date;

      ranked[i].key = date != NULL
                      ? key_of_instant (g_date_time_to_unix (date) * G_USEC_PER_SEC
                                        + g_date_time_get_microsecond (date))
                      : G_MAXUINT64;
      ranked[i].index = i;
      ranked[i].known = date != NULL;
      ranked[i].is_protected = backups[i].is_protected != FALSE;
    }

  sort_by_key (ranked, scratch, n_backups);

  /* Runs of equal keys are rare (and short) but for the backups without
   * a date. */
  for (guint i = 1; i <= n_backups; i++)
    if (i == n_backups || ranked[i].key != ranked[start].key)
      {
        if (i - start > 1)
          g_qsort_with_data (ranked + start, (int) (i - start), sizeof *ranked,
                             compare_equal_keys, (gpointer) backups);
        start = i;
      }

  return ranked;
}

/* The local day (days since 1970-01-01) of an instant: the wall clock of
 * time_zone then, whatever daylight saving time does around it. */
static gint64
local_day (GTimeZone *time_zone,
           gint64     seconds)
{
  int interval = g_time_zone_find_interval (time_zone, G_TIME_TYPE_UNIVERSAL, seconds);

  return floor_div (seconds + g_time_zone_get_offset (time_zone, interval), SECONDS_PER_DAY);
}

/* The ISO 8601 week of a day: weeks run from Monday to Sunday, and
 * 1970-01-01 was a Thursday, so shifting by 3 days makes every Monday
 * start a multiple of 7. Two days share an ISO year-week exactly when
 * they share this number. */
static gint64
week_of_day (gint64 day)
{
  return floor_div (day + 3, 7);
}

/* year * 12 + month - 1 of a day counted from 1970-01-01 in the
 * proleptic Gregorian calendar. Years are taken to begin on 1 March, so
 * that a leap day ends its year, and counted in eras of 400 years
 * (146,097 days each), within which the calendar repeats. */
static gint64
month_of_day (gint64 day)
{
  /* 0000-03-01 is 719,468 days before 1970-01-01. */
  gint64 from_march_0 = day + 719468;
  gint64 era = floor_div (from_march_0, 146097);
  gint64 day_of_era = from_march_0 - era * 146097;
  /* Less the leap days before it: every 4 years, but not every 100,
   * but every 400 (the era's last day). */
  gint64 year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  gint64 day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  /* March to July and August to December both last 153 days. */
  gint64 month_from_march = (5 * day_of_year + 2) / 153;
  gint64 month = month_from_march < 10 ? month_from_march + 3 : month_from_march - 9;
  gint64 year = era * 400 + year_of_era + (month <= 2 ? 1 : 0);

  return year * 12 + month - 1;
}

gboolean
osi_retention_policy_validate (const OsiRetentionPolicy  *policy,
                               GError                   **error)
{
  static const char * const members[] = { "keep_daily", "keep_weekly", "keep_monthly" };
  int values[G_N_ELEMENTS (members)];

  g_return_val_if_fail (policy != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (policy->keep_last < OSI_MIN_KEPT_BACKUPS)
    {
      g_set_error (error, OSI_ERROR, OSI_ERROR_INVALID_DATA,
                   _("“keep_last” is %d: it must be 3 or more, to keep at least three recent backups."),
                   policy->keep_last);
      return FALSE;
    }

  values[0] = policy->keep_daily;
  values[1] = policy->keep_weekly;
  values[2] = policy->keep_monthly;
  for (guint i = 0; i < G_N_ELEMENTS (members); i++)
    if (values[i] < 0)
      {
        g_set_error (error, OSI_ERROR, OSI_ERROR_INVALID_DATA,
                     _("“%s” is %d: it must be 0 or more."), members[i], values[i]);
        return FALSE;
      }

  return TRUE;
}

guint
osi_retention_reasons_to_strings (OsiRetentionReasons   reasons,
                                  const char          **strings)
{
  guint n = 0;

  g_return_val_if_fail (strings != NULL, 0);

  for (guint i = 0; i < G_N_ELEMENTS (reason_words); i++)
    if ((reasons & reason_words[i].reasons) != 0)
      strings[n++] = reason_words[i].word;
  strings[n] = NULL;

  return n;
}

void
osi_retention_plan (const OsiRetentionBackup  *backups,
                    guint                      n_backups,
                    const OsiRetentionPolicy  *policy,
                    GTimeZone                 *time_zone,
                    OsiRetentionReasons       *reasons,
                    guint                     *order)
{
  g_autoptr(GTimeZone) local = NULL;
  g_autofree Ranked *ranked = NULL;
  gint64 keep_last;
  gint64 left_daily;
  gint64 left_weekly;
  gint64 left_monthly;
  gint64 last_day = G_MININT64;
  gint64 last_week = G_MININT64;
  gint64 last_month = G_MININT64;

  g_return_if_fail (reasons != NULL || n_backups == 0);

  if (n_backups == 0)
    return;
  if (G_UNLIKELY (backups == NULL || policy == NULL || n_backups > MAX_BACKUPS))
    {
      /* A caller's mistake: reasons left as they were could read as
       * "remove", so nothing is. */
      g_critical ("%s: %s", G_STRFUNC,
                  backups == NULL ? "no backups given" : policy == NULL ? "no policy given" : "too many backups");
      for (guint i = 0; i < n_backups; i++)
        reasons[i] = OSI_RETENTION_LAST;
      return;
    }

  if (time_zone == NULL)
    time_zone = local = g_time_zone_new_local ();

  ranked = rank (backups, n_backups);

  keep_last = MAX (policy->keep_last, OSI_MIN_KEPT_BACKUPS);
  left_daily = MAX (policy->keep_daily, 0);
  left_weekly = MAX (policy->keep_weekly, 0);
  left_monthly = MAX (policy->keep_monthly, 0);

  /* Dated backups rank first, so position i is also the rank among them. */
  for (guint i = 0; i < n_backups; i++)
    {
      const Ranked *r = &ranked[i];
      OsiRetentionReasons why = OSI_RETENTION_REMOVE;

      if (order != NULL)
        order[i] = r->index;
      if (r->is_protected)
        why |= OSI_RETENTION_PROTECTED;

      if (!r->known)
        {
          reasons[r->index] = why | OSI_RETENTION_UNKNOWN_DATE;
          continue;
        }

      if (i < keep_last)
        why |= OSI_RETENTION_LAST;

      /* Like restic, a bucket is compared with the last one kept only,
       * and only while its count lasts. */
      if (left_daily > 0 || left_weekly > 0 || left_monthly > 0)
        {
          gint64 day = local_day (time_zone, floor_div (instant_of_key (r->key), G_USEC_PER_SEC));
          gint64 week = week_of_day (day);

          if (left_daily > 0 && day != last_day)
            {
              why |= OSI_RETENTION_DAILY;
              last_day = day;
              left_daily--;
            }
          if (left_weekly > 0 && week != last_week)
            {
              why |= OSI_RETENTION_WEEKLY;
              last_week = week;
              left_weekly--;
            }
          if (left_monthly > 0)
            {
              gint64 month = month_of_day (day);

              if (month != last_month)
                {
                  why |= OSI_RETENTION_MONTHLY;
                  last_month = month;
                  left_monthly--;
                }
            }
        }

      reasons[r->index] = why;
    }
}

JsonNode *
osi_retention_plan_to_json (const OsiRetentionBackup  *backups,
                            guint                      n_backups,
                            const OsiRetentionReasons *reasons,
                            const guint               *order,
                            gboolean                   dry_run)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  g_return_val_if_fail (n_backups == 0 || (backups != NULL && reasons != NULL && order != NULL), NULL);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "dry_run");
  json_builder_add_boolean_value (builder, dry_run);

  for (guint pass = 0; pass < 2; pass++)
    {
      gboolean keep = pass == 0;

      json_builder_set_member_name (builder, keep ? "keep" : "remove");
      json_builder_begin_array (builder);
      for (guint i = 0; i < n_backups; i++)
        {
          guint k = order[i];
          const char *strings[OSI_RETENTION_MAX_STRINGS + 1];

          if ((reasons[k] != OSI_RETENTION_REMOVE) != keep)
            continue;
          json_builder_begin_object (builder);
          json_builder_set_member_name (builder, "name");
          json_builder_add_string_value (builder, backups[k].name != NULL ? backups[k].name : "");
          if (keep)
            {
              osi_retention_reasons_to_strings (reasons[k], strings);
              json_builder_set_member_name (builder, "reasons");
              json_builder_begin_array (builder);
              for (guint s = 0; strings[s] != NULL; s++)
                json_builder_add_string_value (builder, strings[s]);
              json_builder_end_array (builder);
            }
          json_builder_end_object (builder);
        }
      json_builder_end_array (builder);
    }

  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

JsonNode *
osi_retention_plan_infos (OsiBackupInfo * const    *infos,
                          guint                     n_infos,
                          const OsiRetentionPolicy *policy,
                          GTimeZone                *time_zone,
                          gboolean                  dry_run)
{
  g_autofree OsiRetentionBackup *items = g_new0 (OsiRetentionBackup, MAX (n_infos, 1));
  g_autofree OsiRetentionReasons *reasons = g_new0 (OsiRetentionReasons, MAX (n_infos, 1));
  g_autofree guint *order = g_new0 (guint, MAX (n_infos, 1));

  g_return_val_if_fail (n_infos == 0 || infos != NULL, NULL);
  g_return_val_if_fail (policy != NULL, NULL);

  for (guint i = 0; i < n_infos; i++)
    {
      OsiBackupInfo *info = infos[i];

      items[i].name = osi_backup_info_get_name (info);
      items[i].date = osi_backup_info_get_date_known (info) ? osi_backup_info_get_date (info) : NULL;
      /* A name that cannot be sent back cannot be deleted. */
      items[i].is_protected = osi_backup_info_get_protected (info) || !osi_backup_info_can_be_named (info);
    }
  osi_retention_plan (items, n_infos, policy, time_zone, reasons, order);
  return osi_retention_plan_to_json (items, n_infos, reasons, order, dry_run);
}

const char *
osi_retention_describe_reason (const char *reason)
{
  static const struct
  {
    const char *word;
    const char *shown;
  } names[] = {
    { "last", NC_("kept because", "among the newest") },
    { "daily", NC_("kept because", "newest of its day") },
    { "weekly", NC_("kept because", "newest of its week") },
    { "monthly", NC_("kept because", "newest of its month") },
    { "protected", NC_("kept because", "protected") },
  };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (g_strcmp0 (reason, names[i].word) == 0)
      return g_dpgettext2 (GETTEXT_PACKAGE, "kept because", names[i].shown);
  return NULL;
}

JsonArray *
osi_retention_plan_get_list (JsonObject *plan,
                             const char *member)
{
  JsonNode *node;

  g_return_val_if_fail (plan != NULL && member != NULL, NULL);

  node = json_object_get_member (plan, member);
  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

const char *
osi_retention_plan_get_name (JsonArray *list,
                             guint      i)
{
  JsonNode *node;

  g_return_val_if_fail (list != NULL, NULL);

  node = json_array_get_element (list, i);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;
  return json_object_get_string_member_with_default (json_node_get_object (node), "name", NULL);
}
