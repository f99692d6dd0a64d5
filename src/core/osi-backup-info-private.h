/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "osi-backup-info.h"

G_BEGIN_DECLS

/* The backup date broken down in local time, extracted once per item so
 * that the search matcher compares integers instead of building a local
 * GDateTime on every keystroke. */
typedef struct
{
  gint year;
  gint month;   /* 1–12 */
  gint day;     /* 1–31 */
  gint hour;    /* 0–23 */
  gint minute;  /* 0–59 */
} OsiLocalDate;

const OsiLocalDate *_osi_backup_info_get_local_date (OsiBackupInfo *self);

G_END_DECLS
