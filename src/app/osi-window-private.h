/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The window's insides, which its files share as GNOME Text Editor's
 * window does: osi-window.c (construction, state, the list and its
 * pages), osi-window-columns.c (how the columns sort; the cells are
 * OsiBackupCell and OsiBackupRowActions),
 * osi-window-actions.c (the win.* actions, create, restore and delete),
 * osi-window-transfers.c (download, check, upload), osi-window-offsite.c
 * (off-site copies: their progress, the copies whose local file is gone,
 * bringing one back) and osi-window-dnd.c.
 * Then what the tests and the benchmark look at. */

#include "osi-backup-filter-model.h"
#include "osi-backup-info.h"
#include "osi-check-history.h"
#include "osi-check-window.h"
#include "osi-retention.h"
#include "osi-slot-model.h"
#include "osi-window.h"

G_BEGIN_DECLS

/* The long job under way. Create, restore and delete (the server's
 * operations), a download, a check and an upload share the status line,
 * its cancel button and a cancellable: one at a time, the other actions
 * disabled meanwhile. */
typedef enum
{
  OSI_WINDOW_JOB_NONE,
  OSI_WINDOW_JOB_OPERATION,   /* create, restore or delete */
  OSI_WINDOW_JOB_DOWNLOAD,
  OSI_WINDOW_JOB_CHECK,
  OSI_WINDOW_JOB_UPLOAD,      /* or the comparison with the server's backup of that name */
} OsiWindowJob;

struct _OsiWindow
{
  AdwApplicationWindow  parent_instance;

  /* template */
  AdwToastOverlay      *toast_overlay;
  AdwWindowTitle       *window_title;
  GtkButton            *create_button;
  GtkInfoBar           *banner;
  GtkLabel             *banner_label;
  GtkRevealer          *status_revealer;
  GtkSpinner           *status_spinner;
  GtkLabel             *status_label;
  GtkProgressBar       *status_progress;
  GtkButton            *status_cancel;
  GtkStack             *stack;
  AdwStatusPage        *unreachable_page;
  GtkSpinner           *loading_spinner;
  AdwEntryRow          *connect_url_row;
  AdwPasswordEntryRow  *connect_token_row;
  GtkLabel             *connect_error_label;
  GtkSearchEntry       *search_entry;
  GtkLabel             *count_label;
  GtkStack             *list_stack;
  GtkColumnView        *column_view;
  GtkColumnViewColumn  *name_column;
  GtkColumnViewColumn  *date_column;
  GtkColumnViewColumn  *size_column;
  GtkLabel             *page_label;
  GtkDropDown          *page_size_dropdown;
  GtkRevealer          *offsite_revealer;
  GtkExpander          *offsite_expander;
  GtkLabel             *offsite_title_label;
  GtkLabel             *offsite_count_label;
  GtkListBox           *offsite_list;

  GSettings            *settings;
  /* The win.* actions last told disabled, one bit per action of
   * osi-window-actions.c; none at first, as GTK installs them enabled. */
  guint                 disabled_actions;
  OsiClient            *client;

  /* store → sort → filter → slice (the page) → the column view */
  GListStore           *store;
  OsiBackupFilterModel *filter_model;
  GtkSortListModel     *sort_model;
  GtkSliceListModel    *slice_model;
  OsiSlotModel         *slot_model;   /* the page as the view shows it */
  guint                 page;
  guint                 page_size;
  guint                 view_updates;

  gboolean              loaded;      /* a list came from this client */
  gboolean              listing;
  guint                 present_timeout_id;  /* present_when_listed () */
  /* A backup the server makes after answering (a restore's safety
   * backup): the list is read again until it shows it. */
  char                 *awaited_backup;
  guint                 awaited_timeout_id;
  guint                 awaited_delay_s;
  gint64                awaited_until;
  OsiWindowJob          job;
  guint                 restore_diffs;   /* restore confirmations asking what would change */
  /* docs/api.md §5.2: what the server offers, asked once per client after its
   * first list, in the background. */
  gboolean              features_asked;
  gboolean              probing;
  GCancellable         *features_cancellable;
  GCancellable         *list_cancellable;
  GCancellable         *op_cancellable;
  GCancellable         *transfer_cancellable;

  AdwMessageDialog     *dialog;
  OsiCheckHistory      *check_history;
  OsiCheckWindow       *check_window;
  GtkWindow            *policy_window;   /* weak: "Schedule and Retention" */
  GQueue                check_queue;     /* paths dropped, waiting for their check */
  char                 *last_toast;
  char                 *banner_text;

  /* osi-window-offsite.c: docs/api.md §7.3, §7.4. */
  GListStore           *offsite_store;      /* the copies whose local file is gone */
  GHashTable           *offsite_copies;     /* name → OsiBackupInfo, every copy of the last GET /offsite */
  GHashTable           *offsite_fetching;   /* names being brought back */
  GCancellable         *offsite_cancellable;
  GCancellable         *fetch_cancellable;  /* cancelled by the window's end only */
  guint                 offsite_poll_id;
  gboolean              offsite_listing;
  gboolean              offsite_again;      /* ask again when the answer comes */
  gboolean              offsite_stale_list; /* the list was read again for GET /offsite's states */
  gboolean              offsite_compare_list; /* a new list: compare its rows with the next copies */
  AdwToast             *fetched_toast;      /* weak pointer: the last "brought back" toast */
};

static inline gboolean
_osi_window_is_cancelled (const GError *error)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* An answer that arrives after the window was closed has nowhere to go. */
static inline gboolean
_osi_window_is_disposed (OsiWindow *self)
{
  return self->store == NULL;
}

static inline gboolean
_osi_window_long_job_running (OsiWindow *self)
{
  return self->job != OSI_WINDOW_JOB_NONE;
}

/* osi-window.c */
OsiBackupInfo    *_osi_window_find_backup        (OsiWindow      *self,
                                                  const char     *name);
gboolean          _osi_window_refuse_unnamable   (OsiWindow      *self,
                                                  const char     *name);
void              _osi_window_notify_working     (OsiWindow      *self);
/* The status line says format's message. */
void              _osi_window_long_job_start     (OsiWindow      *self,
                                                  OsiWindowJob    job,
                                                  const char     *format,
                                                  ...) G_GNUC_PRINTF (3, 4);
void              _osi_window_long_job_end       (OsiWindow      *self,
                                                  OsiWindowJob    job);
AdwMessageDialog *_osi_window_new_dialog         (OsiWindow      *self,
                                                  const char     *heading,
                                                  const char     *body);
void              _osi_window_show_error         (OsiWindow      *self,
                                                  const char     *heading,
                                                  const GError   *error,
                                                  gboolean        restore);
void              _osi_window_update_view        (OsiWindow      *self);
void              _osi_window_await_backup       (OsiWindow      *self,
                                                  const char     *name);
void              _osi_window_refresh            (OsiWindow      *self);

/* osi-window-columns.c */
void              _osi_window_columns_init       (OsiWindow      *self);

/* osi-window-actions.c */
void              _osi_window_class_actions_init (OsiWindowClass *klass);
void              _osi_window_actions_init       (OsiWindow      *self);
void              _osi_window_actions_update     (OsiWindow      *self);
void              _osi_window_confirm_restore    (OsiWindow      *self,
                                                  const char     *name,
                                                  const char     *date);
/* A confirmation: Cancel, the default and the answer to Escape, beside
 * response, which on_response (swapped: self, response, dialog) does. */
void              _osi_window_present_confirmation (OsiWindow             *self,
                                                    AdwMessageDialog      *dialog,
                                                    const char            *response,
                                                    const char            *label,
                                                    AdwResponseAppearance  appearance,
                                                    GCallback              on_response);
/* The backup the dialog named ("backup-name"), when its answer was
 * wanted and the window can still act; NULL otherwise. */
const char       *_osi_window_answered_backup    (OsiWindow        *self,
                                                  AdwMessageDialog *dialog,
                                                  const char       *response,
                                                  const char       *wanted);
/* The delete confirmation of a backup that is not protected. */
void              _osi_window_confirm_delete     (OsiWindow      *self,
                                                  const char     *name);

/* osi-window-policy.c */
void              _osi_window_class_policy_init  (OsiWindowClass *klass);
/* TRUE, having explained why and offered to unprotect it, when the list
 * says name is protected. */
gboolean          _osi_window_explain_protected  (OsiWindow      *self,
                                                  const char     *name);
/* Shows info (a backup the server sent back) in place of the backup of
 * that name. */
void              _osi_window_replace_backup     (OsiWindow      *self,
                                                  OsiBackupInfo  *info);
/* "Clean Up…": the plan first, then the deletes on confirmation. counts:
 * plan here from the list with these counts; NULL: the server's own
 * plan, or §6's defaults planned here on a server without "policy". */
void              _osi_window_prune              (OsiWindow      *self,
                                                  const OsiRetentionPolicy *counts);
/* The plan {"keep", "remove"} in words; local: planned here. */
char             *_osi_window_describe_plan      (JsonObject     *plan,
                                                  gboolean        local);

/* osi-window-transfers.c */
void              _osi_window_download           (OsiWindow      *self,
                                                  const char     *name);
void              _osi_window_check_path         (OsiWindow      *self,
                                                  const char     *path);

/* osi-window-offsite.c */
void              _osi_window_class_offsite_init (OsiWindowClass *klass);
void              _osi_window_offsite_init       (OsiWindow      *self);
void              _osi_window_offsite_dispose    (OsiWindow      *self);
/* Another server, or none: what the last one said is forgotten. */
void              _osi_window_offsite_reset      (OsiWindow      *self);
/* After each list, and once what the server offers is known: the
 * copies read again when the server has "offsite", the section and the
 * marks' progress cleared otherwise. */
void              _osi_window_offsite_listed     (OsiWindow      *self);
/* What GET /offsite last said of name's copy: the bytes the storage
 * holds and the backup's size. FALSE, leaving them, when it said
 * nothing of it. */
gboolean          _osi_window_get_offsite_progress (OsiWindow    *self,
                                                    const char   *name,
                                                    gint64       *copied,
                                                    gint64       *size);

/* osi-window-dnd.c */
void              _osi_window_dnd_init           (OsiWindow      *self);

/* What the tests and the benchmark look at. */

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
 * check history), a check, an upload, a restore's "what would change",
 * a reading of the off-site copies or the fetch of one runs; notified as
 * "working". */
gboolean     osi_window_get_working       (OsiWindow *self);
/* The last toast's title. */
const char  *osi_window_get_last_toast    (OsiWindow *self);
/* The report of the last check, NULL when none is open. */
OsiCheckWindow *osi_window_get_check_window (OsiWindow *self);
/* The copies whose local file is gone (OsiBackupInfo), as the section
 * below the list shows them; their rows; and whether that section is
 * shown. */
GListModel  *osi_window_get_offsite_model (OsiWindow *self);
GtkListBox  *osi_window_get_offsite_list  (OsiWindow *self);
gboolean     osi_window_get_offsite_shown (OsiWindow *self);
/* Whether GET /offsite is being read or will be read again soon (a copy
 * waits or runs and the window is shown). */
gboolean     osi_window_get_offsite_polling (OsiWindow *self);
/* The last "brought back" toast, while it is shown; NULL otherwise. */
AdwToast    *osi_window_get_fetched_toast (OsiWindow *self);
/* "Schedule and Retention", NULL when not open. */
GtkWindow   *osi_window_get_policy_window (OsiWindow *self);
/* The folder downloads go to. */
char        *osi_window_dup_download_folder (OsiWindow *self);

G_END_DECLS
