/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* What the tests look at. */

#include "osi-check-window.h"
#include "osi-diff-window.h"

G_BEGIN_DECLS

const char *osi_check_window_get_verdict_text    (OsiCheckWindow *self);
/* The manifest's creation date (JJ/MM/AAAA HH:MM), host and the number
 * of RAG entries as shown; NULL when not shown. */
const char *osi_check_window_get_created_text    (OsiCheckWindow *self);
const char *osi_check_window_get_host_text       (OsiCheckWindow *self);
const char *osi_check_window_get_rag_text        (OsiCheckWindow *self);
/* "Last check: …", NULL when the file was never checked before. */
const char *osi_check_window_get_last_check_text (OsiCheckWindow *self);
/* Whether the file is what the server sent ("Unchanged since it was
 * downloaded on …"), once worked out; NULL when not shown. */
const char *osi_check_window_get_download_text   (OsiCheckWindow *self);
/* Why the file cannot be restored on this server; NULL when not shown. */
const char *osi_check_window_get_restore_note    (OsiCheckWindow *self);
/* The rows' titles: config/ files, findings (messages), files, and the
 * recent checks (full paths). */
GStrv       osi_check_window_dup_config_files    (OsiCheckWindow *self);
GStrv       osi_check_window_dup_findings        (OsiCheckWindow *self);
GStrv       osi_check_window_dup_files           (OsiCheckWindow *self);
GStrv       osi_check_window_dup_recent          (OsiCheckWindow *self);
/* Whether "Restore This File on the Server…" shows and can be used. */
gboolean    osi_check_window_can_restore         (OsiCheckWindow *self);
/* "Compare With…", the names of the server's backups it offers and the
 * button that compares with the one selected. */
GtkMenuButton *osi_check_window_get_compare_button  (OsiCheckWindow *self);
GtkDropDown   *osi_check_window_get_backup_dropdown (OsiCheckWindow *self);
GtkWidget     *osi_check_window_get_compare_backup_button (OsiCheckWindow *self);
/* The last comparison's window, NULL when none is open. */
OsiDiffWindow *osi_check_window_get_diff_window  (OsiCheckWindow *self);

G_END_DECLS
