/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "osi-check-history.h"
#include "osi-check-window.h"
#include "osi-diff-window.h"
#include "osi-verify-report.h"

G_BEGIN_DECLS

/* The window's state, shared by osi-check-window.c (the report, the
 * history, restore) and osi-check-window-compare.c (comparisons). */
struct _OsiCheckWindow
{
  AdwWindow             parent_instance;

  /* template */
  AdwWindowTitle       *window_title;
  GtkRevealer          *job_revealer;
  GtkLabel             *job_label;
  GtkProgressBar       *job_progress;
  GtkImage             *verdict_icon;
  GtkLabel             *verdict_label;
  GtkLabel             *file_label;
  GtkLabel             *last_check_label;
  GtkLabel             *download_label;
  GtkButton            *restore_button;
  GtkLabel             *restore_note_label;
  GtkMenuButton        *compare_button;
  GtkLabel             *backup_label;
  GtkDropDown          *backup_dropdown;
  GtkStringList        *backup_names;
  GtkButton            *compare_backup_button;
  AdwPreferencesGroup  *findings_group;
  GtkListBox           *findings_list;
  AdwPreferencesGroup  *content_group;
  GtkListBox           *content_list;
  AdwPreferencesGroup  *config_group;
  GtkListBox           *config_list;
  AdwPreferencesGroup  *files_group;
  GtkListBox           *files_list;
  GtkListBox           *recent_list;

  GWeakRef              window;
  OsiCheckHistory      *history;
  OsiVerifyReport      *report;
  char                 *created_text;
  char                 *host_text;
  char                 *rag_text;
  char                 *last_check_text;
  char                 *download_text;

  /* Whether a downloaded file is still what the server sent. */
  GCancellable         *hash_cancellable;

  /* A comparison: the download of a server backup, then the diff. */
  GCancellable         *job_cancellable;
  guint                 pulse_id;
  char                 *compare_dir;      /* holds the downloaded backup */
  char                 *restore_file;     /* waits for the history's stat of it */
  char                 *other_label;
  OsiDiffWindow        *diff_window;
};

void        _osi_check_window_update_actions     (OsiCheckWindow *self);
void        _osi_check_window_close_diff_window  (OsiCheckWindow *self);
void        _osi_check_window_on_compare_popover_show   (OsiCheckWindow *self,
                                                         GtkPopover     *popover);
void        _osi_check_window_on_compare_backup_clicked (OsiCheckWindow *self,
                                                         GtkButton      *button);
void        _osi_check_window_action_compare_file       (GtkWidget      *widget,
                                                         const char     *action_name,
                                                         GVariant       *parameter);

/* What the tests look at. */

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
