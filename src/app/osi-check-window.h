/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "osi-check-history.h"
#include "osi-verify-report.h"
#include "osi-window.h"

G_BEGIN_DECLS

#define OSI_TYPE_CHECK_WINDOW (osi_check_window_get_type ())

G_DECLARE_FINAL_TYPE (OsiCheckWindow, osi_check_window, OSI, CHECK_WINDOW, AdwWindow)

/* The report of an offline check, the file's former check and the recent
 * checks, for window (the main window, which runs checks and restores). */
OsiCheckWindow  *osi_check_window_new        (OsiWindow       *window,
                                              OsiCheckHistory *history);
/* previous: the file's check before this one, or NULL. */
void             osi_check_window_set_report (OsiCheckWindow       *self,
                                              OsiVerifyReport      *report,
                                              const OsiCheckRecord *previous);
OsiVerifyReport *osi_check_window_get_report (OsiCheckWindow  *self);

G_END_DECLS
