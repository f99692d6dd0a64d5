/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "osi-test-support.h"
#include "osi-window-private.h"

G_BEGIN_DECLS

/* After g_test_init (): the locale (French in a test subprocess, whose
 * only use is the French cases, else C for the English source strings),
 * the translations from $OSI_BACKUP_LOCALEDIR, then GTK and libadwaita.
 * Returns whether there is a display (cases skip without one). */
gboolean osi_test_gui_init    (void);
/* Done by osi_test_gui_init (); for the tests that start GTK their own
 * way. Before GTK starts: tolerates one harmless GTK 4.8 warning (see
 * osi-test-gui.c), every other message is as fatal as G_DEBUG says. */
void     osi_test_gui_set_log_writer (void);
/* Whether a French case can run here (a display, the fr_FR.UTF-8
 * locale); otherwise the case is marked skipped. */
gboolean osi_test_french_possible (void);

/* osi_test_wait_for () is in osi-test-support.h. */
/* Until the window's work (osi_window_get_working) ends. */
void  osi_test_wait_idle      (OsiWindow        *window);
/* Answers the window's dialog as a click would (a confirmation's default
 * must be "cancel"; an error has "close"), then the dialog goes away.
 * Returns its body for the caller to check. */
char *osi_test_answer_dialog  (OsiWindow        *window,
                               const char       *response);

G_END_DECLS
