/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "osi-test-support.h"
#include "osi-check-window-private.h"
#include "osi-application.h"
#include "osi-policy-window.h"
#include "osi-test-rgw.h"
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
/* Before g_test_init (), before anything asks GLib for them: the history
 * of checks and downloads and the comparison cache go to XDG_DATA_HOME
 * and XDG_CACHE_HOME under a fresh folder named after tmpl (as for
 * g_dir_make_tmp ()), so that no run reads another's. Returns that
 * folder, for osi_test_remove_tmpdir () once the tests ran. */
char    *osi_test_gui_private_user_dirs (const char *tmpl);

/* osi_test_wait_for () is in osi-test-support.h. */
/* Until the window's work (osi_window_get_working) ends. */
void  osi_test_wait_idle      (OsiWindow        *window);
/* Answers the window's dialog as a click would (a confirmation's default
 * must be "cancel"; an error has "close"), then the dialog goes away.
 * Returns its body for the caller to check. */
char *osi_test_answer_dialog  (OsiWindow        *window,
                               const char       *response);
/* Until the report has compared its file with the download the check
 * history remembers of it; returns what it says of that. */
const char *osi_test_wait_download_text (OsiCheckWindow *report);

/* What the tests that walk every window share: a real server over
 * n_backups demo backups of generated data (with an empty backup folder
 * beside, for the empty list), and the application registered, for the
 * windows' actions, accelerators and the a11y hook. */
typedef struct
{
  OsiApplication *app;
  char           *tmp;
  char           *data;
  char           *backups;
  char           *empty_backups;
  OsiTestServer  *server;        /* over backups */
} OsiTestGuiShared;

void       osi_test_gui_shared_start  (OsiTestGuiShared *shared,
                                       gsize             data_size,
                                       guint             n_backups,
                                       const char       *token);
void       osi_test_gui_shared_finish (OsiTestGuiShared *shared);

/* For a case that changes what a server keeps (protections, notes,
 * verifications, backups made): a server of its own over n_backups demo
 * backups, in a new folder named folder in shared's. */
OsiTestServer *osi_test_gui_server_start (OsiTestGuiShared *shared,
                                          const char       *folder,
                                          guint             n_backups,
                                          const char       *token);
/* The same with the FastAPI stand-in of the deployed backend (no
 * policy) over n_backups valid .json backups, a day apart, in UTC, in a
 * new folder named folder in shared's. */
OsiTestServer *osi_test_gui_fastapi_start (OsiTestGuiShared *shared,
                                           const char       *folder,
                                           guint             n_backups,
                                           const char       *token);
/* "Schedule and Retention" of window's server (win.policy), loaded. */
OsiPolicyWindow *osi_test_gui_open_policy_window (OsiWindow *window);
/* Until the window's policy is read or saved. */
void           osi_test_gui_wait_policy_window (OsiPolicyWindow *policy);
/* The list of choices of a combo row, shown as a click shows it: the row
 * scrolled into view first (a list popped up for a row out of view lies
 * off the screen, where GTK 4.8 finds no monitor). Its popover, visible. */
GtkWidget     *osi_test_gui_pop_up_combo_row  (AdwComboRow *row);
/* Every badge of the list (docs/api.md §6) on the backups shown in
 * window, on an osi-backup-server of at least four: a backup made from
 * the app (its kind), the second shown protected and the third given
 * note from the rows' buttons, the fourth verified by the server, then
 * the list refreshed. Returns the names of the protected and the noted
 * ones, for the caller to free. */
void           osi_test_gui_add_badges   (OsiWindow        *window,
                                          const char       *note,
                                          char            **protected_name,
                                          char            **noted_name);

/* Off-site copies (docs/api.md §7): a server of its own over n_backups
 * demo backups, in a new folder named folder in shared's, copying to the
 * gateway rgw. */
OsiTestServer *osi_test_gui_offsite_server_start (OsiTestGuiShared *shared,
                                                  const char       *folder,
                                                  guint             n_backups,
                                                  const char       *token,
                                                  OsiTestRgw       *rgw);
/* The backup of that name in the window's list, or NULL; the list keeps
 * it. */
OsiBackupInfo *osi_test_gui_find_listed     (OsiWindow        *window,
                                             const char       *name);
/* Makes a backup from window (on such a server) and waits until its row
 * says its copy is done; returns its name. */
char          *osi_test_gui_create_copied   (OsiWindow        *window);
/* Two of those, the second then deleted from the window and waited for
 * in the section of the copies whose local file is gone: the rows show
 * a done mark, the section one copy. Returns the names. */
void           osi_test_gui_add_offsite_copies (OsiWindow     *window,
                                                char         **copied_name,
                                                char         **gone_name);

/* What a walk over the windows finds wrong (test-a11y.c, test-french.c):
 * a line each, "path: what «string» (why)", the path cut to its last
 * n_steps steps (separated by separator), each line kept once. */
void       osi_test_offenders_add     (GPtrArray        *offenders,
                                       const char       *path,
                                       const char       *separator,
                                       guint             n_steps,
                                       const char       *what,
                                       const char       *string,
                                       const char       *why);
/* Fails the case if there are any, listed in the log a line each (a
 * multi-line failure message breaks the TAP stream meson reads), as
 * "N problem (listed above)". */
void       osi_test_offenders_check   (GPtrArray        *offenders,
                                       const char       *problem);

/* A few turns of the main loop, for what GTK does at idle (building a
 * popover, laying out rows). */
void       osi_test_settle            (void);
/* The first toplevel window of that type, or NULL. */
GtkWindow *osi_test_find_toplevel     (GType             type);

G_END_DECLS
