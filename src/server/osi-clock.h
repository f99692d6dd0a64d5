/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* What time it is for the server's schedule, and alarms at wall-clock
 * instants. The system clock in service; a manual clock in the tests,
 * which move it forward by hand, so that a week of schedule runs in no
 * time and no test sleeps. Alarms run on the thread-default main context
 * of the thread that added them. */

#define OSI_TYPE_CLOCK (osi_clock_get_type ())

G_DECLARE_FINAL_TYPE (OsiClock, osi_clock, OSI, CLOCK, GObject)

typedef void (*OsiClockAlarmFunc) (gpointer user_data);

OsiClock  *osi_clock_new_system    (void);
/* Stands still at start until osi_clock_advance_to (). */
OsiClock  *osi_clock_new_manual    (GDateTime         *start);

GDateTime *osi_clock_now           (OsiClock          *self);

/* Calls func once, at `at` or as soon after it as the main loop can
 * (at once when `at` is past). The system clock looks again at least each
 * minute, so that a clock set forward or a machine waking from sleep is
 * seen. Returns an id for osi_clock_remove_alarm (), never 0. */
guint      osi_clock_add_alarm     (OsiClock          *self,
                                    GDateTime         *at,
                                    OsiClockAlarmFunc  func,
                                    gpointer           user_data);
void       osi_clock_remove_alarm  (OsiClock          *self,
                                    guint              id);

/* Manual clocks: moves to `to` (never back) and runs, in the order of
 * their instants, the alarms due by then, each seeing its own instant as
 * the time, alarms they add included. */
void       osi_clock_advance_to    (OsiClock          *self,
                                    GDateTime         *to);

G_END_DECLS
