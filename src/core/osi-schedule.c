/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "osi-names.h"
#include "osi-schedule.h"

static const char * const every_names[] = {
  [OSI_SCHEDULE_OFF] = "off",
  [OSI_SCHEDULE_DAILY] = "daily",
  [OSI_SCHEDULE_WEEKLY] = "weekly",
  [OSI_SCHEDULE_MONTHLY] = "monthly",
};

const char *
osi_schedule_every_to_string (OsiScheduleEvery every)
{
  g_return_val_if_fail (every <= OSI_SCHEDULE_MONTHLY, NULL);

  return every_names[every];
}

gboolean
osi_schedule_every_from_string (const char       *text,
                                OsiScheduleEvery *every)
{
  int value;

  g_return_val_if_fail (every != NULL, FALSE);

  if (!osi_name_lookup (every_names, G_N_ELEMENTS (every_names), text, &value))
    return FALSE;
  *every = value;
  return TRUE;
}

gboolean
osi_schedule_parse_time (const char *text,
                         guint8     *hour,
                         guint8     *minute)
{
  guint h, m;

  g_return_val_if_fail (hour != NULL && minute != NULL, FALSE);

  if (text == NULL || strlen (text) != 5 || text[2] != ':'
      || !g_ascii_isdigit (text[0]) || !g_ascii_isdigit (text[1])
      || !g_ascii_isdigit (text[3]) || !g_ascii_isdigit (text[4]))
    return FALSE;

  h = (text[0] - '0') * 10 + (text[1] - '0');
  m = (text[3] - '0') * 10 + (text[4] - '0');
  if (h > 23 || m > 59)
    return FALSE;

  *hour = h;
  *minute = m;
  return TRUE;
}

static gboolean
falls_on (const OsiSchedule *schedule,
          const GDate       *date)
{
  switch (schedule->every)
    {
    case OSI_SCHEDULE_DAILY:
      return TRUE;
    case OSI_SCHEDULE_WEEKLY:
      /* GDateWeekday counts Monday as 1 and Sunday as 7, like ISO 8601. */
      return g_date_get_weekday (date) == schedule->weekday;
    case OSI_SCHEDULE_MONTHLY:
      return g_date_get_day (date) == schedule->day;
    case OSI_SCHEDULE_OFF:
    default:
      return FALSE;
    }
}

GDateTime *
osi_schedule_next (const OsiSchedule *schedule,
                   GTimeZone         *tz,
                   GDateTime         *after)
{
  g_autoptr(GDateTime) local = NULL;
  GDate date;

  g_return_val_if_fail (schedule != NULL, NULL);
  g_return_val_if_fail (tz != NULL, NULL);
  g_return_val_if_fail (after != NULL, NULL);

  if (schedule->every == OSI_SCHEDULE_OFF
      || schedule->hour > 23 || schedule->minute > 59
      || (schedule->every == OSI_SCHEDULE_WEEKLY
          && (schedule->weekday < 1 || schedule->weekday > 7))
      || (schedule->every == OSI_SCHEDULE_MONTHLY
          && (schedule->day < 1 || schedule->day > 28)))
    return NULL;

  local = g_date_time_to_timezone (after, tz);
  g_date_clear (&date, 1);
  g_date_set_dmy (&date,
                  g_date_time_get_day_of_month (local),
                  g_date_time_get_month (local),
                  g_date_time_get_year (local));

  /* Walking days rather than adding durations keeps the wall-clock time
   * across changes of offset. A month holds every day from 1 to 28, so
   * two months of days always meet the schedule after `after`. */
  for (guint i = 0; i < 62; i++, g_date_add_days (&date, 1))
    {
      g_autoptr(GDateTime) candidate = NULL;

      if (!falls_on (schedule, &date))
        continue;

      candidate = g_date_time_new (tz,
                                   g_date_get_year (&date),
                                   g_date_get_month (&date),
                                   g_date_get_day (&date),
                                   schedule->hour, schedule->minute, 0);
      if (candidate != NULL && g_date_time_compare (candidate, after) > 0)
        return g_steal_pointer (&candidate);
    }

  g_return_val_if_reached (NULL);
}
