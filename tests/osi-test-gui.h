/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "osi-window-private.h"

G_BEGIN_DECLS

/* How long a GUI test waits for anything before it fails. */
#define OSI_TEST_WAIT_S 60

typedef gboolean (*OsiTestCondition) (gpointer data);

/* After g_test_init (): the locale (French in a test subprocess, whose
 * only use is the French cases, else C for the English source strings),
 * the translations from $OSI_BACKUP_LOCALEDIR, then GTK and libadwaita.
 * Returns whether there is a display (cases skip without one). */
gboolean osi_test_gui_init    (void);
/* Whether a French case can run here (a display, the fr_FR.UTF-8
 * locale); otherwise the case is marked skipped. */
gboolean osi_test_french_possible (void);

/* Runs the main loop until done (data) holds; fails after
 * OSI_TEST_WAIT_S seconds, saying what it waited for. The deadline only
 * turns a hang into a failure: it times nothing. */
void  osi_test_wait_for       (OsiTestCondition  done,
                               gpointer          data,
                               const char       *what);
/* Until the window's work (osi_window_get_working) ends. */
void  osi_test_wait_idle      (OsiWindow        *window);
/* Answers the window's dialog as a click would (a confirmation's default
 * must be "cancel"; an error has "close"), then the dialog goes away.
 * Returns its body for the caller to check. */
char *osi_test_answer_dialog  (OsiWindow        *window,
                               const char       *response);

G_END_DECLS
