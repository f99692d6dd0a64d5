/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "osi-schedule.h"

/* Each case: a schedule, an instant (UTC, ISO 8601), and the next run it
 * must give (UTC), or NULL. */
typedef struct
{
  const char      *what;
  OsiScheduleEvery every;
  const char      *at;
  guint8           weekday;
  guint8           day;
  const char      *after;
  const char      *next;
} Case;

static const Case cases[] = {
  { "daily, later today", OSI_SCHEDULE_DAILY, "23:15", 0, 0,
    "2026-12-05T10:00:00Z", "2026-12-05T22:15:00Z" },
  { "daily, tomorrow", OSI_SCHEDULE_DAILY, "02:30", 0, 0,
    "2026-12-05T10:00:00Z", "2026-12-06T01:30:00Z" },
  { "daily, at the run itself: the next day", OSI_SCHEDULE_DAILY, "02:30", 0, 0,
    "2026-12-06T01:30:00Z", "2026-12-07T01:30:00Z" },
  { "daily, one second before", OSI_SCHEDULE_DAILY, "02:30", 0, 0,
    "2026-12-06T01:29:59Z", "2026-12-06T01:30:00Z" },
  { "daily, midnight in Paris is the day before in UTC", OSI_SCHEDULE_DAILY, "00:00", 0, 0,
    "2026-12-05T22:59:00Z", "2026-12-05T23:00:00Z" },
  { "weekly on Monday from a Saturday", OSI_SCHEDULE_WEEKLY, "02:30", 1, 0,
    "2026-12-05T10:00:00Z", "2026-12-07T01:30:00Z" },
  { "weekly on Saturday, later that Saturday", OSI_SCHEDULE_WEEKLY, "20:00", 6, 0,
    "2026-12-05T10:00:00Z", "2026-12-05T19:00:00Z" },
  { "weekly on Saturday, passed: a week on", OSI_SCHEDULE_WEEKLY, "08:00", 6, 0,
    "2026-12-05T10:00:00Z", "2026-12-12T07:00:00Z" },
  { "weekly on Sunday", OSI_SCHEDULE_WEEKLY, "08:00", 7, 0,
    "2026-12-05T10:00:00Z", "2026-12-06T07:00:00Z" },
  { "monthly on the 28th, from February the 28th after the time", OSI_SCHEDULE_MONTHLY, "02:30", 0, 28,
    "2026-02-28T05:00:00Z", "2026-03-28T01:30:00Z" },
  { "monthly on the 1st, across the new year", OSI_SCHEDULE_MONTHLY, "02:30", 0, 1,
    "2026-12-05T10:00:00Z", "2027-01-01T01:30:00Z" },
  /* 29 March 2026: clocks go from 02:00 to 03:00 in Paris. */
  { "daily 02:30 on the day it does not exist runs at 03:00", OSI_SCHEDULE_DAILY, "02:30", 0, 0,
    "2026-03-28T12:00:00Z", "2026-03-29T01:00:00Z" },
  { "and the day after at 02:30 summer time", OSI_SCHEDULE_DAILY, "02:30", 0, 0,
    "2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z" },
  { "daily 10:00 keeps its wall-clock time in spring", OSI_SCHEDULE_DAILY, "10:00", 0, 0,
    "2026-03-28T12:00:00Z", "2026-03-29T08:00:00Z" },
  /* 25 October 2026: clocks go from 03:00 back to 02:00. */
  { "daily 02:30 on the day it happens twice runs once, at the second", OSI_SCHEDULE_DAILY, "02:30", 0, 0,
    "2026-10-24T12:00:00Z", "2026-10-25T01:30:00Z" },
  { "even from between the two", OSI_SCHEDULE_DAILY, "02:30", 0, 0,
    "2026-10-25T00:45:00Z", "2026-10-25T01:30:00Z" },
  { "and not again after it", OSI_SCHEDULE_DAILY, "02:30", 0, 0,
    "2026-10-25T01:30:00Z", "2026-10-26T01:30:00Z" },
  { "daily 10:00 keeps its wall-clock time in autumn", OSI_SCHEDULE_DAILY, "10:00", 0, 0,
    "2026-10-24T12:00:00Z", "2026-10-25T09:00:00Z" },
  { "off", OSI_SCHEDULE_OFF, "02:30", 0, 0,
    "2026-12-05T10:00:00Z", NULL },
  { "weekly with no weekday", OSI_SCHEDULE_WEEKLY, "02:30", 0, 0,
    "2026-12-05T10:00:00Z", NULL },
  { "monthly on a day some months lack", OSI_SCHEDULE_MONTHLY, "02:30", 0, 29,
    "2026-12-05T10:00:00Z", NULL },
};

static void
test_next (void)
{
  g_autoptr(GTimeZone) paris = g_time_zone_new_identifier ("Europe/Paris");

  g_assert_nonnull (paris);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const Case *c = &cases[i];
      OsiSchedule schedule = { .every = c->every, .weekday = c->weekday, .day = c->day };
      g_autoptr(GDateTime) after = g_date_time_new_from_iso8601 (c->after, NULL);
      g_autoptr(GDateTime) next = NULL;
      g_autofree char *got = NULL;

      g_test_message ("%s", c->what);
      g_assert_true (osi_schedule_parse_time (c->at, &schedule.hour, &schedule.minute));
      g_assert_nonnull (after);

      next = osi_schedule_next (&schedule, paris, after);
      if (c->next == NULL)
        {
          g_assert_null (next);
          continue;
        }
      g_assert_nonnull (next);
      {
        g_autoptr(GDateTime) utc = g_date_time_to_utc (next);
        got = g_date_time_format (utc, "%Y-%m-%dT%H:%M:%SZ");
      }
      g_assert_cmpstr (got, ==, c->next);
    }
}

/* A week of daily runs, each computed from the one before, as the server
 * does: one run a day, never twice, across both changes of the year. */
static void
test_chain (void)
{
  g_autoptr(GTimeZone) paris = g_time_zone_new_identifier ("Europe/Paris");
  const char *starts[] = { "2026-03-26T12:00:00Z", "2026-10-22T12:00:00Z" };

  for (guint s = 0; s < G_N_ELEMENTS (starts); s++)
    {
      OsiSchedule schedule = { .every = OSI_SCHEDULE_DAILY, .hour = 2, .minute = 30 };
      g_autoptr(GDateTime) at = g_date_time_new_from_iso8601 (starts[s], NULL);
      int last_day = -1;

      for (guint i = 0; i < 7; i++)
        {
          GDateTime *next = osi_schedule_next (&schedule, paris, at);
          g_autoptr(GDateTime) local = g_date_time_to_timezone (next, paris);
          GTimeSpan gap = g_date_time_difference (next, at);

          g_assert_cmpint (gap, >, 0);
          g_assert_cmpint (gap, <=, 25 * G_TIME_SPAN_HOUR);
          g_assert_cmpint (g_date_time_get_day_of_year (local), !=, last_day);
          last_day = g_date_time_get_day_of_year (local);
          g_date_time_unref (at);
          at = next;
        }
    }
}

static void
test_strings (void)
{
  OsiScheduleEvery every = OSI_SCHEDULE_OFF;
  guint8 h = 99, m = 99;
  const char *bad_times[] = { "", "2:30", "24:00", "12:60", "12-30", "12:3", "12:300", "ab:cd", " 2:30" };

  for (OsiScheduleEvery e = OSI_SCHEDULE_OFF; e <= OSI_SCHEDULE_MONTHLY; e++)
    {
      g_assert_true (osi_schedule_every_from_string (osi_schedule_every_to_string (e), &every));
      g_assert_cmpint (every, ==, e);
    }
  g_assert_false (osi_schedule_every_from_string ("hourly", &every));
  g_assert_false (osi_schedule_every_from_string ("Daily", &every));
  g_assert_false (osi_schedule_every_from_string (NULL, &every));

  g_assert_true (osi_schedule_parse_time ("00:00", &h, &m));
  g_assert_cmpuint (h, ==, 0);
  g_assert_cmpuint (m, ==, 0);
  g_assert_true (osi_schedule_parse_time ("23:59", &h, &m));
  g_assert_cmpuint (h, ==, 23);
  g_assert_cmpuint (m, ==, 59);
  for (guint i = 0; i < G_N_ELEMENTS (bad_times); i++)
    g_assert_false (osi_schedule_parse_time (bad_times[i], &h, &m));
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/schedule/next", test_next);
  g_test_add_func ("/schedule/chain", test_chain);
  g_test_add_func ("/schedule/strings", test_strings);

  return g_test_run ();
}
