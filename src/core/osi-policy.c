/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "osi-backup-info.h"
#include "osi-error.h"
#include "osi-names.h"
#include "osi-policy.h"
#include "osi-search.h"

static const char * const verify_names[] = {
  [OSI_VERIFY_OFF] = "off",
  [OSI_VERIFY_DAILY] = "daily",
  [OSI_VERIFY_WEEKLY] = "weekly",
};

const char *
osi_verify_every_to_string (OsiVerifyEvery every)
{
  g_return_val_if_fail (every <= OSI_VERIFY_WEEKLY, NULL);

  return verify_names[every];
}

gboolean
osi_verify_every_from_string (const char     *text,
                              OsiVerifyEvery *every)
{
  int value;

  g_return_val_if_fail (every != NULL, FALSE);

  if (!osi_name_lookup (verify_names, G_N_ELEMENTS (verify_names), text, &value))
    return FALSE;
  *every = value;
  return TRUE;
}

GTimeSpan
osi_verify_every_get_period (OsiVerifyEvery every)
{
  switch (every)
    {
    case OSI_VERIFY_DAILY:
      return G_TIME_SPAN_DAY;
    case OSI_VERIFY_WEEKLY:
      return 7 * G_TIME_SPAN_DAY;
    case OSI_VERIFY_OFF:
    default:
      return 0;
    }
}

void
osi_policy_init_default (OsiPolicy *policy)
{
  g_autoptr(GTimeZone) local = g_time_zone_new_local ();
  const OsiRetentionPolicy retention = OSI_RETENTION_POLICY_DEFAULT;

  g_return_if_fail (policy != NULL);

  memset (policy, 0, sizeof *policy);
  policy->schedule.every = OSI_SCHEDULE_OFF;
  policy->schedule.hour = 2;
  policy->schedule.minute = 30;
  policy->schedule.weekday = 1;
  policy->schedule.day = 1;
  policy->time_zone = g_strdup (g_time_zone_get_identifier (local));
  policy->retention = retention;
  policy->verify = OSI_VERIFY_OFF;
  /* memset left the off-site retention all 0: copies are never deleted. */
}

gboolean
osi_policy_offsite_retention_is_set (const OsiPolicy *policy)
{
  g_return_val_if_fail (policy != NULL, FALSE);

  return policy->offsite.keep_last > 0 || policy->offsite.keep_weekly > 0 || policy->offsite.keep_monthly > 0;
}

void
osi_policy_clear (OsiPolicy *policy)
{
  g_return_if_fail (policy != NULL);

  g_clear_pointer (&policy->time_zone, g_free);
}

void
osi_policy_copy (OsiPolicy       *dest,
                 const OsiPolicy *src)
{
  g_return_if_fail (dest != NULL && src != NULL);

  *dest = *src;
  dest->time_zone = g_strdup (src->time_zone);
}

GTimeZone *
osi_policy_get_time_zone (const OsiPolicy *policy)
{
  GTimeZone *tz = NULL;

  g_return_val_if_fail (policy != NULL, NULL);

  if (policy->time_zone != NULL)
    tz = g_time_zone_new_identifier (policy->time_zone);
  return tz != NULL ? tz : g_time_zone_new_local ();
}

/* Each member's reader says what is wrong with its member, by its path in
 * the policy ("schedule.at"), so that the 400 points at it. */

static gboolean
fail (GError     **error,
      const char  *path,
      const char  *expected)
{
  g_set_error (error, OSI_ERROR, OSI_ERROR_INVALID_DATA,
               /* Translators: the first %s is a member of the policy, like
                * “retention.keep_last”; the second says what it must be. */
               _("The policy’s “%s” must be %s."), path, expected);
  return FALSE;
}

static JsonObject *
read_object (JsonObject  *parent,
             const char  *member,
             const char  *path,
             gboolean    *present,
             GError     **error)
{
  JsonNode *node = json_object_get_member (parent, member);

  *present = node != NULL;
  if (node == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      fail (error, path, _("an object"));
      return NULL;
    }
  return json_node_get_object (node);
}

static gboolean
read_string (JsonObject  *object,
             const char  *member,
             const char  *path,
             const char **value,
             GError     **error)
{
  JsonNode *node = json_object_get_member (object, member);

  *value = NULL;
  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return fail (error, path, _("a string"));
  *value = json_node_get_string (node);
  return TRUE;
}

static gboolean
read_count (JsonObject  *object,
            const char  *member,
            const char  *path,
            int          min,
            int          max,
            int         *value,
            GError     **error)
{
  JsonNode *node = json_object_get_member (object, member);
  g_autofree char *range = NULL;

  if (node == NULL)
    return TRUE;

  range = g_strdup_printf (_("a whole number from %d to %d"), min, max);
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64
      || json_node_get_int (node) < min || json_node_get_int (node) > max)
    return fail (error, path, range);
  *value = (int) json_node_get_int (node);
  return TRUE;
}

/* Large enough for years of daily backups, small enough to stay an int. */
#define MAX_COUNT 100000

static gboolean
read_schedule (OsiPolicy   *policy,
               JsonObject  *object,
               GError     **error)
{
  const char *every = NULL, *at = NULL, *time_zone = NULL;
  int weekday = policy->schedule.weekday, day = policy->schedule.day;

  if (!read_string (object, "every", "schedule.every", &every, error))
    return FALSE;
  if (every != NULL && !osi_schedule_every_from_string (every, &policy->schedule.every))
    return fail (error, "schedule.every", _("“off”, “daily”, “weekly” or “monthly”"));

  if (!read_string (object, "at", "schedule.at", &at, error))
    return FALSE;
  if (at != NULL && !osi_schedule_parse_time (at, &policy->schedule.hour, &policy->schedule.minute))
    return fail (error, "schedule.at", _("a time written HH:MM, from 00:00 to 23:59"));

  if (!read_count (object, "weekday", "schedule.weekday", 1, 7, &weekday, error)
      || !read_count (object, "day", "schedule.day", 1, 28, &day, error))
    return FALSE;
  policy->schedule.weekday = weekday;
  policy->schedule.day = day;

  if (!read_string (object, "time_zone", "schedule.time_zone", &time_zone, error))
    return FALSE;
  if (time_zone != NULL)
    {
      g_autoptr(GTimeZone) tz = osi_time_zone_new (time_zone, error);

      if (tz == NULL)
        return FALSE;
      g_free (policy->time_zone);
      policy->time_zone = g_strdup (g_time_zone_get_identifier (tz));
    }
  return TRUE;
}

static gboolean
read_retention (OsiPolicy   *policy,
                JsonObject  *object,
                GError     **error)
{
  return read_count (object, "keep_last", "retention.keep_last",
                     OSI_MIN_KEPT_BACKUPS, MAX_COUNT, &policy->retention.keep_last, error)
         && read_count (object, "keep_daily", "retention.keep_daily",
                        0, MAX_COUNT, &policy->retention.keep_daily, error)
         && read_count (object, "keep_weekly", "retention.keep_weekly",
                        0, MAX_COUNT, &policy->retention.keep_weekly, error)
         && read_count (object, "keep_monthly", "retention.keep_monthly",
                        0, MAX_COUNT, &policy->retention.keep_monthly, error)
         && osi_retention_policy_validate (&policy->retention, error);
}

/* keep_daily has no place here: off-site copies are counted by the
 * newest, the weeks and the months (docs/api.md §7.2). */
static gboolean
read_offsite (OsiPolicy   *policy,
              JsonObject  *object,
              GError     **error)
{
  return read_count (object, "keep_last", "offsite.keep_last",
                     0, MAX_COUNT, &policy->offsite.keep_last, error)
         && read_count (object, "keep_weekly", "offsite.keep_weekly",
                        0, MAX_COUNT, &policy->offsite.keep_weekly, error)
         && read_count (object, "keep_monthly", "offsite.keep_monthly",
                        0, MAX_COUNT, &policy->offsite.keep_monthly, error);
}

gboolean
osi_policy_from_json (OsiPolicy  *policy,
                      JsonNode   *node,
                      GError    **error)
{
  OsiPolicy read;
  JsonObject *root, *object;
  gboolean present;
  const char *verify = NULL;

  g_return_val_if_fail (policy != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error_literal (error, OSI_ERROR, OSI_ERROR_INVALID_DATA,
                           _("The policy must be a JSON object with “schedule”, “retention” and “verify”."));
      return FALSE;
    }
  root = json_node_get_object (node);

  /* Read into a copy, so that a policy refused half-way changes nothing. */
  osi_policy_copy (&read, policy);

  object = read_object (root, "schedule", "schedule", &present, error);
  if ((present && object == NULL) || (object != NULL && !read_schedule (&read, object, error)))
    goto refused;

  object = read_object (root, "retention", "retention", &present, error);
  if ((present && object == NULL) || (object != NULL && !read_retention (&read, object, error)))
    goto refused;

  object = read_object (root, "verify", "verify", &present, error);
  if (present && object == NULL)
    goto refused;
  if (object != NULL)
    {
      if (!read_string (object, "every", "verify.every", &verify, error))
        goto refused;
      if (verify != NULL && !osi_verify_every_from_string (verify, &read.verify))
        {
          fail (error, "verify.every", _("“off”, “daily” or “weekly”"));
          goto refused;
        }
    }

  object = read_object (root, "offsite", "offsite", &present, error);
  if ((present && object == NULL) || (object != NULL && !read_offsite (&read, object, error)))
    goto refused;

  osi_policy_clear (policy);
  *policy = read;
  return TRUE;

refused:
  osi_policy_clear (&read);
  return FALSE;
}

static void
add_int_member (JsonBuilder *builder,
                const char  *member,
                gint64       value)
{
  json_builder_set_member_name (builder, member);
  json_builder_add_int_value (builder, value);
}

/* The local retention and the off-site one are the same counts, but for
 * keep_daily, which has no place off site (docs/api.md §6, §7.2). */
static void
add_retention (JsonBuilder              *builder,
               const char               *member,
               const OsiRetentionPolicy *retention,
               gboolean                  with_daily)
{
  json_builder_set_member_name (builder, member);
  json_builder_begin_object (builder);
  add_int_member (builder, "keep_last", retention->keep_last);
  if (with_daily)
    add_int_member (builder, "keep_daily", retention->keep_daily);
  add_int_member (builder, "keep_weekly", retention->keep_weekly);
  add_int_member (builder, "keep_monthly", retention->keep_monthly);
  json_builder_end_object (builder);
}

JsonNode *
osi_policy_to_json (const OsiPolicy *policy)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autofree char *at = NULL;

  g_return_val_if_fail (policy != NULL, NULL);

  at = g_strdup_printf ("%02u:%02u", policy->schedule.hour, policy->schedule.minute);

  json_builder_begin_object (builder);

  json_builder_set_member_name (builder, "schedule");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "every");
  json_builder_add_string_value (builder, osi_schedule_every_to_string (policy->schedule.every));
  json_builder_set_member_name (builder, "at");
  json_builder_add_string_value (builder, at);
  add_int_member (builder, "weekday", policy->schedule.weekday);
  add_int_member (builder, "day", policy->schedule.day);
  json_builder_set_member_name (builder, "time_zone");
  json_builder_add_string_value (builder, policy->time_zone);
  json_builder_end_object (builder);

  add_retention (builder, "retention", &policy->retention, TRUE);

  json_builder_set_member_name (builder, "verify");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "every");
  json_builder_add_string_value (builder, osi_verify_every_to_string (policy->verify));
  json_builder_end_object (builder);

  add_retention (builder, "offsite", &policy->offsite, FALSE);

  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

char *
osi_policy_format_instant (JsonObject *object,
                           const char *member)
{
  JsonNode *node;
  g_autoptr(GDateTime) date = NULL;

  g_return_val_if_fail (object != NULL && member != NULL, NULL);

  node = json_object_get_member (object, member);
  if (node != NULL && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    date = g_date_time_new_from_iso8601 (json_node_get_string (node), NULL);
  return date != NULL ? osi_format_date (date) : g_strdup (C_("next run", "none"));
}

const char *
osi_policy_describe_run_kind (const char *kind)
{
  if (g_strcmp0 (kind, "backup") == 0)
    return C_("run", "backup");
  if (g_strcmp0 (kind, "verify") == 0)
    return C_("run", "verification");
  if (g_strcmp0 (kind, "prune") == 0)
    return C_("run", "prune");
  return "?";
}

const char *
osi_policy_describe_weekday (guint weekday)
{
  static const char * const names[] = {
    N_("Monday"), N_("Tuesday"), N_("Wednesday"), N_("Thursday"),
    N_("Friday"), N_("Saturday"), N_("Sunday"),
  };

  return weekday >= 1 && weekday <= 7 ? _(names[weekday - 1]) : "?";
}
