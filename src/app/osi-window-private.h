/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* What the tests and the benchmark look at. */

#include "osi-check-window.h"
#include "osi-window.h"

G_BEGIN_DECLS

GListStore  *osi_window_get_store         (OsiWindow *self);
/* The filtered and sorted backups, before the page is cut. */
GListModel  *osi_window_get_sorted_model  (OsiWindow *self);
/* The backups of the page shown. */
GListModel  *osi_window_get_page_model    (OsiWindow *self);
guint        osi_window_get_page          (OsiWindow *self);
guint        osi_window_get_n_pages       (OsiWindow *self);
const char  *osi_window_get_page_text     (OsiWindow *self);
const char  *osi_window_get_count_text    (OsiWindow *self);
GtkEditable *osi_window_get_search_entry  (OsiWindow *self);
/* "connect", "loading", "unreachable", "empty", "list"; with "list", the
 * list itself is "rows" or "no-results". */
const char  *osi_window_get_state         (OsiWindow *self);
const char  *osi_window_get_list_state    (OsiWindow *self);
/* The title of the status page shown; NULL with the list. */
const char  *osi_window_get_status_title  (OsiWindow *self);
/* The banner's message, NULL when hidden. */
const char  *osi_window_get_banner_text   (OsiWindow *self);
/* The confirmation or error dialog on screen, NULL when none. */
AdwMessageDialog *osi_window_get_dialog   (OsiWindow *self);
/* TRUE while a list request, the question of what the server offers, a
 * create, a restore, a delete, a download (until it is remembered in the
 * check history), a check, an upload or a restore's "what would change"
 * runs; notified as "working". */
gboolean     osi_window_get_working       (OsiWindow *self);
/* The last toast's title. */
const char  *osi_window_get_last_toast    (OsiWindow *self);
/* The report of the last check, NULL when none is open. */
OsiCheckWindow *osi_window_get_check_window (OsiWindow *self);
/* The folder downloads go to. */
char        *osi_window_dup_download_folder (OsiWindow *self);

G_END_DECLS
