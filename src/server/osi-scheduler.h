/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "osi-clock.h"
#include "osi-server.h"

G_BEGIN_DECLS

/* The server's schedule (docs/api.md §6.6): on the server's
 * main loop, by its clock, the scheduled backups at the policy's times
 * (each followed by the retention when it succeeded) and the periodic
 * verification of the backups, each logged as a run in the catalog. A
 * backup missed while the server was down is made once at start; one
 * that falls due while a create or a restore runs is tried again a
 * minute later; a restore pauses the verification, which resumes once
 * the restore has ended. Main loop's thread only. */

#define OSI_TYPE_SCHEDULER (osi_scheduler_get_type ())

G_DECLARE_FINAL_TYPE (OsiScheduler, osi_scheduler, OSI, SCHEDULER, GObject)

/* server owns the scheduler (no reference is taken) and outlives it. */
OsiScheduler *osi_scheduler_new               (OsiServer    *server,
                                               OsiClock     *clock);
/* Makes the backup missed while the server was down, if any, then sets
 * the alarms. */
void          osi_scheduler_start             (OsiScheduler *self);
/* The policy changed: the alarms are set again from now (no run is then
 * counted as missed); a verification no longer wanted is stopped. */
void          osi_scheduler_reschedule        (OsiScheduler *self);
/* The server stops: no more alarms; the verification under way is
 * cancelled. */
void          osi_scheduler_stop              (OsiScheduler *self);

/* When the next backup and the next verification pass fall (NULL when
 * off, or stopped). */
GDateTime    *osi_scheduler_get_next_backup   (OsiScheduler *self);
GDateTime    *osi_scheduler_get_next_verify   (OsiScheduler *self);
/* A scheduled backup or verification pass is under way, or waiting for a
 * restore to end. */
gboolean      osi_scheduler_is_busy           (OsiScheduler *self);

/* From the server: a restore begins (the verification stops), the create
 * or restore under way has ended (the verification may go on). */
void          osi_scheduler_restore_started   (OsiScheduler *self);
void          osi_scheduler_operation_ended   (OsiScheduler *self);

G_END_DECLS
