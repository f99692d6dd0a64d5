/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* When the server makes its scheduled backups (docs/api.md, the policy's
 * "schedule"): every day, week or month at a wall-clock time of the
 * policy's time zone. */
typedef enum
{
  OSI_SCHEDULE_OFF,
  OSI_SCHEDULE_DAILY,
  OSI_SCHEDULE_WEEKLY,
  OSI_SCHEDULE_MONTHLY,
} OsiScheduleEvery;

typedef struct
{
  OsiScheduleEvery every;
  guint8           hour;     /* 0–23 */
  guint8           minute;   /* 0–59 */
  guint8           weekday;  /* weekly: 1 Monday … 7 Sunday (ISO 8601) */
  guint8           day;      /* monthly: 1–28, a day every month has */
} OsiSchedule;

/* "off", "daily", "weekly", "monthly" and back; FALSE for anything else. */
const char *osi_schedule_every_to_string   (OsiScheduleEvery   every);
gboolean    osi_schedule_every_from_string (const char        *text,
                                            OsiScheduleEvery  *every);

/* "HH:MM" (two digits each, 00:00–23:59); FALSE for anything else. */
gboolean    osi_schedule_parse_time        (const char        *text,
                                            guint8            *hour,
                                            guint8            *minute);

/* The first instant strictly after `after` at which the schedule falls,
 * read in tz; NULL when it is off.
 *
 * Wall-clock times follow the time zone's changes: a daily 02:30 stays
 * 02:30 on either side of a change. A time that does not exist on a day
 * (the hour skipped when clocks go forward) runs as soon as the clocks
 * have jumped (02:30 becomes 03:00 in Europe/Paris); a time that happens twice (the hour repeated when clocks
 * go back) runs once, at its second occurrence, in standard time. */
GDateTime  *osi_schedule_next              (const OsiSchedule *schedule,
                                            GTimeZone         *tz,
                                            GDateTime         *after);

G_END_DECLS
