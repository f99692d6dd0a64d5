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
/* Shows what changes from the report's file to another local file, or to
 * a backup of the main window's server (downloaded to the cache for the
 * comparison, then deleted), in a comparison window. */
void             osi_check_window_compare_with_file   (OsiCheckWindow *self,
                                                       const char     *path);
void             osi_check_window_compare_with_backup (OsiCheckWindow *self,
                                                       const char     *name);
/* TRUE while a comparison runs. */
gboolean         osi_check_window_get_working         (OsiCheckWindow *self);

/* Shows a file chooser for backup files (the archive formats, and all
 * files), opening in folder when it exists; calls func (object, path)
 * with the file chosen, unless object is gone by then. */
typedef void (*OsiFileChosenFunc) (gpointer    object,
                                   const char *path);

void             osi_backup_file_chooser_show         (GtkWindow         *parent,
                                                       const char        *title,
                                                       const char        *accept_label,
                                                       const char        *folder,
                                                       OsiFileChosenFunc  func,
                                                       gpointer           object);

G_END_DECLS
